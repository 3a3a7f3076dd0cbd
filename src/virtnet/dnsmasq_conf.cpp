// SPDX-License-Identifier: LGPL-2.1-or-later
// The dnsmasq configuration, hosts file and additional-hosts file of a virtual network, line for
// line in the order libvirt 9.0's networkDnsmasqConfContents writes them.
#include "virtnet/dnsmasq_conf.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cstdint>

#include <fmt/format.h>

#include "util/error.h"
#include "util/file.h"
#include "util/xml.h"

namespace dvs::virtnet {

namespace {

using conf::NetworkDef;
using conf::NetworkIp;
using conf::Tristate;

// Refuses a value that would end a line of dnsmasq's files early or hide part of it: libvirt
// writes such values as they are, which lets a definition add options of its own choosing.
void checkLine(const NetworkDef& def, std::string_view what, std::string_view value)
{
    for (char c : value) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            raise(ErrorCode::ConfigUnsupported,
                  "{} of network '{}' contains a line break or another control character, which "
                  "dnsmasq's configuration cannot hold",
                  what, def.name);
        }
    }
}

void checkOptional(const NetworkDef& def, std::string_view what,
                   const std::optional<std::string>& value)
{
    if (value) {
        checkLine(def, what, *value);
    }
}

// Every value that reaches a line of the three files.
void checkValues(const NetworkDef& def)
{
    checkLine(def, "the name", def.name);
    checkOptional(def, "the bridge name", def.bridge);
    checkOptional(def, "the domain", def.domain);
    for (const auto& fwd : def.dns.forwarders) {
        checkOptional(def, "a DNS forwarder domain", fwd.domain);
    }
    for (const auto& txt : def.dns.txts) {
        checkLine(def, "a DNS TXT record", txt.name);
        checkOptional(def, "a DNS TXT record", txt.value);
    }
    for (const auto& srv : def.dns.srvs) {
        checkOptional(def, "a DNS SRV record", srv.service);
        checkOptional(def, "a DNS SRV record", srv.protocol);
        checkOptional(def, "a DNS SRV record", srv.domain);
        checkOptional(def, "a DNS SRV record", srv.target);
    }
    for (const auto& host : def.dns.hosts) {
        for (const auto& name : host.names) {
            checkLine(def, "a DNS host name", name);
        }
    }
    for (const auto& ip : def.ips) {
        checkOptional(def, "a TFTP root", ip.tftpRoot);
        checkOptional(def, "a boot file", ip.bootFile);
        for (const auto& host : ip.hosts) {
            checkOptional(def, "a DHCP host MAC address", host.mac);
            checkOptional(def, "a DHCP host id", host.id);
            checkOptional(def, "a DHCP host name", host.name);
        }
    }
    for (const auto& option : def.dnsmasqOptions) {
        checkLine(def, "a dnsmasq option", option);
    }
}

// libvirt's virBufferEscapeString, as it applies to the network name in the hosts file paths.
std::string escapedName(std::string_view name)
{
    std::string out;
    util::XmlWriter::escape(out, name);
    return out;
}

// One dhcp-hostsfile line (libvirt's hostsfileAdd).
std::string dhcpHostLine(const conf::DhcpHost& host, bool ipv6)
{
    std::string ip = host.ip.toString();
    std::string line;
    if (ipv6) {
        if (host.name && host.id) {
            line = fmt::format("id:{},{}", *host.id, *host.name);
        } else if (host.name) {
            line = *host.name;
        } else if (host.id) {
            line = fmt::format("id:{}", *host.id);
        }
        line += fmt::format(",[{}]", ip);
    } else if (host.name && host.mac) {
        line = fmt::format("{},{},{}", *host.mac, ip, *host.name);
    } else if (host.name) {
        line = fmt::format("{},{}", *host.name, ip);
    } else {
        line = fmt::format("{},{}", host.mac.value_or(""), ip);
    }
    if (host.lease) {
        line += "," + dnsmasqLeaseTime(*host.lease);
    }
    return line;
}

void addDhcpHosts(std::string& hostsFile, const NetworkIp& ip)
{
    bool ipv6 = ip.address.isFamily(AF_INET6);
    for (const auto& host : ip.hosts) {
        if (host.ip.valid()) {
            hostsFile += dhcpHostLine(host, ipv6);
            hostsFile += '\n';
        }
    }
}

