// SPDX-License-Identifier: LGPL-2.1-or-later
#include "config/daemon_config.h"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cerrno>
#include <charconv>
#include <grp.h>
#include <set>

#include "util/error.h"

namespace dvs::config {

namespace {

constexpr const char* kGroup = "dvsd";
constexpr const char* kLibvirtGroup = "libvirt";

struct GKeyFileDeleter
{
    void operator()(GKeyFile* file) const noexcept { g_key_file_free(file); }
};
struct GErrorDeleter
{
    void operator()(GError* error) const noexcept { g_error_free(error); }
};

constexpr std::array kConfigKeys{
    ConfigKey{"dvsd", "mode"},
    ConfigKey{"dvsd", "unix_sock_dir"},
    ConfigKey{"dvsd", "unix_sock_rw_perms"},
    ConfigKey{"dvsd", "unix_sock_ro_perms"},
    ConfigKey{"dvsd", "unix_sock_group"},
    ConfigKey{"dvsd", "auth_unix_ro"},
    ConfigKey{"dvsd", "auth_unix_rw"},
    ConfigKey{"dvsd", "keepalive_interval"},
    ConfigKey{"dvsd", "keepalive_count"},
    ConfigKey{"dvsd", "max_clients"},
    ConfigKey{"dvsd", "max_anonymous_clients"},
    ConfigKey{"dvsd", "max_client_requests"},
    ConfigKey{"dvsd", "min_workers"},
    ConfigKey{"dvsd", "max_workers"},
    ConfigKey{"dvsd", "prio_workers"},
    ConfigKey{"dvsd", "log_level"},
    ConfigKey{"libvirt", "mode"},
    ConfigKey{"libvirt", "uri"},
    ConfigKey{"ovs", "remote"},
    ConfigKey{"ovs", "datapath-type"},
    ConfigKey{"management", "remote"},
    ConfigKey{"management", "host"},
    ConfigKey{"management", "private-key"},
    ConfigKey{"management", "certificate"},
    ConfigKey{"management", "ca-cert"},
    ConfigKey{"management", "heartbeat-interval"},
    ConfigKey{"management", "snapshot-dir"},
    ConfigKey{"management", "revert-timeout"},
};

// Refuses a group or key that kConfigKeys does not list, before any value is read.
void checkKnownKeys(GKeyFile* keys, const std::filesystem::path& file)
{
    gsize ngroups = 0;
    std::unique_ptr<gchar*, decltype(&g_strfreev)> groups(g_key_file_get_groups(keys, &ngroups),
                                                          &g_strfreev);
    for (gsize i = 0; i < ngroups; ++i) {
        std::string_view group = groups.get()[i];
        auto known = [&](std::string_view key) {
            return std::any_of(kConfigKeys.begin(), kConfigKeys.end(), [&](const ConfigKey& k) {
                return k.group == group && (key.empty() || k.key == key);
            });
        };
        if (!known({})) {
            throw Error(ErrorCode::ConfSyntax,
                        fmt::format("{}: unknown group '{}', expected 'dvsd', 'libvirt', 'ovs' or "
                                    "'management'",
                                    file.native(), group));
        }
        gsize nkeys = 0;
        std::unique_ptr<gchar*, decltype(&g_strfreev)> names(
            g_key_file_get_keys(keys, groups.get()[i], &nkeys, nullptr), &g_strfreev);
        for (gsize j = 0; j < nkeys; ++j) {
            if (!known(names.get()[j])) {
                throw Error(ErrorCode::ConfSyntax,
                            fmt::format("{}: unknown key '{}' in group '{}'", file.native(),
                                        names.get()[j], group));
            }
        }
    }
}

[[noreturn]] void raiseBad(const std::filesystem::path& file, std::string_view key,
                           std::string_view value, std::string_view want)
{
    throw Error(ErrorCode::ConfSyntax, fmt::format("{}: invalid value '{}' for '{}': {}",
                                                   file.native(), value, key, want));
}

mode_t parsePerms(const std::filesystem::path& file, std::string_view key, const std::string& value)
{
    unsigned perms = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), perms, 8);
    if (value.empty() || ec != std::errc() || ptr != value.data() + value.size() || perms > 0777) {
        raiseBad(file, key, value, "expected an octal mode such as 0660");
    }
    return static_cast<mode_t>(perms);
}

