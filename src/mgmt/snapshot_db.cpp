// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mgmt/snapshot_db.h"

#include <algorithm>
#include <map>
#include <set>

#include "mgmt/compose.h"
#include "mgmt/revert_admin.h"
#include "mgmt/rollout_policy.h"
#include "mgmt/switches.h"
#include "util/error.h"
#include "util/file.h"

namespace dvs::mgmt {

namespace {

std::vector<std::string> sorted(std::vector<std::string> items)
{
    std::sort(items.begin(), items.end());
    return items;
}

MemberUplinks uplinksOf(const Snapshot& snap)
{
    MemberUplinks out;
    for (const auto& member : snap.members) {
        out.emplace_back(member.host, member.uplink);
    }
    return out;
}

// The Switch columns a snapshot carries besides the definition.
db::Switch::Values policyValues(const Snapshot& snap)
{
    for (const auto& host : snap.policy.canary) {
        checkHostName(host);
    }
    return db::Switch::Values()
        .setRolloutCanary(snap.policy.canary)
        .setRolloutBatch(snap.policy.batch)
        .setRolloutBatchPercent(snap.policy.batchPercent)
        .setRolloutMaxFailed(snap.policy.maxFailed)
        .setRolloutSoak(snap.policy.soak)
        .setRolloutDeadline(snap.policy.deadline)
        .setKeepGenerations(snap.keepGenerations)
        .setRevertTimeout(snap.revertTimeout);
}

// Makes the switch's probes those of the snapshot (sw: an existing switch's uuid, or the
// named insert of a new one; existing: whether it may have probes).
void syncProbes(ovsdb::Transaction& txn, const ovsdb::Ref& sw, const Snapshot& snap,
                const std::optional<util::Uuid>& existing)
{
    if (existing) {
        for (const auto& row : db::SwitchProbe::all(txn.replica())) {
            if (row.switchColumn() == *existing) {
                txn.remove(db::SwitchProbe::kTable, row.uuid());
            }
        }
    }
    for (const auto& probe : snap.probes) {
        validateProbe(probe);
        txn.insert(probeValues(sw, probe));
    }
}

void insertMember(ovsdb::Transaction& txn, const ovsdb::Ref& sw, const SnapshotMember& member,
                  std::set<std::string>& hostsAdded)
{
    const auto& replica = txn.replica();
    txn.insert(db::Member::Values().setSwitch(sw).setHost(member.host).setUplink(member.uplink));
    if (!db::Host::findByName(replica, member.host) && hostsAdded.insert(member.host).second) {
        txn.verifyAbsent(db::Host::kTable, db::Host::Col::kName, member.host);
        txn.insert(db::Host::Values().setName(member.host));
    }
}

// Makes the switch's Member rows those of the snapshot.
void syncMembers(ovsdb::Transaction& txn, const util::Uuid& sw, const Snapshot& snap)
{
    const auto& replica = txn.replica();
    std::map<std::string, db::Member::View> existing;
    for (const auto& member : membersOf(replica, sw)) {
        existing.emplace(member.host(), member);
    }
    std::set<std::string> wanted, hostsAdded;
    for (const auto& member : snap.members) {
        checkHostName(member.host);
        wanted.insert(member.host);
        auto it = existing.find(member.host);
        if (it == existing.end()) {
            insertMember(txn, sw, member, hostsAdded);
        } else if (sorted(it->second.uplink()) != sorted(member.uplink)) {
            txn.update(it->second.uuid(), db::Member::Values().setUplink(member.uplink));
        }
    }
    for (const auto& [host, member] : existing) {
        if (wanted.contains(host)) {
            continue;
        }
        txn.remove(db::Member::kTable, member.uuid());
        bool elsewhere = false;
        for (const auto& other : db::Member::all(replica)) {
            elsewhere = elsewhere || (other.host() == host && other.switchColumn() != sw);
        }
        if (!elsewhere) {
            if (auto row = db::Host::findByName(replica, host)) {
                txn.remove(db::Host::kTable, row->uuid());
            }
        }
    }
}

void refuseUuidOfAnother(const ovsdb::Replica& replica, const conf::NetworkDef& def)
{
    for (const auto& other : db::Switch::all(replica)) {
        if (other.name() != def.name && other.networkUuid() == def.uuid.toString()) {
            raise(ErrorCode::OperationInvalid,
                  "the snapshot's uuid {} is switch '{}''s: restore onto it with --onto {}, or "
                  "as a new switch with --as NAME",
                  def.uuid.toString(), other.name(), other.name());
        }
    }
}

RestoreResult restoreSame(ovsdb::Transaction& txn, const Snapshot& snap, conf::NetworkDef def,
                          const RestoreOptions& options)
{
    const auto& replica = txn.replica();
    refuseUuidOfAnother(replica, def);
    auto members = uplinksOf(snap);
    auto existing = db::Switch::findByName(replica, def.name);
    if (!existing) {
        validateSwitch(def, members);
        std::set<std::string> hostsAdded;
        auto values = policyValues(snap);
        for (const auto& member : snap.members) {
            checkHostName(member.host);
        }
        std::int64_t generation = snap.generation + 1;
        auto sw = insertSwitch(txn, def, generation, options.change, std::move(values));
        for (const auto& member : snap.members) {
            insertMember(txn, sw, member, hostsAdded);
        }
        syncProbes(txn, sw, snap, std::nullopt);
        return {def.name, generation, true};
    }
    if (existing->networkUuid() != def.uuid.toString()) {
        raise(ErrorCode::OperationInvalid,
              "switch '{}' has uuid {}, not the snapshot's {}: it was defined again since; "
              "restore onto it with --onto {}, or as a new switch with --as NAME",
              def.name, existing->networkUuid(), def.uuid.toString(), def.name);
    }
    auto values = policyValues(snap);
    std::int64_t generation = commitGeneration(txn, *existing, def, options.change, true, &members);
    syncMembers(txn, existing->uuid(), snap);
    syncProbes(txn, existing->uuid(), snap, existing->uuid());
    txn.update(existing->uuid(), values);
    return {def.name, generation, false};
}

RestoreResult restoreNew(ovsdb::Transaction& txn, const Snapshot& snap, conf::NetworkDef def,
                         const RestoreOptions& options)
{
    const auto& replica = txn.replica();
    if (!util::isSafeFileName(options.name)) {
        raise(ErrorCode::InvalidArg,
              "invalid switch name '{}': it must not be empty, '.' or '..', longer than 255 "
              "bytes, or contain '/' or control characters",
              util::abbreviateForMessage(options.name));
    }
    if (db::Switch::findByName(replica, options.name)) {
        raise(ErrorCode::OperationInvalid,
              "switch '{}' already exists: restore onto it with --onto {}, or choose another "
              "name",
              options.name, options.name);
    }
    def.name = options.name;
    def.uuid = util::Uuid::generate();
    def.mac.reset(); // a MAC address names one network
    if (options.bridge) {
        def.bridge = *options.bridge;
    }
    if (def.bridge) {
        for (const auto& other : db::Switch::all(replica)) {
            if (currentNetwork(replica, other).bridge == def.bridge) {
                raise(ErrorCode::OperationInvalid,
                      "bridge '{}' of the snapshot is switch '{}''s: give the new switch its own "
                      "with --bridge NAME",
                      *def.bridge, other.name());
            }
        }
    }
    validateSwitch(def, {});
    auto sw = insertSwitch(txn, def, 1, options.change, policyValues(snap));
    syncProbes(txn, sw, snap, std::nullopt);
    return {def.name, 1, true};
}

RestoreResult restoreOnto(ovsdb::Transaction& txn, const Snapshot& snap, conf::NetworkDef def,
                          const RestoreOptions& options)
{
    const auto& replica = txn.replica();
    auto target = requireSwitch(replica, options.name);
    auto current = currentNetwork(replica, target);
    def.name = current.name;
    def.uuid = current.uuid;
    def.bridge = current.bridge;
    def.mac = current.mac;
    auto values = policyValues(snap);
    std::int64_t generation = commitGeneration(txn, target, def, options.change);
    syncProbes(txn, target.uuid(), snap, target.uuid());
    txn.update(target.uuid(), values);
    return {def.name, generation, false};
}

} // namespace

Snapshot snapshotOfSwitch(const ovsdb::Replica& replica, const db::Switch::View& sw,
                          std::string name, std::string description)
{
    Snapshot snap;
    snap.name = std::move(name);
    snap.description = std::move(description);
    snap.created = nowMs() / 1000;
    snap.generation = sw.generation();
    snap.keepGenerations = sw.keepGenerations();
    snap.network = currentNetwork(replica, sw);
    snap.network.uuidSpecified = true;
    snap.network.connections = 0;
    for (const auto& member : membersOf(replica, sw.uuid())) {
        snap.members.push_back({member.host(), member.uplink()});
    }
    snap.policy = policyOf(sw);
    snap.revertTimeout = sw.revertTimeout();
    snap.probes = probesOf(replica, sw);
    // What another writer left in the database (a generation of 0, a member's uplink the model
    // refuses) must not become a snapshot that cannot be restored: the snapshot is read back
    // as a restore would read it, and refused with the parser's message (found by the
    // mgmt-rows fuzz target).
    try {
        (void)Snapshot::parse(snap.format());
    } catch (const Error& e) {
        throw Error(e.code(),
                    fmt::format("switch '{}' in the management database cannot be saved: {}",
                                sw.name(), e.message()),
                    e.domain());
    }
    return snap;
}

RestoreResult restoreSnapshot(ovsdb::Transaction& txn, const Snapshot& snap,
                              const RestoreOptions& options)
{
    conf::NetworkDef def = snap.network;
    def.uuidSpecified = true;
    def.connections = 0;
    if (def.dvs && def.dvs->uplink && !def.dvs->uplink->interfaces.empty()) {
        raise(ErrorCode::ConfigUnsupported,
              "the dvs:uplink of the snapshot's switch '{}' names interfaces: each member's "
              "interfaces are in <members>",
              def.name);
    }
    if (snap.policy.batch && snap.policy.batchPercent) {
        raise(ErrorCode::XmlError,
              "the snapshot's rollout gives both 'batch' and 'batch-percent': give one");
    }
    switch (options.target) {
    case RestoreOptions::Target::Same:
        return restoreSame(txn, snap, std::move(def), options);
    case RestoreOptions::Target::New:
        return restoreNew(txn, snap, std::move(def), options);
    case RestoreOptions::Target::Onto:
        return restoreOnto(txn, snap, std::move(def), options);
    }
    raise(ErrorCode::InternalError, "unknown restore target");
}

} // namespace dvs::mgmt
