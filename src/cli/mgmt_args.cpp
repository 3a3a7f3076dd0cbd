// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/mgmt_args.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>

#include <fmt/format.h>
#include <glib.h>

#include "cli/command.h"
#include "mgmt/database.h"
#include "util/error.h"
#include "util/timestamp.h"

namespace dvs::cli {

namespace {

constexpr const char* kDefaultConfig = "/etc/dvs/dvsd.conf";

struct KeyFileDeleter
{
    void operator()(GKeyFile* file) const noexcept { g_key_file_free(file); }
};

// [management] KEY of dvsd.conf, or empty.
std::string configuredValue(const std::filesystem::path& file, bool explicitFile,
                            const char* key = "remote")
{
    std::unique_ptr<GKeyFile, KeyFileDeleter> keys(g_key_file_new());
    GError* error = nullptr;
    if (!g_key_file_load_from_file(keys.get(), file.c_str(), G_KEY_FILE_NONE, &error)) {
        bool missing = g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
        std::string why = error->message;
        g_error_free(error);
        if (missing && !explicitFile) {
            return {};
        }
        raise(ErrorCode::ConfSyntax, "cannot read '{}': {}", file.string(), why);
    }
    char* value = g_key_file_get_string(keys.get(), "management", key, nullptr);
    if (value == nullptr) {
        return {};
    }
    std::string out = value;
    g_free(value);
    return out;
}

std::filesystem::path configFile(const MgmtArgs& args)
{
    auto config = args.value("--config");
    return config ? std::filesystem::path(*config) : std::filesystem::path(kDefaultConfig);
}

bool remoteFromConfig(const MgmtArgs& args)
{
    const char* env = std::getenv("DVS_DB");
    return !args.value("--db") && (env == nullptr || *env == '\0');
}

// The short forms ovs-vsctl and ovn-nbctl take.
std::string_view longOption(std::string_view name)
{
    if (name == "-p") {
        return "--private-key";
    }
    if (name == "-c") {
        return "--certificate";
    }
    if (name == "-C") {
        return "--ca-cert";
    }
    return name;
}

// What dvsctl reads from [management] of dvsd.conf: the remote and the TLS files.
struct ManagementConfig
{
    std::string remote;
    ovsdb::TlsOptions tls;
};

// [management] of dvsd.conf; empty when the default file does not exist.
ManagementConfig configuredManagement(const std::filesystem::path& file, bool explicitFile)
{
    ManagementConfig out;
    out.remote = configuredValue(file, explicitFile, "remote");
    out.tls.privateKey = configuredValue(file, explicitFile, "private-key");
    out.tls.certificate = configuredValue(file, explicitFile, "certificate");
    out.tls.caCert = configuredValue(file, explicitFile, "ca-cert");
    return out;
}

} // namespace

std::optional<std::string> MgmtArgs::value(std::string_view option) const
{
    auto it = values.find(option);
    if (it == values.end()) {
        return std::nullopt;
    }
    return it->second;
}

MgmtArgs parseMgmtArgs(std::span<const std::string> args, std::string_view usage,
                       std::initializer_list<std::string_view> options,
                       std::initializer_list<std::string_view> flags, std::size_t positionals)
{
    return parseMgmtArgs(args, usage, options, flags, positionals, positionals);
}

MgmtArgs parseMgmtArgs(std::span<const std::string> args, std::string_view usage,
                       std::initializer_list<std::string_view> options,
                       std::initializer_list<std::string_view> flags, std::size_t minPositionals,
                       std::size_t maxPositionals)
{
    auto takesValue = [&](std::string_view name) {
        return name == "--db" || name == "--config" || name == "--private-key" ||
               name == "--certificate" || name == "--ca-cert" ||
               std::find(options.begin(), options.end(), name) != options.end();
    };
    auto isFlag = [&](std::string_view name) {
        return std::find(flags.begin(), flags.end(), name) != flags.end();
    };
    MgmtArgs out;
    bool onlyPositional = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (onlyPositional || arg.size() < 2 || arg[0] != '-') {
            out.positional.push_back(arg);
            continue;
        }
        if (arg == "--") {
            onlyPositional = true;
            continue;
        }
        std::string name = arg;
        std::optional<std::string> inlineValue;
        if (auto eq = arg.find('='); eq != std::string::npos) {
            name = arg.substr(0, eq);
            inlineValue = arg.substr(eq + 1);
        }
        name = std::string(longOption(name));
        if (takesValue(name)) {
            if (inlineValue) {
                out.values[name] = *inlineValue;
            } else if (i + 1 < args.size()) {
                out.values[name] = args[++i];
            } else {
                throw UsageError(
                    fmt::format("option '{}' needs a value; usage: dvsctl {}", name, usage));
            }
        } else if (isFlag(name) && !inlineValue) {
            out.flags.insert(name);
        } else {
            throw UsageError(fmt::format("unknown option '{}'; usage: dvsctl {}", arg, usage));
        }
    }
    if (out.positional.size() < minPositionals || out.positional.size() > maxPositionals) {
        throw UsageError(fmt::format("usage: dvsctl {}", usage));
    }
    return out;
}

