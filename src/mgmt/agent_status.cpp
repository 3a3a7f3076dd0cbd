// SPDX-License-Identifier: LGPL-2.1-or-later
// The host agent's own rows: Host_Status (one per host) and Member_Status (one per switch the
// host is, or is leaving, a member of). The agent does not monitor them: ovsdb-server composes
// an update for every session that monitors a table a transaction wrote, whatever its
// conditions select, so a fleet monitoring its status tables would cost the server O(hosts)
// for every host's write. It reads them once per session with a select, and from then on knows
// them from what it wrote; a row deleted behind its back is inserted again when its next write
// of it finds nothing to update (the heartbeat, for Host_Status), or in the next session. Only
// changed rows are written, so a dvsd restart that finds everything applied writes its
// session's Host_Status and nothing else.
#include <array>
#include <memory>

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
    state.reverted = row.revertedGeneration();
    state.revertedAt = row.revertedAt();
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
        .setRevertedGeneration(state.reverted)
        .setRevertedAt(state.revertedAt)
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

void HostAgent::readOwnRows()
{
    if (ownReading_ || !connected() || client_->schema() == nullptr) {
        return;
    }
    ownReading_ = true;
    const auto& host = options_.host;
    Json params = Json::array(
        {std::string(kDatabase),
         Json{{"op", "select"},
              {"table", db::HostStatus::kTable},
              {"where", Json::array({Json::array({db::HostStatus::Col::kName, "==", host})})}},
         Json{{"op", "select"},
              {"table", db::MemberStatus::kTable},
              {"where", Json::array({Json::array({db::MemberStatus::Col::kHost, "==", host})})}}});
    client_->call("transact", std::move(params),
                  [this, alive = alive_, session = session_](ovsdb::Result<Json> reply) {
                      if (!*alive || session != session_) {
                          return;
                      }
                      ownReading_ = false;
                      try {
                          if (!reply.ok()) {
                              throw reply.error();
                          }
                          own_ = ownRowsFrom(reply.value());
                      } catch (const Error& e) {
                          notice(fmt::format("Cannot read the status rows of host '{}': {}",
                                             options_.host, e.fullMessage()));
                          return; // read again with the next status write
                      }
                      writeStatus();
                  });
}

HostAgent::OwnRows HostAgent::ownRowsFrom(const Json& reply) const
{
    const std::array<std::string_view, 2> tables{db::HostStatus::kTable, db::MemberStatus::kTable};
    if (!reply.is_array() || reply.size() < tables.size()) {
        raise(ErrorCode::Rpc, "the database's answer to a select is not a list of results");
    }
    // The rows go through a replica of their own, to be read with the generated accessors.
    std::map<std::string, std::vector<std::string>> columns;
    Json snapshot = Json::object();
    for (std::size_t i = 0; i < tables.size(); ++i) {
        const auto* schema = client_->schema()->table(tables[i]);
        const Json& rows = reply[i].is_object() ? reply[i].value("rows", Json()) : Json();
        if (schema == nullptr || !rows.is_array()) {
            raise(ErrorCode::Rpc, "the database did not return the rows of table '{}'", tables[i]);
        }
        auto& names = columns[std::string(tables[i])];
        for (const auto& [name, column] : schema->columns) {
            names.push_back(name);
        }
        Json& table = snapshot[std::string(tables[i])] = Json::object();
        for (const auto& row : rows) {
            const Json* uuid = row.is_object() && row.contains("_uuid") ? &row["_uuid"] : nullptr;
            if (uuid == nullptr || !uuid->is_array() || uuid->size() != 2 ||
                !(*uuid)[1].is_string()) {
                raise(ErrorCode::Rpc, "a row of table '{}' has no uuid", tables[i]);
            }
            Json values = row;
            values.erase("_uuid");
            values.erase("_version");
            table[(*uuid)[1].get<std::string>()] = Json{{"initial", std::move(values)}};
        }
    }
    ovsdb::Replica replica;
    replica.setSchema(*client_->schema(), columns);
    replica.applySnapshot(ovsdb::UpdateFormat::Update2, std::move(snapshot));

    OwnRows own;
    for (const auto& row : db::HostStatus::all(replica)) {
        own.host = OwnHostRow{row.uuid(), row.agentVersion(), row.connectedAt(),
                              row.heartbeatInterval(), row.disconnectedSince().has_value()};
        break;
    }
    for (const auto& row : db::MemberStatus::all(replica)) {
        own.members.emplace(row.switchColumn(), std::make_pair(row.uuid(), fromRow(row)));
    }
    return own;
}

