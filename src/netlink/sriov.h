// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <compare>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dvs::netlink {

// A PCI address, domain:bus:slot.function.
struct PciAddress
{
    unsigned domain = 0;   // 16 bits (sysfs may show 32)
    unsigned bus = 0;      // 8 bits
    unsigned slot = 0;     // 5 bits
    unsigned function = 0; // 3 bits

    // Parses sysfs's "0000:03:10.1" (domain optional). Returns nullopt on anything else.
    static std::optional<PciAddress> parse(std::string_view text);
    // "0000:03:10.1".
    std::string toString() const;

    friend bool operator==(const PciAddress&, const PciAddress&) = default;
    friend auto operator<=>(const PciAddress&, const PciAddress&) = default;
};

// One virtual function of an SR-IOV physical function.
struct VirtualFunction
{
    // N of the PF's virtfnN entry.
    unsigned index = 0;
    PciAddress address;
    // The VF's network device name; empty when it has none (e.g. bound to vfio-pci).
    std::string netdev;

    friend bool operator==(const VirtualFunction&, const VirtualFunction&) = default;
};

// The virtual functions of the physical function pf (a network device name), read from
// SYSFS/class/net/PF/device/virtfnN, in increasing N. sysfsRoot is "/sys" on a host; tests pass a
// tree of their own. Returns an empty list when the device has no VFs (or is not a PCI device).
// Throws Error(InvalidArg) for a name that is not a device name, Error(DeviceMissing) when there
// is no such network device, Error(InternalError) when an entry cannot be read or parsed.
std::vector<VirtualFunction> listVirtualFunctions(std::string_view pf,
                                                  const std::filesystem::path& sysfsRoot = "/sys");

// Expands a <pf dev=> pool: like listVirtualFunctions, but a PF without VFs is libvirt's error
// (Error(InternalError), "No Vf's present on SRIOV PF ...").
std::vector<VirtualFunction>
expandPhysicalFunction(std::string_view pf, const std::filesystem::path& sysfsRoot = "/sys");

} // namespace dvs::netlink
