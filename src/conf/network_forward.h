// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/device_types.h"
#include "tristate.h"
#include "util/enum_table.h"
#include "util/socket_addr.h"
#include "util/xml.h"

namespace dvs::conf {

// <forward mode=> (libvirt's virNetworkForwardType).
enum class ForwardMode
{
    None,
    Nat,
    Route,
    Open,
    Bridge,
    Private,
    Vepa,
    Passthrough,
    Hostdev,
    Last
};

// What a pool entry names: a PCI address or a network device.
enum class ForwardDeviceType
{
    None,
    Pci,
    Netdev,
    Last
};

} // namespace dvs::conf

namespace dvs::util {
template <>
struct EnumNames<conf::ForwardMode>
{
    static constexpr std::array<std::string_view, 9> kNames{
        "none", "nat", "route", "open", "bridge", "private", "vepa", "passthrough", "hostdev"};
};
template <>
struct EnumNames<conf::ForwardDeviceType>
{
    static constexpr std::array<std::string_view, 3> kNames{"none", "pci", "netdev"};
};
} // namespace dvs::util

namespace dvs::conf {

// One entry of the device pool: <interface dev=> or <address type='pci' .../>. connections is
// live-only (how many ports use it), formatted unless inactive.
struct ForwardInterface
{
    ForwardDeviceType type = ForwardDeviceType::Netdev;
    std::string dev;
    PciAddress pci;
    unsigned connections = 0;
};

// <pf dev=>: the physical function whose virtual functions make the pool.
struct ForwardPf
{
    std::string dev;
    unsigned connections = 0;
};

// The <forward> element (libvirt's virNetworkForwardDef).
struct Forward
{
    ForwardMode mode = ForwardMode::None;
    bool managed = false;
    ForwardDriverName driverName = ForwardDriverName::Default;
    std::vector<ForwardInterface> interfaces;
    std::vector<ForwardPf> pfs;
    // <nat>: SNAT address range, port range and IPv6 NAT.
    util::SocketAddr natAddrStart;
    util::SocketAddr natAddrEnd;
    unsigned natPortStart = 0;
    unsigned natPortEnd = 0;
    Tristate natIpv6 = Tristate::Absent;

    // virNetworkForwardDefParseXML with libvirt's checks and messages.
    static Forward parse(std::string_view networkName, const util::XmlNode& forward);
    // The name of the n-th pool entry when it is a network device (virNetworkDefForwardIf).
    std::optional<std::string> interfaceName(std::size_t n) const;
    // Writes <forward> (nothing for mode None); inactive leaves out live-only data.
    void format(util::XmlWriter& writer, bool inactive) const;
};

} // namespace dvs::conf
