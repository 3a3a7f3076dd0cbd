// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mgmt/database.h"
#include "ovsdb/transaction.h"

// A switch's rollout policy (the Switch.rollout_* columns) and the start of a rollout: a change
// to a switch with a policy pins every member to the generation it runs (Member.
// target_generation) and adds a Rollout row in state "running"; the controller then moves the
// members on, canaries first, batch by batch.
namespace dvs::mgmt {

// Finished rollouts kept per switch (with their host rows) for rollout-status.
inline constexpr std::size_t kKeptRollouts = 4;

struct RolloutPolicy
{
    std::vector<std::string> canary;
    std::optional<std::int64_t> batch;        // hosts per batch
    std::optional<std::int64_t> batchPercent; // or a percentage of the members
    std::optional<std::int64_t> maxFailed;    // failures tolerated before the rollout halts
    std::optional<std::int64_t> soak;         // seconds the applied hosts must stay healthy
    std::optional<std::int64_t> deadline;     // seconds a host may take to apply

    bool empty() const
    {
        return canary.empty() && !batch && !batchPercent && !maxFailed && !soak && !deadline;
    }
};

RolloutPolicy policyOf(const db::Switch::View& sw);

// switch-rollout-policy: replaces the switch's policy (an empty one removes it: every change
// then reaches all hosts at once). Throws Error(InvalidArg) for values out of range.
void setRolloutPolicy(ovsdb::Transaction& txn, std::string_view switchName,
                      const RolloutPolicy& policy);

// Parses --batch's "N" or "N%". Throws Error(InvalidArg).
void parseBatch(std::string_view text, RolloutPolicy& policy);

// Called by every new generation of a switch: with a policy and members, pins the members to
// previous and adds the running Rollout from previous to generation.
void startRollout(ovsdb::Transaction& txn, const db::Switch::View& sw, std::int64_t previous,
                  std::int64_t generation);

} // namespace dvs::mgmt
