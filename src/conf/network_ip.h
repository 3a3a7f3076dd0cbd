// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tristate.h"
#include "util/enum_table.h"
#include "util/socket_addr.h"
#include "util/xml.h"

namespace dvs::conf {

// Unit of a DHCP <lease> (libvirt's virNetworkDHCPLeaseTimeUnitType).
enum class LeaseUnit
{
    Seconds,
    Minutes,
    Hours,
    Last
};

} // namespace dvs::conf

namespace dvs::util {
template <>
struct EnumNames<conf::LeaseUnit>
{
    static constexpr std::array<std::string_view, 3> kNames{"seconds", "minutes", "hours"};
};
} // namespace dvs::util

namespace dvs::conf {

// <lease expiry='N' unit='U'/>; expiry 0 is an infinite lease.
struct DhcpLease
{
    unsigned long long expiry = 0;
    LeaseUnit unit = LeaseUnit::Minutes;

    // virNetworkDHCPLeaseTimeDefParseXML: nullopt when there is no expiry attribute. Throws
    // Error(XmlError) for bad numbers or units, Error(ConfigUnsupported) under two minutes.
    static std::optional<DhcpLease> parse(const util::XmlNode& lease);
    void format(util::XmlWriter& writer) const;
};

// <range start= end=> of a <dhcp>.
struct DhcpRange
{
    util::SocketAddr start;
    util::SocketAddr end;
    std::optional<DhcpLease> lease;
};

// <host> of a <dhcp>. mac is kept as written, as libvirt does.
struct DhcpHost
{
    std::optional<std::string> mac;
    std::optional<std::string> id;
    std::optional<std::string> name;
    util::SocketAddr ip;
    std::optional<DhcpLease> lease;
};

// An <ip> element of a network (libvirt's virNetworkIPDef).
struct NetworkIp
{
    std::optional<std::string> family; // "ipv4", "ipv6" or unset
    util::SocketAddr address;
    util::SocketAddr netmask;
    unsigned prefix = 0;
    Tristate localPtr = Tristate::Absent;
    std::vector<DhcpRange> ranges;
    std::vector<DhcpHost> hosts;
    std::optional<std::string> tftpRoot;
    std::optional<std::string> bootFile;
    util::SocketAddr bootServer;

    // virNetworkIPDefPrefix: the effective prefix length, -1 when unknown.
    int effectivePrefix() const;
    // Whether the <dhcp> element has ranges or hosts (what makes dhcp "enabled").
    bool hasDhcp() const { return !ranges.empty() || !hosts.empty(); }

    // virNetworkIPDefParseXML with libvirt's checks and messages.
    static NetworkIp parse(std::string_view networkName, const util::XmlNode& ip);
    void format(util::XmlWriter& writer) const;

    // virNetworkDHCPRangeDefParseXML: a <range> of this ip; checks it lies inside the network.
    DhcpRange parseRange(std::string_view networkName, const util::XmlNode& range) const;
    // virNetworkDHCPHostDefParseXML: a <host> of this ip's <dhcp>. partialOkay accepts any one
    // of mac, name and ip (to find an entry).
    DhcpHost parseHost(std::string_view networkName, const util::XmlNode& host,
                       bool partialOkay) const;
};

// A static <route> (libvirt's virNetDevIPRoute).
struct Route
{
    std::optional<std::string> family;
    util::SocketAddr address;
    util::SocketAddr netmask;
    util::SocketAddr gateway;
    unsigned prefix = 0;
    bool hasPrefix = false;
    unsigned metric = 0;
    bool hasMetric = false;

    // virNetDevIPRouteParseXML; errors name the network ("network 'x': ..." is libvirt's
    // errorDetail, here the network name).
    static Route parse(std::string_view networkName, const util::XmlNode& route);
    void format(util::XmlWriter& writer) const;
};

} // namespace dvs::conf
