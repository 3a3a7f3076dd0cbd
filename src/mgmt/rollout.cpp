// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mgmt/rollout.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "conf/network_def.h"
#include "mgmt/rollout_policy.h"
#include "mgmt/status_index.h"
#include "mgmt/switches.h"
#include "util/error.h"

namespace dvs::mgmt {

namespace {

// Seconds a host may take to apply a generation when the policy sets no deadline.
constexpr std::int64_t kDefaultDeadline = 600;

// Why the host's status says it cannot run generation, or nullopt.
std::optional<std::string> failureOf(const std::optional<db::MemberStatus::View>& status,
                                     std::int64_t generation)
{
    if (!status) {
        return std::nullopt;
    }
    if (status->state() == "failed" && status->applyingGeneration() == generation) {
        std::string why = !status->reason().empty() ? status->reason() : status->lastError();
        return why.empty() ? std::string("apply failed") : why;
    }
    if (status->state() == "reverted" && status->revertedGeneration() == generation) {
        return "reverted" + (status->reason().empty() ? "" : ": " + status->reason());
    }
    return std::nullopt;
}

bool appliedOk(const std::optional<db::MemberStatus::View>& status, std::int64_t generation)
{
    return status && status->generation() == generation && status->state() == "in-sync";
}

void plan(ovsdb::Transaction& txn, const db::Rollout::View& rollout, const db::Switch::View& sw,
          std::int64_t now, const std::string& controller, std::vector<std::string>& notices)
{
    const auto& replica = txn.replica();
    RolloutPolicy policy = policyOf(sw);
    auto members = membersOf(replica, sw.uuid());
    std::set<std::string> names;
    for (const auto& m : members) {
        names.insert(m.host());
    }
    std::vector<std::vector<std::string>> batches;
    std::vector<std::string> canary;
    for (const auto& host : policy.canary) {
        if (names.erase(host) > 0) {
            canary.push_back(host);
        }
    }
    if (!canary.empty()) {
        batches.push_back(canary);
    }
    std::vector<std::string> rest(names.begin(), names.end());
    std::size_t size = rest.size();
    if (policy.batch) {
        size = static_cast<std::size_t>(*policy.batch);
    } else if (policy.batchPercent) {
        size = (rest.size() * static_cast<std::size_t>(*policy.batchPercent) + 99) / 100;
    }
    size = std::max<std::size_t>(size, 1);
    for (std::size_t i = 0; i < rest.size(); i += size) {
        batches.emplace_back(rest.begin() + static_cast<std::ptrdiff_t>(i),
                             rest.begin() +
                                 static_cast<std::ptrdiff_t>(std::min(rest.size(), i + size)));
    }
    for (std::size_t b = 0; b < batches.size(); ++b) {
        for (const auto& host : batches[b]) {
            txn.insert(db::RolloutHost::Values()
                           .setRollout(rollout.uuid())
                           .setHost(host)
                           .setBatch(static_cast<std::int64_t>(b))
                           .setState("pending"));
        }
    }
    txn.update(rollout.uuid(), db::Rollout::Values()
                                   .setBatch(0)
                                   .setBatches(static_cast<std::int64_t>(batches.size()))
                                   .setController(controller)
                                   .setUpdatedAt(now));
    notices.push_back(
        fmt::format("switch {}: rollout of generation {} to {} over {} hosts in {} batches{}",
                    sw.name(), rollout.fromGeneration(), rollout.toGeneration(), members.size(),
                    batches.size(), canary.empty() ? "" : " (canaries first)"));
}

void finish(ovsdb::Transaction& txn, const db::Rollout::View& rollout, const db::Switch::View& sw,
            std::int64_t now, const std::string& controller, std::vector<std::string>& notices)
{
    for (const auto& member : membersOf(txn.replica(), sw.uuid())) {
        if (member.targetGeneration()) {
            txn.update(member.uuid(), db::Member::Values().setTargetGeneration(std::nullopt));
        }
    }
    txn.update(rollout.uuid(), db::Rollout::Values()
                                   .setState("done")
                                   .setSoakUntil(std::nullopt)
                                   .setController(controller)
                                   .setUpdatedAt(now));
    notices.push_back(
        fmt::format("switch {}: rollout of generation {} done", sw.name(), rollout.toGeneration()));
}

void halt(ovsdb::Transaction& txn, const db::Rollout::View& rollout, const db::Switch::View& sw,
          const std::vector<db::RolloutHost::View>& hosts,
          const std::map<std::string, std::string>& newlyFailed, std::int64_t now,
          const std::string& controller, std::vector<std::string>& notices)
{
    const auto& replica = txn.replica();
    std::string reason;
    for (const auto& host : hosts) {
        auto failed = newlyFailed.find(host.host());
        std::string why = failed != newlyFailed.end() ? failed->second
                          : host.state() == "failed"  ? host.reason()
                                                      : std::string();
        if (failed != newlyFailed.end() || host.state() == "failed") {
            reason +=
                fmt::format("{}host {} failed: {}", reason.empty() ? "" : "; ", host.host(), why);
        }
        bool moved = host.state() == "applying" || host.state() == "applied";
        if (moved || failed != newlyFailed.end() || host.state() == "failed") {
            if (auto member = findMember(replica, sw.uuid(), host.host())) {
                txn.update(member->uuid(),
                           db::Member::Values().setTargetGeneration(rollout.fromGeneration()));
            }
        }
        if (moved && failed == newlyFailed.end()) {
            txn.update(host.uuid(), db::RolloutHost::Values()
                                        .setState("reverted")
                                        .setReason(fmt::format("returned to generation {}",
                                                               rollout.fromGeneration())));
        }
    }
    txn.update(rollout.uuid(), db::Rollout::Values()
                                   .setState("halted")
                                   .setReason(reason)
                                   .setSoakUntil(std::nullopt)
                                   .setController(controller)
                                   .setUpdatedAt(now));
    notices.push_back(fmt::format("switch {}: rollout of generation {} halted: {}", sw.name(),
                                  rollout.toGeneration(), reason));
}

} // namespace

std::vector<std::string_view> controllerTables()
{
    return {db::Switch::kTable,   db::Member::kTable,      db::MemberStatus::kTable,
            db::Rollout::kTable,  db::RolloutHost::kTable, db::SwitchGeneration::kTable,
            db::Portgroup::kTable};
}

std::optional<db::Rollout::View> latestRollout(const ovsdb::Replica& replica, const util::Uuid& sw)
{
    std::optional<db::Rollout::View> latest;
    for (const auto& row : db::Rollout::all(replica)) {
        if (row.switchColumn() == sw && (!latest || row.toGeneration() > latest->toGeneration() ||
                                         (row.toGeneration() == latest->toGeneration() &&
                                          row.startedAt() > latest->startedAt()))) {
            latest = row;
        }
    }
    return latest;
}

std::vector<db::RolloutHost::View> rolloutHosts(const ovsdb::Replica& replica,
                                                const util::Uuid& rollout)
{
    std::vector<db::RolloutHost::View> out;
    for (const auto& row : db::RolloutHost::all(replica)) {
        if (row.rollout() == rollout) {
            out.push_back(row);
        }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return std::make_pair(a.batch(), a.host()) < std::make_pair(b.batch(), b.host());
    });
    return out;
}

