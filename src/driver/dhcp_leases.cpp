// SPDX-License-Identifier: LGPL-2.1-or-later
#include "driver/dhcp_leases.h"

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

extern char** environ;

namespace fs = std::filesystem;

namespace dvs::driver {

namespace {

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

void applyPending(virtnet::LeaseTable& table, const std::string& text, long long now)
{
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        auto call = LeaseScriptCall::fromJsonLine(line);
        if (!call) {
            continue;
        }
        try {
            table.apply(call->event(now));
        } catch (const Error&) {
            // A call the helper could not have sent either: skipped, as dnsmasq's was.
        }
    }
}

long long nowSeconds()
{
    return static_cast<long long>(::time(nullptr));
}

} // namespace

virtnet::LeaseEvent LeaseScriptCall::event(long long now) const
{
    auto lookup = [this](std::string_view name) -> std::optional<std::string> {
        for (const auto& [key, value] : env) {
            if (key == name) {
                return value;
            }
        }
        return std::nullopt;
    };
    return virtnet::parseLeaseEvent(args, lookup, now);
}

std::string LeaseScriptCall::toJsonLine() const
{
    nlohmann::json envObj = nlohmann::json::object();
    for (const auto& [key, value] : env) {
        envObj[key] = value;
    }
    return nlohmann::json{{"args", args}, {"env", envObj}}.dump() + "\n";
}

std::optional<LeaseScriptCall> LeaseScriptCall::fromJsonLine(std::string_view line)
{
    auto doc = nlohmann::json::parse(line, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("args") ||
        !doc["args"].is_array()) {
        return std::nullopt;
    }
    LeaseScriptCall call;
    for (const auto& arg : doc["args"]) {
        if (!arg.is_string()) {
            return std::nullopt;
        }
        call.args.push_back(arg.get<std::string>());
    }
    if (doc.contains("env") && doc["env"].is_object()) {
        for (const auto& [key, value] : doc["env"].items()) {
            if (value.is_string()) {
                call.env.emplace_back(key, value.get<std::string>());
            }
        }
    }
    return call;
}

LeaseScriptCall LeaseScriptCall::fromProcess(int argc, char** argv)
{
    LeaseScriptCall call;
    for (int i = 1; i < argc; ++i) {
        call.args.emplace_back(argv[i]);
    }
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string_view entry(*e);
        auto eq = entry.find('=');
        if (eq == std::string_view::npos) {
            continue;
        }
        auto key = entry.substr(0, eq);
        if (key.starts_with("DNSMASQ_") || key == "VIR_BRIDGE_NAME") {
            call.env.emplace_back(std::string(key), std::string(entry.substr(eq + 1)));
        }
    }
    return call;
}

DhcpLeaseStore::DhcpLeaseStore(fs::path dir) : dir_(std::move(dir)) {}

virtnet::LeaseTable DhcpLeaseStore::table(std::string_view bridge) const
{
    auto path = virtnet::leaseFilePath(dir_, bridge);
    auto table = virtnet::readLeaseFile(path);
    std::error_code ec;
    auto pending = path.string() + ".pending";
    if (fs::exists(pending, ec)) {
        try {
            applyPending(table, util::readFile(pending, 32 << 20), nowSeconds());
        } catch (const Error&) {
            // What could be read of the file stands.
        }
    }
    return table;
}

void DhcpLeaseStore::apply(std::string_view bridge, const virtnet::LeaseEvent& event)
{
    auto path = virtnet::leaseFilePath(dir_, bridge);
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
        auto table = virtnet::readLeaseFile(path);
        auto pending = readFd(fd);
        applyPending(table, pending, nowSeconds());
        bool changed = table.apply(event) || !pending.empty();
        if (changed) {
            virtnet::writeLeaseFile(path, table);
        }
        if (!pending.empty()) {
            (void)::ftruncate(fd, 0);
        }
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
}

std::vector<virtnet::DhcpLeaseInfo> DhcpLeaseStore::query(const conf::NetworkDef& def,
                                                          const std::optional<std::string>& mac,
                                                          long long now) const
{
    if (!def.bridge) {
        return {};
    }
    return virtnet::networkDhcpLeases(table(*def.bridge), def, mac, now);
}

} // namespace dvs::driver
