// SPDX-License-Identifier: LGPL-2.1-or-later
#include "driver/dhcp_leases.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sstream>
#include <sys/file.h>
#include <system_error>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/file.h"
#include "util/mac.h"
#include "util/socket_addr.h"

namespace fs = std::filesystem;

namespace dvs::driver {

namespace {

std::string stringField(const nlohmann::json& obj, const char* key)
{
    auto it = obj.find(key);
    return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool sameMac(const std::string& a, const std::string& b)
{
    auto ma = util::MacAddr::parse(a);
    auto mb = util::MacAddr::parse(b);
    if (ma && mb) {
        return *ma == *mb;
    }
    return a == b;
}

void upsert(std::vector<DhcpLease>& all, const DhcpLease& lease)
{
    auto it =
        std::find_if(all.begin(), all.end(), [&](const DhcpLease& l) { return l.ip == lease.ip; });
    if (it != all.end()) {
        *it = lease;
    } else {
        all.push_back(lease);
    }
}

// Folds the changes the lease helper spooled while dvsd was away (one JSON object a line, with
// an "action") into leases.
void applyPending(std::vector<DhcpLease>& leases, const std::string& text)
{
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        nlohmann::json obj = nlohmann::json::parse(line, nullptr, false);
        if (obj.is_discarded() || !obj.is_object()) {
            continue;
        }
        auto parsed = parseLeaseFile(nlohmann::json::array({obj}).dump());
        if (parsed.empty()) {
            continue;
        }
        auto action = stringField(obj, "action");
        if (action == "del") {
            std::erase_if(leases, [&](const DhcpLease& l) { return l.ip == parsed[0].ip; });
        } else {
            upsert(leases, parsed[0]);
        }
    }
}

std::string readFd(int fd)
{
    std::string text;
    char buf[4096];
    (void)::lseek(fd, 0, SEEK_SET);
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) {
            break;
        }
        text.append(buf, static_cast<std::size_t>(n));
    }
    return text;
}

} // namespace

std::vector<DhcpLease> parseLeaseFile(std::string_view text)
{
    nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_array()) {
        raise(ErrorCode::InternalError, "invalid lease file: not a JSON array");
    }
    std::vector<DhcpLease> out;
    for (const auto& obj : doc) {
        if (!obj.is_object()) {
            continue;
        }
        DhcpLease lease;
        lease.ip = stringField(obj, "ip-address");
        lease.mac = stringField(obj, "mac-address");
        if (lease.ip.empty() || lease.mac.empty()) {
            continue;
        }
        lease.hostname = stringField(obj, "hostname");
        lease.clientId = stringField(obj, "client-id");
        lease.iaid = stringField(obj, "iaid");
        lease.serverDuid = stringField(obj, "server-duid");
        if (auto it = obj.find("expiry-time"); it != obj.end() && it->is_number_integer()) {
            lease.expiryTime = it->get<std::int64_t>();
        }
        out.push_back(std::move(lease));
    }
    return out;
}

std::string formatLeaseFile(const std::vector<DhcpLease>& leases)
{
    nlohmann::json doc = nlohmann::json::array();
    for (const auto& lease : leases) {
        nlohmann::json obj;
        if (!lease.iaid.empty()) {
            obj["iaid"] = lease.iaid;
        }
        obj["ip-address"] = lease.ip;
        obj["mac-address"] = lease.mac;
        if (!lease.hostname.empty()) {
            obj["hostname"] = lease.hostname;
        }
        if (!lease.clientId.empty()) {
            obj["client-id"] = lease.clientId;
        }
        if (!lease.serverDuid.empty()) {
            obj["server-duid"] = lease.serverDuid;
        }
        obj["expiry-time"] = lease.expiryTime;
        doc.push_back(std::move(obj));
    }
    return doc.dump(2) + "\n";
}

DhcpLeaseStore::DhcpLeaseStore(fs::path dir) : dir_(std::move(dir)) {}

