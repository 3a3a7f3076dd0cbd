// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mgmt/database.h"
#include "mgmt/snapshot.h"
#include "ovsdb/transaction.h"

// Between the management database and a switch snapshot (snapshot.h): what snapshot-create
// records of a switch, and snapshot-restore as a transaction builder. A restore is a change like
// any other: verified against the switch's generation, validated by the model before anything is
// written, and a new generation under the switch's rollout policy.
namespace dvs::mgmt {

// The switch's whole configuration now: its definition with its portgroups, its members and
// their uplinks, its rollout policy and keep_generations, at its current generation.
Snapshot snapshotOfSwitch(const ovsdb::Replica& replica, const db::Switch::View& sw,
                          std::string name, std::string description = {});

struct RestoreOptions
{
    enum class Target
    {
        Same, // the switch the snapshot records (created again when it does not exist)
        New,  // a new switch: `name`, a new uuid, no members
        Onto, // the existing switch `name`, which keeps its identity and its members
    };
    Target target = Target::Same;
    std::string name;
    // Target::New: the new switch's bridge, when the snapshot's is another switch's.
    std::optional<std::string> bridge;
    // Switch_Generation.change, e.g. "snapshot-restore before-upgrade".
    std::string change = "snapshot-restore";
};

struct RestoreResult
{
    std::string switchName;
    std::int64_t generation = 0;
    bool created = false; // a new switch row
};

// Applies the snapshot:
// - Same: an existing switch of the snapshot's name and uuid gets the snapshot's definition as
//   a new generation, its members (added, removed, uplinks changed) and its rollout policy and
//   keep_generations. Without such a switch (e.g. in a freshly created database) the switch is
//   created with the snapshot's identity and members, at the generation after the snapshot's, so
//   that the hosts that ran it see a newer one.
// - New: a new switch named options.name with a new uuid at generation 1, the snapshot's
//   definition (options.bridge as its bridge when given), portgroups, policy, keep_generations,
//   and no member (add hosts with host-add: their uplink NICs are in use by the original).
// - Onto: the existing switch options.name gets the snapshot's definition, portgroups, policy and
//   keep_generations as a new generation, keeping its name, uuid, bridge and members.
// Throws Error (the model's code and message) when the result would be invalid, the target
// switch does not exist (NoNetwork) or the identity clashes with another switch
// (OperationInvalid), before anything is written.
RestoreResult restoreSnapshot(ovsdb::Transaction& txn, const Snapshot& snap,
                              const RestoreOptions& options);

} // namespace dvs::mgmt
