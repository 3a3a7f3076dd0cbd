// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string_view>
#include <vector>

#include "conf/device_types.h"
#include "conf/network_forward.h"

namespace dvs::driver {

// The device pool of a direct or hostdev network (its <forward> <interface>s and <address>es)
// as libvirt's port allocation searches it. Borrows the vector; every result points into it and
// is null when nothing matches.
class InterfacePool
{
public:
    explicit InterfacePool(std::vector<conf::ForwardInterface>& devices) : devices_(devices) {}

    // The network device named dev.
    conf::ForwardInterface* findByDev(std::string_view dev)
    {
        return find([&](const conf::ForwardInterface& d) {
            return d.type == conf::ForwardDeviceType::Netdev && d.dev == dev;
        });
    }
    // The PCI device at address.
    conf::ForwardInterface* findByPci(const conf::PciAddress& address)
    {
        return find([&](const conf::ForwardInterface& d) {
            return d.type == conf::ForwardDeviceType::Pci && d.pci == address;
        });
    }
    // The first device no port uses (exclusive modes: passthrough, hostdev).
    conf::ForwardInterface* firstFree()
    {
        return find([](const conf::ForwardInterface& d) { return d.connections == 0; });
    }
    // The first of the devices with the fewest ports (shared modes: bridge, private, vepa).
    conf::ForwardInterface* leastUsed()
    {
        conf::ForwardInterface* best = nullptr;
        for (auto& d : devices_) {
            if (best == nullptr || d.connections < best->connections) {
                best = &d;
            }
        }
        return best;
    }

private:
    template <typename Match>
    conf::ForwardInterface* find(Match match)
    {
        for (auto& d : devices_) {
            if (match(d)) {
                return &d;
            }
        }
        return nullptr;
    }

    std::vector<conf::ForwardInterface>& devices_;
};

} // namespace dvs::driver