long parseNumber(const std::filesystem::path& file, std::string_view key, const std::string& value,
                 long min, long max)
{
    long number = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (value.empty() || ec != std::errc() || ptr != value.data() + value.size() || number < min ||
        number > max) {
        raiseBad(file, key, value, fmt::format("expected a number from {} to {}", min, max));
    }
    return number;
}

SocketMode parseMode(const std::filesystem::path& file, std::string_view key,
                     const std::string& value)
{
    if (value == "driver") {
        return SocketMode::Driver;
    }
    if (value != "hook") {
        raiseBad(file, key, value, "expected 'driver' or 'hook'");
    }
    return SocketMode::Hook;
}

UnixAuth parseAuth(const std::filesystem::path& file, std::string_view key,
                   const std::string& value)
{
    if (value == "none") {
        return UnixAuth::None;
    }
    if (value == "polkit") {
        return UnixAuth::Polkit;
    }
    if (value == "sasl") {
        raiseBad(file, key, value, "dvsd offers 'none' and 'polkit' on its unix sockets, not SASL");
    }
    raiseBad(file, key, value, "expected 'none' or 'polkit'");
}

std::string keyValue(GKeyFile* keys, const char* group, const char* key)
{
    std::unique_ptr<gchar, decltype(&g_free)> raw(g_key_file_get_string(keys, group, key, nullptr),
                                                  &g_free);
    return raw ? raw.get() : "";
}

// [libvirt]: how dvsd meets libvirt (mode) and which libvirtd hook mode publishes into (uri).
void loadLibvirtGroup(GKeyFile* keys, const std::filesystem::path& file, DaemonConfig& config)
{
    gsize nkeys = 0;
    std::unique_ptr<gchar*, decltype(&g_strfreev)> names(
        g_key_file_get_keys(keys, kLibvirtGroup, &nkeys, nullptr), &g_strfreev);
    for (gsize i = 0; i < nkeys; ++i) {
        std::string key = names.get()[i];
        std::string value = keyValue(keys, kLibvirtGroup, key.c_str());
        if (key == "mode") {
            config.mode = parseMode(file, key, value);
        } else if (key == "uri") {
            if (value.empty() || value.find(':') == std::string::npos) {
                raiseBad(file, key, value, "expected a libvirt URI such as qemu:///system");
            }
            config.libvirtUri = value;
        } else {
            throw Error(ErrorCode::ConfSyntax, fmt::format("{}: unknown key '{}' in group '{}'",
                                                           file.native(), key, kLibvirtGroup));
        }
    }
}

// unix:/PATH, or tcp:ADDRESS:PORT with a numeric address (IPv6 in brackets), as ovs-vsctl
// spells remotes.
bool isOvsRemote(std::string_view value)
{
    if (value.rfind("unix:/", 0) == 0) {
        return value.size() > 6;
    }
    if (value.rfind("tcp:", 0) != 0) {
        return false;
    }
    auto rest = value.substr(4);
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
        return false;
    }
    auto host = std::string(rest.substr(0, colon));
    if (host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    unsigned char buffer[sizeof(in6_addr)];
    if (inet_pton(AF_INET, host.c_str(), buffer) != 1 &&
        inet_pton(AF_INET6, host.c_str(), buffer) != 1) {
        return false;
    }
    auto port = rest.substr(colon + 1);
    unsigned number = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    return ec == std::errc() && ptr == port.data() + port.size() && number > 0 && number < 65536;
}