void stepRollout(ovsdb::Transaction& txn, const util::Uuid& uuid, std::int64_t now,
                 const std::string& controller, std::vector<std::string>& notices)
{
    const auto& replica = txn.replica();
    auto rollout = db::Rollout::get(replica, uuid);
    if (!rollout || rollout->state() != "running") {
        return;
    }
    auto sw = db::Switch::get(replica, rollout->switchColumn());
    if (!sw) {
        return;
    }
    txn.verify(db::Rollout::kTable, uuid,
               {db::Rollout::Col::kState, db::Rollout::Col::kBatch, db::Rollout::Col::kSoakUntil});
    auto hosts = rolloutHosts(replica, uuid);
    if (hosts.empty()) {
        if (membersOf(replica, sw->uuid()).empty()) {
            finish(txn, *rollout, *sw, now, controller, notices);
        } else {
            plan(txn, *rollout, *sw, now, controller, notices);
        }
        return;
    }

    RolloutPolicy policy = policyOf(*sw);
    const std::int64_t to = rollout->toGeneration();
    const std::int64_t current = rollout->batch();
    const std::int64_t deadline = policy.deadline.value_or(kDefaultDeadline);
    std::map<std::string, std::string> newlyFailed;
    std::vector<db::RolloutHost::View> toStart;
    std::size_t failed = 0;
    bool batchComplete = true;
    bool wrote = false;

    // First what the hosts report; nothing moves on when it halts the rollout.
    const StatusIndex statuses(replica, sw->name());
    for (const auto& host : hosts) {
        auto member = findMember(replica, sw->uuid(), host.host());
        auto status = statuses.member(host.host());
        const std::string state = host.state();
        if (state == "failed") {
            ++failed;
            continue;
        }
        if (!member) {
            if (state != "applied") {
                txn.update(host.uuid(), db::RolloutHost::Values().setState("applied").setReason(
                                            "no longer a member"));
                wrote = true;
            }
            continue;
        }
        if (state == "applied") {
            // Soaking: a host that applied must stay healthy.
            if (auto why = failureOf(status, to)) {
                newlyFailed.emplace(host.host(), "after applying: " + *why);
            }
            continue;
        }
        // Earlier batches have hosts to move too after a resume (rollout-resume).
        if (host.batch() > current) {
            continue;
        }
        if (state == "pending") {
            toStart.push_back(host);
            batchComplete = false;
        } else if (state == "applying") {
            if (appliedOk(status, to)) {
                txn.update(host.uuid(),
                           db::RolloutHost::Values().setState("applied").setAppliedAt(now));
                notices.push_back(fmt::format("switch {}: host {} applied generation {}",
                                              sw->name(), host.host(), to));
                wrote = true;
            } else if (auto why = failureOf(status, to)) {
                newlyFailed.emplace(host.host(), *why);
            } else if (host.deadline() && now >= *host.deadline()) {
                newlyFailed.emplace(host.host(), fmt::format("no answer within {} s", deadline));
            } else {
                batchComplete = false;
            }
        }
    }

    for (const auto& [host, why] : newlyFailed) {
        for (const auto& row : hosts) {
            if (row.host() == host) {
                txn.update(row.uuid(), db::RolloutHost::Values().setState("failed").setReason(why));
            }
        }
        notices.push_back(
            fmt::format("switch {}: host {} failed generation {}: {}", sw->name(), host, to, why));
    }
    failed += newlyFailed.size();
    if (failed > static_cast<std::size_t>(policy.maxFailed.value_or(0))) {
        halt(txn, *rollout, *sw, hosts, newlyFailed, now, controller, notices);
        return;
    }
    for (const auto& host : toStart) {
        auto member = findMember(replica, sw->uuid(), host.host());
        txn.update(member->uuid(), db::Member::Values().setTargetGeneration(to));
        txn.update(host.uuid(), db::RolloutHost::Values()
                                    .setState("applying")
                                    .setStartedAt(now)
                                    .setDeadline(now + deadline * 1000));
        notices.push_back(
            fmt::format("switch {}: host {} moves to generation {}", sw->name(), host.host(), to));
        wrote = true;
    }
    if (!batchComplete) {
        if (wrote || !newlyFailed.empty()) {
            txn.update(uuid, db::Rollout::Values().setController(controller).setUpdatedAt(now));
        }
        return;
    }
    // The batch is complete: soak, then the next batch.
    std::int64_t soak = policy.soak.value_or(0);
    if (soak > 0 && !rollout->soakUntil()) {
        txn.update(uuid, db::Rollout::Values()
                             .setSoakUntil(now + soak * 1000)
                             .setController(controller)
                             .setUpdatedAt(now));
        return;
    }
    if (rollout->soakUntil() && now < *rollout->soakUntil()) {
        if (wrote || !newlyFailed.empty()) {
            txn.update(uuid, db::Rollout::Values().setController(controller).setUpdatedAt(now));
        }
        return;
    }
    if (current + 1 >= rollout->batches()) {
        finish(txn, *rollout, *sw, now, controller, notices);
        return;
    }
    txn.update(uuid, db::Rollout::Values()
                         .setBatch(current + 1)
                         .setSoakUntil(std::nullopt)
                         .setController(controller)
                         .setUpdatedAt(now));
    notices.push_back(fmt::format("switch {}: batch {} of {} of generation {}", sw->name(),
                                  current + 2, rollout->batches(), to));
}

