// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "ovsdb/transaction.h"

// A switch's history: every change keeps the generation before it (Switch_Generation rows, the
// newest keep_generations of them), so that switch-rollback can return to it.
namespace dvs::mgmt {

struct RollbackResult
{
    std::int64_t from = 0;       // the generation the switch was at
    std::int64_t to = 0;         // the generation whose definition it returns to
    std::int64_t generation = 0; // the new generation carrying it
};

// switch-rollback: the definition of an earlier generation again, as a new generation under the
// rollout policy. Without `to`, the generation before the current one; when the current one is
// itself a rollback to generation N, the one before N, so that repeated rollbacks walk back
// through the history. Throws Error(InvalidArg) when that generation is no longer kept, and the
// model's errors when it does not fit the switch's members any more.
RollbackResult rollbackSwitch(ovsdb::Transaction& txn, std::string_view name,
                              std::optional<std::int64_t> to = std::nullopt);

// Switch.keep_generations (nullopt: the default, kDefaultKeepGenerations); generations beyond
// it are pruned at once (those a rollout or a member still needs stay).
void setKeepGenerations(ovsdb::Transaction& txn, std::string_view name,
                        std::optional<std::int64_t> keep);

// Switch_Generation.change of a rollback, and the generation a change text rolled back to.
std::string describeRollback(std::int64_t to);
std::optional<std::int64_t> rolledBackTo(std::string_view change);

} // namespace dvs::mgmt
