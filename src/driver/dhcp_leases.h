// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/network_def.h"

namespace dvs::driver {

// One DHCP lease of a virtual network, as dnsmasq's --dhcp-script reports it (libvirt's
// leaseshelper keeps the same fields in its custom lease file).
struct DhcpLease
{
    std::string mac;
    std::string ip;
    std::string hostname;   // empty when the client gave none
    std::string clientId;   // DHCPv4 client id, or the DHCPv6 client's DUID
    std::string iaid;       // DHCPv6 only
    std::string serverDuid; // DHCPv6 only
    // When the lease ends, in seconds since the epoch; 0: never.
    std::int64_t expiryTime = 0;

    friend bool operator==(const DhcpLease&, const DhcpLease&) = default;
};

// A lease as virNetworkGetDHCPLeases returns it (virNetworkDHCPLease).
struct DhcpLeaseInfo
{
    std::string iface; // the network's bridge
    std::int64_t expiryTime = 0;
    int type = 0; // VIR_IP_ADDR_TYPE_IPV4 (0) or _IPV6 (1)
    std::string mac;
    std::optional<std::string> iaid;
    std::string ipaddr;
    unsigned prefix = 0;
    std::optional<std::string> hostname;
    std::optional<std::string> clientId;
};

// The leases of every virtual network, one file per network in dir (NAME.leases, JSON in the
// layout of libvirt's custom lease file: an array of objects with "ip-address", "mac-address",
// "hostname", "client-id", "iaid", "server-duid" and "expiry-time"). Each change rewrites the
// file atomically, so leases survive a restart of dvsd; the lease helper prints them to a
// dnsmasq that starts again. Not thread-safe.
class DhcpLeaseStore
{
public:
    explicit DhcpLeaseStore(std::filesystem::path dir);

    // The file of a network. Throws Error(InvalidArg) for a name that cannot be a file name.
    std::filesystem::path fileOf(std::string_view network) const;

    // The leases of a network, in the order they were first handed out; none when its file is
    // missing or unreadable.
    std::vector<DhcpLease> leases(std::string_view network) const;
    // dnsmasq's "add" and "old": the lease of that address is recorded (replacing the one
    // before). Throws Error(WriteFailed) when the file cannot be written.
    void add(std::string_view network, const DhcpLease& lease);
    // dnsmasq's "del": the lease of that address goes.
    void remove(std::string_view network, std::string_view ip);

    // libvirt's networkGetDHCPLeases over the network's leases: leases that have not expired
    // (at now), of mac when given (compared as MAC addresses), each with the prefix of the
    // network's <ip> whose subnet holds it and the network's bridge as iface.
    std::vector<DhcpLeaseInfo> query(const conf::NetworkDef& def,
                                     const std::optional<std::string>& mac, std::int64_t now) const;

private:
    // Reads the leases (with what is pending), applies change and writes them back, holding the
    // pending file's lock throughout.
    void mutate(std::string_view network,
                const std::function<void(std::vector<DhcpLease>&)>& change);

    std::filesystem::path dir_;
};

// Parses and formats a lease file's text (libvirt's custom lease file layout). parse throws
// Error(InternalError) for text that is not such an array.
std::vector<DhcpLease> parseLeaseFile(std::string_view text);
std::string formatLeaseFile(const std::vector<DhcpLease>& leases);

} // namespace dvs::driver