void resumeRollout(ovsdb::Transaction& txn, std::string_view switchName)
{
    const auto& replica = txn.replica();
    auto sw = requireSwitch(replica, switchName);
    auto rollout = activeRollout(replica, sw.uuid());
    if (!rollout || rollout->state() != "halted") {
        raise(ErrorCode::OperationInvalid, "switch '{}' has no halted rollout{}", switchName,
              rollout ? fmt::format(" (its rollout is {})", rollout->state()) : "");
    }
    txn.verify(db::Rollout::kTable, rollout->uuid(),
               {db::Rollout::Col::kState, db::Rollout::Col::kBatch});
    const std::int64_t now = nowMs();
    const std::int64_t deadline = policyOf(sw).deadline.value_or(kDefaultDeadline);
    for (const auto& host : rolloutHosts(replica, rollout->uuid())) {
        txn.verify(db::RolloutHost::kTable, host.uuid(), {db::RolloutHost::Col::kState});
        auto member = findMember(replica, sw.uuid(), host.host());
        // A host that had applied the generation (the halt returned it) goes back to it at
        // once; the batch that halted and the later ones run again in order, from the batch
        // where the rollout halted.
        bool hadApplied = host.state() == "reverted" && host.appliedAt().has_value();
        if (hadApplied && member && host.batch() <= rollout->batch()) {
            txn.update(member->uuid(),
                       db::Member::Values().setTargetGeneration(rollout->toGeneration()));
            txn.update(host.uuid(), db::RolloutHost::Values()
                                        .setState("applying")
                                        .setReason("")
                                        .setStartedAt(now)
                                        .setDeadline(now + deadline * 1000)
                                        .setAppliedAt(std::nullopt));
            continue;
        }
        if (host.state() == "applied" || host.state() == "pending") {
            continue;
        }
        txn.update(host.uuid(), db::RolloutHost::Values()
                                    .setState("pending")
                                    .setReason("")
                                    .setStartedAt(std::nullopt)
                                    .setDeadline(std::nullopt)
                                    .setAppliedAt(std::nullopt));
    }
    txn.update(rollout->uuid(), db::Rollout::Values()
                                    .setState("running")
                                    .setReason("")
                                    .setSoakUntil(std::nullopt)
                                    .setUpdatedAt(now));
}

