// SPDX-License-Identifier: LGPL-2.1-or-later
#include "config.h"

#include <array>
#include <cerrno>
#include <charconv>
#include <grp.h>
#include <set>

#include "util/error.h"

namespace dvs::daemon {

namespace {

constexpr const char* kGroup = "dvsd";

struct GKeyFileDeleter
{
    void operator()(GKeyFile* file) const noexcept { g_key_file_free(file); }
};
struct GErrorDeleter
{
    void operator()(GError* error) const noexcept { g_error_free(error); }
};

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

} // namespace

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

    gsize ngroups = 0;
    std::unique_ptr<gchar*, decltype(&g_strfreev)> groups(
        g_key_file_get_groups(keys.get(), &ngroups), &g_strfreev);
    for (gsize i = 0; i < ngroups; ++i) {
        if (std::string_view(groups.get()[i]) != kGroup) {
            throw Error(ErrorCode::ConfSyntax, fmt::format("{}: unknown group '{}', expected '{}'",
                                                           file.native(), groups.get()[i], kGroup));
        }
    }
    if (ngroups == 0) {
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
            if (value == "driver") {
                config.mode = SocketMode::Driver;
            } else if (value == "hook") {
                config.mode = SocketMode::Hook;
            } else {
                raiseBad(file, key, value, "expected 'driver' or 'hook'");
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
        } else if (key == "keepalive_interval") {
            config.keepaliveInterval = static_cast<int>(parseNumber(file, key, value, -1, 3600));
        } else if (key == "keepalive_count") {
            config.keepaliveCount = static_cast<unsigned>(parseNumber(file, key, value, 0, 1000));
        } else if (key == "max_clients") {
            config.maxClients = static_cast<unsigned>(parseNumber(file, key, value, 1, 1000000));
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

} // namespace dvs::daemon
