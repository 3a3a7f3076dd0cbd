// SPDX-License-Identifier: LGPL-2.1-or-later
#include "network_ip.h"

#include <netinet/in.h>

#include "network_attrs.h"
#include "util/error.h"
#include "util/mac.h"
#include "util/number.h"

namespace dvs::conf {

using detail::xpathAttr;
using util::SocketAddr;

std::optional<DhcpLease> DhcpLease::parse(const util::XmlNode& lease)
{
    auto expiryText = lease.attr("expiry");
    if (!expiryText) {
        return std::nullopt;
    }
    auto expiry = util::parseNumber<unsigned long long>(*expiryText, 10, util::Sign::Wrap);
    if (!expiry) {
        raise(ErrorCode::XmlError, "failed to parse expiry value '{}'", *expiryText);
    }
    DhcpLease out;
    out.expiry = *expiry;
    if (auto unitText = lease.attr("unit")) {
        auto unit = util::fromString<LeaseUnit>(*unitText);
        if (!unit) {
            raise(ErrorCode::XmlError, "Invalid unit: {}", *unitText);
        }
        out.unit = *unit;
    }
    // dnsmasq's minimum lease time is two minutes; 0 means infinite.
    if (out.expiry > 0 && ((out.unit == LeaseUnit::Seconds && out.expiry < 120) ||
                           (out.unit == LeaseUnit::Minutes && out.expiry < 2))) {
        raise(ErrorCode::ConfigUnsupported,
              "The minimum lease time should be greater than 2 minutes");
    }
    return out;
}

void DhcpLease::format(util::XmlWriter& writer) const
{
    writer.start("lease");
    writer.attr("expiry", expiry);
    if (expiry != 0) {
        writer.attr("unit", util::toString(unit));
    }
    writer.end();
}

int NetworkIp::effectivePrefix() const
{
    return SocketAddr::ipPrefix(address, netmask, static_cast<int>(prefix));
}

DhcpRange NetworkIp::parseRange(std::string_view networkName, const util::XmlNode& node) const
{
    DhcpRange range;
    auto start = node.attr("start");
    if (!start) {
        raise(ErrorCode::XmlError, "Missing 'start' attribute in dhcp range for network '{}'",
              networkName);
    }
    range.start = SocketAddr::parse(*start);
    auto end = node.attr("end");
    if (!end) {
        raise(ErrorCode::XmlError, "Missing 'end' attribute in dhcp range for network '{}'",
              networkName);
    }
    range.end = SocketAddr::parse(*end);
    SocketAddr::range(range.start, range.end, &address, effectivePrefix());
    if (auto lease = node.child("lease")) {
        range.lease = DhcpLease::parse(*lease);
    }
    return range;
}

DhcpHost NetworkIp::parseHost(std::string_view networkName, const util::XmlNode& node,
                              bool partialOkay) const
{
    DhcpHost host;
    host.mac = node.attr("mac");
    if (host.mac) {
        if (address.isFamily(AF_INET6)) {
            raise(ErrorCode::XmlError,
                  "Invalid to specify MAC address '{}' in network '{}' IPv6 static host "
                  "definition",
                  *host.mac, networkName);
        }
        auto mac = util::MacAddr::parse(*host.mac);
        if (!mac) {
            raise(ErrorCode::XmlError, "Cannot parse MAC address '{}' in network '{}'", *host.mac,
                  networkName);
        }
        if (mac->isMulticast()) {
            raise(ErrorCode::XmlError,
                  "expected unicast mac address, found multicast '{}' in network '{}'", *host.mac,
                  networkName);
        }
    }

    host.id = node.attr("id");
    if (host.id) {
        auto bad = host.id->find_first_not_of("0123456789abcdefABCDEF:");
        if (bad != std::string::npos) {
            raise(ErrorCode::XmlError, "Invalid character '{}' in id '{}' of network '{}'",
                  (*host.id)[bad], *host.id, networkName);
        }
    }

    host.name = node.attr("name");
    if (host.name) {
        unsigned char first = host.name->empty() ? 0 : (*host.name)[0];
        bool alnum = (first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z') ||
                     (first >= '0' && first <= '9');
        if (!alnum) {
            raise(ErrorCode::XmlError, "Cannot use host name '{}' in network '{}'", *host.name,
                  networkName);
        }
    }

    auto ip = node.attr("ip");
    if (ip) {
        auto parsed = SocketAddr::tryParse(*ip);
        if (!parsed) {
            raise(ErrorCode::XmlError,
                  "Invalid IP address in static host definition for network '{}'", networkName);
        }
        host.ip = *parsed;
    }

    if (partialOkay) {
        if (!host.mac && !host.name && !ip) {
            raise(ErrorCode::XmlError,
                  "At least one of name, mac, or ip attribute must be specified for static host "
                  "definition in network '{}'",
                  networkName);
        }
    } else {
        if (address.isFamily(AF_INET6)) {
            if (!host.id && !host.name) {
                raise(ErrorCode::XmlError,
                      "Static host definition in IPv6 network '{}' must have id or name "
                      "attribute",
                      networkName);
            }
        } else if (!host.mac && !host.name) {
            raise(ErrorCode::XmlError,
                  "Static host definition in IPv4 network '{}' must have mac or name attribute",
                  networkName);
        }
        if (!ip) {
            raise(ErrorCode::XmlError,
                  "Missing IP address in static host definition for network '{}'", networkName);
        }
    }

    if (auto lease = node.child("lease")) {
        host.lease = DhcpLease::parse(*lease);
    }
    return host;
}

NetworkIp NetworkIp::parse(std::string_view networkName, const util::XmlNode& node)
{
    NetworkIp ip;
    ip.family = xpathAttr(node, "family");

    auto address = xpathAttr(node, "address");
    if (!address) {
        raise(ErrorCode::XmlError, "Missing required address attribute in network '{}'",
              networkName);
    }
    auto parsedAddress = SocketAddr::tryParse(*address);
    if (!parsedAddress) {
        raise(ErrorCode::XmlError, "Invalid address '{}' in network '{}'", *address, networkName);
    }
    ip.address = *parsedAddress;

    auto netmask = xpathAttr(node, "netmask");
    if (netmask) {
        auto parsedNetmask = SocketAddr::tryParse(*netmask);
        if (!parsedNetmask) {
            raise(ErrorCode::XmlError, "Invalid netmask '{}' in network '{}'", *netmask,
                  networkName);
        }
        ip.netmask = *parsedNetmask;
    }

    if (auto prefix = detail::propUInt(node, "prefix", 10)) {
        ip.prefix = *prefix;
    }

    ip.localPtr = detail::propTristate(node, "localPtr");

    if (!ip.family || *ip.family == "ipv4") {
        if (!(ip.address.isFamily(AF_INET) || ip.address.isFamily(AF_UNSPEC))) {
            raise(ErrorCode::ConfigUnsupported,
                  "{} family specified for non-IPv4 address '{}' in network '{}'",
                  ip.family ? "ipv4" : "no", *address, networkName);
        }
        if (netmask) {
            if (!ip.netmask.isFamily(AF_INET)) {
                raise(ErrorCode::ConfigUnsupported,
                      "Invalid netmask '{}' for address '{}' in network '{}' (both must be IPv4)",
                      *netmask, *address, networkName);
            }
            if (ip.prefix > 0) {
                raise(ErrorCode::ConfigUnsupported,
                      "Network '{}' IP address cannot have both a prefix and a netmask",
                      networkName);
            }
        } else if (ip.prefix > 32) {
            raise(ErrorCode::ConfigUnsupported, "Invalid IPv4 prefix '{}' in network '{}'",
                  ip.prefix, networkName);
        }
    } else if (*ip.family == "ipv6") {
        if (!ip.address.isFamily(AF_INET6)) {
            raise(ErrorCode::ConfigUnsupported,
                  "Family 'ipv6' specified for non-IPv6 address '{}' in network '{}'", *address,
                  networkName);
        }
        if (netmask) {
            raise(ErrorCode::ConfigUnsupported,
                  "netmask not allowed for IPv6 address '{}' in network '{}'", *address,
                  networkName);
        }
        if (ip.prefix > 128) {
            raise(ErrorCode::ConfigUnsupported, "Invalid IPv6 prefix '{}' in network '{}'",
                  ip.prefix, networkName);
        }
    } else {
        raise(ErrorCode::XmlError, "Unrecognized family '{}' in network '{}'", *ip.family,
              networkName);
    }

    if (auto dhcp = node.child("dhcp")) {
        // Children are taken in document order, as libvirt 9.0 walks them.
        for (const auto& child : dhcp->children()) {
            if (!child.namespaceUri().empty()) {
                continue;
            }
            if (child.name() == "range") {
                ip.ranges.push_back(ip.parseRange(networkName, child));
            } else if (child.name() == "host") {
                ip.hosts.push_back(ip.parseHost(networkName, child, false));
            } else if (child.name() == "bootp" && ip.address.isFamily(AF_INET)) {
                auto file = child.attr("file");
                if (!file) {
                    continue;
                }
                SocketAddr server;
                if (auto serverText = child.attr("server")) {
                    server = SocketAddr::parse(*serverText);
                }
                ip.bootFile = *file;
                ip.bootServer = server;
            }
        }
    }

    if (node.child("tftp")) {
        if (!ip.address.isFamily(AF_INET)) {
            raise(ErrorCode::ConfigUnsupported,
                  "Unsupported <tftp> element in an IPv6 element in network '{}'", networkName);
        }
        ip.tftpRoot = detail::xpathChildAttr(node, "tftp", "root");
    }
    return ip;
}

void NetworkIp::format(util::XmlWriter& writer) const
{
    writer.start("ip");
    if (family) {
        writer.attr("family", *family);
    }
    if (address.valid()) {
        writer.attr("address", address.toString());
    }
    if (netmask.valid()) {
        writer.attr("netmask", netmask.toString());
    }
    if (prefix > 0) {
        writer.attr("prefix", prefix);
    }
    if (localPtr != Tristate::Absent) {
        writer.attr("localPtr", detail::tristateToString(localPtr));
    }
    writer.forceOpen();
    if (tftpRoot) {
        writer.start("tftp");
        writer.attr("root", *tftpRoot);
        writer.end();
    }
    if (hasDhcp()) {
        writer.start("dhcp");
        for (const auto& range : ranges) {
            writer.start("range");
            writer.attr("start", range.start.toString());
            writer.attr("end", range.end.toString());
            if (range.lease) {
                range.lease->format(writer);
            }
            writer.end();
        }
        for (const auto& host : hosts) {
            writer.start("host");
            if (host.mac) {
                writer.attr("mac", *host.mac);
            }
            if (host.id) {
                writer.attr("id", *host.id);
            }
            if (host.name) {
                writer.attr("name", *host.name);
            }
            if (host.ip.valid()) {
                writer.attr("ip", host.ip.toString());
            }
            if (host.lease) {
                host.lease->format(writer);
            }
            writer.end();
        }
        if (bootFile) {
            writer.start("bootp");
            writer.attr("file", *bootFile);
            if (bootServer.valid()) {
                writer.attr("server", bootServer.toString());
            }
            writer.end();
        }
        writer.end();
    }
    writer.end();
}

Route Route::parse(std::string_view networkName, const util::XmlNode& node)
{
    Route route;
    route.family = xpathAttr(node, "family");
    auto address = xpathAttr(node, "address");
    auto netmask = xpathAttr(node, "netmask");
    auto gateway = xpathAttr(node, "gateway");

    auto prefix = detail::xpathNumber<unsigned long>(node, "prefix");
    if (prefix.invalid) {
        raise(ErrorCode::XmlError, "{}: Invalid prefix specified in route definition", networkName);
    }
    route.hasPrefix = prefix.present;
    route.prefix = static_cast<unsigned>(prefix.value);
    auto metric = detail::xpathNumber<unsigned long>(node, "metric");
    if (metric.invalid) {
        raise(ErrorCode::XmlError, "{}: Invalid metric specified in route definition", networkName);
    }
    if (metric.present) {
        route.hasMetric = true;
        if (metric.value == 0) {
            raise(ErrorCode::XmlError, "{}: Invalid metric value, must be > 0 in route definition",
                  networkName);
        }
        route.metric = static_cast<unsigned>(metric.value);
    }

    if (!address) {
        raise(ErrorCode::XmlError, "{}: Missing required address attribute in route definition",
              networkName);
    }
    if (!gateway) {
        raise(ErrorCode::XmlError, "{}: Missing required gateway attribute in route definition",
              networkName);
    }
    auto parsedAddress = SocketAddr::tryParse(*address);
    if (!parsedAddress) {
        raise(ErrorCode::XmlError, "{}: Bad network address '{}' in route definition", networkName,
              *address);
    }
    route.address = *parsedAddress;
    auto parsedGateway = SocketAddr::tryParse(*gateway);
    if (!parsedGateway) {
        raise(ErrorCode::XmlError, "{}: Bad gateway address '{}' in route definition", networkName,
              *gateway);
    }
    route.gateway = *parsedGateway;

    if (!route.family || *route.family == "ipv4") {
        if (!(route.address.isFamily(AF_INET) || route.address.isFamily(AF_UNSPEC))) {
            if (!route.family) {
                raise(ErrorCode::XmlError,
                      "{}: No family specified for non-IPv4 address '{}' in route definition",
                      networkName, *address);
            }
            raise(ErrorCode::XmlError,
                  "{}: IPv4 family specified for non-IPv4 address '{}' in route definition",
                  networkName, *address);
        }
        if (!route.gateway.isFamily(AF_INET)) {
            if (!route.family) {
                raise(ErrorCode::XmlError,
                      "{}: No family specified for non-IPv4 gateway '{}' in route definition",
                      networkName, *address);
            }
            raise(ErrorCode::XmlError,
                  "{}: IPv4 family specified for non-IPv4 gateway '{}' in route definition",
                  networkName, *address);
        }
        if (netmask) {
            auto parsedNetmask = SocketAddr::tryParse(*netmask);
            if (!parsedNetmask) {
                raise(ErrorCode::XmlError, "{}: Bad netmask address '{}' in route definition",
                      networkName, *netmask);
            }
            route.netmask = *parsedNetmask;
            if (!route.netmask.isFamily(AF_INET)) {
                raise(ErrorCode::XmlError,
                      "{}: Invalid netmask '{}' for address '{}' (both must be IPv4)", networkName,
                      *netmask, *address);
            }
            if (route.hasPrefix) {
                raise(ErrorCode::XmlError,
                      "{}: Route definition cannot have both a prefix and a netmask", networkName);
            }
        }
        if (route.prefix > 32) {
            raise(ErrorCode::XmlError,
                  "{}: Invalid prefix {} specified in route definition, must be 0 - 32",
                  networkName, route.prefix);
        }
    } else if (*route.family == "ipv6") {
        if (!route.address.isFamily(AF_INET6)) {
            raise(ErrorCode::XmlError,
                  "{}: ipv6 family specified for non-IPv6 address '{}' in route definition",
                  networkName, *address);
        }
        if (netmask) {
            raise(ErrorCode::XmlError,
                  "{}: Specifying netmask invalid for IPv6 address '{}' in route definition",
                  networkName, *address);
        }
        if (!route.gateway.isFamily(AF_INET6)) {
            raise(ErrorCode::XmlError,
                  "{}: ipv6 specified for non-IPv6 gateway address '{}' in route definition",
                  networkName, *gateway);
        }
        if (route.prefix > 128) {
            raise(ErrorCode::XmlError,
                  "{}: Invalid prefix {} specified in route definition, must be 0 - 128",
                  networkName, route.prefix);
        }
    } else {
        raise(ErrorCode::XmlError, "{}: Unrecognized family '{}' in route definition", networkName,
              *route.family);
    }

    std::optional<SocketAddr> network =
        netmask ? route.address.mask(route.netmask) : route.address.maskByPrefix(route.prefix);
    if (!network) {
        if (netmask) {
            raise(ErrorCode::InternalError,
                  "{}: Error converting address '{}' with netmask '{}' to network-address in "
                  "route definition",
                  networkName, *address, *netmask);
        }
        raise(ErrorCode::InternalError,
              "{}: Error converting address '{}' with prefix {} to network-address in route "
              "definition",
              networkName, *address, route.prefix);
    }
    if (!route.address.equals(*network)) {
        raise(ErrorCode::XmlError, "{}: Address '{}' in route definition is not a network address",
              networkName, *address);
    }
    return route;
}

void Route::format(util::XmlWriter& writer) const
{
    writer.start("route");
    if (family) {
        writer.attr("family", *family);
    }
    writer.attr("address", address.toString());
    if (netmask.valid()) {
        writer.attr("netmask", netmask.toString());
    }
    if (hasPrefix) {
        writer.attr("prefix", prefix);
    }
    writer.attr("gateway", gateway.toString());
    if (hasMetric && metric > 0) {
        writer.attr("metric", metric);
    }
    writer.end();
}

} // namespace dvs::conf