// [ovs]: how dvsd reaches Open vSwitch.
void loadOvsGroup(GKeyFile* keys, const std::filesystem::path& file, DaemonConfig& config)
{
    constexpr const char* kOvsGroup = "ovs";
    gsize nkeys = 0;
    std::unique_ptr<gchar*, decltype(&g_strfreev)> names(
        g_key_file_get_keys(keys, kOvsGroup, &nkeys, nullptr), &g_strfreev);
    for (gsize i = 0; i < nkeys; ++i) {
        std::string key = names.get()[i];
        std::unique_ptr<gchar, decltype(&g_free)> raw(
            g_key_file_get_string(keys, kOvsGroup, key.c_str(), nullptr), &g_free);
        std::string value = raw ? raw.get() : "";
        if (key == "remote") {
            if (value.rfind("ssl:", 0) == 0) {
                raiseBad(file, key, value, "ssl remotes are not supported; use unix: or tcp:");
            }
            if (!isOvsRemote(value)) {
                raiseBad(file, key, value, "expected unix:ABSOLUTE-PATH or tcp:IP:PORT");
            }
            config.ovsRemote = value;
        } else if (key == "datapath-type") {
            if (value != "system" && value != "netdev") {
                raiseBad(file, key, value, "expected 'system' or 'netdev'");
            }
            config.ovsDatapathType = value;
        } else {
            throw Error(ErrorCode::ConfSyntax, fmt::format("{}: unknown key '{}' in group '{}'",
                                                           file.native(), key, kOvsGroup));
        }
    }
}

// One OVSDB remote of [management] remote: unix:, tcp: or ssl: (the same address form as tcp:).
bool isManagementRemote(std::string_view value)
{
    if (value.rfind("ssl:", 0) == 0) {
        return isOvsRemote(std::string("tcp:") + std::string(value.substr(4)));
    }
    return isOvsRemote(value);
}

// [management]: the distributed switch's database (the host agent runs when remote is set).
void loadManagementGroup(GKeyFile* keys, const std::filesystem::path& file, DaemonConfig& config)
{
    constexpr const char* kManagementGroup = "management";
    auto& mgmt = config.management;
    gsize nkeys = 0;
    std::unique_ptr<gchar*, decltype(&g_strfreev)> names(
        g_key_file_get_keys(keys, kManagementGroup, &nkeys, nullptr), &g_strfreev);
    for (gsize i = 0; i < nkeys; ++i) {
        std::string key = names.get()[i];
        std::string value = keyValue(keys, kManagementGroup, key.c_str());
        auto path = [&] {
            if (value.empty() || value[0] != '/') {
                raiseBad(file, key, value, "expected an absolute path");
            }
            return std::filesystem::path(value);
        };
        if (key == "remote") {
            mgmt.remotes.clear();
            std::size_t start = 0;
            while (start <= value.size()) {
                auto comma = value.find(',', start);
                if (comma == std::string::npos) {
                    comma = value.size();
                }
                auto item = value.substr(start, comma - start);
                item.erase(0, item.find_first_not_of(" \t"));
                item.erase(item.find_last_not_of(" \t") + 1);
                if (!isManagementRemote(item)) {
                    raiseBad(file, key, value,
                             "expected comma-separated unix:ABSOLUTE-PATH, tcp:IP:PORT or "
                             "ssl:IP:PORT remotes");
                }
                mgmt.remotes.push_back(item);
                start = comma + 1;
            }
        } else if (key == "host") {
            if (value.empty() || value.size() > 255 ||
                value.find_first_of(" \t\r\n,") != std::string::npos) {
                raiseBad(file, key, value, "expected a host name");
            }
            mgmt.host = value;
        } else if (key == "private-key") {
            mgmt.privateKey = path();
        } else if (key == "certificate") {
            mgmt.certificate = path();
        } else if (key == "ca-cert") {
            mgmt.caCert = path();
        } else if (key == "heartbeat-interval") {
            mgmt.heartbeatInterval = static_cast<unsigned>(parseNumber(file, key, value, 0, 3600));
        } else if (key == "snapshot-dir") {
            mgmt.snapshotDir = path();
        } else if (key == "revert-timeout") {
            mgmt.revertTimeout = static_cast<unsigned>(parseNumber(file, key, value, 0, 3600));
        } else {
            throw Error(ErrorCode::ConfSyntax, fmt::format("{}: unknown key '{}' in group '{}'",
                                                           file.native(), key, kManagementGroup));
        }
    }
    bool ssl = false;
    for (const auto& remote : mgmt.remotes) {
        ssl = ssl || remote.rfind("ssl:", 0) == 0;
    }
    if (ssl && (mgmt.privateKey.empty() || mgmt.certificate.empty() || mgmt.caCert.empty())) {
        throw Error(ErrorCode::ConfSyntax,
                    fmt::format("{}: ssl: remotes in group '{}' need private-key, certificate "
                                "and ca-cert",
                                file.native(), kManagementGroup));
    }
}

} // namespace

