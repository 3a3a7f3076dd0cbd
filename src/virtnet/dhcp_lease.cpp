// SPDX-License-Identifier: LGPL-2.1-or-later
#include "virtnet/dhcp_lease.h"

#include <algorithm>
#include <cerrno>
#include <strings.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/file.h"
#include "util/mac.h"

namespace dvs::virtnet {

namespace {

using Json = nlohmann::ordered_json;

// libvirt's VIR_NETWORK_DHCP_LEASE_FILE_SIZE_MAX.
constexpr std::size_t kLeaseFileMaxSize = 32 * 1024 * 1024;

[[noreturn]] void malformed()
{
    raise(ErrorCode::InternalError, "failed to parse json");
}

std::optional<std::string> optionalString(const Json& object, const char* key)
{
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        return std::nullopt;
    }
    if (!it->is_string()) {
        malformed();
    }
    return it->get<std::string>();
}

Lease leaseFromJson(const Json& object)
{
    if (!object.is_object()) {
        malformed();
    }
    Lease lease;
    auto ip = optionalString(object, "ip-address");
    if (!ip) {
        malformed();
    }
    lease.ipAddress = *ip;
    lease.macAddress = optionalString(object, "mac-address");
    lease.hostname = optionalString(object, "hostname");
    lease.clientId = optionalString(object, "client-id");
    lease.iaid = optionalString(object, "iaid");
    lease.serverDuid = optionalString(object, "server-duid");
    auto expiry = object.find("expiry-time");
    if (expiry != object.end()) {
        if (!expiry->is_number_integer()) {
            malformed();
        }
        lease.expiryTime = expiry->get<long long>();
    }
    return lease;
}

// The fields in the order virLeaseNew appends them.
Json leaseToJson(const Lease& lease)
{
    Json object = Json::object();
    if (lease.iaid) {
        object["iaid"] = *lease.iaid;
    }
    object["ip-address"] = lease.ipAddress;
    if (lease.macAddress) {
        object["mac-address"] = *lease.macAddress;
    }
    if (lease.hostname) {
        object["hostname"] = *lease.hostname;
    }
    if (lease.clientId) {
        object["client-id"] = *lease.clientId;
    }
    if (lease.serverDuid) {
        object["server-duid"] = *lease.serverDuid;
    }
    object["expiry-time"] = lease.expiryTime;
    return object;
}

// virMacAddrCompare: equal addresses however they are written; other text compared ignoring
// case.
bool sameMac(std::string_view a, std::string_view b)
{
    auto ma = util::MacAddr::parse(a);
    auto mb = util::MacAddr::parse(b);
    if (ma && mb) {
        return *ma == *mb;
    }
    return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

const char* orStar(const std::optional<std::string>& value)
{
    return value ? value->c_str() : "*";
}

} // namespace

LeaseTable LeaseTable::parse(std::string_view json)
{
    if (json.empty()) {
        return {};
    }
    Json root = Json::parse(json, nullptr, false);
    if (root.is_discarded()) {
        raise(ErrorCode::InternalError, "invalid json in leases file");
    }
    if (!root.is_array()) {
        raise(ErrorCode::InternalError, "couldn't fetch array of leases");
    }
    std::vector<Lease> leases;
    leases.reserve(root.size());
    for (const auto& entry : root) {
        leases.push_back(leaseFromJson(entry));
    }
    return LeaseTable(std::move(leases));
}

std::string LeaseTable::format() const
{
    Json root = Json::array();
    for (const auto& lease : leases_) {
        root.push_back(leaseToJson(lease));
    }
    // A client can name itself with bytes that are not UTF-8; they become U+FFFD rather than
    // make the file unwritable.
    return root.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::optional<std::string> LeaseTable::firstServerDuid() const
{
    for (const auto& lease : leases_) {
        if (lease.ipv6() && lease.serverDuid) {
            return lease.serverDuid;
        }
    }
    return std::nullopt;
}

bool LeaseTable::apply(const LeaseEvent& event)
{
    std::vector<Lease> next;
    bool remove = false;
    std::optional<Lease> added;
    if (event.action == LeaseAction::Add || event.action == LeaseAction::Old) {
        // No MAC address, no lease (and nothing removed): dnsmasq gives an IPv6 client's MAC
        // only once it has seen it.
        if (event.mac) {
            Lease lease;
            lease.ipAddress = event.ip.value_or("");
            lease.macAddress = event.mac;
            lease.hostname = event.hostname;
            lease.clientId = event.clientId;
            lease.iaid = event.iaid;
            lease.serverDuid = event.serverDuid;
            lease.expiryTime = event.expiryTime.value_or(0);
            added = std::move(lease);
            remove = true;
        }
    } else if (event.action == LeaseAction::Del) {
        remove = true;
    }

    // IPv6 leases all carry the server's DUID (older records may lack it).
    std::optional<std::string> serverDuid = event.serverDuid;
    if (!serverDuid) {
        serverDuid = firstServerDuid();
    }
    for (const auto& lease : leases_) {
        if (remove && event.ip && lease.ipAddress == *event.ip) {
            continue;
        }
        next.push_back(lease);
        if (next.back().ipv6() && !next.back().serverDuid && serverDuid) {
            next.back().serverDuid = serverDuid;
        }
    }
    if (added) {
        next.push_back(std::move(*added));
    }
    bool changed = next != leases_;
    leases_ = std::move(next);
    return changed;
}

std::string LeaseTable::dnsmasqLeases(const std::optional<std::string>& serverDuid) const
{
    std::string out;
    for (const auto& lease : leases_) {
        if (!lease.ipv6()) {
            out += fmt::format("{} {} {} {} {}\n", lease.expiryTime, orStar(lease.macAddress),
                               lease.ipAddress, orStar(lease.hostname), orStar(lease.clientId));
        }
    }
    std::optional<std::string> duid = firstServerDuid();
    if (!duid) {
        duid = serverDuid;
    }
    if (duid) {
        out += fmt::format("duid {}\n", *duid);
        for (const auto& lease : leases_) {
            if (lease.ipv6()) {
                out += fmt::format("{} {} {} {} {}\n", lease.expiryTime, orStar(lease.iaid),
                                   lease.ipAddress, orStar(lease.hostname), orStar(lease.clientId));
            }
        }
    }
    return out;
}

std::size_t LeaseTable::removeExpired(long long now)
{
    auto before = leases_.size();
    std::erase_if(leases_, [now](const Lease& lease) { return lease.expired(now); });
    return before - leases_.size();
}

std::filesystem::path leaseFilePath(const std::filesystem::path& dir, std::string_view bridge)
{
    if (!util::isSafeFileName(bridge, 255 - 7)) {
        raise(ErrorCode::InvalidArg, "bridge name '{}' cannot name a leases file", bridge);
    }
    return dir / (std::string(bridge) + ".status");
}

LeaseTable readLeaseFile(const std::filesystem::path& path)
{
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        return {};
    }
    std::string text = util::readFile(path, kLeaseFileMaxSize);
    try {
        return LeaseTable::parse(text);
    } catch (const Error& e) {
        raise(e.code(), "{} (in '{}')", e.message(), path.string());
    }
}

void writeLeaseFile(const std::filesystem::path& path, const LeaseTable& table)
{
    util::writeFileAtomic(path, table.format(), 0644);
}

std::vector<DhcpLeaseInfo> networkDhcpLeases(const LeaseTable& table, const conf::NetworkDef& def,
                                             const std::optional<std::string>& mac, long long now)
{
    if (mac && !util::MacAddr::parse(*mac)) {
        throw Error(ErrorCode::InvalidMac, *mac);
    }
    std::vector<DhcpLeaseInfo> out;
    for (const auto& lease : table.leases()) {
        if (!lease.macAddress) {
            // The helper keeps a lease only when the MAC address is known.
            raise(ErrorCode::InternalError, "found lease without mac-address");
        }
        if (mac && !sameMac(*mac, *lease.macAddress)) {
            continue;
        }
        if (lease.expired(now)) {
            continue;
        }
        DhcpLeaseInfo info;
        info.iface = def.bridge.value_or("");
        info.expiryTime = lease.expiryTime;
        bool ipv6 = lease.ipv6();
        info.type = ipv6 ? IpAddrType::Ipv6 : IpAddrType::Ipv4;
        // The prefix of the network's first <ip> of the family (not necessarily the one the
        // address is in), as libvirt reports it.
        for (const auto& ip : def.ips) {
            if (ipv6 && ip.address.isFamily(AF_INET6)) {
                info.prefix = ip.prefix;
                break;
            }
            if (!ipv6 && ip.address.isFamily(AF_INET)) {
                info.prefix = static_cast<unsigned>(util::SocketAddr::ipPrefix(
                    ip.address, ip.netmask, static_cast<int>(ip.prefix)));
                break;
            }
        }
        info.mac = lease.macAddress;
        info.ipAddr = lease.ipAddress;
        info.iaid = lease.iaid;
        info.clientId = lease.clientId;
        info.hostname = lease.hostname;
        out.push_back(std::move(info));
    }
    return out;
}

} // namespace dvs::virtnet