std::vector<std::string> managementRemotes(const MgmtArgs& args)
{
    if (auto db = args.value("--db")) {
        return mgmt::splitRemotes(*db);
    }
    if (const char* env = std::getenv("DVS_DB"); env != nullptr && *env != '\0') {
        return mgmt::splitRemotes(env);
    }
    auto file = configFile(args);
    std::string remote = configuredManagement(file, args.value("--config").has_value()).remote;
    if (remote.empty()) {
        raise(ErrorCode::InvalidArg,
              "no management database given: use --db REMOTE, set DVS_DB, or set remote= in "
              "the [management] group of {}",
              file.string());
    }
    return mgmt::splitRemotes(remote);
}

std::optional<std::string> managementSetting(const MgmtArgs& args, const char* key)
{
    auto config = args.value("--config");
    std::string value = configuredValue(config ? *config : kDefaultConfig, config.has_value(), key);
    if (value.empty()) {
        return std::nullopt;
    }
    return value;
}

ovsdb::TlsOptions managementTls(const MgmtArgs& args, const std::vector<std::string>& remotes)
{
    ovsdb::TlsOptions tls{args.value("--private-key").value_or(""),
                          args.value("--certificate").value_or(""),
                          args.value("--ca-cert").value_or("")};
    std::string from = "--private-key, --certificate and --ca-cert";
    if (tls.empty() && remoteFromConfig(args)) {
        auto file = configFile(args);
        tls = configuredManagement(file, args.value("--config").has_value()).tls;
        from = fmt::format("private-key, certificate and ca-cert in the [management] group of {}",
                           file.string());
    }
    if (!tls.empty() && (tls.privateKey.empty() || tls.certificate.empty() || tls.caCert.empty())) {
        raise(ErrorCode::InvalidArg, "TLS needs all three of {}", from);
    }
    for (const auto& remote : remotes) {
        if (remote.starts_with("ssl:") && tls.empty()) {
            raise(ErrorCode::InvalidArg,
                  "the ssl: remote '{}' needs this client's private key, certificate and CA "
                  "certificate: give --private-key FILE --certificate FILE --ca-cert FILE",
                  remote);
        }
    }
    return tls;
}

std::unique_ptr<mgmt::Session> openSession(const MgmtArgs& args,
                                           std::vector<std::string_view> tables)
{
    mgmt::SessionOptions options;
    options.remotes = managementRemotes(args);
    options.tls = managementTls(args, options.remotes);
    options.tables = std::move(tables);
    return std::make_unique<mgmt::Session>(std::move(options));
}

void printTable(std::ostream& out, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows)
{
    std::vector<std::size_t> widths;
    for (const auto& h : header) {
        widths.push_back(h.size());
    }
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
            widths[i] = std::max(widths[i], row[i].size());
        }
    }
    auto line = [&](const std::vector<std::string>& cells) {
        std::string text = " ";
        for (std::size_t i = 0; i < cells.size(); ++i) {
            text += cells[i];
            if (i + 1 < cells.size()) {
                text += std::string(widths[i] - cells[i].size() + 3, ' ');
            }
        }
        out << text << "\n";
    };
    line(header);
    std::size_t total = 1;
    for (std::size_t i = 0; i < widths.size(); ++i) {
        total += widths[i] + (i + 1 < widths.size() ? 3 : 1);
    }
    out << std::string(total, '-') << "\n";
    for (const auto& row : rows) {
        line(row);
    }
}

std::string formatTime(std::int64_t ms)
{
    return util::formatUtc(ms);
}

} // namespace dvs::cli
