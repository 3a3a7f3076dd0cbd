// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mgmt/switches.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "mgmt/compose.h"
#include "mgmt/rollout_policy.h"
#include "util/error.h"
#include "util/file.h"

namespace dvs::mgmt {

namespace {

std::vector<std::pair<std::string, std::vector<std::string>>>
memberUplinks(const ovsdb::Replica& replica, const util::Uuid& sw)
{
    std::vector<std::pair<std::string, std::vector<std::string>>> out;
    for (const auto& member : membersOf(replica, sw)) {
        out.emplace_back(member.host(), member.uplink());
    }
    return out;
}

// Makes the Portgroup rows of the switch match def's portgroups.
void syncPortgroups(ovsdb::Transaction& txn, const ovsdb::Ref& sw,
                    const std::vector<db::Portgroup::View>& existing, const conf::NetworkDef& def)
{
    std::map<std::string, const db::Portgroup::View*> byName;
    for (const auto& row : existing) {
        byName.emplace(row.name(), &row);
    }
    std::set<std::string> wanted;
    for (const auto& pg : def.portgroups) {
        wanted.insert(pg.name);
        std::string text = portgroupDefinition(pg);
        auto it = byName.find(pg.name);
        if (it == byName.end()) {
            txn.insert(db::Portgroup::Values().setSwitch(sw).setName(pg.name).setDefinition(text));
        } else if (it->second->definition() != text) {
            txn.update(it->second->uuid(), db::Portgroup::Values().setDefinition(text));
        }
    }
    for (const auto& row : existing) {
        if (!wanted.contains(row.name())) {
            txn.remove(db::Portgroup::kTable, row.uuid());
        }
    }
}

void refuseDuringRollout(const ovsdb::Replica& replica, const db::Switch::View& sw)
{
    if (auto rollout = activeRollout(replica, sw.uuid())) {
        raise(ErrorCode::OperationInvalid,
              "switch '{}' has a rollout of generation {} that is {}: wait for it to finish, or "
              "use 'dvsctl rollout-resume {}' or 'dvsctl rollout-abort {}'",
              sw.name(), rollout->toGeneration(), rollout->state(), sw.name(), sw.name());
    }
}

bool isActiveRolloutState(std::string_view state)
{
    return state == "running" || state == "halted" || state == "aborting";
}

} // namespace

std::vector<std::string_view> adminTables()
{
    return {db::Switch::kTable,      db::Portgroup::kTable,  db::SwitchGeneration::kTable,
            db::Member::kTable,      db::Host::kTable,       db::Rollout::kTable,
            db::RolloutHost::kTable, db::SwitchProbe::kTable};
}

db::Switch::View requireSwitch(const ovsdb::Replica& replica, std::string_view name)
{
    auto sw = db::Switch::findByName(replica, std::string(name));
    if (!sw) {
        raise(ErrorCode::NoNetwork, "no switch with matching name '{}'", name);
    }
    return *sw;
}

std::vector<db::Portgroup::View> portgroupsOf(const ovsdb::Replica& replica, const util::Uuid& sw)
{
    std::vector<db::Portgroup::View> out;
    for (const auto& row : db::Portgroup::all(replica)) {
        if (row.switchColumn() == sw) {
            out.push_back(row);
        }
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.name() < b.name(); });
    return out;
}

std::vector<db::Member::View> membersOf(const ovsdb::Replica& replica, const util::Uuid& sw)
{
    std::vector<db::Member::View> out;
    for (const auto& row : db::Member::all(replica)) {
        if (row.switchColumn() == sw) {
            out.push_back(row);
        }
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.host() < b.host(); });
    return out;
}

std::optional<db::Member::View> findMember(const ovsdb::Replica& replica, const util::Uuid& sw,
                                           std::string_view host)
{
    for (const auto& row : db::Member::all(replica)) {
        if (row.switchColumn() == sw && row.host() == host) {
            return row;
        }
    }
    return std::nullopt;
}

