// SPDX-License-Identifier: LGPL-2.1-or-later
// The host agent's own rows: Host_Status (one per host) and Member_Status (one per switch the
// host is, or is leaving, a member of). Only changed rows are written, so a dvsd restart that
// finds everything applied writes its session's Host_Status and nothing else.
#include <fmt/format.h>

#include "mgmt/agent.h"
#include "mgmt/database.h"
#include "mgmt/dvs_db.h"

namespace dvs::mgmt {

namespace {

namespace db = ovsdb::dvsdb;
using ovsdb::Json;

// What a Member_Status row says, in the agent's terms (timestamps of the write left out).
MemberState fromRow(const db::MemberStatus::View& row)
{
    MemberState state;
    state.switchName = row.switchColumn();
    state.applied = row.generation();
    state.applying = row.applyingGeneration();
    state.state = row.state();
    state.reason = row.reason();
    state.networkState = row.networkState().value_or("");
    state.networkReason = row.networkReason();
    for (const auto& [nic, link] : row.uplinkState()) {
        state.uplinkState[nic] = link;
    }
    state.portCount = row.portCount();
    state.portsHolding = row.portsHolding();
    state.lastError = row.lastError();
    state.lastErrorAt = row.lastErrorAt();
    return state;
}

// The columns the database keeps of a MemberState (desired is the Member's, not ours).
MemberState comparable(MemberState state)
{
    state.desired.reset();
    std::sort(state.portsHolding.begin(), state.portsHolding.end());
    return state;
}

db::MemberStatus::Values valuesOf(const std::string& host, const MemberState& state,
                                  std::int64_t now)
{
    db::MemberStatus::Values values;
    std::vector<std::string> holding = state.portsHolding;
    std::sort(holding.begin(), holding.end());
    values.setHost(host)
        .setSwitch(state.switchName)
        .setGeneration(state.applied && *state.applied > 0 ? state.applied : std::nullopt)
        .setApplyingGeneration(state.applying)
        .setState(state.state.empty() ? "applying" : state.state)
        .setReason(state.reason)
        .setNetworkState(state.networkState.empty() ? std::nullopt
                                                    : std::optional(state.networkState))
        .setNetworkReason(state.networkReason)
        .setUplinkState(state.uplinkState)
        .setPortCount(state.portCount)
        .setPortsHolding(holding)
        .setLastError(state.lastError)
        .setLastErrorAt(state.lastErrorAt)
        .setUpdatedAt(now);
    return values;
}

} // namespace

void HostAgent::writeStatus()
{
    if (!connected()) {
        return;
    }
    if (statusInFlight_) {
        statusDirty_ = true;
        return;
    }
    statusInFlight_ = true;
    statusDirty_ = false;
    client_->transact(
        fmt::format("dvsd status of host '{}'", options_.host),
        [this](ovsdb::Transaction& txn) {
            const auto& replica = txn.replica();
            const auto now = nowMs();
            const auto& host = options_.host;
            insertRefs_.clear();
            hostInsertRef_.reset();

            // Host_Status: the session's start, and last_seen when a heartbeat is due.
            std::optional<db::HostStatus::View> hostRow;
            for (const auto& row : db::HostStatus::all(replica)) {
                if (row.name() == host) {
                    hostRow = row;
                    break;
                }
            }
            if (!hostRow && hostStatusRow_) {
                hostRow = db::HostStatus::get(replica, *hostStatusRow_);
            }
            const auto interval = options_.heartbeatInterval.count();
            if (!hostRow && !hostStatusRow_) {
                db::HostStatus::Values values;
                values.setName(host)
                    .setAgentVersion(options_.agentVersion)
                    .setConnectedAt(connectedAt_.value_or(now))
                    .setLastSeen(now)
                    .setHeartbeatInterval(interval);
                hostInsertRef_ = txn.insert(values);
            } else if (hostRow) {
                db::HostStatus::Values values;
                bool change = false;
                if (hostRow->agentVersion() != options_.agentVersion) {
                    values.setAgentVersion(options_.agentVersion);
                    change = true;
                }
                if (connectedAt_ && hostRow->connectedAt() != *connectedAt_) {
                    values.setConnectedAt(*connectedAt_);
                    change = true;
                }
                if (hostRow->heartbeatInterval() != interval) {
                    values.setHeartbeatInterval(interval);
                    change = true;
                }
                if (hostRow->disconnectedSince()) {
                    values.setDisconnectedSince(std::nullopt);
                    change = true;
                }
                if (change || heartbeatDue_) {
                    values.setLastSeen(now);
                    txn.update(hostRow->uuid(), values);
                }
            }

            // Member_Status: one row per switch, changed only when what it says changed.
            std::map<std::string, db::MemberStatus::View> rows;
            for (const auto& row : db::MemberStatus::all(replica)) {
                if (row.host() == host) {
                    rows.emplace(row.switchColumn(), row);
                }
            }
            // Rows inserted before whose insert the replica has not shown yet are not inserted
            // again; once it shows them, they are found by name.
            std::erase_if(statusRows_,
                          [&](const auto& entry) { return rows.count(entry.first) != 0; });
            for (const auto& [name, row] : rows) {
                if (members_.count(name) == 0) {
                    txn.remove(db::MemberStatus::kTable, row.uuid());
                }
            }
            for (const auto& [name, state] : members_) {
                auto it = rows.find(name);
                if (it == rows.end()) {
                    if (statusRows_.count(name) == 0) {
                        insertRefs_.emplace(name, txn.insert(valuesOf(host, state, now)));
                    }
                    continue;
                }
                if (comparable(fromRow(it->second)) != comparable(state)) {
                    txn.update(it->second.uuid(), valuesOf(host, state, now));
                }
            }
        },
        [this, alive = alive_](ovsdb::Result<ovsdb::TxnResult> result) {
            if (!*alive) {
                return;
            }
            statusInFlight_ = false;
            if (!result.ok()) {
                notice(fmt::format("Cannot write the status of host '{}': {}", options_.host,
                                   result.error().fullMessage()));
                statusRows_.clear();
                hostStatusRow_.reset();
            } else {
                ++stats_.statusWrites;
                heartbeatDue_ = false;
                for (const auto& [name, ref] : insertRefs_) {
                    if (auto uuid = result.value().uuidOf(ref)) {
                        statusRows_[name] = *uuid;
                    }
                }
                if (hostInsertRef_) {
                    hostStatusRow_ = result.value().uuidOf(*hostInsertRef_);
                }
            }
            if (statusDirty_) {
                writeStatus();
            }
        });
}

} // namespace dvs::mgmt
