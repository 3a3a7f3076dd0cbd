// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mgmt/agent.h"

#include <algorithm>
#include <utility>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "mgmt/agent_network.h"
#include "mgmt/database.h"
#include "mgmt/dvs_db.h"
#include "mgmt/revert_admin.h"
#include "util/error.h"
#include "util/file.h"

namespace dvs::mgmt {

namespace {

namespace db = ovsdb::dvsdb;
using ovsdb::Json;

// stateDir's record of the database's identity.
constexpr const char* kDatabaseFile = "database";

Json uuidAtom(const util::Uuid& uuid)
{
    return Json::array({"uuid", uuid.toString()});
}

// "where" clauses matching rows whose column references one of the switches ([false]: none).
Json anyOf(std::string_view column, const std::set<util::Uuid>& switches)
{
    Json where = Json::array();
    for (const auto& uuid : switches) {
        where.push_back(Json::array({column, "==", uuidAtom(uuid)}));
    }
    if (where.empty()) {
        where.push_back(false);
    }
    return where;
}

// The switch's revert timeout (Switch.revert_timeout), else the host's.
std::chrono::milliseconds revertTimeoutOf(const db::Switch::View& sw,
                                          std::chrono::milliseconds fallback)
{
    if (auto timeout = sw.revertTimeout()) {
        return std::chrono::seconds(*timeout);
    }
    return fallback;
}

// The switch's probes, those without an interface sent from the network's bridge.
std::vector<ProbeSpec> hostProbes(const ovsdb::Replica& replica, const db::Switch::View& sw,
                                  const std::string& composedXml)
{
    auto probes = probesOf(replica, sw);
    for (auto& probe : probes) {
        if (probe.interface.empty()) {
            probe.interface = conf::NetworkDef::parseString(composedXml).bridge.value_or("");
        }
    }
    return probes;
}

void addTimeout(util::AttachedSource& slot, GMainContext* context, std::chrono::milliseconds delay,
                GSourceFunc callback, gpointer data)
{
    slot.reset(g_timeout_source_new(static_cast<guint>(std::max<std::int64_t>(0, delay.count()))));
    g_source_set_callback(slot.get(), callback, data, nullptr);
    g_source_attach(slot.get(), context);
}

} // namespace

HostAgent::HostAgent(GMainContext* context, driver::NetworkDriver& driver, AgentOptions options)
    : context_(context), driver_(driver), options_(std::move(options))
{
    if (options_.host.empty() || options_.host.find_first_of("\n\r") != std::string::npos) {
        raise(ErrorCode::InvalidArg, "invalid host name '{}' for the management database",
              options_.host);
    }
    ovsdb::ClientOptions client;
    client.database = std::string(kDatabase);
    client.connection.remotes = options_.remotes;
    client.connection.shuffleRemotes = true;
    // On a cluster, writes go to the leader: ovsdb-server 3.1's followers forward a transaction
    // with the log entry they are at as a prerequisite, and while a fleet writes its status at
    // once nearly every forwarded transaction misses it and is retried, over and over.
    client.requireLeader = true;
    client.connection.backoffMin = options_.backoffMin;
    client.connection.backoffMax = options_.backoffMax;
    client.connection.probeInterval = options_.probeInterval;
    client.connection.probeUnix = true;
    client.connection.tls = {options_.privateKey, options_.certificate, options_.caCert};
    // A host reads only its own membership and its switches; it writes only its status.
    // Its own status rows are not monitored either (agent_status.cpp).
    client.monitor[std::string(db::Member::kTable)] = {};
    client.monitor[std::string(db::Switch::kTable)] = {
        std::string(db::Switch::Col::kName), std::string(db::Switch::Col::kNetworkUuid),
        std::string(db::Switch::Col::kGeneration), std::string(db::Switch::Col::kRevertTimeout)};
    client.monitor[std::string(db::SwitchGeneration::kTable)] = {
        std::string(db::SwitchGeneration::Col::kSwitch),
        std::string(db::SwitchGeneration::Col::kGeneration),
        std::string(db::SwitchGeneration::Col::kDefinition)};
    client.monitor[std::string(db::SwitchProbe::kTable)] = {};
    // Only the row's identity matters (trustsDatabase); one small column keeps it light.
    client.monitor[std::string(db::DVSGlobal::kTable)] = {
        std::string(db::DVSGlobal::Col::kOptions)};
    client.conditions[std::string(db::Member::kTable)] =
        Json::array({Json::array({db::Member::Col::kHost, "==", options_.host})});
    client.conditions[std::string(db::Switch::kTable)] = anyOf("_uuid", {});
    client.conditions[std::string(db::SwitchGeneration::kTable)] =
        anyOf(db::SwitchGeneration::Col::kSwitch, {});
    client.conditions[std::string(db::SwitchProbe::kTable)] =
        anyOf(db::SwitchProbe::Col::kSwitch, {});
    client_ = std::make_unique<ovsdb::Client>(context_, std::move(client));
    stateListener_ = client_->addStateListener(
        [this](ovsdb::ClientState state, const Error* error) { onClientState(state, error); });
    replicaListener_ = client_->replica().addListener(
        [this](const std::vector<ovsdb::RowChange>&) { scheduleReconcile(); });
    options_.snapshots.host = options_.host;
    snapshots_ = std::make_unique<HostSnapshots>(context_, *client_, options_.snapshots,
                                                 [this](std::string text) { notice(text); });

    loadRecords();
    if (!options_.stateDir.empty()) {
        try {
            auto text = util::readFile(options_.stateDir / kDatabaseFile, 256);
            if (text.starts_with("uuid=")) {
                databaseId_ = util::Uuid::parse(text.substr(5, 36));
            }
        } catch (const std::exception&) {
            // No record yet (a host that never followed an initialised database).
        }
    }
    // What the driver already runs for its switches, before the database answers.
    for (const auto& [name, by] : driver_.managedNetworks()) {
        auto& state = members_[name];
        state.switchName = name;
        state.applied = loadApplied(name);
        state.state = "applying";
        state.reason = "not connected to the management database yet";
        observeNetwork(state);
    }
}

HostAgent::~HostAgent()
{
    *alive_ = false;
    client_->removeStateListener(stateListener_);
    client_->replica().removeListener(replicaListener_);
}

void HostAgent::start()
{
    // A generation applied and not confirmed before dvsd stopped: back on the last known good
    // one before anything else.
    recoverUnconfirmed();
    client_->start();
}

void HostAgent::stop()
{
    client_->stop();
    confirming_.clear(); // a stopped agent neither confirms nor reverts: the record stays
    heartbeatSource_.reset();
    retrySource_.reset();
    removeSource_.reset();
    reconcileSource_.reset();
}

bool HostAgent::connected() const noexcept
{
    return client_->state() == ovsdb::ClientState::Ready;
}

void HostAgent::notice(std::string text)
{
    if (noticeHandler_) {
        noticeHandler_(text);
    } else {
        notices_.push_back(std::move(text));
    }
}

void HostAgent::onClientState(ovsdb::ClientState state, const Error* error)
{
    if (state == ovsdb::ClientState::Ready) {
        connectedAt_ = nowMs();
        if (cutOffSince_) {
            notice(fmt::format("Reconnected to the management database at '{}'",
                               client_->connection().remote()));
        }
        cutOffSince_.reset();
        heartbeatDue_ = true;
        // The status rows are read again: they may have changed while the host was away.
        ++session_;
        own_.reset();
        ownReading_ = false;
        armHeartbeat();
        scheduleReconcile();
        return;
    }
    if (state == ovsdb::ClientState::Connecting && error != nullptr) {
        if (!cutOffSince_) {
            cutOffSince_ = nowMs();
            notice(fmt::format("Cut off from the management database: {}; keeping the networks "
                               "as they are",
                               error->fullMessage()));
        }
        heartbeatSource_.reset();
        statusInFlight_ = false;
        ++session_;
        own_.reset();
        ownReading_ = false;
    }
}

void HostAgent::scheduleReconcile()
{
    if (reconcileSource_) {
        return;
    }
    reconcileSource_.reset(g_idle_source_new());
    g_source_set_callback(reconcileSource_.get(), &HostAgent::onReconcile, this, nullptr);
    g_source_attach(reconcileSource_.get(), context_);
}

gboolean HostAgent::onReconcile(gpointer data) noexcept
{
    auto* self = static_cast<HostAgent*>(data);
    self->reconcileSource_.reset();
    try {
        self->reconcile();
    } catch (const std::exception& e) {
        self->notice(fmt::format("The host agent could not reconcile: {}", e.what()));
    }
    return G_SOURCE_REMOVE;
}

void HostAgent::armHeartbeat()
{
    if (options_.heartbeatInterval.count() <= 0) {
        return;
    }
    // Between 80 and 100 % of the interval, drawn each time: hosts that connected together (a
    // fleet started at once, or back after their server died) do not write in step.
    auto interval = options_.heartbeatInterval.count();
    auto delay = interval - static_cast<std::int64_t>(g_random_double() * 0.2 * interval);
    addTimeout(heartbeatSource_, context_, std::chrono::milliseconds(delay),
               &HostAgent::onHeartbeat, this);
}

gboolean HostAgent::onHeartbeat(gpointer data) noexcept
{
    auto* self = static_cast<HostAgent*>(data);
    self->heartbeatDue_ = true;
    self->writeStatus();
    self->armHeartbeat();
    return G_SOURCE_REMOVE;
}

gboolean HostAgent::onRetry(gpointer data) noexcept
{
    auto* self = static_cast<HostAgent*>(data);
    self->retrySource_.reset();
    self->failedXml_.clear();
    self->scheduleReconcile();
    return G_SOURCE_REMOVE;
}

void HostAgent::armRemoveCheck()
{
    if (!removeSource_) {
        addTimeout(
            removeSource_, context_, std::min(options_.removeInterval, options_.retryInterval),
            [](gpointer data) noexcept -> gboolean {
                auto* self = static_cast<HostAgent*>(data);
                self->removeSource_.reset();
                self->scheduleReconcile();
                return G_SOURCE_REMOVE;
            },
            this);
    }
}

void HostAgent::armRetry()
{
    if (!retrySource_) {
        addTimeout(retrySource_, context_, options_.retryInterval, &HostAgent::onRetry, this);
    }
}

bool HostAgent::updateConditions(const std::set<util::Uuid>& switches)
{
    bool changed = false;
    auto set = [&](std::string_view table, Json where) {
        if (client_->condition(std::string(table)) != where) {
            client_->setCondition(std::string(table), std::move(where));
            changed = true;
        }
    };
    set(db::Switch::kTable, anyOf("_uuid", switches));
    set(db::SwitchGeneration::kTable, anyOf(db::SwitchGeneration::Col::kSwitch, switches));
    set(db::SwitchProbe::kTable, anyOf(db::SwitchProbe::Col::kSwitch, switches));
    return changed;
}

void HostAgent::reconcile()
{
    // Without a session the replica may be stale: keep what is applied, change nothing.
    if (!connected()) {
        return;
    }
    ++stats_.reconciles;
    const auto& replica = client_->replica();
    std::set<util::Uuid> switches;
    std::vector<util::Uuid> mine;
    for (const auto& member : db::Member::all(replica)) {
        if (member.host() == options_.host) {
            switches.insert(member.switchColumn());
            mine.push_back(member.uuid());
        }
    }
    updateConditions(switches);

    std::set<std::string> wanted;
    bool complete = true;
    for (const auto& uuid : mine) {
        reconcileMember(uuid, wanted, complete);
    }
    if (!complete) {
        return; // the rows of a switch are on their way: status once they are here
    }
    if (trustsDatabase(!mine.empty())) {
        teardownDeparted(wanted);
    } else {
        keepDeparted(wanted);
    }
    writeStatus();
    // After the status: each generation applied gets its host copy, off the convergence path.
    for (const auto& [name, state] : members_) {
        if (state.state == "in-sync" && state.applied) {
            snapshots_->applied(name, *state.applied);
        }
    }
}

void HostAgent::reconcileMember(const util::Uuid& memberUuid, std::set<std::string>& wanted,
                                bool& complete)
{
    const auto& replica = client_->replica();
    auto member = db::Member::get(replica, memberUuid);
    auto sw = db::Switch::get(replica, member->switchColumn());
    if (!sw) {
        complete = false; // its row is on its way (the condition just changed)
        return;
    }
    const std::string name = sw->name();
    wanted.insert(name);
    auto& state = members_[name];
    state.switchName = name;
    state.portsHolding.clear();
    const std::int64_t generation = member->targetGeneration().value_or(sw->generation());
    const std::int64_t retry = member->retry();
    state.desired = generation;
    if (keepsReverted(name, state, generation, retry)) {
        observeNetwork(state); // no flapping: only a newer generation or a retry moves it
        return;
    }

    std::optional<db::SwitchGeneration::View> row;
    for (const auto& candidate : db::SwitchGeneration::all(replica)) {
        if (candidate.switchColumn() == sw->uuid() && candidate.generation() == generation) {
            row = candidate;
            break;
        }
    }
    if (!row) {
        state.state = "applying";
        state.applying = generation;
        state.reason = fmt::format("waiting for generation {} of switch '{}'", generation, name);
        observeNetwork(state);
        return;
    }

    const driver::ManagedBy by{name, options_.host};
    // A failure names the generation it tried (applying_generation) beside the one that still
    // runs (generation): the rollout controller matches failures by the generation it asked for.
    auto fail = [&](const Error& e, const std::string& xml) {
        failedXml_[name] = xml;
        state.state = "failed";
        state.applying = generation;
        state.reason =
            fmt::format("generation {} could not be applied: {}", generation, e.fullMessage());
        state.lastError = e.fullMessage();
        state.lastErrorAt = nowMs();
        notice(fmt::format("Switch '{}': {}", name, state.reason));
        armRetry();
    };
    std::string xml;
    try {
        xml = composed(name, row->definition(), sw->networkUuid(), member->uplink());
    } catch (const Error& e) {
        if (failedXml_[name] != row->definition()) {
            fail(e, row->definition());
        }
        failedXml_[name] = row->definition();
        observeNetwork(state);
        return;
    }

    bool inPlace = false;
    if (auto it = appliedXml_.find(name); it != appliedXml_.end() && it->second == xml) {
        try {
            auto net = driver_.lookupByName(name);
            inPlace = driver_.isActive(net) && driver_.managedBy(name) == by;
        } catch (const Error&) {
        }
    }
    if (!inPlace && options_.checkUplinks) {
        for (const auto& nic : member->uplink()) {
            std::error_code ec;
            if (!std::filesystem::exists(options_.sysfsRoot / "class/net" / nic, ec)) {
                Error missing(ErrorCode::DeviceMissing,
                              fmt::format("uplink NIC '{}' does not exist on this host", nic));
                if (failedXml_[name] != xml) {
                    fail(missing, xml);
                }
                observeNetwork(state);
                return;
            }
        }
    }

    if (!inPlace && failedXml_.count(name) != 0 && failedXml_[name] == xml) {
        if (state.state == "failed") {
            state.applying = generation; // the same definition under another generation number
        }
        observeNetwork(state); // already failed: retried on a change or by the retry timer
        return;
    }
    if (!inPlace) {
        state.applying = generation;
        try {
            // The way back first, on disk: a crash from here on comes up on it.
            prepareApply(name, retry, generation);
            ApplyOutcome outcome;
            try {
                outcome = applyMemberNetwork(driver_, by, xml);
            } catch (const Error&) {
                prepareApply(name, retry, std::nullopt);
                throw;
            }
            appliedXml_[name] = xml;
            failedXml_.erase(name);
            if (outcome.changed) {
                ++stats_.applies;
                notice(fmt::format("Switch '{}': applied generation {}", name, generation));
                if (networksChanged_) {
                    networksChanged_();
                }
            }
            if (outcome.pending) {
                prepareApply(name, retry, std::nullopt);
                state.state = "applying";
                state.reason = outcome.pendingReason;
                armRetry();
                appliedXml_.erase(name);
                observeNetwork(state);
                return;
            }
            auto record = lastGood_.find(name);
            if (revertEnabled() && outcome.changed &&
                (record == lastGood_.end() || record->second.xml != xml)) {
                // Kept only once the host proves it still reaches the database (and passes
                // the switch's probes) within the timeout; else it reverts by itself.
                startConfirm(name, generation, retry, xml,
                             revertTimeoutOf(*sw, options_.revertTimeout),
                             hostProbes(replica, *sw, xml));
                state.state = "applying";
                state.reason = confirmingReason(*confirming_[name]);
                observeNetwork(state);
                return;
            }
            settleApplied(name, generation, xml);
            state.applying.reset();
            if (state.applied != generation) {
                recordApplied(name, generation);
            }
            state.applied = generation;
        } catch (const Error& e) {
            fail(e, xml);
            observeNetwork(state);
            return;
        }
    } else if (auto c = confirming_.find(name); c != confirming_.end()) {
        // Still confirming what runs (under this generation number now).
        c->second->generation = generation;
        state.state = "applying";
        state.applying = generation;
        state.reason = confirmingReason(*c->second);
        observeNetwork(state);
        return;
    } else {
        settleApplied(name, generation, xml);
    }
    state.applying.reset();
    state.applied = generation;
    if (auto record = lastGood_.find(name); record != lastGood_.end() && record->second.reverted) {
        holdReverted(state, record->second); // on an older generation, still reverted
    } else {
        state.state = "in-sync";
        state.reason.clear();
    }
    observeNetwork(state);
}

// Whether this database may take networks away from the host. It may when it is the database
// the host last followed (the same DVS_Global row: `dvsctl db-init` creates it), or when it
// lists the host as a member of a switch: an administrator put the host in it, and the host
// follows it from then on. A host that never followed an initialised database trusts any (as
// before databases had an identity).
bool HostAgent::trustsDatabase(bool member)
{
    std::optional<util::Uuid> current;
    auto globals = db::DVSGlobal::all(client_->replica());
    if (globals.size() == 1) {
        current = globals.front().uuid();
    }
    bool trusted = !databaseId_ || (current && *current == *databaseId_) || member;
    if (trusted && current && current != databaseId_ && (member || !databaseId_)) {
        databaseId_ = current;
        keptWarning_.clear();
        if (!options_.stateDir.empty()) {
            try {
                std::filesystem::create_directories(options_.stateDir);
                util::writeFileAtomic(options_.stateDir / kDatabaseFile,
                                      fmt::format("uuid={}\n", current->toString()), 0600);
            } catch (const std::exception& e) {
                notice(
                    fmt::format("Cannot record the management database's identity: {}", e.what()));
            }
        }
    }
    return trusted;
}

// The database is not the one the host followed and does not list the host: its networks stay
// as they are, and the host says so once.
void HostAgent::keepDeparted(const std::set<std::string>& wanted)
{
    std::vector<std::string> kept;
    for (const auto& [name, by] : driver_.managedNetworks()) {
        if (wanted.count(name) == 0) {
            kept.push_back(name);
            auto& state = members_[name];
            state.switchName = name;
            state.reason = "kept: the management database does not list this host";
        }
    }
    if (kept.empty()) {
        return;
    }
    auto globals = db::DVSGlobal::all(client_->replica());
    std::string current = globals.size() == 1 ? globals.front().uuid().toString()
                                              : std::string("none (not initialised)");
    std::string warning = fmt::format(
        "The management database (identity {}) is not the one host '{}' followed ({}) and does "
        "not list this host: the networks of {} are kept. Add the host to a switch of this "
        "database (dvsctl host-add) or restore its switches (dvsctl snapshot-restore) to "
        "follow it.",
        current, options_.host, databaseId_ ? databaseId_->toString() : std::string("unknown"),
        fmt::join(kept, ", "));
    if (warning != keptWarning_) {
        keptWarning_ = warning;
        notice(warning);
    }
}

void HostAgent::teardownDeparted(const std::set<std::string>& wanted)
{
    for (const auto& [name, by] : driver_.managedNetworks()) {
        if (wanted.count(name) != 0) {
            continue;
        }
        auto& state = members_[name];
        state.switchName = name;
        try {
            auto holding = teardownMemberNetwork(driver_, name);
            if (holding.empty()) {
                ++stats_.teardowns;
                notice(fmt::format("Switch '{}': this host left it; its network is removed", name));
                members_.erase(name);
                appliedXml_.erase(name);
                failedXml_.erase(name);
                composed_.erase(name);
                uplinks_.erase(name);
                recordApplied(name, 0);
                if (networksChanged_) {
                    networksChanged_();
                }
                continue;
            }
            state.state = "removing";
            state.desired.reset();
            state.applying.reset();
            state.portsHolding = std::move(holding);
            state.reason = fmt::format("this host left the switch; the network stays until no "
                                       "port uses it ({} port(s) do)",
                                       state.portsHolding.size());
            armRemoveCheck();
        } catch (const Error& e) {
            state.state = "removing";
            state.lastError = e.fullMessage();
            state.lastErrorAt = nowMs();
            state.reason = fmt::format("this host left the switch; removing its network failed: {}",
                                       e.fullMessage());
            armRetry();
        }
        observeNetwork(state);
    }
    // Switches left without a network of ours: nothing to report any more.
    std::erase_if(members_, [&](const auto& entry) {
        return wanted.count(entry.first) == 0 && !driver_.managedBy(entry.first);
    });
}

void HostAgent::observeNetwork(MemberState& state)
{
    state.networkState.clear();
    state.networkReason.clear();
    state.portCount = 0;
    state.uplinkState.clear();
    std::vector<std::string> uplinks;
    for (const auto& net : driver_.status()) {
        if (net.name != state.switchName) {
            continue;
        }
        state.portCount = static_cast<std::int64_t>(net.ports);
        if (!net.active) {
            state.networkState = "inactive";
        } else if (net.backendState.starts_with("degraded")) {
            state.networkState = "degraded";
            state.networkReason = net.backendState;
        } else {
            state.networkState = "ready";
            state.networkReason = net.backendState;
        }
    }
    if (auto it = appliedXml_.find(state.switchName); it != appliedXml_.end()) {
        uplinks = uplinksOf(state.switchName, it->second);
    }
    for (const auto& nic : uplinks) {
        std::string operstate = "missing";
        try {
            operstate = util::readFile(options_.sysfsRoot / "class/net" / nic / "operstate", 64);
            while (!operstate.empty() && (operstate.back() == '\n' || operstate.back() == ' ')) {
                operstate.pop_back();
            }
        } catch (const Error&) {
        }
        state.uplinkState[nic] = operstate;
    }
}

const std::string& HostAgent::composed(const std::string& name, const std::string& definition,
                                       const std::string& networkUuid,
                                       const std::vector<std::string>& uplink)
{
    auto it = composed_.find(name);
    if (it != composed_.end() && it->second.definition == definition &&
        it->second.networkUuid == networkUuid && it->second.uplink == uplink) {
        return it->second.xml;
    }
    auto xml = composeMemberNetwork(definition, name, networkUuid, uplink); // may throw
    auto& entry = composed_[name];
    entry = Composition{definition, networkUuid, uplink, std::move(xml)};
    return entry.xml;
}

const std::vector<std::string>& HostAgent::uplinksOf(const std::string& name,
                                                     const std::string& xml)
{
    auto& entry = uplinks_[name];
    if (entry.first != xml) {
        entry.first = xml;
        entry.second.clear();
        try {
            auto def = conf::NetworkDef::parseString(xml);
            if (def.dvs && def.dvs->uplink) {
                entry.second = def.dvs->uplink->interfaces;
            }
        } catch (const Error&) {
        }
    }
    return entry.second;
}

std::string HostAgent::describe(const std::string& network) const
{
    auto it = members_.find(network);
    if (it == members_.end()) {
        return "";
    }
    const auto& state = it->second;
    std::string text = fmt::format("switch '{}': {}", network, state.state);
    if (state.applied) {
        text += fmt::format(" at generation {}", *state.applied);
    }
    if (state.applying) {
        text += fmt::format(", applying generation {}", *state.applying);
    }
    if (!state.reason.empty()) {
        text += ": " + state.reason;
    }
    if (cutOffSince_) {
        auto seconds = std::chrono::sys_seconds(std::chrono::seconds(*cutOffSince_ / 1000));
        text += fmt::format("; management database unreachable since {:%Y-%m-%d %H:%M:%S} UTC",
                            fmt::gmtime(std::chrono::system_clock::to_time_t(seconds)));
    } else if (!connected()) {
        text += "; management database not reached yet";
    }
    return text;
}

void HostAgent::recordApplied(const std::string& switchName, std::int64_t generation)
{
    if (options_.stateDir.empty() || !util::isSafeFileName(switchName)) {
        return;
    }
    auto path = options_.stateDir / (switchName + ".applied");
    try {
        if (generation == 0) {
            util::removeFileDurable(path);
        } else {
            std::filesystem::create_directories(options_.stateDir);
            util::writeFileAtomic(path, fmt::format("generation={}\n", generation), 0600);
        }
    } catch (const std::exception& e) {
        notice(fmt::format("Cannot record the generation applied for switch '{}': {}", switchName,
                           e.what()));
    }
}

std::optional<std::int64_t> HostAgent::loadApplied(const std::string& switchName) const
{
    if (options_.stateDir.empty() || !util::isSafeFileName(switchName)) {
        return std::nullopt;
    }
    try {
        auto text = util::readFile(options_.stateDir / (switchName + ".applied"), 256);
        if (text.starts_with("generation=")) {
            return std::stoll(text.substr(11));
        }
    } catch (const std::exception&) {
    }
    return std::nullopt;
}

} // namespace dvs::mgmt
