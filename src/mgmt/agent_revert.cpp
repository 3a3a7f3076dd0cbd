// SPDX-License-Identifier: LGPL-2.1-or-later
// The host agent's automatic revert (issue 14): before a generation touches a switch's network
// the host keeps the last known good one on disk; after it changed the network, the host must
// prove within the revert timeout that it still reaches the management database (a status write
// through its session, answered) and passes the switch's probes. If it cannot, it returns to the
// last known good generation by itself, reports `reverted` once it reaches the database again,
// and does not apply that generation again until a newer one or an explicit retry.
#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "conf/network_def.h"
#include "mgmt/agent.h"
#include "mgmt/agent_network.h"
#include "mgmt/database.h"
#include "util/error.h"

namespace dvs::mgmt {

namespace {

std::string seconds(std::chrono::milliseconds ms)
{
    if (ms.count() % 1000 == 0) {
        return fmt::format("{} s", ms.count() / 1000);
    }
    return fmt::format("{:.1f} s", static_cast<double>(ms.count()) / 1000.0);
}

} // namespace

void HostAgent::loadRecords()
{
    std::map<std::string, std::string> damaged;
    lastGood_ = loadLastGood(options_.stateDir, damaged);
    for (const auto& [name, why] : damaged) {
        notice(fmt::format("Switch '{}': host '{}' ignores its damaged last known good record: {}",
                           name, options_.host, why));
    }
}

void HostAgent::saveRecord(const std::string& name)
{
    auto it = lastGood_.find(name);
    LastGood empty;
    saveLastGood(options_.stateDir, name, it == lastGood_.end() ? empty : it->second);
    if (it != lastGood_.end() && it->second.empty()) {
        lastGood_.erase(it);
    }
}

// A generation applied and never confirmed before dvsd stopped (a crash, a reboot): the host
// comes up on the last known good generation and reports the one it gave up as reverted.
void HostAgent::recoverUnconfirmed()
{
    if (recovered_ || !revertEnabled()) {
        return;
    }
    recovered_ = true;
    bool changed = false;
    for (auto& [name, record] : lastGood_) {
        if (!record.pending) {
            continue;
        }
        const std::int64_t tried = *record.pending;
        const driver::ManagedBy by{name, options_.host};
        std::string why = fmt::format("dvsd stopped before generation {} was confirmed", tried);
        try {
            if (record.xml.empty()) {
                auto holding = teardownMemberNetwork(driver_, name);
                appliedXml_.erase(name);
                if (!holding.empty()) {
                    why +=
                        fmt::format("; its network stays while {} port(s) use it", holding.size());
                }
            } else {
                auto outcome = applyMemberNetwork(driver_, by, record.xml);
                changed = changed || outcome.changed;
                appliedXml_[name] = record.xml;
            }
        } catch (const Error& e) {
            why += fmt::format("; returning to the last known good generation failed: {}",
                               e.fullMessage());
        }
        record.pending.reset();
        record.reverted = tried;
        record.revertedRetry = record.pendingRetry;
        record.revertedAt = nowMs();
        record.revertedReason = why;
        ++stats_.reverts;
        changed = true;
        auto& state = members_[name];
        state.switchName = name;
        holdReverted(state, record);
        if (record.generation) {
            recordApplied(name, *record.generation);
        }
        observeNetwork(state);
        notice(fmt::format("Switch '{}': host '{}' reverted generation {} to {}: {}", name,
                           options_.host, tried,
                           record.generation ? fmt::format("generation {}", *record.generation)
                                             : std::string("no network"),
                           why));
        try {
            saveLastGood(options_.stateDir, name, record);
        } catch (const std::exception& e) {
            notice(fmt::format("Switch '{}': cannot record the revert: {}", name, e.what()));
        }
    }
    if (changed && networksChanged_) {
        networksChanged_();
    }
}

void HostAgent::holdReverted(MemberState& state, const LastGood& record) const
{
    state.state = "reverted";
    state.reverted = record.reverted;
    state.revertedAt = record.revertedAt;
    state.applying.reset();
    state.applied = record.generation;
    state.reason = fmt::format("generation {} was reverted to {}: {}", record.reverted.value_or(0),
                               record.generation ? fmt::format("generation {}", *record.generation)
                                                 : std::string("no network"),
                               record.revertedReason);
}

// Whether the switch stays on its last known good generation because this host reverted the
// generation wanted (a newer generation or a higher Member.retry clears the revert).
bool HostAgent::keepsReverted(const std::string& name, MemberState& state, std::int64_t generation,
                              std::int64_t retry)
{
    auto it = lastGood_.find(name);
    if (it == lastGood_.end() || !it->second.reverted) {
        state.reverted.reset();
        state.revertedAt.reset();
        return false;
    }
    auto& record = it->second;
    if (generation > *record.reverted || retry != record.revertedRetry) {
        notice(fmt::format("Switch '{}': host '{}' leaves its revert of generation {}: {}", name,
                           options_.host, *record.reverted,
                           generation > *record.reverted
                               ? fmt::format("generation {} is newer", generation)
                               : std::string("an administrator asked for a retry")));
        record.reverted.reset();
        record.revertedReason.clear();
        record.revertedAt = 0;
        record.revertedRetry = 0;
        state.reverted.reset();
        state.revertedAt.reset();
        try {
            saveRecord(name);
        } catch (const std::exception& e) {
            notice(fmt::format("Switch '{}': cannot record the end of the revert: {}", name,
                               e.what()));
        }
        return false;
    }
    if (generation == *record.reverted) {
        holdReverted(state, record);
        return true;
    }
    // An older generation (a halted rollout pins the host back): applied, still reported as
    // reverted.
    return false;
}

// Before a generation touches the network: the last known good one on disk, with the
// generation about to be applied (nullopt: none, the apply is over).
void HostAgent::prepareApply(const std::string& name, std::int64_t retry,
                             std::optional<std::int64_t> generation)
{
    if (!revertEnabled()) {
        return;
    }
    auto& record = lastGood_[name];
    if (!record.generation && record.xml.empty()) {
        // No record yet (the first apply, or a record lost): what runs now is the last known
        // good, when the switch manages a network here.
        auto applied = members_.count(name) != 0 ? members_[name].applied : std::nullopt;
        auto it = appliedXml_.find(name);
        if (it != appliedXml_.end()) {
            record.xml = it->second;
            record.generation = applied;
        } else if (driver_.managedBy(name)) {
            try {
                auto net = driver_.lookupByName(name);
                record.xml = conf::NetworkDef::parseString(
                                 driver_.getXmlDesc(net, driver::XmlFlags::Inactive))
                                 .format(conf::NetworkFormatFlags::Inactive);
                record.generation = applied;
            } catch (const Error&) {
            }
        }
    }
    if (generation) {
        record.pending = generation;
        record.pendingRetry = retry;
    } else if (confirming_.count(name) == 0) {
        record.pending.reset();
        record.pendingRetry = 0;
    }
    saveRecord(name); // throws: no apply without its way back on disk
}

// The generation runs and needs no confirmation (nothing changed, or it is the last known good
// one): it becomes the last known good.
void HostAgent::settleApplied(const std::string& name, std::int64_t generation,
                              const std::string& xml)
{
    if (!revertEnabled()) {
        return;
    }
    if (auto it = confirming_.find(name); it != confirming_.end()) {
        confirming_.erase(it);
    }
    auto& record = lastGood_[name];
    if (record.generation == generation && record.xml == xml && !record.pending) {
        return;
    }
    record.generation = generation;
    record.xml = xml;
    record.pending.reset();
    record.pendingRetry = 0;
    try {
        saveRecord(name);
    } catch (const std::exception& e) {
        notice(fmt::format("Switch '{}': cannot record generation {} as last known good: {}", name,
                           generation, e.what()));
    }
}

std::string HostAgent::confirmingReason(const Confirmation& confirm) const
{
    std::string checks = "that it still reaches the management database";
    if (!confirm.probes.empty()) {
        checks += fmt::format(" and passes {} probe(s)", confirm.probes.size());
    }
    return fmt::format("generation {} applied; confirming within {} {} (else it returns to the "
                       "last known good generation)",
                       confirm.generation, seconds(confirm.timeout), checks);
}

void HostAgent::startConfirm(const std::string& name, std::int64_t generation, std::int64_t retry,
                             const std::string& xml, std::chrono::milliseconds timeout,
                             std::vector<ProbeSpec> probes)
{
    auto confirm = std::make_unique<Confirmation>();
    confirm->generation = generation;
    confirm->retry = retry;
    confirm->xml = xml;
    confirm->timeout = timeout;
    confirm->probes = std::move(probes);
    struct Deadline
    {
        HostAgent* agent;
        std::string name;
    };
    confirm->deadline.reset(g_timeout_source_new(static_cast<guint>(timeout.count())));
    g_source_set_callback(
        confirm->deadline.get(),
        [](gpointer data) noexcept -> gboolean {
            auto* d = static_cast<Deadline*>(data);
            auto* self = d->agent;
            auto it = self->confirming_.find(d->name);
            if (it == self->confirming_.end()) {
                return G_SOURCE_REMOVE;
            }
            const auto& c = *it->second;
            std::vector<std::string> why;
            if (!c.reached) {
                std::string text =
                    fmt::format("the management database was not reached within {} of applying it",
                                seconds(c.timeout));
                if (auto& error = self->client_->lastError(); error && !self->connected()) {
                    text += fmt::format(" ({})", error->fullMessage());
                }
                why.push_back(std::move(text));
            }
            for (const auto& probe : c.probes) {
                if (c.passed.count(probe.name) == 0) {
                    auto failure = c.failures.find(probe.name);
                    why.push_back(fmt::format(
                        "probe '{}' ({}) failed: {}", probe.name, describeProbe(probe),
                        failure != c.failures.end() ? failure->second : "no answer yet"));
                }
            }
            std::string name = d->name;
            try {
                std::string text;
                for (const auto& part : why) {
                    text += (text.empty() ? "" : "; ") + part;
                }
                self->revertSwitch(name, text);
            } catch (const std::exception& e) {
                self->notice(fmt::format("Switch '{}': the revert failed: {}", name, e.what()));
            }
            return G_SOURCE_REMOVE;
        },
        new Deadline{this, name}, [](gpointer data) { delete static_cast<Deadline*>(data); });
    g_source_attach(confirm->deadline.get(), context_);
    // The proof of the database: a status write built once the change is surely live, answered
    // (one always goes then: the heartbeat is due). The probes start then too.
    auto settle = std::min(options_.confirmSettle, timeout / 4);
    confirm->settle.reset(g_timeout_source_new(static_cast<guint>(settle.count())));
    g_source_set_callback(
        confirm->settle.get(),
        [](gpointer data) noexcept -> gboolean {
            auto* d = static_cast<Deadline*>(data);
            auto* self = d->agent;
            // runProbe() and writeStatus() keep the confirmation (and this source) alive.
            if (auto it = self->confirming_.find(d->name); it != self->confirming_.end()) {
                it->second->epoch = ++self->confirmEpoch_;
                const std::string name = d->name;
                for (const auto& probe : std::vector<ProbeSpec>(it->second->probes)) {
                    self->runProbe(name, probe);
                }
                self->heartbeatDue_ = true;
                self->writeStatus();
            }
            return G_SOURCE_REMOVE;
        },
        new Deadline{this, name}, [](gpointer data) { delete static_cast<Deadline*>(data); });
    g_source_attach(confirm->settle.get(), context_);
    // The probes too start once the change is live.
    confirming_[name] = std::move(confirm);
}

void HostAgent::runProbe(const std::string& name, const ProbeSpec& probe)
{
    auto it = confirming_.find(name);
    if (it == confirming_.end()) {
        return;
    }
    auto& confirm = *it->second;
    confirm.pauses.erase(probe.name);
    confirm.runs[probe.name] = std::make_unique<ProbeRun>(
        context_, probe, options_.probeRunTimeout,
        [this, name, probeName = probe.name](std::optional<std::string> failure) {
            onProbeDone(name, probeName, std::move(failure));
        });
}

void HostAgent::onProbeDone(const std::string& name, const std::string& probeName,
                            std::optional<std::string> failure)
{
    auto it = confirming_.find(name);
    if (it == confirming_.end()) {
        return; // not reached: a run goes with its confirmation
    }
    auto& confirm = *it->second;
    // The run that called us is still on the stack: it goes with the next one that finishes.
    retiredRuns_.clear();
    if (auto run = confirm.runs.find(probeName); run != confirm.runs.end()) {
        retiredRuns_.push_back(std::move(run->second));
        confirm.runs.erase(run);
    }
    if (!failure) {
        confirm.passed.insert(probeName);
        confirm.failures.erase(probeName);
        checkConfirmed(name);
        return;
    }
    confirm.failures[probeName] = *failure;
    // Again after a pause, until the deadline decides.
    struct Again
    {
        HostAgent* agent;
        std::string name;
        std::string probe;
    };
    auto& pause = confirm.pauses[probeName];
    pause.reset(g_timeout_source_new(static_cast<guint>(options_.probePause.count())));
    g_source_set_callback(
        pause.get(),
        [](gpointer data) noexcept -> gboolean {
            // runProbe() destroys this source, and again with it: copies first.
            auto* again = static_cast<Again*>(data);
            auto* self = again->agent;
            const std::string name = again->name;
            const std::string probeName = again->probe;
            auto c = self->confirming_.find(name);
            if (c != self->confirming_.end()) {
                for (const auto& probe : c->second->probes) {
                    if (probe.name == probeName) {
                        auto copy = probe;
                        self->runProbe(name, copy);
                        break;
                    }
                }
            }
            return G_SOURCE_REMOVE;
        },
        new Again{this, name, probeName}, [](gpointer data) { delete static_cast<Again*>(data); });
    g_source_attach(pause.get(), context_);
}

void HostAgent::onStatusWritten(std::uint64_t epoch)
{
    std::vector<std::string> names;
    for (auto& [name, confirm] : confirming_) {
        if (!confirm->reached && confirm->epoch <= epoch) {
            confirm->reached = true;
            names.push_back(name);
        }
    }
    for (const auto& name : names) {
        checkConfirmed(name);
    }
}

void HostAgent::checkConfirmed(const std::string& name)
{
    auto it = confirming_.find(name);
    if (it == confirming_.end()) {
        return;
    }
    auto& confirm = *it->second;
    if (!confirm.reached || confirm.passed.size() < confirm.probes.size()) {
        return;
    }
    const std::int64_t generation = confirm.generation;
    const std::string xml = confirm.xml;
    const auto probes = confirm.probes.size();
    settleApplied(name, generation, xml); // ends the confirmation
    ++stats_.confirms;
    auto& state = members_[name];
    state.applying.reset();
    state.applied = generation;
    recordApplied(name, generation);
    state.state = lastGood_.count(name) != 0 && lastGood_[name].reverted ? "reverted" : "in-sync";
    if (state.state == "reverted") {
        holdReverted(state, lastGood_[name]);
    } else {
        state.reason.clear();
    }
    observeNetwork(state);
    notice(
        fmt::format("Switch '{}': host '{}' confirmed generation {}: the management database "
                    "answered{}",
                    name, options_.host, generation,
                    probes == 0 ? std::string() : fmt::format(" and {} probe(s) passed", probes)));
    writeStatus();
    if (state.state == "in-sync") {
        snapshots_->applied(name, generation); // the host's copy, as for any generation applied
    }
}

void HostAgent::revertSwitch(const std::string& name, const std::string& why)
{
    auto it = confirming_.find(name);
    if (it == confirming_.end()) {
        return;
    }
    auto confirm = std::move(it->second);
    confirming_.erase(it);
    auto& record = lastGood_[name];
    auto& state = members_[name];
    state.switchName = name;
    const driver::ManagedBy by{name, options_.host};
    std::string reason = why;
    try {
        if (record.xml.empty()) {
            auto holding = teardownMemberNetwork(driver_, name);
            appliedXml_.erase(name);
            if (!holding.empty()) {
                reason +=
                    fmt::format("; the network stays while {} port(s) use it", holding.size());
            }
        } else {
            auto outcome = applyMemberNetwork(driver_, by, record.xml);
            appliedXml_[name] = record.xml;
            if (outcome.pending) {
                reason += "; " + outcome.pendingReason;
            }
        }
    } catch (const Error& e) {
        reason += fmt::format("; returning to the last known good generation failed: {}",
                              e.fullMessage());
        state.lastError = e.fullMessage();
        state.lastErrorAt = nowMs();
    }
    failedXml_.erase(name);
    record.pending.reset();
    record.pendingRetry = 0;
    record.reverted = confirm->generation;
    record.revertedRetry = confirm->retry;
    record.revertedAt = nowMs();
    record.revertedReason = reason;
    try {
        saveLastGood(options_.stateDir, name, record);
    } catch (const std::exception& e) {
        notice(fmt::format("Switch '{}': cannot record the revert: {}", name, e.what()));
    }
    ++stats_.reverts;
    holdReverted(state, record);
    if (record.generation) {
        recordApplied(name, *record.generation);
    }
    observeNetwork(state);
    notice(fmt::format("Switch '{}': host '{}' reverted generation {} to {}: {}", name,
                       options_.host, confirm->generation,
                       record.generation ? fmt::format("generation {}", *record.generation)
                                         : std::string("no network"),
                       reason));
    if (networksChanged_) {
        networksChanged_();
    }
    if (!confirm->reached && connected()) {
        // The session may be one the change broke and TCP has not noticed: a fresh one over the
        // path just restored reports the revert sooner.
        client_->connection().reset(
            Error(ErrorCode::SystemError, "the session did not answer after the change"));
    }
    writeStatus();
}

} // namespace dvs::mgmt