// The addn-hosts file: names grouped by address, in the order addresses first appear.
std::string addnHostsContents(const conf::Dns& dns)
{
    std::vector<std::pair<std::string, std::vector<std::string>>> entries;
    for (const auto& host : dns.hosts) {
        if (!host.ip.valid()) {
            continue;
        }
        std::string ip = host.ip.toString();
        auto it = std::find_if(entries.begin(), entries.end(),
                               [&](const auto& entry) { return entry.first == ip; });
        if (it == entries.end()) {
            entries.emplace_back(ip, std::vector<std::string>{});
            it = std::prev(entries.end());
        }
        it->second.insert(it->second.end(), host.names.begin(), host.names.end());
    }
    std::string out;
    for (const auto& [ip, names] : entries) {
        out += ip;
        out += '\t';
        for (const auto& name : names) {
            out += name;
            out += '\t';
        }
        out += '\n';
    }
    return out;
}

void addForwarders(std::string& out, const conf::Dns& dns)
{
    // no-resolv once some forwarder takes every request that no domain claims: then the host's
    // resolv.conf is not needed.
    bool noResolv = false;
    for (const auto& fwd : dns.forwarders) {
        out += "server=";
        if (fwd.domain) {
            out += fmt::format("/{}/", *fwd.domain);
        }
        if (fwd.addr.valid()) {
            out += fwd.addr.toString() + "\n";
            if (!fwd.domain) {
                noResolv = true;
            }
        } else {
            // "Do not forward requests for this domain."
            out += "#\n";
        }
    }
    if (noResolv) {
        out += "no-resolv\n";
    }
}

void addLocalPtrs(std::string& out, const NetworkDef& def)
{
    for (const auto& ip : def.ips) {
        if (ip.localPtr != Tristate::Yes) {
            continue;
        }
        int prefix = ip.effectivePrefix();
        auto ptr = ptrDomain(ip.address, prefix);
        if (!ptr) {
            raise(ErrorCode::ConfigUnsupported,
                  "PTR domain for {} network with prefix {} cannot be automatically created",
                  ip.address.isFamily(AF_INET) ? "IPv4" : "IPv6", static_cast<unsigned>(prefix));
        }
        out += fmt::format("local=/{}/\n", *ptr);
    }
}

void addTxtAndSrv(std::string& out, const NetworkDef& def)
{
    for (const auto& txt : def.dns.txts) {
        out += fmt::format("txt-record={},{}\n", txt.name, txt.value.value_or(""));
    }
    for (const auto& srv : def.dns.srvs) {
        // The parser requires both; libvirt checks again here, with this message for both.
        if (!srv.service || !srv.protocol) {
            raise(ErrorCode::InternalError,
                  "Missing required 'service' attribute in SRV record of network '{}'", def.name);
        }
        // RFC 2782: service and protocol carry a leading underscore.
        out += fmt::format("srv-host=_{}._{}", *srv.service, *srv.protocol);
        if (srv.domain) {
            out += "." + *srv.domain;
        }
        // An empty or "." target means the service is not available here: port, priority and
        // weight mean nothing then. Otherwise they are positional, so an unset one before a
        // set one gets its default (1 for the port, 0 for the others).
        if (srv.target && *srv.target != ".") {
            out += "," + *srv.target;
            if (srv.port || srv.priority || srv.weight) {
                out += fmt::format(",{}", srv.port ? srv.port : 1);
            }
            if (srv.priority || srv.weight) {
                out += fmt::format(",{}", srv.priority);
            }
            if (srv.weight) {
                out += fmt::format(",{}", srv.weight);
            }
        }
        out += "\n";
    }
}

struct DhcpIps
{
    const NetworkIp* ipv4 = nullptr;
    const NetworkIp* ipv6 = nullptr;
};

// The first <ip> with DHCP of each family; a second one is refused. On the way, the TFTP roots
// of the IPv4 <ip>s are written, with one enable-tftp before the first.
DhcpIps findDhcpIps(std::string& out, const NetworkDef& def)
{
    DhcpIps found;
    bool tftp = false;
    for (const auto& ip : def.ips) {
        if (ip.address.isFamily(AF_INET)) {
            if (ip.hasDhcp()) {
                if (found.ipv4) {
                    raise(ErrorCode::ConfigUnsupported,
                          "For IPv4, multiple DHCP definitions cannot be specified.");
                }
                found.ipv4 = &ip;
            }
            if (ip.tftpRoot) {
                if (!tftp) {
                    out += "enable-tftp\n";
                    tftp = true;
                }
                out += fmt::format("tftp-root={}\n", *ip.tftpRoot);
            }
        } else if (ip.address.isFamily(AF_INET6) && ip.hasDhcp()) {
            if (found.ipv6) {
                raise(ErrorCode::ConfigUnsupported,
                      "For IPv6, multiple DHCP definitions cannot be specified.");
            }
            found.ipv6 = &ip;
        }
    }
    return found;
}

