// SPDX-License-Identifier: LGPL-2.1-or-later
// The port every OVS bench programs, the same for each contender: an access VLAN, libvirt's
// external_ids, and a bandwidth limit each way, written in libvirt's units.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace dvs::bench {

struct BenchPort
{
    std::string ifname;  // vnetN
    std::string ifaceId; // the port's interfaceid (a UUID)
    std::string mac;
    std::string vmId; // the owning domain's UUID
    int tag = 10;
    // The domain's bandwidth in KiB/s and KiB, as in <bandwidth>.
    std::uint64_t inboundAverage = 1000;
    std::uint64_t inboundPeak = 2000;
    std::uint64_t inboundBurst = 256;
    std::uint64_t outboundAverage = 500;
    std::uint64_t outboundBurst = 128;

    // libvirt's mapping for a tap: the domain's inbound is a linux-htb QoS with one Queue on the
    // Port, its outbound is ingress policing on the Interface.
    std::string qosMinRate() const { return std::to_string(inboundAverage * 8000); }
    std::string qosMaxRate() const { return std::to_string(inboundPeak * 8000); }
    std::string qosBurst() const { return std::to_string(inboundBurst * 8192); }
    std::int64_t policingRate() const { return static_cast<std::int64_t>(outboundAverage * 8); }
    std::int64_t policingBurst() const { return static_cast<std::int64_t>(outboundBurst * 8); }
};

// count ports named vnet<first>..; UUIDs and MACs derived from the index, so runs are
// reproducible and every contender programs the same rows.
inline std::vector<BenchPort> makeBenchPorts(int first, int count)
{
    std::vector<BenchPort> ports;
    ports.reserve(static_cast<std::size_t>(count));
    for (int i = first; i < first + count; ++i) {
        BenchPort p;
        p.ifname = fmt::format("vnet{}", i);
        p.ifaceId = fmt::format("7a1d0000-0000-4000-8000-{:012x}", i);
        p.vmId = fmt::format("5eed0000-0000-4000-8000-{:012x}", i / 4);
        p.mac = fmt::format("52:54:00:{:02x}:{:02x}:{:02x}", (i >> 16) & 0xff, (i >> 8) & 0xff,
                            i & 0xff);
        ports.push_back(std::move(p));
    }
    return ports;
}

} // namespace dvs::bench