std::optional<db::SwitchGeneration::View>
findGeneration(const ovsdb::Replica& replica, const util::Uuid& sw, std::int64_t generation)
{
    for (const auto& row : db::SwitchGeneration::all(replica)) {
        if (row.switchColumn() == sw && row.generation() == generation) {
            return row;
        }
    }
    return std::nullopt;
}

std::optional<db::Rollout::View> activeRollout(const ovsdb::Replica& replica, const util::Uuid& sw)
{
    for (const auto& row : db::Rollout::all(replica)) {
        if (row.switchColumn() == sw && isActiveRolloutState(row.state())) {
            return row;
        }
    }
    return std::nullopt;
}

conf::NetworkDef currentNetwork(const ovsdb::Replica& replica, const db::Switch::View& sw)
{
    // The current generation keeps the portgroups in the order they were defined.
    if (auto current = findGeneration(replica, sw.uuid(), sw.generation())) {
        conf::NetworkDef def = conf::NetworkDef::parseString(current->definition());
        def.uuidSpecified = true;
        return def;
    }
    std::vector<std::string> portgroups;
    for (const auto& pg : portgroupsOf(replica, sw.uuid())) {
        portgroups.push_back(pg.definition());
    }
    return composeSwitch(sw.definition(), portgroups);
}

std::int64_t desiredGeneration(const db::Switch::View& sw, const db::Member::View& member)
{
    return member.targetGeneration().value_or(sw.generation());
}

std::int64_t defineSwitch(ovsdb::Transaction& txn, const conf::NetworkDef& def,
                          std::optional<std::int64_t> expectGeneration)
{
    const auto& replica = txn.replica();
    for (const auto& other : db::Switch::all(replica)) {
        if (other.name() != def.name && other.networkUuid() == def.uuid.toString()) {
            raise(ErrorCode::OperationFailed, "switch '{}' already exists with uuid {}",
                  other.name(), other.networkUuid());
        }
    }
    if (auto existing = db::Switch::findByName(replica, def.name)) {
        if (!expectGeneration) {
            raise(ErrorCode::OperationInvalid,
                  "switch '{}' already exists; change it with 'dvsctl switch-update', or "
                  "redefine it with 'dvsctl switch-define --generation {} FILE'",
                  def.name, existing->generation());
        }
        if (existing->networkUuid() != def.uuid.toString()) {
            raise(ErrorCode::OperationFailed, "switch '{}' is already defined with uuid {}",
                  def.name, existing->networkUuid());
        }
        txn.verify(db::Switch::kTable, existing->uuid(), {db::Switch::Col::kGeneration});
        if (existing->generation() != *expectGeneration) {
            raise(ErrorCode::OperationFailed,
                  "switch '{}' is at generation {}, not {}: another change came first; look at "
                  "it with 'dvsctl switch-dumpxml {}' and redefine it again",
                  def.name, existing->generation(), *expectGeneration, def.name);
        }
        return commitGeneration(txn, *existing, def, "switch-define");
    }
    if (expectGeneration) {
        raise(ErrorCode::NoNetwork, "no switch with matching name '{}'", def.name);
    }
    insertSwitch(txn, def, 1, "switch-define");
    return 1;
}

ovsdb::Ref insertSwitch(ovsdb::Transaction& txn, const conf::NetworkDef& def,
                        std::int64_t generation, std::string change, db::Switch::Values values)
{
    txn.verifyAbsent(db::Switch::kTable, db::Switch::Col::kName, def.name);
    conf::NetworkDef stored = def;
    stored.uuidSpecified = true;
    ovsdb::Ref sw = txn.insert(values.setName(def.name)
                                   .setNetworkUuid(def.uuid.toString())
                                   .setDefinition(baseDefinition(stored))
                                   .setGeneration(generation));
    syncPortgroups(txn, sw, {}, stored);
    txn.insert(db::SwitchGeneration::Values()
                   .setSwitch(sw)
                   .setGeneration(generation)
                   .setDefinition(generationDefinition(stored))
                   .setChange(std::move(change))
                   .setCreatedAt(nowMs()));
    return sw;
}

