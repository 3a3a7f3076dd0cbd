// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "conf/network_def.h"

namespace dvs::virtnet {

// The folder libvirt keeps its dnsmasq files in (its LOCALSTATEDIR/lib/libvirt/dnsmasq).
inline constexpr std::string_view kLibvirtDnsmasqDir = "/var/lib/libvirt/dnsmasq";
// Ours on a real host: the "dnsmasq" folder in dvsd's library folder (state::StatePaths::libDir).
inline constexpr std::string_view kDnsmasqSubdir = "dnsmasq";
inline constexpr std::string_view kDvsDnsmasqDir = "/var/lib/dvs/dnsmasq";

// Where the files of one network's dnsmasq live.
struct DnsmasqPaths
{
    // Folder of the configuration, hosts and additional-hosts files.
    std::filesystem::path dir{kLibvirtDnsmasqDir};
    // When set, written into the configuration as pid-file= (libvirt does; dvsd may instead
    // pass it on dnsmasq's command line so that the configuration stays what dnsmasq-conf
    // prints).
    std::optional<std::filesystem::path> pidFile;
};

// The paths of one network's dnsmasq files in a folder. libvirt names the configuration after
// the network as it is, and the two hosts files after the network name escaped as XML text
// (so a network named a"b has a&quot;b.hostsfile); we do the same.
struct DnsmasqFileNames
{
    std::filesystem::path config;    // NAME.conf
    std::filesystem::path hostsFile; // NAME.hostsfile (escaped): dhcp-hostsfile=
    std::filesystem::path addnHosts; // NAME.addnhosts (escaped): addn-hosts=

    // Throws Error(InvalidArg) when the network name cannot be a file name (empty, '.', '..',
    // a '/' or a control character).
    static DnsmasqFileNames of(std::string_view networkName, const std::filesystem::path& dir);
};

// What dnsmasq gets for one network, as libvirt 9.0's networkDnsmasqConfContents builds it.
struct DnsmasqContents
{
    // The --conf-file.
    std::string config;
    // The dhcp-hostsfile: one line per <dhcp><host> with an address, of the first IPv4 and the
    // first IPv6 <ip> with DHCP. Empty when there is none (the file is still written, for
    // later additions).
    std::string hostsFile;
    // The addn-hosts file: one line per <dns><host> address with its names, tab-separated.
    std::string addnHosts;
    // Whether a dhcp-hostsfile= line was written (DHCP is served on some <ip>).
    bool servesDhcp = false;
};

// Builds the dnsmasq configuration, hosts file and additional-hosts file for def as libvirt 9.0
// does (byte for byte, with libvirt's paths when paths.dir is libvirt's folder). def must have
// its bridge name. Throws Error with libvirt's codes and messages: ConfigUnsupported for two
// DHCP <ip>s of one family or a PTR domain that cannot be derived, InternalError for a bridge
// without one, a bad prefix or range, or an SRV record without service or protocol; and
// ConfigUnsupported for a value that would break a line of dnsmasq's files (a line break or
// another control character), which libvirt would write as it is.
DnsmasqContents dnsmasqContents(const conf::NetworkDef& def, const DnsmasqPaths& paths);

// Whether libvirt runs dnsmasq for a network with this definition (networkStartDhcpDaemon):
// it has at least one <ip>, and serves DHCP on one of them or has DNS enabled. Forward modes
// other than none, nat, route and open never run it; the caller checks that.
bool needsDnsmasq(const conf::NetworkDef& def);

// The dhcp-range lease time of a <lease> as dnsmasq spells it ("infinite", "90s", "10m", "2h").
std::string dnsmasqLeaseTime(const conf::DhcpLease& lease);

// The reverse-lookup zone of a network (virSocketAddrPTRDomain): "122.168.192.in-addr.arpa"
// for 192.168.122.0/24, nibbles under ip6.arpa for IPv6. nullopt when the prefix does not fall
// on an octet (IPv4) or nibble (IPv6) boundary, or is 0 or the whole address.
std::optional<std::string> ptrDomain(const util::SocketAddr& address, int prefix);

} // namespace dvs::virtnet