// The DHCP lines of one <ip>; returns how many addresses its ranges hold.
long long addDhcp(std::string& out, std::string& hostsFile, const NetworkDef& def,
                  const NetworkIp& ip)
{
    const std::string& bridge = *def.bridge;
    int prefix = ip.effectivePrefix();
    if (prefix < 0) {
        raise(ErrorCode::InternalError, "bridge '{}' has an invalid prefix", bridge);
    }
    bool ipv6 = ip.address.isFamily(AF_INET6);
    long long leases = 0;
    for (const auto& range : ip.ranges) {
        std::string start = range.start.toString();
        std::string end = range.end.toString();
        if (ipv6) {
            out += fmt::format("dhcp-range={},{},{}", start, end, prefix);
        } else {
            // dnsmasq wants a netmask for IPv4.
            auto netmask =
                util::SocketAddr::prefixToNetmask(static_cast<unsigned>(prefix), AF_INET);
            if (!netmask) {
                raise(ErrorCode::InternalError,
                      "Failed to translate bridge '{}' prefix {} to netmask", bridge, prefix);
            }
            out += fmt::format("dhcp-range={},{},{}", start, end, netmask->toString());
        }
        if (range.lease) {
            out += "," + dnsmasqLeaseTime(*range.lease);
        }
        out += "\n";
        leases += util::SocketAddr::range(range.start, range.end, &ip.address, prefix);
    }
    // Hosts without a range still need a dhcp-range to switch the service on.
    if (ip.ranges.empty() && !ip.hosts.empty()) {
        out += fmt::format("dhcp-range={},static", ip.address.toString());
        if (ipv6) {
            out += fmt::format(",{}", prefix);
        }
        out += "\n";
    }
    addDhcpHosts(hostsFile, ip);
    if (!ipv6) {
        if (ip.hasDhcp()) {
            out += "dhcp-no-override\n";
            out += "dhcp-authoritative\n";
        }
        if (ip.bootFile) {
            if (ip.bootServer.valid()) {
                out += fmt::format("dhcp-boot={},,{}\n", *ip.bootFile, ip.bootServer.toString());
            } else {
                out += fmt::format("dhcp-boot={}\n", *ip.bootFile);
            }
        }
    }
    return leases;
}

// Router advertisements come from dnsmasq: with DHCPv6 it advertises the DHCP subnet
// (enable-ra); otherwise every IPv6 address gets a stateless ra-only range.
void addRouterAdvertisements(std::string& out, const NetworkDef& def, const DhcpIps& dhcp)
{
    if (dhcp.ipv6) {
        out += "enable-ra\n";
        return;
    }
    for (const auto& ip : def.ips) {
        if (ip.address.isFamily(AF_INET6) && !ip.hasDhcp()) {
            out += fmt::format("dhcp-range={},ra-only\n", ip.address.toString());
        }
    }
}

} // namespace

DnsmasqFileNames DnsmasqFileNames::of(std::string_view networkName,
                                      const std::filesystem::path& dir)
{
    std::string escaped = escapedName(networkName);
    for (const std::string& base : {std::string(networkName), escaped}) {
        // The longest suffix is ".hostsfile"; the whole name must still fit a file name.
        if (!util::isSafeFileName(base, 255 - 10)) {
            raise(ErrorCode::InvalidArg, "network name '{}' cannot name dnsmasq's files in '{}'",
                  networkName, dir.string());
        }
    }
    DnsmasqFileNames names;
    names.config = dir / (std::string(networkName) + ".conf");
    names.hostsFile = dir / (escaped + ".hostsfile");
    names.addnHosts = dir / (escaped + ".addnhosts");
    return names;
}

std::string dnsmasqLeaseTime(const conf::DhcpLease& lease)
{
    if (lease.expiry == 0) {
        return "infinite";
    }
    // dnsmasq takes the first letter of the unit.
    return fmt::format("{}{}", lease.expiry, util::toString(lease.unit).front());
}