void undefineSwitch(ovsdb::Transaction& txn, std::string_view name)
{
    const auto& replica = txn.replica();
    auto sw = requireSwitch(replica, name);
    txn.verify(db::Switch::kTable, sw.uuid(), {db::Switch::Col::kGeneration});
    for (const auto& pg : portgroupsOf(replica, sw.uuid())) {
        txn.remove(db::Portgroup::kTable, pg.uuid());
    }
    for (const auto& gen : db::SwitchGeneration::all(replica)) {
        if (gen.switchColumn() == sw.uuid()) {
            txn.remove(db::SwitchGeneration::kTable, gen.uuid());
        }
    }
    for (const auto& probe : db::SwitchProbe::all(replica)) {
        if (probe.switchColumn() == sw.uuid()) {
            txn.remove(db::SwitchProbe::kTable, probe.uuid());
        }
    }
    std::set<util::Uuid> rollouts;
    for (const auto& rollout : db::Rollout::all(replica)) {
        if (rollout.switchColumn() == sw.uuid()) {
            rollouts.insert(rollout.uuid());
            txn.remove(db::Rollout::kTable, rollout.uuid());
        }
    }
    for (const auto& rh : db::RolloutHost::all(replica)) {
        if (rollouts.contains(rh.rollout())) {
            txn.remove(db::RolloutHost::kTable, rh.uuid());
        }
    }
    std::set<std::string> hosts;
    for (const auto& member : membersOf(replica, sw.uuid())) {
        hosts.insert(member.host());
        txn.remove(db::Member::kTable, member.uuid());
    }
    // Hosts left in no switch leave the registry.
    for (const auto& member : db::Member::all(replica)) {
        if (member.switchColumn() != sw.uuid()) {
            hosts.erase(member.host());
        }
    }
    for (const auto& host : hosts) {
        if (auto row = db::Host::findByName(replica, host)) {
            txn.remove(db::Host::kTable, row->uuid());
        }
    }
    txn.remove(db::Switch::kTable, sw.uuid());
}

std::int64_t updateSwitch(ovsdb::Transaction& txn, std::string_view name,
                          conf::UpdateCommand command, conf::UpdateSection section,
                          std::string_view xml)
{
    const auto& replica = txn.replica();
    auto sw = requireSwitch(replica, name);
    conf::NetworkDef def = currentNetwork(replica, sw);
    conf::updateNetworkDef(def, command, section, -1, xml, 0);
    if (def.dvs && def.dvs->uplink && !def.dvs->uplink->interfaces.empty()) {
        raise(ErrorCode::ConfigUnsupported,
              "the dvs:uplink of switch '{}' names interfaces: each member's interfaces are "
              "given with 'dvsctl host-add'",
              def.name);
    }
    return commitGeneration(txn, sw, def, describeUpdate(command, section));
}