fs::path DhcpLeaseStore::fileOf(std::string_view network) const
{
    if (network.empty() || network == "." || network == ".." ||
        network.find('/') != std::string_view::npos) {
        raise(ErrorCode::InvalidArg, "invalid network name '{}'", network);
    }
    return dir_ / (std::string(network) + ".leases");
}

std::vector<DhcpLease> DhcpLeaseStore::leases(std::string_view network) const
{
    auto path = fileOf(network);
    std::vector<DhcpLease> out;
    std::error_code ec;
    if (fs::exists(path, ec)) {
        try {
            out = parseLeaseFile(util::readFile(path, 32 << 20));
        } catch (const Error&) {
            out.clear();
        }
    }
    auto pending = path;
    pending += ".pending";
    if (fs::exists(pending, ec)) {
        try {
            applyPending(out, util::readFile(pending, 32 << 20));
        } catch (const Error&) {
            // What could be read of the record stands.
        }
    }
    return out;
}

void DhcpLeaseStore::add(std::string_view network, const DhcpLease& lease)
{
    mutate(network, [&](std::vector<DhcpLease>& all) { upsert(all, lease); });
}

void DhcpLeaseStore::remove(std::string_view network, std::string_view ip)
{
    mutate(network, [&](std::vector<DhcpLease>& all) {
        std::erase_if(all, [&](const DhcpLease& l) { return l.ip == ip; });
    });
}

void DhcpLeaseStore::mutate(std::string_view network,
                            const std::function<void(std::vector<DhcpLease>&)>& change)
{
    auto path = fileOf(network);
    std::error_code ec;
    fs::create_directories(dir_, ec);
    // The helper appends to the pending file under the same lock: nothing it adds meanwhile
    // is lost when the file is emptied below.
    auto pendingPath = path.string() + ".pending";
    int fd = ::open(pendingPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        raise(ErrorCode::WriteFailed, "cannot open '{}': {}", pendingPath, std::strerror(errno));
    }
    (void)::flock(fd, LOCK_EX);
    try {
        std::vector<DhcpLease> all;
        if (fs::exists(path, ec)) {
            try {
                all = parseLeaseFile(util::readFile(path, 32 << 20));
            } catch (const Error&) {
                all.clear();
            }
        }
        applyPending(all, readFd(fd));
        change(all);
        util::writeFileAtomic(path, formatLeaseFile(all), 0644);
        (void)::ftruncate(fd, 0);
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
}

std::vector<DhcpLeaseInfo> DhcpLeaseStore::query(const conf::NetworkDef& def,
                                                 const std::optional<std::string>& mac,
                                                 std::int64_t now) const
{
    std::vector<DhcpLeaseInfo> out;
    for (const auto& lease : leases(def.name)) {
        if (mac && !sameMac(*mac, lease.mac)) {
            continue;
        }
        if (lease.expiryTime > 0 && lease.expiryTime < now) {
            continue;
        }
        auto addr = util::SocketAddr::tryParse(lease.ip);
        if (!addr) {
            continue;
        }
        DhcpLeaseInfo info;
        info.iface = def.bridge.value_or("");
        info.expiryTime = lease.expiryTime;
        info.mac = lease.mac;
        info.ipaddr = lease.ip;
        bool v6 = addr->isFamily(AF_INET6);
        info.type = v6 ? 1 : 0;
        for (const auto& ip : def.ips) {
            if (!ip.address.isFamily(addr->family())) {
                continue;
            }
            int prefix = ip.effectivePrefix();
            if (prefix < 0) {
                continue;
            }
            auto a = addr->maskByPrefix(static_cast<unsigned>(prefix));
            auto b = ip.address.maskByPrefix(static_cast<unsigned>(prefix));
            if (a && b && a->equals(*b)) {
                info.prefix = static_cast<unsigned>(prefix);
                break;
            }
        }
        if (!lease.hostname.empty()) {
            info.hostname = lease.hostname;
        }
        if (!lease.clientId.empty()) {
            info.clientId = lease.clientId;
        }
        if (v6 && !lease.iaid.empty()) {
            info.iaid = lease.iaid;
        }
        out.push_back(std::move(info));
    }
    return out;
}

} // namespace dvs::driver
