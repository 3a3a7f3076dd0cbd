// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mgmt/progress.h"

#include <algorithm>
#include <map>

#include "mgmt/status_index.h"
#include "mgmt/switches.h"
#include "util/timestamp.h"

namespace dvs::mgmt {

namespace {

MemberProgress progressOf(const StatusIndex& index, const db::Switch::View& sw,
                          const db::Member::View& member, std::optional<std::int64_t> generation,
                          std::int64_t now);

} // namespace

std::optional<std::int64_t> unreachableSince(const std::optional<db::HostStatus::View>& host,
                                             std::int64_t now)
{
    if (!host) {
        return std::nullopt;
    }
    if (auto since = host->disconnectedSince()) {
        return since;
    }
    if (host->heartbeatInterval() > 0 &&
        now - host->lastSeen() > kMissedHeartbeats * host->heartbeatInterval()) {
        return host->lastSeen();
    }
    return std::nullopt;
}

std::vector<std::string_view> progressTables()
{
    auto tables = adminTables();
    tables.push_back(db::MemberStatus::kTable);
    tables.push_back(db::HostStatus::kTable);
    return tables;
}

MemberProgress memberProgress(const ovsdb::Replica& replica, const db::Switch::View& sw,
                              const db::Member::View& member,
                              std::optional<std::int64_t> generation, std::int64_t now)
{
    return progressOf(StatusIndex(replica, sw.name()), sw, member, generation, now);
}

namespace {

MemberProgress progressOf(const StatusIndex& index, const db::Switch::View& sw,
                          const db::Member::View& member, std::optional<std::int64_t> generation,
                          std::int64_t now)
{
    MemberProgress p;
    p.host = member.host();
    p.desired = generation.value_or(desiredGeneration(sw, member));
    auto status = index.member(p.host);
    auto host = index.host(p.host);
    if (host) {
        p.lastSeen = host->lastSeen();
    }
    if (status) {
        p.applied = status->generation();
        p.since = status->updatedAt();
    }
    // A host that stopped answering is unreachable whatever it last reported: its last status
    // may no longer hold (it may have lost its network since), so it is never "in sync".
    if (auto since = unreachableSince(host, now)) {
        p.phase = MemberPhase::Unreachable;
        p.since = since;
        return p;
    }
    if (status && status->generation() == p.desired && status->state() == "in-sync") {
        p.phase = MemberPhase::InSync;
        return p;
    }
    if (!status) {
        p.phase = host ? MemberPhase::Pending : MemberPhase::Unknown;
        return p;
    }
    const std::string state = status->state();
    if (state == "failed" && status->applyingGeneration() == p.desired) {
        p.phase = MemberPhase::Failed;
        p.reason = !status->reason().empty() ? status->reason() : status->lastError();
    } else if (state == "reverted" && status->revertedGeneration() == p.desired) {
        p.phase = MemberPhase::Reverted;
        p.reason = status->reason();
    } else if (state == "applying" && status->applyingGeneration() == p.desired) {
        p.phase = MemberPhase::Applying;
    } else {
        p.phase = MemberPhase::Pending;
    }
    return p;
}

} // namespace

std::vector<MemberProgress> switchProgress(const ovsdb::Replica& replica,
                                           const db::Switch::View& sw,
                                           std::optional<std::int64_t> generation, std::int64_t now)
{
    std::vector<MemberProgress> out;
    const StatusIndex index(replica, sw.name());
    for (const auto& member : membersOf(replica, sw.uuid())) {
        out.push_back(progressOf(index, sw, member, generation, now));
    }
    return out;
}

std::string describe(const MemberProgress& p)
{
    switch (p.phase) {
    case MemberPhase::InSync:
        return "in sync";
    case MemberPhase::Pending:
        return "pending";
    case MemberPhase::Applying:
        return "applying";
    case MemberPhase::Failed:
        return "failed: " + (p.reason.empty() ? std::string("no reason given") : p.reason);
    case MemberPhase::Reverted:
        return "reverted: " + (p.reason.empty() ? std::string("no reason given") : p.reason);
    case MemberPhase::Unreachable:
        return "unreachable since " +
               (p.since ? util::formatUtc(*p.since) + " UTC" : std::string("?"));
    case MemberPhase::Unknown:
    case MemberPhase::Last:
        break;
    }
    return "unknown: the host has never reported";
}

} // namespace dvs::mgmt