std::int64_t commitGeneration(ovsdb::Transaction& txn, const db::Switch::View& sw,
                              const conf::NetworkDef& def, std::string change, bool underPolicy,
                              const MemberUplinks* members)
{
    const auto& replica = txn.replica();
    txn.verify(db::Switch::kTable, sw.uuid(), {db::Switch::Col::kGeneration});
    // The definition is checked against every member: a host added meanwhile rebuilds it.
    txn.verifyChildren(db::Member::kTable, db::Member::Col::kSwitch, sw.uuid(),
                       {db::Member::Col::kHost, db::Member::Col::kUplink});
    if (underPolicy) {
        refuseDuringRollout(replica, sw);
    }
    if (def.name != sw.name()) {
        raise(ErrorCode::OperationInvalid, "switch '{}' cannot be renamed to '{}'", sw.name(),
              def.name);
    }
    if (def.uuid.toString() != sw.networkUuid()) {
        raise(ErrorCode::OperationInvalid, "switch '{}' cannot change its uuid {} to {}", sw.name(),
              sw.networkUuid(), def.uuid.toString());
    }
    validateSwitch(def, members != nullptr ? *members : memberUplinks(replica, sw.uuid()));

    std::int64_t previous = sw.generation();
    std::int64_t generation = previous + 1;
    conf::NetworkDef stored = def;
    stored.uuidSpecified = true;
    txn.update(
        sw.uuid(),
        db::Switch::Values().setDefinition(baseDefinition(stored)).setGeneration(generation));
    syncPortgroups(txn, sw.uuid(), portgroupsOf(replica, sw.uuid()), stored);
    txn.insert(db::SwitchGeneration::Values()
                   .setSwitch(sw.uuid())
                   .setGeneration(generation)
                   .setDefinition(generationDefinition(stored))
                   .setChange(std::move(change))
                   .setCreatedAt(nowMs()));

    pruneGenerations(txn, sw, generation, sw.keepGenerations().value_or(kDefaultKeepGenerations));
    if (underPolicy) {
        startRollout(txn, sw, previous, generation);
    }
    return generation;
}

void pruneGenerations(ovsdb::Transaction& txn, const db::Switch::View& sw, std::int64_t current,
                      std::int64_t keep)
{
    const auto& replica = txn.replica();
    // Generations a member or rollout still needs are kept beyond the limit.
    std::set<std::int64_t> needed{current - 1, sw.generation()};
    for (const auto& member : membersOf(replica, sw.uuid())) {
        if (auto target = member.targetGeneration()) {
            needed.insert(*target);
        }
    }
    for (const auto& gen : db::SwitchGeneration::all(replica)) {
        if (gen.switchColumn() == sw.uuid() && gen.generation() <= current - keep &&
            !needed.contains(gen.generation())) {
            txn.remove(db::SwitchGeneration::kTable, gen.uuid());
        }
    }
}

void addHost(ovsdb::Transaction& txn, std::string_view switchName, std::string_view host,
             const std::vector<std::string>& nics)
{
    checkHostName(host);
    const auto& replica = txn.replica();
    auto sw = requireSwitch(replica, switchName);
    if (findMember(replica, sw.uuid(), host)) {
        raise(ErrorCode::OperationInvalid, "host '{}' is already a member of switch '{}'", host,
              switchName);
    }
    // Another administrator's change to the switch or its members (the same host added at
    // once) makes this host-add rebuilt on it, where it applies again or is refused clearly:
    // never an index's "constraint violation".
    txn.verify(db::Switch::kTable, sw.uuid(), {db::Switch::Col::kGeneration});
    txn.verifyChildren(db::Member::kTable, db::Member::Col::kSwitch, sw.uuid(),
                       {db::Member::Col::kHost});
    try {
        memberNetwork(currentNetwork(replica, sw), nics);
    } catch (const Error& e) {
        throw Error(e.code(), fmt::format("host '{}': {}", host, e.message()), e.domain());
    }
    auto values =
        db::Member::Values().setSwitch(sw.uuid()).setHost(std::string(host)).setUplink(nics);
    if (auto rollout = activeRollout(replica, sw.uuid())) {
        values.setTargetGeneration(rollout->fromGeneration());
    }
    txn.insert(values);
    if (auto row = db::Host::findByName(replica, std::string(host))) {
        // A host-remove elsewhere may be taking the host out of the registry.
        txn.verify(db::Host::kTable, row->uuid(), {db::Host::Col::kName});
    } else {
        txn.verifyAbsent(db::Host::kTable, db::Host::Col::kName, std::string(host));
        txn.insert(db::Host::Values().setName(std::string(host)));
    }
}

