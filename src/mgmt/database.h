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
//
// What a host reads and writes (the administrators' tools rely on it):
// - Its Member rows (Member.host == its name); per switch, the generation it should run is
//   Member.target_generation when set (a rollout moves it), else Switch.generation. Its network
//   is Switch_Generation(switch, that generation).definition with the member's uplink NICs
//   filled in: mgmt::memberNetwork() in compose.h.
// - Its one Host_Status row (name): last_seen (ms since the epoch) refreshed at least every
//   heartbeat_interval ms; a host silent for kMissedHeartbeats (progress.h) intervals shows as
//   unreachable.
// - One Member_Status row per switch it carries (host, switch): generation = the generation
//   applied; state "applying" with applying_generation = the one being applied, "in-sync" once
//   generation is the desired one, "failed" with applying_generation and reason, "reverted" with
//   reverted_generation and reason, "removing" (a removed member whose network ports still hold,
//   listed in ports_holding; the row goes once the network is torn down).
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