std::string ManagementConfig::hostName() const
{
    if (!host.empty()) {
        return host;
    }
    return g_get_host_name();
}

std::string DaemonConfig::ovsRemoteUnder(const std::filesystem::path& root) const
{
    if (!ovsRemote.empty()) {
        return ovsRemote;
    }
    return "unix:" + underRoot(root, "/run/openvswitch/db.sock").native();
}

std::filesystem::path underRoot(const std::filesystem::path& root,
                                const std::filesystem::path& path)
{
    if (root.empty() || root == "/") {
        return path;
    }
    return root / path.relative_path();
}

std::filesystem::path DaemonConfig::rwSocket(const std::filesystem::path& root) const
{
    std::filesystem::path dir = unixSockDir;
    if (dir.empty()) {
        dir = mode == SocketMode::Driver ? "/run/libvirt" : "/run/dvs";
    }
    return underRoot(root, dir) / (mode == SocketMode::Driver ? "virtnetworkd-sock" : "dvsd-sock");
}

std::filesystem::path DaemonConfig::roSocket(const std::filesystem::path& root) const
{
    auto rw = rwSocket(root);
    return rw.parent_path() / (rw.filename().native() + "-ro");
}

std::optional<gid_t> DaemonConfig::socketGroup() const
{
    if (unixSockGroup.empty()) {
        return std::nullopt;
    }
    const group* entry = ::getgrnam(unixSockGroup.c_str());
    if (entry == nullptr) {
        throw Error(ErrorCode::ConfSyntax,
                    fmt::format("Failed to look up group '{}'", unixSockGroup));
    }
    return entry->gr_gid;
}

std::span<const ConfigKey> configKeys()
{
    return kConfigKeys;
}

