// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mgmt/database.h"
#include "util/enum_table.h"

// Where each member host of a switch stands, from its Member row and the status rows its host
// writes (Member_Status, Host_Status). Completion is per host and per generation: a host counts
// as done for generation N only when its own status says it applied N.
namespace dvs::mgmt {

enum class MemberPhase
{
    InSync,      // alive, and applied the generation it should run
    Pending,     // has not started on it yet
    Applying,    // working on it
    Failed,      // could not apply it (reason)
    Reverted,    // applied it and went back (reason)
    Unreachable, // its heartbeat stopped (since)
    Unknown,     // never reported
    Last
};

} // namespace dvs::mgmt

template <>
struct dvs::util::EnumNames<dvs::mgmt::MemberPhase>
{
    static constexpr std::array<std::string_view, 7> kNames{
        "in-sync", "pending", "applying", "failed", "reverted", "unreachable", "unknown"};
};

namespace dvs::mgmt {

struct MemberProgress
{
    std::string host;
    std::int64_t desired = 0;
    std::optional<std::int64_t> applied;
    MemberPhase phase = MemberPhase::Unknown;
    std::string reason;
    std::optional<std::int64_t> since;    // ms: unreachable since, or the status's time
    std::optional<std::int64_t> lastSeen; // ms: the host's last heartbeat (Host_Status)
};

// A host whose heartbeat is older than this many intervals is unreachable.
inline constexpr std::int64_t kMissedHeartbeats = 3;

// Since when (ms) a host is unreachable: the time its Host_Status says it disconnected, or its
// last heartbeat once kMissedHeartbeats intervals passed without one; nullopt while it answers,
// and for a host that sends no heartbeats (interval 0) or has no Host_Status row.
std::optional<std::int64_t> unreachableSince(const std::optional<db::HostStatus::View>& host,
                                             std::int64_t now);

// The tables progress reads.
std::vector<std::string_view> progressTables();

// One member's progress towards generation (its desired one when nullopt). now in ms.
MemberProgress memberProgress(const ovsdb::Replica& replica, const db::Switch::View& sw,
                              const db::Member::View& member,
                              std::optional<std::int64_t> generation, std::int64_t now);

// Every member's progress, sorted by host.
std::vector<MemberProgress> switchProgress(const ovsdb::Replica& replica,
                                           const db::Switch::View& sw,
                                           std::optional<std::int64_t> generation,
                                           std::int64_t now);

// "in sync", "applying", "failed: REASON", "unreachable since 2026-...".
std::string describe(const MemberProgress& progress);

} // namespace dvs::mgmt