std::optional<std::string> ptrDomain(const util::SocketAddr& address, int prefix)
{
    std::string text = address.toString();
    std::string out;
    if (address.isFamily(AF_INET)) {
        if (prefix <= 0 || prefix >= 32 || prefix % 8 != 0) {
            return std::nullopt;
        }
        std::uint8_t bytes[4];
        if (inet_pton(AF_INET, text.c_str(), bytes) != 1) {
            return std::nullopt;
        }
        for (int i = prefix / 8; i > 0; --i) {
            out += fmt::format("{}.", bytes[i - 1]);
        }
        return out + "in-addr.arpa";
    }
    if (address.isFamily(AF_INET6)) {
        if (prefix <= 0 || prefix >= 128 || prefix % 4 != 0) {
            return std::nullopt;
        }
        std::uint8_t bytes[16];
        if (inet_pton(AF_INET6, text.c_str(), bytes) != 1) {
            return std::nullopt;
        }
        for (int i = prefix / 4; i > 0; --i) {
            std::uint8_t byte = bytes[(i - 1) / 2];
            unsigned nibble = (i - 1) % 2 == 0 ? byte >> 4 : byte & 0x0f;
            out += fmt::format("{:x}.", nibble);
        }
        return out + "ip6.arpa";
    }
    return std::nullopt;
}

bool needsDnsmasq(const NetworkDef& def)
{
    if (def.ips.empty()) {
        return false;
    }
    bool dhcp = std::any_of(def.ips.begin(), def.ips.end(),
                            [](const NetworkIp& ip) { return ip.hasDhcp(); });
    return dhcp || def.dns.enable != Tristate::No;
}

DnsmasqContents dnsmasqContents(const NetworkDef& def, const DnsmasqPaths& paths)
{
    if (!def.bridge || def.bridge->empty()) {
        raise(ErrorCode::InternalError, "network '{}' has no bridge name for dnsmasq", def.name);
    }
    checkValues(def);
    auto names = DnsmasqFileNames::of(def.name, paths.dir);
    bool wantDns = def.dns.enable != Tristate::No;

    DnsmasqContents contents;
    std::string& out = contents.config;
    out = fmt::format("##WARNING:  THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\n"
                      "##OVERWRITTEN AND LOST.  Changes to this configuration should be made "
                      "using:\n"
                      "##    virsh net-edit {}\n"
                      "## or other application using the libvirt API.\n"
                      "##\n"
                      "## dnsmasq conf file created by libvirt\n"
                      "strict-order\n",
                      def.name);
    // Port 0: dnsmasq answers no DNS at all.
    if (!wantDns) {
        out += "port=0\n";
    }
    if (wantDns) {
        addForwarders(out, def.dns);
    }
    if (def.domain) {
        if (def.domainLocalOnly == Tristate::Yes) {
            out += fmt::format("local=/{}/\n", *def.domain);
        }
        out += fmt::format("domain={}\nexpand-hosts\n", *def.domain);
    }
    if (wantDns) {
        addLocalPtrs(out, def);
    }
    // Plain names (no dot) are answered locally or not at all.
    if (wantDns && def.dns.forwardPlainNames == Tristate::No) {
        out += "domain-needed\n";
        out += "local=//\n";
    }
    if (paths.pidFile) {
        out += fmt::format("pid-file={}\n", paths.pidFile->string());
    }
    // Listen on the bridge only (bind-dynamic with interface=, CVE-2012-3411), never on lo.
    out += "except-interface=lo\n";
    out += fmt::format("bind-dynamic\ninterface={}\n", *def.bridge);
    // An isolated network offers no default route and forwards no query, and its router
    // advertisements carry a zero router lifetime.
    if (def.forward.mode == conf::ForwardMode::None) {
        out += "dhcp-option=3\nno-resolv\nra-param=*,0,0\n";
    }
    if (wantDns) {
        addTxtAndSrv(out, def);
    }

    DhcpIps dhcp = findDhcpIps(out, def);
    long long leases = 0;
    for (const NetworkIp* ip : {dhcp.ipv4, dhcp.ipv6}) {
        if (ip) {
            leases += addDhcp(out, contents.hostsFile, def, *ip);
        }
    }
    if (leases > 0) {
        out += fmt::format("dhcp-lease-max={}\n", leases);
    }
    contents.addnHosts = addnHostsContents(def.dns);
    // The two hosts files are named even when empty, so that hosts can be added at run time.
    contents.servesDhcp = dhcp.ipv4 || dhcp.ipv6;
    if (contents.servesDhcp) {
        out += fmt::format("dhcp-hostsfile={}\n", names.hostsFile.string());
    }
    if (wantDns) {
        out += fmt::format("addn-hosts={}\n", names.addnHosts.string());
    }
    if (def.mtu > 0) {
        out += fmt::format("dhcp-option=option:mtu,{}\n", def.mtu);
    }
    addRouterAdvertisements(out, def, dhcp);
    for (const auto& option : def.dnsmasqOptions) {
        out += option + "\n";
    }
    return contents;
}

} // namespace dvs::virtnet