void HostAgent::writeStatus()
{
    if (!connected()) {
        return;
    }
    if (!own_) {
        statusDirty_ = true;
        readOwnRows(); // writes once the rows are known
        return;
    }
    if (statusInFlight_) {
        statusDirty_ = true;
        return;
    }
    statusInFlight_ = true;
    statusDirty_ = false;

    // What one transaction writes, to be remembered once it committed.
    struct Written
    {
        std::optional<ovsdb::Ref> hostInsert;
        std::optional<std::size_t> hostUpdate; // the operation's index
        std::optional<OwnHostRow> host;
        std::map<std::string, std::pair<ovsdb::Ref, MemberState>> inserts;
        std::map<std::string, std::pair<std::size_t, MemberState>> updates;
        std::vector<std::string> removes;
    };
    auto written = std::make_shared<Written>();
    client_->transact(
        fmt::format("dvsd status of host '{}'", options_.host),
        [this, written](ovsdb::Transaction& txn) {
            *written = Written{};
            if (!own_) {
                return; // the session that read the rows is gone: nothing to write on
            }
            const auto now = nowMs();
            const auto& host = options_.host;
            const auto interval = options_.heartbeatInterval.count();
            const auto connectedAt = connectedAt_.value_or(now);
            // Written from now on: the proof of the database an apply being confirmed waits for.
            statusEpoch_ = confirmEpoch_;
            bool proving = false;
            for (const auto& [name, confirm] : confirming_) {
                proving = proving || (!confirm->reached && confirm->epoch <= confirmEpoch_);
            }

            // Host_Status: the session's start, and last_seen when a heartbeat is due.
            const OwnHostRow wanted{{}, options_.agentVersion, connectedAt, interval, false};
            if (!own_->host) {
                db::HostStatus::Values values;
                values.setName(host)
                    .setAgentVersion(options_.agentVersion)
                    .setConnectedAt(connectedAt)
                    .setLastSeen(now)
                    .setHeartbeatInterval(interval);
                written->hostInsert = txn.insert(values);
                written->host = wanted;
            } else {
                const auto& row = *own_->host;
                db::HostStatus::Values values;
                bool change = false;
                if (row.agentVersion != wanted.agentVersion) {
                    values.setAgentVersion(wanted.agentVersion);
                    change = true;
                }
                if (connectedAt_ && row.connectedAt != *connectedAt_) {
                    values.setConnectedAt(*connectedAt_);
                    change = true;
                }
                if (row.heartbeatInterval != interval) {
                    values.setHeartbeatInterval(interval);
                    change = true;
                }
                if (row.disconnected) {
                    values.setDisconnectedSince(std::nullopt);
                    change = true;
                }
                if (change || heartbeatDue_ || proving) {
                    values.setLastSeen(now);
                    written->hostUpdate = txn.operations().size();
                    txn.update(row.uuid, values);
                    written->host =
                        OwnHostRow{row.uuid, wanted.agentVersion,
                                   connectedAt_.value_or(row.connectedAt), interval, false};
                }
            }

            // Member_Status: one row per switch, changed only when what it says changed.
            for (const auto& [name, row] : own_->members) {
                if (members_.count(name) == 0) {
                    txn.remove(db::MemberStatus::kTable, row.first);
                    written->removes.push_back(name);
                }
            }
            for (const auto& [name, state] : members_) {
                auto it = own_->members.find(name);
                if (it == own_->members.end()) {
                    written->inserts.emplace(
                        name, std::make_pair(txn.insert(valuesOf(host, state, now)), state));
                } else if (comparable(it->second.second) != comparable(state)) {
                    written->updates.emplace(name, std::make_pair(txn.operations().size(), state));
                    txn.update(it->second.first, valuesOf(host, state, now));
                }
            }
        },
        [this, alive = alive_, written,
         session = session_](ovsdb::Result<ovsdb::TxnResult> result) {
            if (!*alive) {
                return;
            }
            statusInFlight_ = false;
            if (!result.ok()) {
                notice(fmt::format("Cannot write the status of host '{}': {}", options_.host,
                                   result.error().fullMessage()));
                own_.reset(); // the outcome is unknown: read the rows again
            } else if (own_ && session == session_) {
                const auto& txn = result.value();
                // An update that matched no row: someone deleted it; it is inserted again.
                auto matched = [&](std::size_t index) {
                    return index >= txn.results.size() || !txn.results[index].is_object() ||
                           txn.results[index].value("count", 1) > 0;
                };
                ++stats_.statusWrites;
                heartbeatDue_ = false;
                if (written->hostInsert) {
                    if (auto uuid = txn.uuidOf(*written->hostInsert)) {
                        written->host->uuid = *uuid;
                        own_->host = written->host;
                    }
                } else if (written->hostUpdate) {
                    if (matched(*written->hostUpdate)) {
                        own_->host = written->host;
                    } else {
                        own_->host.reset();
                        statusDirty_ = true;
                    }
                }
                for (const auto& name : written->removes) {
                    own_->members.erase(name);
                }
                for (auto& [name, insert] : written->inserts) {
                    if (auto uuid = txn.uuidOf(insert.first)) {
                        own_->members[name] = {*uuid, std::move(insert.second)};
                    }
                }
                for (auto& [name, update] : written->updates) {
                    if (matched(update.first)) {
                        own_->members[name].second = std::move(update.second);
                    } else {
                        own_->members.erase(name);
                        statusDirty_ = true;
                    }
                }
                if (txn.status == ovsdb::TxnResult::Status::Success) {
                    onStatusWritten(statusEpoch_);
                }
            }
            if (statusDirty_) {
                writeStatus();
            }
        });
}

} // namespace dvs::mgmt
