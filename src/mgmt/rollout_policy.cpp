// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mgmt/rollout_policy.h"

#include <algorithm>
#include <charconv>

#include "mgmt/switches.h"
#include "util/error.h"

namespace dvs::mgmt {

RolloutPolicy policyOf(const db::Switch::View& sw)
{
    RolloutPolicy policy;
    policy.canary = sw.rolloutCanary();
    policy.batch = sw.rolloutBatch();
    policy.batchPercent = sw.rolloutBatchPercent();
    policy.maxFailed = sw.rolloutMaxFailed();
    policy.soak = sw.rolloutSoak();
    policy.deadline = sw.rolloutDeadline();
    return policy;
}

void setRolloutPolicy(ovsdb::Transaction& txn, std::string_view switchName,
                      const RolloutPolicy& policy)
{
    for (const auto& host : policy.canary) {
        checkHostName(host);
    }
    if (policy.batch && *policy.batch < 1) {
        raise(ErrorCode::InvalidArg, "a batch must have at least one host, not {}", *policy.batch);
    }
    if (policy.batchPercent && (*policy.batchPercent < 1 || *policy.batchPercent > 100)) {
        raise(ErrorCode::InvalidArg, "a batch percentage must be from 1 to 100, not {}",
              *policy.batchPercent);
    }
    if (policy.maxFailed && *policy.maxFailed < 0) {
        raise(ErrorCode::InvalidArg, "the maximum of failed hosts cannot be negative");
    }
    if (policy.soak && *policy.soak < 0) {
        raise(ErrorCode::InvalidArg, "the soak time cannot be negative");
    }
    if (policy.deadline && *policy.deadline < 1) {
        raise(ErrorCode::InvalidArg, "the deadline per host must be at least one second");
    }
    auto sw = requireSwitch(txn.replica(), switchName);
    txn.update(sw.uuid(), db::Switch::Values()
                              .setRolloutCanary(policy.canary)
                              .setRolloutBatch(policy.batch)
                              .setRolloutBatchPercent(policy.batchPercent)
                              .setRolloutMaxFailed(policy.maxFailed)
                              .setRolloutSoak(policy.soak)
                              .setRolloutDeadline(policy.deadline));
}

void parseBatch(std::string_view text, RolloutPolicy& policy)
{
    bool percent = !text.empty() && text.back() == '%';
    std::string_view digits = percent ? text.substr(0, text.size() - 1) : text;
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
        raise(ErrorCode::InvalidArg, "invalid batch '{}': expected a count N or a percentage N%",
              text);
    }
    if (percent) {
        policy.batchPercent = value;
        policy.batch.reset();
    } else {
        policy.batch = value;
        policy.batchPercent.reset();
    }
}

void startRollout(ovsdb::Transaction& txn, const db::Switch::View& sw, std::int64_t previous,
                  std::int64_t generation)
{
    const auto& replica = txn.replica();
    auto members = membersOf(replica, sw.uuid());
    if (policyOf(sw).empty() || members.empty()) {
        return;
    }
    for (const auto& member : members) {
        if (!member.targetGeneration()) {
            txn.update(member.uuid(), db::Member::Values().setTargetGeneration(previous));
        }
    }
    // Finished rollouts are history: the last few are kept.
    std::vector<db::Rollout::View> finished;
    for (const auto& row : db::Rollout::all(replica)) {
        if (row.switchColumn() == sw.uuid() &&
            (row.state() == "done" || row.state() == "aborted")) {
            finished.push_back(row);
        }
    }
    std::sort(finished.begin(), finished.end(),
              [](const auto& a, const auto& b) { return a.toGeneration() > b.toGeneration(); });
    for (std::size_t i = kKeptRollouts; i < finished.size(); ++i) {
        for (const auto& host : db::RolloutHost::all(replica)) {
            if (host.rollout() == finished[i].uuid()) {
                txn.remove(db::RolloutHost::kTable, host.uuid());
            }
        }
        txn.remove(db::Rollout::kTable, finished[i].uuid());
    }

    std::int64_t now = nowMs();
    txn.insert(db::Rollout::Values()
                   .setSwitch(sw.uuid())
                   .setFromGeneration(previous)
                   .setToGeneration(generation)
                   .setState("running")
                   .setStartedAt(now)
                   .setUpdatedAt(now));
}

} // namespace dvs::mgmt
