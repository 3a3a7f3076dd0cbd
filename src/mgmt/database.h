// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mgmt/dvs_db.h"
#include "ovsdb/client.h"

// The management database: an OVSDB database named DVS (schema dvs.ovsschema, installed with the
// project), served by an unmodified ovsdb-server, standalone or as a Raft cluster.
namespace dvs::mgmt {

namespace db = dvs::ovsdb::dvsdb;

inline constexpr std::string_view kDatabase = db::kSchemaName;

// The OVSDB lock the rollout controllers compete for; its holder is the active controller.
inline constexpr std::string_view kControllerLock = "dvs_controller";

// The role hosts connect with (Connection.role, RBAC_Role.name).
inline constexpr std::string_view kHostRole = "dvs-host";

// The schema file for ovsdb-tool create: $DVS_MGMT_SCHEMA when set, else the installed one.
std::filesystem::path schemaPath();

// Splits "unix:A,tcp:B:1" (the comma-separated form dvsd.conf and ovsdb-client take) into
// remotes. Throws Error(InvalidArg) when a remote is not unix: or tcp: (or ssl: once the client
// supports it) or the list is empty.
std::vector<std::string> splitRemotes(std::string_view text);

// Client options for the DVS database replicating the given tables (every column of each).
ovsdb::ClientOptions clientOptions(std::vector<std::string> remotes,
                                   const std::vector<std::string_view>& tables);

// The current time in milliseconds since the epoch, as the timestamp columns hold it.
std::int64_t nowMs();

} // namespace dvs::mgmt
