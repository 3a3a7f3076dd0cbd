// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/network_def.h"
#include "virtnet/lease_event.h"

namespace dvs::virtnet {

// One DHCP lease, as libvirt's leaseshelper records it in BRIDGE.status.
struct Lease
{
    std::string ipAddress;                 // "ip-address"
    std::optional<std::string> macAddress; // "mac-address"
    std::optional<std::string> hostname;   // "hostname"
    std::optional<std::string> clientId;   // "client-id" (IPv6: the client's DUID)
    std::optional<std::string> iaid;       // "iaid" (IPv6 only)
    std::optional<std::string> serverDuid; // "server-duid" (IPv6 only)
    // "expiry-time": seconds since the epoch; 0 for a lease that never expires. libvirt leaves
    // the field out then, and refuses such a file later; we read a missing field as 0 and
    // always write it.
    long long expiryTime = 0;

    // libvirt tells the families apart by a ':' in the address.
    bool ipv6() const { return ipAddress.find(':') != std::string::npos; }
    // Whether the lease has ended at now (an infinite one never does).
    bool expired(long long now) const { return expiryTime > 0 && expiryTime < now; }

    friend bool operator==(const Lease&, const Lease&) = default;
};

// The leases of one bridge, in the order they were given: libvirt's custom lease file.
class LeaseTable
{
public:
    LeaseTable() = default;
    explicit LeaseTable(std::vector<Lease> leases) : leases_(std::move(leases)) {}

    // Parses libvirt's JSON array of leases; empty text is an empty table. Throws
    // Error(InternalError) for text that is not JSON ("invalid json in leases file"), not an
    // array ("couldn't fetch array of leases"), or an entry without an "ip-address" string or
    // with fields of the wrong type ("failed to parse json").
    static LeaseTable parse(std::string_view json);
    // The table as a pretty-printed JSON array (two spaces per level, fields in libvirt's
    // order), ending with a newline. Bytes that are not UTF-8 are written as U+FFFD.
    std::string format() const;

    const std::vector<Lease>& leases() const noexcept { return leases_; }
    bool empty() const noexcept { return leases_.empty(); }

    // Applies one call of the dhcp script as libvirt's leaseshelper does: add and old replace
    // the lease of the address with a new record (none when dnsmasq gave no MAC address, as for
    // an IPv6 client it has not seen yet); del removes the lease of the address; init changes
    // nothing. The server DUID of IPv6 leases that lack one is filled in from the event or the
    // first IPv6 lease that has one. Returns whether the table changed.
    bool apply(const LeaseEvent& event);

    // What the script prints for init (dnsmasq's lease file format): "EXPIRY MAC IP HOSTNAME
    // CLIENTID" for each IPv4 lease, then, when a server DUID is known, "duid DUID" and
    // "EXPIRY IAID IP HOSTNAME CLIENTID" for each IPv6 lease; '*' for what is unknown.
    // serverDuid: the event's, used when no lease has one.
    std::string dnsmasqLeases(const std::optional<std::string>& serverDuid = std::nullopt) const;

    // Removes the leases that ended before now; returns how many.
    std::size_t removeExpired(long long now);

private:
    std::optional<std::string> firstServerDuid() const;

    std::vector<Lease> leases_;
};

// The lease file of a bridge in dir: BRIDGE.status, as libvirt names it. Throws
// Error(InvalidArg) when the bridge name cannot be a file name.
std::filesystem::path leaseFilePath(const std::filesystem::path& dir, std::string_view bridge);

// Reads a lease file; a missing file is an empty table. Throws Error(ReadFailed) when it
// cannot be read, and what LeaseTable::parse throws (the message names the file).
LeaseTable readLeaseFile(const std::filesystem::path& path);
// Replaces a lease file atomically (mode 0644). Throws Error(WriteFailed).
void writeLeaseFile(const std::filesystem::path& path, const LeaseTable& table);

// libvirt's virIPAddrType.
enum class IpAddrType : int
{
    Ipv4 = 0,
    Ipv6 = 1,
};

// One lease as virNetworkGetDHCPLeases returns it (remote procedure 341's
// remote_network_dhcp_lease).
struct DhcpLeaseInfo
{
    std::string iface;
    long long expiryTime = 0;
    IpAddrType type = IpAddrType::Ipv4;
    std::optional<std::string> mac;
    std::optional<std::string> iaid;
    std::string ipAddr;
    unsigned prefix = 0;
    std::optional<std::string> hostname;
    std::optional<std::string> clientId;

    friend bool operator==(const DhcpLeaseInfo&, const DhcpLeaseInfo&) = default;
};

// What virNetworkGetDHCPLeases answers for network def from its lease table: the leases not
// expired at now, of the MAC address mac when given (compared as libvirt does, ignoring case),
// with the bridge as interface and the prefix of the network's first <ip> of the lease's
// family. Throws Error(InvalidMac) (the message is the MAC) for a mac that is not one, and
// Error(InternalError) "found lease without mac-address" for a record without one.
std::vector<DhcpLeaseInfo> networkDhcpLeases(const LeaseTable& table, const conf::NetworkDef& def,
                                             const std::optional<std::string>& mac, long long now);

} // namespace dvs::virtnet
