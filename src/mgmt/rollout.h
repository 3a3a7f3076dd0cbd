// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mgmt/database.h"
#include "ovsdb/transaction.h"

// Driving a rollout, one step at a time, from its state in the database alone (Rollout,
// Rollout_Host, Member.target_generation, the hosts' Member_Status), so that any controller can
// take over from another at any point.
//
// A change to a switch with a rollout policy pins every member to the previous generation and
// adds a running Rollout (rollout_policy.h). The first step plans it: one Rollout_Host row per
// member, the canary hosts in batch 0, the others in batches of the policy's size. Each step
// then moves the current batch's pending hosts to the new generation (their deadline starts),
// marks a host applied when its status reports the generation in sync, failed when it reports
// a failure or a revert of that generation or misses its deadline, and once the batch is
// complete waits out the soak time (the applied hosts must stay healthy) before the next batch.
// More failed hosts than the policy's maximum halt the rollout: every host that applied the
// generation, or was applying it, returns to the previous one, and the others never leave it.
// After the last batch the members are unpinned: they follow the switch's generation again.
namespace dvs::mgmt {

// The tables a controller replicates.
std::vector<std::string_view> controllerTables();

// The switch's latest rollout (active or finished), if any.
std::optional<db::Rollout::View> latestRollout(const ovsdb::Replica& replica, const util::Uuid& sw);
// A rollout's host rows, by batch then host.
std::vector<db::RolloutHost::View> rolloutHosts(const ovsdb::Replica& replica,
                                                const util::Uuid& rollout);

// One step of the running rollout at time now (ms since the epoch). Adds nothing when there is
// nothing to do. notices gets one line per decision, for the controller's log.
void stepRollout(ovsdb::Transaction& txn, const util::Uuid& rollout, std::int64_t now,
                 const std::string& controller, std::vector<std::string>& notices);

// rollout-resume: a halted rollout goes on from the batch where it halted. The hosts that had
// applied the new generation before the halt returned them move back to it at once (they are
// not rolled out again batch by batch); the failed hosts and those never started are pending
// again, and the halted batch and the later ones run in order. Throws Error(OperationInvalid)
// when the switch has no halted rollout.
void resumeRollout(ovsdb::Transaction& txn, std::string_view switchName);

// rollout-abort: the running or halted rollout stops and every member returns to the previous
// generation at once: a new generation with the previous one's definition. Returns it.
std::int64_t abortRollout(ovsdb::Transaction& txn, std::string_view switchName);

} // namespace dvs::mgmt
