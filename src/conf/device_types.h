// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

// Device-level types shared by the <network> and <networkport> models.

#include <array>
#include <string>
#include <string_view>

#include "util/enum_table.h"
#include "util/xml.h"

namespace dvs::conf {

// Host driver of a PCI device given to a guest (libvirt 9.0's virNetworkForwardDriverNameType),
// used by <forward><driver name=> and by a hostdev-pci <plug><driver name=>.
enum class ForwardDriverName
{
    Default,
    Kvm,
    Vfio,
    Xen,
    Last
};

// Who manages the bridge's MAC table (libvirt's virNetworkBridgeMACTableManagerType).
enum class MacTableManager
{
    Default,
    Kernel,
    Libvirt,
    Last
};

} // namespace dvs::conf

namespace dvs::util {
template <>
struct EnumNames<conf::ForwardDriverName>
{
    static constexpr std::array<std::string_view, 4> kNames{"default", "kvm", "vfio", "xen"};
};
template <>
struct EnumNames<conf::MacTableManager>
{
    static constexpr std::array<std::string_view, 3> kNames{"default", "kernel", "libvirt"};
};
} // namespace dvs::util

namespace dvs::conf {

// A PCI address as libvirt's virPCIDeviceAddress holds it.
struct PciAddress
{
    unsigned domain = 0;
    unsigned bus = 0;
    unsigned slot = 0;
    unsigned function = 0;

    bool empty() const { return domain == 0 && bus == 0 && slot == 0 && function == 0; }
    // virPCIDeviceAddressParseXML: domain, bus, slot, function in C notation (any base); checks
    // the ranges. Throws Error(XmlError) with libvirt's messages.
    static PciAddress parse(const util::XmlNode& address);
    // "0000:03:00.1".
    std::string toString() const;
    // Writes <address [type='pci'] domain='0x0001' bus='0x02' slot='0x03' function='0x4'/>: with
    // the type in a <forward> pool, without it in a <plug>.
    void format(util::XmlWriter& writer, bool withType) const;
    bool operator==(const PciAddress&) const = default;
};

} // namespace dvs::conf