DaemonConfig loadConfig(const std::filesystem::path& file, bool mustExist)
{
    DaemonConfig config;
    std::error_code ec;
    if (!mustExist && !std::filesystem::exists(file, ec)) {
        return config;
    }
    std::unique_ptr<GKeyFile, GKeyFileDeleter> keys(g_key_file_new());
    GError* rawError = nullptr;
    if (!g_key_file_load_from_file(keys.get(), file.c_str(), G_KEY_FILE_NONE, &rawError)) {
        std::unique_ptr<GError, GErrorDeleter> error(rawError);
        throw Error(ErrorCode::ConfSyntax,
                    fmt::format("cannot read '{}': {}", file.native(), error->message));
    }

    checkKnownKeys(keys.get(), file);
    gsize ngroups = 0;
    std::unique_ptr<gchar*, decltype(&g_strfreev)> groups(
        g_key_file_get_groups(keys.get(), &ngroups), &g_strfreev);
    bool hasDvsdGroup = false;
    for (gsize i = 0; i < ngroups; ++i) {
        std::string_view group = groups.get()[i];
        if (group == kGroup) {
            hasDvsdGroup = true;
        } else if (group == kLibvirtGroup) {
            loadLibvirtGroup(keys.get(), file, config);
        } else if (group == "ovs") {
            loadOvsGroup(keys.get(), file, config);
        } else if (group == "management") {
            loadManagementGroup(keys.get(), file, config);
        } else {
            throw Error(ErrorCode::ConfSyntax,
                        fmt::format("{}: unknown group '{}', expected 'dvsd', 'libvirt', 'ovs' or "
                                    "'management'",
                                    file.native(), group));
        }
    }
    if (!hasDvsdGroup) {
        return config;
    }

    gsize nkeys = 0;
    std::unique_ptr<gchar*, decltype(&g_strfreev)> names(
        g_key_file_get_keys(keys.get(), kGroup, &nkeys, nullptr), &g_strfreev);
    for (gsize i = 0; i < nkeys; ++i) {
        std::string key = names.get()[i];
        std::unique_ptr<gchar, decltype(&g_free)> raw(
            g_key_file_get_string(keys.get(), kGroup, key.c_str(), nullptr), &g_free);
        std::string value = raw ? raw.get() : "";
        if (key == "mode") {
            // Kept from before [libvirt] existed; [libvirt] mode wins when both are set.
            if (!g_key_file_has_key(keys.get(), kLibvirtGroup, "mode", nullptr)) {
                config.mode = parseMode(file, key, value);
            }
        } else if (key == "unix_sock_dir") {
            if (value.empty() || value[0] != '/') {
                raiseBad(file, key, value, "expected an absolute path");
            }
            config.unixSockDir = value;
        } else if (key == "unix_sock_rw_perms") {
            config.unixSockRwPerms = parsePerms(file, key, value);
        } else if (key == "unix_sock_ro_perms") {
            config.unixSockRoPerms = parsePerms(file, key, value);
        } else if (key == "unix_sock_group") {
            config.unixSockGroup = value;
        } else if (key == "auth_unix_rw") {
            config.authUnixRw = parseAuth(file, key, value);
        } else if (key == "auth_unix_ro") {
            config.authUnixRo = parseAuth(file, key, value);
        } else if (key == "keepalive_interval") {
            config.keepaliveInterval = static_cast<int>(parseNumber(file, key, value, -1, 3600));
        } else if (key == "keepalive_count") {
            config.keepaliveCount = static_cast<unsigned>(parseNumber(file, key, value, 0, 1000));
        } else if (key == "max_clients") {
            config.maxClients = static_cast<unsigned>(parseNumber(file, key, value, 1, 1000000));
        } else if (key == "max_anonymous_clients") {
            config.maxAnonymousClients =
                static_cast<unsigned>(parseNumber(file, key, value, 0, 1000000));
        } else if (key == "max_client_requests") {
            config.maxClientRequests =
                static_cast<unsigned>(parseNumber(file, key, value, 1, 1000000));
        } else if (key == "min_workers") {
            config.minWorkers = static_cast<unsigned>(parseNumber(file, key, value, 0, 100000));
        } else if (key == "max_workers") {
            config.maxWorkers = static_cast<unsigned>(parseNumber(file, key, value, 1, 100000));
        } else if (key == "prio_workers") {
            config.prioWorkers = static_cast<unsigned>(parseNumber(file, key, value, 0, 100000));
        } else if (key == "log_level") {
            static constexpr std::array<std::pair<const char*, GLogLevelFlags>, 5> kLevels = {{
                {"error", G_LOG_LEVEL_CRITICAL},
                {"warning", G_LOG_LEVEL_WARNING},
                {"notice", G_LOG_LEVEL_MESSAGE},
                {"info", G_LOG_LEVEL_INFO},
                {"debug", G_LOG_LEVEL_DEBUG},
            }};
            bool found = false;
            for (const auto& [name, level] : kLevels) {
                if (value == name) {
                    config.logLevel = level;
                    found = true;
                }
            }
            if (!found) {
                raiseBad(file, key, value, "expected error, warning, notice, info or debug");
            }
        } else {
            throw Error(ErrorCode::ConfSyntax, fmt::format("{}: unknown key '{}' in group '{}'",
                                                           file.native(), key, kGroup));
        }
    }
    return config;
}

} // namespace dvs::config
