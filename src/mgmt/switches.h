// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/network_def.h"
#include "conf/network_update.h"
#include "mgmt/database.h"
#include "ovsdb/transaction.h"

// The administrator's changes to switches, as builders of OVSDB transactions: each reads the
// transaction's replica, verifies the switch generation it read (so that a concurrent change
// makes the client rebuild it on the newer state, where it applies again or is refused), and
// throws Error with the model's code and message when the change is invalid, before anything
// is written. Every change of a definition is a new generation with its Switch_Generation row.
namespace dvs::mgmt {

// Switch_Generation rows kept per switch when Switch.keep_generations is not set.
inline constexpr std::int64_t kDefaultKeepGenerations = 10;

// The tables these builders read.
std::vector<std::string_view> adminTables();

// Lookups in a replica of adminTables().
db::Switch::View requireSwitch(const ovsdb::Replica& replica, std::string_view name);
std::vector<db::Portgroup::View> portgroupsOf(const ovsdb::Replica& replica, const util::Uuid& sw);
std::vector<db::Member::View> membersOf(const ovsdb::Replica& replica, const util::Uuid& sw);
std::optional<db::Member::View> findMember(const ovsdb::Replica& replica, const util::Uuid& sw,
                                           std::string_view host);
std::optional<db::SwitchGeneration::View>
findGeneration(const ovsdb::Replica& replica, const util::Uuid& sw, std::int64_t generation);
// The switch's rollout that is running or halted, if any.
std::optional<db::Rollout::View> activeRollout(const ovsdb::Replica& replica, const util::Uuid& sw);
// The switch's whole network now: its current Switch_Generation's (portgroups in the order
// they were defined), else Switch.definition with its Portgroup rows.
conf::NetworkDef currentNetwork(const ovsdb::Replica& replica, const db::Switch::View& sw);
// The generation a member should run: its target_generation during a rollout, else the
// switch's.
std::int64_t desiredGeneration(const db::Switch::View& sw, const db::Member::View& member);

// switch-define: a new switch at generation 1. With expectGeneration, an existing switch of the
// same name (and uuid, when the definition gives one) is redefined, provided it is still at that
// generation. Returns the new generation.
std::int64_t defineSwitch(ovsdb::Transaction& txn, const conf::NetworkDef& def,
                          std::optional<std::int64_t> expectGeneration = std::nullopt);

// switch-undefine: the switch and every row that belongs to it (portgroups, generations,
// members, rollouts). Status rows stay until their hosts have torn the network down.
void undefineSwitch(ovsdb::Transaction& txn, std::string_view name);

// switch-update: virsh net-update's edit of the switch's network, as a new generation. Returns
// the new generation.
std::int64_t updateSwitch(ovsdb::Transaction& txn, std::string_view name,
                          conf::UpdateCommand command, conf::UpdateSection section,
                          std::string_view xml);

// Makes def the switch's definition as a new generation (validated against every member), with
// change describing it. Used by every change and by rollout aborts. A change under the rollout
// policy is refused while a rollout is active and starts one when the switch has a policy; a
// rollout abort is not under it (every member moves at once). Returns the generation.
// members, when given, are the switch's members after this transaction (a restore changes
// them in the same one); the definition is validated against them instead of the replica's.
using MemberUplinks = std::vector<std::pair<std::string, std::vector<std::string>>>;
std::int64_t commitGeneration(ovsdb::Transaction& txn, const db::Switch::View& sw,
                              const conf::NetworkDef& def, std::string change,
                              bool underPolicy = true, const MemberUplinks* members = nullptr);

// A new switch row for def at that generation, with its Portgroup rows and its Switch_Generation
// row (change describes it). The caller has checked that neither its name nor its uuid exists.
// values may carry more columns of the new row (a rollout policy, keep_generations).
ovsdb::Ref insertSwitch(ovsdb::Transaction& txn, const conf::NetworkDef& def,
                        std::int64_t generation, std::string change,
                        db::Switch::Values values = {});

// Removes the switch's Switch_Generation rows beyond the newest `keep` before `current`, except
// the generations a member or a rollout still needs (and `current`'s predecessor).
void pruneGenerations(ovsdb::Transaction& txn, const db::Switch::View& sw, std::int64_t current,
                      std::int64_t keep);

// host-add: the host becomes a member with its own uplink NICs (validated by composing its
// network). A host joining while a rollout runs or is halted starts on the rollout's previous
// generation.
void addHost(ovsdb::Transaction& txn, std::string_view switchName, std::string_view host,
             const std::vector<std::string>& nics);
// host-remove.
void removeHost(ovsdb::Transaction& txn, std::string_view switchName, std::string_view host);

// virsh net-update's names of commands ("add", "add-first", "add-last", "delete", "modify")
// and sections ("ip-dhcp-host", "portgroup", ...). Throw Error(InvalidArg).
conf::UpdateCommand parseUpdateCommand(std::string_view name);
conf::UpdateSection parseUpdateSection(std::string_view name);
// "switch-update add-last portgroup", as Switch_Generation.change records it.
std::string describeUpdate(conf::UpdateCommand command, conf::UpdateSection section);

// Checks a host name as members and status rows carry it. Throws Error(InvalidArg).
void checkHostName(std::string_view host);

} // namespace dvs::mgmt