std::int64_t abortRollout(ovsdb::Transaction& txn, std::string_view switchName)
{
    const auto& replica = txn.replica();
    auto sw = requireSwitch(replica, switchName);
    auto rollout = activeRollout(replica, sw.uuid());
    if (!rollout) {
        raise(ErrorCode::OperationInvalid, "switch '{}' has no running or halted rollout",
              switchName);
    }
    txn.verify(db::Rollout::kTable, rollout->uuid(), {db::Rollout::Col::kState});
    auto previous = findGeneration(replica, sw.uuid(), rollout->fromGeneration());
    if (!previous) {
        raise(ErrorCode::InternalError, "switch '{}' no longer keeps generation {}", switchName,
              rollout->fromGeneration());
    }
    conf::NetworkDef def = conf::NetworkDef::parseString(previous->definition());
    def.uuidSpecified = true;
    for (const auto& member : membersOf(replica, sw.uuid())) {
        if (member.targetGeneration()) {
            txn.update(member.uuid(), db::Member::Values().setTargetGeneration(std::nullopt));
        }
    }
    std::int64_t generation = commitGeneration(
        txn, sw, def,
        fmt::format("rollout-abort: back to generation {}", rollout->fromGeneration()), false);
    txn.update(rollout->uuid(),
               db::Rollout::Values()
                   .setState("aborted")
                   .setReason(fmt::format("aborted: generation {} restores generation {}",
                                          generation, rollout->fromGeneration()))
                   .setSoakUntil(std::nullopt)
                   .setUpdatedAt(nowMs()));
    return generation;
}

} // namespace dvs::mgmt