void removeHost(ovsdb::Transaction& txn, std::string_view switchName, std::string_view host)
{
    const auto& replica = txn.replica();
    auto sw = requireSwitch(replica, switchName);
    auto member = findMember(replica, sw.uuid(), host);
    if (!member) {
        raise(ErrorCode::OperationInvalid, "host '{}' is not a member of switch '{}'", host,
              switchName);
    }
    // A concurrent host-remove of the same member rebuilds this one, which then says so.
    txn.verify(db::Member::kTable, member->uuid(), {db::Member::Col::kHost});
    txn.remove(db::Member::kTable, member->uuid());
    bool elsewhere = false;
    for (const auto& other : db::Member::all(replica)) {
        elsewhere = elsewhere || (other.host() == host && other.uuid() != member->uuid());
    }
    if (!elsewhere) {
        if (auto row = db::Host::findByName(replica, std::string(host))) {
            // Checked after the member's removal: no other switch took the host meanwhile.
            txn.verifyAbsent(db::Member::kTable, db::Member::Col::kHost, std::string(host));
            txn.remove(db::Host::kTable, row->uuid());
        }
    }
}

namespace {

constexpr std::pair<std::string_view, conf::UpdateCommand> kCommands[] = {
    {"add", conf::UpdateCommand::AddLast},        {"add-last", conf::UpdateCommand::AddLast},
    {"add-first", conf::UpdateCommand::AddFirst}, {"delete", conf::UpdateCommand::Delete},
    {"modify", conf::UpdateCommand::Modify},
};

constexpr std::pair<std::string_view, conf::UpdateSection> kSections[] = {
    {"bridge", conf::UpdateSection::Bridge},
    {"domain", conf::UpdateSection::Domain},
    {"ip", conf::UpdateSection::Ip},
    {"ip-dhcp-host", conf::UpdateSection::IpDhcpHost},
    {"ip-dhcp-range", conf::UpdateSection::IpDhcpRange},
    {"forward", conf::UpdateSection::Forward},
    {"forward-interface", conf::UpdateSection::ForwardInterface},
    {"forward-pf", conf::UpdateSection::ForwardPf},
    {"portgroup", conf::UpdateSection::Portgroup},
    {"dns-host", conf::UpdateSection::DnsHost},
    {"dns-txt", conf::UpdateSection::DnsTxt},
    {"dns-srv", conf::UpdateSection::DnsSrv},
};

template <typename T, std::size_t N>
std::string_view nameOf(const std::pair<std::string_view, T> (&table)[N], T value)
{
    for (const auto& [text, v] : table) {
        if (v == value) {
            return text;
        }
    }
    return "?";
}

} // namespace

conf::UpdateCommand parseUpdateCommand(std::string_view name)
{
    for (const auto& [text, command] : kCommands) {
        if (text == name) {
            return command;
        }
    }
    raise(ErrorCode::InvalidArg,
          "unknown update command '{}': expected add, add-first, add-last, delete or modify", name);
}

conf::UpdateSection parseUpdateSection(std::string_view name)
{
    for (const auto& [text, section] : kSections) {
        if (text == name) {
            return section;
        }
    }
    raise(ErrorCode::InvalidArg,
          "unknown section '{}': expected bridge, domain, ip, ip-dhcp-host, ip-dhcp-range, "
          "forward, forward-interface, forward-pf, portgroup, dns-host, dns-txt or dns-srv",
          name);
}

std::string describeUpdate(conf::UpdateCommand command, conf::UpdateSection section)
{
    return fmt::format("switch-update {} {}",
                       command == conf::UpdateCommand::AddLast ? std::string_view("add-last")
                                                               : nameOf(kCommands, command),
                       nameOf(kSections, section));
}

void checkHostName(std::string_view host)
{
    bool ok = !host.empty() && host.size() <= 255 && util::isSafeFileName(host);
    for (char c : host) {
        ok = ok && c != ',' && c != ' ' && c != '\t';
    }
    if (!ok) {
        raise(ErrorCode::InvalidArg,
              "invalid host name '{}': it must not be empty, '.' or '..', longer than 255 bytes, "
              "or contain '/', ',', spaces or control characters",
              host);
    }
}

} // namespace dvs::mgmt
