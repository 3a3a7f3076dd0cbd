// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mgmt/session.h"

// What the management commands (switch-*, host-*, rollout-*, wait) share: option parsing, the
// database remote (--db, else DVS_DB, else [management] remote of dvsd.conf), the client's TLS
// files for ssl: remotes, and the session.
namespace dvs::cli {

struct MgmtArgs
{
    std::vector<std::string> positional;
    std::map<std::string, std::string, std::less<>> values;
    std::set<std::string, std::less<>> flags;

    bool has(std::string_view flag) const { return flags.contains(flag); }
    std::optional<std::string> value(std::string_view option) const;
};

// Parses args: options taking a value (given as "--opt V" or "--opt=V"; --db, --config,
// --private-key, --certificate and --ca-cert, or -p, -c and -C, are always accepted), flags (--json
// where listed), and exactly `positionals` other arguments. Throws UsageError with usage otherwise.
MgmtArgs parseMgmtArgs(std::span<const std::string> args, std::string_view usage,
                       std::initializer_list<std::string_view> options,
                       std::initializer_list<std::string_view> flags, std::size_t positionals);
// The same with minPositionals to maxPositionals other arguments.
MgmtArgs parseMgmtArgs(std::span<const std::string> args, std::string_view usage,
                       std::initializer_list<std::string_view> options,
                       std::initializer_list<std::string_view> flags, std::size_t minPositionals,
                       std::size_t maxPositionals);

// The remotes of the management database for these arguments. Throws Error(InvalidArg) when
// none is configured.
std::vector<std::string> managementRemotes(const MgmtArgs& args);

// A key of the [management] group of dvsd.conf (--config FILE, else /etc/dvs/dvsd.conf), or
// nullopt. A missing default file has no keys; a file given with --config must be readable.
std::optional<std::string> managementSetting(const MgmtArgs& args, const char* key);

// The client's TLS files for ssl: remotes: --private-key, --certificate and --ca-cert (-p, -c,
// -C), else, when the remotes come from dvsd.conf, private-key, certificate and ca-cert of its
// [management] group. Throws Error(InvalidArg) when only some are given, or an ssl: remote has
// none.
ovsdb::TlsOptions managementTls(const MgmtArgs& args, const std::vector<std::string>& remotes);

// A session replicating tables.
std::unique_ptr<mgmt::Session> openSession(const MgmtArgs& args,
                                           std::vector<std::string_view> tables);

// Prints rows as virsh prints lists: a header, a rule of dashes, one line per row, columns
// left-aligned and separated by three spaces, each line starting with a space.
void printTable(std::ostream& out, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);

// "2026-12-04 18:00:01" (UTC) for a timestamp in milliseconds.
std::string formatTime(std::int64_t ms);

} // namespace dvs::cli
