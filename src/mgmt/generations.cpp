// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mgmt/generations.h"

#include <charconv>

#include <fmt/format.h>

#include "mgmt/switches.h"
#include "util/error.h"

namespace dvs::mgmt {

namespace {

constexpr std::string_view kRollbackPrefix = "switch-rollback to generation ";

} // namespace

std::string describeRollback(std::int64_t to)
{
    return fmt::format("{}{}", kRollbackPrefix, to);
}

std::optional<std::int64_t> rolledBackTo(std::string_view change)
{
    if (!change.starts_with(kRollbackPrefix)) {
        return std::nullopt;
    }
    auto digits = change.substr(kRollbackPrefix.size());
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
        return std::nullopt;
    }
    return value;
}

RollbackResult rollbackSwitch(ovsdb::Transaction& txn, std::string_view name,
                              std::optional<std::int64_t> to)
{
    const auto& replica = txn.replica();
    auto sw = requireSwitch(replica, name);
    RollbackResult result;
    result.from = sw.generation();
    if (to) {
        result.to = *to;
    } else {
        std::int64_t base = sw.generation();
        if (auto current = findGeneration(replica, sw.uuid(), sw.generation())) {
            base = rolledBackTo(current->change()).value_or(base);
        }
        result.to = base - 1;
    }
    if (result.to < 1 || result.to >= sw.generation()) {
        if (!to) {
            raise(ErrorCode::OperationInvalid,
                  "switch '{}' has no generation before {} to return to", name, result.to + 1);
        }
        raise(ErrorCode::InvalidArg,
              "switch '{}' cannot roll back to generation {}: it is at generation {}", name,
              result.to, sw.generation());
    }
    auto row = findGeneration(replica, sw.uuid(), result.to);
    if (!row) {
        raise(ErrorCode::InvalidArg,
              "switch '{}' keeps no generation {} any more (it keeps the last {}: 'dvsctl "
              "switch-keep-generations {} N' keeps more); restore a snapshot instead",
              name, result.to, sw.keepGenerations().value_or(kDefaultKeepGenerations), name);
    }
    conf::NetworkDef def = conf::NetworkDef::parseString(row->definition());
    def.uuidSpecified = true;
    def.connections = 0;
    result.generation = commitGeneration(txn, sw, def, describeRollback(result.to));
    return result;
}

void setKeepGenerations(ovsdb::Transaction& txn, std::string_view name,
                        std::optional<std::int64_t> keep)
{
    if (keep && *keep < 1) {
        raise(ErrorCode::InvalidArg, "a switch keeps at least one generation, not {}", *keep);
    }
    const auto& replica = txn.replica();
    auto sw = requireSwitch(replica, name);
    txn.verify(db::Switch::kTable, sw.uuid(), {db::Switch::Col::kGeneration});
    txn.update(sw.uuid(), db::Switch::Values().setKeepGenerations(keep));
    pruneGenerations(txn, sw, sw.generation(), keep.value_or(kDefaultKeepGenerations));
}

} // namespace dvs::mgmt
