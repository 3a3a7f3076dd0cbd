// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ovsdb/client.h"

#include <utility>

#include <glib.h>

#include "ovsdb/replica_cache.h"
#include "ovsdb/server_db.h"

namespace dvs::ovsdb {

namespace {

// Monitor ids of our two monitors on a session.
constexpr std::string_view kServerMonitor = "dvs-server";

const char* const kZeroTxnId = "00000000-0000-0000-0000-000000000000";

} // namespace

namespace {

// A server the client leaves (not in its cluster, not the leader) answers before it is left:
// only a session that becomes ready resets the reconnection delays.
ConnectionOptions connectionOptions(ConnectionOptions options)
{
    options.backoffResetOnMessage = false;
    return options;
}

} // namespace

Client::Client(GMainContext* context, ClientOptions options)
    : context_(context), options_(std::move(options)),
      connection_(std::make_unique<Connection>(context, connectionOptions(options_.connection))),
      conditions_(options_.conditions)
{
    connection_->setStateHandler([this](const Error* error) { onConnectionState(error); });
    connection_->setNotificationHandler([this](const std::string& method, Json&& params) {
        onNotification(method, std::move(params));
    });
    replica_.addListener([this](const std::vector<RowChange>&) { runParked(); });
}

Client::~Client()
{
    *alive_ = false;
    saveCache();
}

void Client::start()
{
    if (state_ != ClientState::Idle) {
        return;
    }
    setState(ClientState::Connecting, nullptr);
    connection_->start();
}

void Client::stop()
{
    std::shared_ptr<bool> alive = alive_;
    saveCache();
    cacheSource_.reset();
    connection_->stop();
    if (!*alive) {
        return;
    }
    kickSource_.reset();
    Error error(ErrorCode::OperationInvalid,
                fmt::format("The OVSDB client of database '{}' was stopped.", options_.database));
    std::vector<std::uint64_t> ids;
    for (const auto& [id, job] : jobs_) {
        ids.push_back(id);
    }
    for (auto id : ids) {
        finish(id, error);
        if (!*alive) {
            return;
        }
    }
    waiting_.clear();
    parked_.clear();
    activeMonitor_.reset();
    setState(ClientState::Idle, nullptr);
}

std::uint64_t Client::addStateListener(StateListener listener)
{
    auto id = nextListener_++;
    stateListeners_.emplace(id, std::move(listener));
    return id;
}

void Client::removeStateListener(std::uint64_t id)
{
    stateListeners_.erase(id);
}

void Client::setState(ClientState state, const Error* error)
{
    if (state == state_ && error == nullptr) {
        return;
    }
    state_ = state;
    std::vector<std::uint64_t> ids;
    for (const auto& [id, listener] : stateListeners_) {
        ids.push_back(id);
    }
    std::shared_ptr<bool> alive = alive_;
    for (auto id : ids) {
        auto it = stateListeners_.find(id);
        if (it != stateListeners_.end()) {
            auto listener = it->second;
            listener(state, error);
            if (!*alive) {
                return;
            }
        }
    }
}

std::optional<DatabaseStatus> Client::databaseStatus() const
{
    for (const auto& row : server::Database::all(server_)) {
        if (row.name() == options_.database) {
            return DatabaseStatus{row.model(), row.connected(), row.leader()};
        }
    }
    return std::nullopt;
}

void Client::onConnectionState(const Error* error)
{
    if (error != nullptr) {
        lastError_ = *error;
        activeMonitor_.reset();
        setState(ClientState::Connecting, error);
        return;
    }
    ++session_;
    setState(ClientState::Syncing, nullptr);
    // Without this, ovsdb-server drops the session whenever a database is added, removed or
    // converted; with it, it cancels the monitor instead and we resynchronise.
    connection_->call("set_db_change_aware", Json::array({true}),
                      [this, session = session_](Result<Json> reply) {
                          if (session != session_ || (!reply.ok() && !connection_->connected())) {
                              return;
                          }
                          afterChangeAware(); // an old server without the method is fine
                      });
}

void Client::afterChangeAware()
{
    connection_->call("get_schema", Json::array({options_.database}),
                      [this, session = session_](Result<Json> reply) {
                          if (session != session_ || !connection_->connected()) {
                              return;
                          }
                          if (!reply.ok()) {
                              connection_->reset(reply.error());
                              return;
                          }
                          afterSchema(reply.value());
                      });
}

void Client::afterSchema(const Json& schemaJson)
{
    Schema schema = Schema::parse(schemaJson);
    std::map<std::string, std::vector<std::string>> columns;
    for (const auto& [table, names] : options_.monitor) {
        const TableSchema* ts = schema.table(table);
        if (ts == nullptr) {
            continue;
        }
        auto& kept = columns[table];
        if (names.empty()) {
            for (const auto& [name, column] : ts->columns) {
                kept.push_back(name);
            }
            continue;
        }
        for (const auto& name : names) {
            if (ts->column(name) != nullptr) {
                kept.push_back(name);
            }
        }
    }
    if (schema.version() != schemaVersion_ || columns != columns_ || !replica_.schema()) {
        // A different schema or column set: the replica starts over, with a full snapshot.
        lastTxnId_.clear();
        schemaVersion_ = schema.version();
        columns_ = columns;
        replica_.setSchema(schema, columns_);
    }
    if (!cacheTried_ && !options_.replicaCache.empty() && conditions_.empty()) {
        cacheTried_ = true;
        loadCache();
    }
    if (!options_.serverAware) {
        sendMonitor(options_.monitorMethod);
        return;
    }
    connection_->call("get_schema", Json::array({"_Server"}),
                      [this, session = session_](Result<Json> reply) {
                          if (session != session_ || !connection_->connected()) {
                              return;
                          }
                          if (!reply.ok()) {
                              // A server older than _Server (OVS < 2.9): nothing to follow.
                              sendMonitor(options_.monitorMethod);
                              return;
                          }
                          afterServerSchema(reply.value());
                      });
}

void Client::afterServerSchema(const Json& schemaJson)
{
    std::vector<std::string> columns{std::string(server::Database::Col::kName),
                                     std::string(server::Database::Col::kModel),
                                     std::string(server::Database::Col::kConnected),
                                     std::string(server::Database::Col::kLeader)};
    server_.setSchema(Schema::parse(schemaJson),
                      {{std::string(server::Database::kTable), columns}});
    Json request = Json::array({Json{
        {"columns", columns},
        {"where",
         Json::array({Json::array({server::Database::Col::kName, "==", options_.database})})}}});
    Json params = Json::array(
        {"_Server", kServerMonitor, Json{{std::string(server::Database::kTable), request}}});
    connection_->call("monitor_cond", std::move(params),
                      [this, session = session_](Result<Json> reply) {
                          if (session != session_ || !connection_->connected()) {
                              return;
                          }
                          if (reply.ok()) {
                              server_.applySnapshot(UpdateFormat::Update2, reply.value());
                              if (!checkServer()) {
                                  return;
                              }
                          }
                          sendMonitor(options_.monitorMethod);
                      });
}

bool Client::checkServer()
{
    auto status = databaseStatus();
    if (!status || status->model != "clustered") {
        return true;
    }
    if (!status->connected) {
        connection_->reset(Error(ErrorCode::OperationFailed,
                                 fmt::format("OVSDB server '{}' is not connected to the cluster "
                                             "of database '{}'.",
                                             connection_->remote(), options_.database)));
        return false;
    }
    if (options_.requireLeader && !status->leader) {
        connection_->reset(Error(ErrorCode::OperationFailed,
                                 fmt::format("OVSDB server '{}' is not the leader of the cluster "
                                             "of database '{}'.",
                                             connection_->remote(), options_.database)));
        return false;
    }
    return true;
}

Json Client::monitorRequests(MonitorMethod method) const
{
    Json requests = Json::object();
    for (const auto& [table, columns] : columns_) {
        Json request{{"columns", columns}};
        if (auto it = conditions_.find(table);
            method != MonitorMethod::Plain && it != conditions_.end() && !it->second.is_null()) {
            request["where"] = it->second;
        }
        requests[table] = Json::array({std::move(request)});
    }
    return requests;
}

void Client::sendMonitor(MonitorMethod method)
{
    Json params = Json::array({options_.database, options_.database, monitorRequests(method)});
    if (method == MonitorMethod::CondSince) {
        // Rows that new conditions select but that did not change since the last transaction
        // would be missing from a resumed monitor: start over from a snapshot then, and also
        // when a condition change was acknowledged with no update since (its rows may not have
        // come).
        bool resumable = !lastTxnId_.empty() && conditions_ == ackedConditions_ &&
                         (conditionAckTxnId_.empty() || conditionAckTxnId_ != lastTxnId_);
        params.push_back(resumable ? lastTxnId_ : std::string(kZeroTxnId));
    }
    requestedConditions_ = conditions_;
    connection_->call(
        std::string(util::toString(method)), std::move(params),
        [this, method, session = session_, sent = conditions_](Result<Json> reply) mutable {
            if (session != session_ || !connection_->connected()) {
                return;
            }
            if (!reply.ok()) {
                if (method == MonitorMethod::Plain) {
                    connection_->reset(reply.error());
                } else {
                    sendMonitor(static_cast<MonitorMethod>(static_cast<int>(method) + 1));
                }
                return;
            }
            ackedConditions_ = std::move(sent);
            conditionAckTxnId_.clear();
            try {
                afterMonitor(method, std::move(reply.value()));
            } catch (const Error& e) {
                connection_->reset(e);
            }
        });
}

void Client::afterMonitor(MonitorMethod method, Json&& reply)
{
    switch (method) {
    case MonitorMethod::CondSince: {
        if (!reply.is_array() || reply.size() != 3 || !reply[0].is_boolean() ||
            !reply[1].is_string()) {
            raise(ErrorCode::Rpc, "OVSDB server '{}' sent an invalid monitor_cond_since reply.",
                  connection_->remote());
        }
        std::string txnId = reply[1].get<std::string>();
        if (reply[0].get<bool>()) {
            replica_.applyUpdates(UpdateFormat::Update2, std::move(reply[2]));
            ++stats_.fastResyncs;
        } else {
            replica_.applySnapshot(UpdateFormat::Update2, std::move(reply[2]));
            ++stats_.snapshots;
        }
        lastTxnId_ = std::move(txnId);
        break;
    }
    case MonitorMethod::Cond:
        replica_.applySnapshot(UpdateFormat::Update2, std::move(reply));
        ++stats_.snapshots;
        break;
    case MonitorMethod::Plain:
    case MonitorMethod::Last:
        replica_.applySnapshot(UpdateFormat::Update, std::move(reply));
        ++stats_.snapshots;
        break;
    }
    activeMonitor_ = method;
    becomeReady();
    sendConditionChanges();
    scheduleCacheSave();
}

void Client::setCondition(const std::string& table, Json where)
{
    if (where.is_null()) {
        conditions_.erase(table);
    } else {
        conditions_[table] = std::move(where);
    }
    if (state_ == ClientState::Ready) {
        sendConditionChanges();
    }
}

const Json& Client::condition(const std::string& table) const
{
    static const Json kNone;
    auto it = conditions_.find(table);
    return it == conditions_.end() ? kNone : it->second;
}

void Client::sendConditionChanges()
{
    if (activeMonitor_ == MonitorMethod::Plain) {
        ackedConditions_ = requestedConditions_ = conditions_; // every row is replicated anyway
        return;
    }
    Json changes = Json::object();
    for (const auto& [table, columns] : columns_) {
        auto want = conditions_.find(table);
        auto have = requestedConditions_.find(table);
        Json wanted = want == conditions_.end() ? Json::array() : want->second;
        Json had = have == requestedConditions_.end() ? Json::array() : have->second;
        if (wanted != had) {
            changes[table] = Json::array({Json{{"where", std::move(wanted)}}});
        }
    }
    requestedConditions_ = conditions_;
    if (changes.empty()) {
        return;
    }
    connection_->call("monitor_cond_change",
                      Json::array({options_.database, options_.database, std::move(changes)}),
                      [this, session = session_, sent = conditions_](Result<Json> reply) mutable {
                          if (session != session_ || !connection_->connected()) {
                              return;
                          }
                          if (!reply.ok()) {
                              connection_->reset(reply.error());
                              return;
                          }
                          ackedConditions_ = std::move(sent);
                          conditionAckTxnId_ = lastTxnId_.empty() ? kZeroTxnId : lastTxnId_;
                          // The rows the new conditions select come before the answer to any
                          // later request (ovsdb-server flushes a session's monitors before it
                          // reads the next request): once an echo sent now is answered, the
                          // replica holds them, and the session may resume from its last
                          // transaction id even if no update followed.
                          connection_->call("echo", Json::array(),
                                            [this, session = session_, ack = conditionAckTxnId_,
                                             acked = ackedConditions_](Result<Json> echo) {
                                                if (session == session_ && echo.ok() &&
                                                    conditionAckTxnId_ == ack &&
                                                    ackedConditions_ == acked) {
                                                    conditionAckTxnId_.clear();
                                                }
                                            });
                      });
}

void Client::onNotification(const std::string& method, Json&& params)
{
    if (method == "monitor_canceled") {
        connection_->reset(Error(ErrorCode::OperationFailed,
                                 fmt::format("OVSDB server '{}' canceled the monitor of database "
                                             "'{}'.",
                                             connection_->remote(), options_.database)));
        return;
    }
    if (method != "update" && method != "update2" && method != "update3") {
        if (notificationListener_) {
            notificationListener_(method, params); // locked, stolen
        }
        return;
    }
    std::size_t expected = method == "update3" ? 3 : 2;
    if (!params.is_array() || params.size() != expected) {
        raise(ErrorCode::Rpc, "OVSDB server '{}' sent an invalid '{}' notification.",
              connection_->remote(), method);
    }
    UpdateFormat format = method == "update" ? UpdateFormat::Update : UpdateFormat::Update2;
    if (params[0] == kServerMonitor) {
        server_.applyUpdates(format, std::move(params.back()));
        checkServer();
        return;
    }
    if (params[0] != options_.database || !activeMonitor_) {
        return;
    }
    std::string txnId;
    if (method == "update3") {
        if (!params[1].is_string()) {
            raise(ErrorCode::Rpc, "OVSDB server '{}' sent an invalid 'update3' notification.",
                  connection_->remote());
        }
        txnId = params[1].get<std::string>();
    }
    replica_.applyUpdates(format, std::move(params.back()));
    // Only once the replica holds it: an update that does not apply resets the session, and
    // the resync must then ask for it again (and a saved cache must not claim it).
    if (!txnId.empty()) {
        lastTxnId_ = std::move(txnId);
    }
    scheduleCacheSave();
}

void Client::loadCache()
{
    if (!lastTxnId_.empty()) {
        return;
    }
    try {
        if (auto txnId = loadReplicaCache(
                options_.replicaCache, {options_.database, schemaVersion_, columns_}, replica_)) {
            lastTxnId_ = std::move(*txnId);
            savedTxnId_ = lastTxnId_;
            ++stats_.cacheLoads;
        }
    } catch (const std::exception& e) {
        options_.notices.warning("Ignoring the OVSDB replica cache '{}': {}",
                                 options_.replicaCache.string(), e.what());
        replica_.clear();
        lastTxnId_.clear();
    }
}

void Client::scheduleCacheSave()
{
    if (options_.replicaCache.empty() || cacheSource_ || state_ != ClientState::Ready ||
        lastTxnId_.empty() || lastTxnId_ == kZeroTxnId || lastTxnId_ == savedTxnId_) {
        return;
    }
    cacheSource_.reset(g_timeout_source_new(static_cast<guint>(options_.cacheInterval.count())));
    g_source_set_callback(cacheSource_.get(), &Client::onCacheSave, this, nullptr);
    g_source_attach(cacheSource_.get(), context_);
}

gboolean Client::onCacheSave(gpointer data) noexcept
{
    auto* self = static_cast<Client*>(data);
    self->cacheSource_.reset();
    self->saveCache();
    return G_SOURCE_REMOVE;
}

void Client::saveCache()
{
    const auto& path = options_.replicaCache;
    if (path.empty() || state_ != ClientState::Ready || lastTxnId_.empty() ||
        lastTxnId_ == kZeroTxnId || lastTxnId_ == savedTxnId_) {
        return;
    }
    try {
        saveReplicaCache(path, {options_.database, schemaVersion_, columns_}, replica_, lastTxnId_);
        savedTxnId_ = lastTxnId_;
        ++stats_.cacheSaves;
    } catch (const std::exception& e) {
        options_.notices.warning("Could not save the OVSDB replica cache '{}': {}", path.string(),
                                 e.what());
    }
}

void Client::becomeReady()
{
    connection_->resetBackoff();
    setState(ClientState::Ready, nullptr);
    for (auto id : parked_) {
        waiting_.push_back(id);
    }
    parked_.clear();
    kick();
}

void Client::kick()
{
    if (!kickSource_ && !waiting_.empty()) {
        kickSource_.reset(g_timeout_source_new(0));
        g_source_set_callback(kickSource_.get(), &Client::onKick, this, nullptr);
        g_source_attach(kickSource_.get(), context_);
    }
}

gboolean Client::onKick(gpointer data) noexcept
{
    auto* self = static_cast<Client*>(data);
    self->kickSource_.reset();
    if (self->state_ != ClientState::Ready) {
        return G_SOURCE_REMOVE;
    }
    std::shared_ptr<bool> alive = self->alive_;
    auto ids = std::move(self->waiting_);
    self->waiting_.clear();
    for (auto id : ids) {
        self->attempt(id);
        if (!*alive) {
            break;
        }
    }
    return G_SOURCE_REMOVE;
}

void Client::transact(std::string comment, Builder builder, Completion done)
{
    auto id = nextJob_++;
    jobs_.emplace(id, Job{std::move(comment), std::move(builder), std::move(done), 0, nullptr, 0});
    waiting_.push_back(id);
    if (state_ == ClientState::Ready) {
        kick();
    }
}

void Client::call(std::string method, Json params, Connection::ReplyHandler reply)
{
    connection_->call(std::move(method), std::move(params), std::move(reply));
}

void Client::attempt(std::uint64_t id)
{
    auto it = jobs_.find(id);
    if (it == jobs_.end()) {
        return;
    }
    Job& job = it->second;
    ++job.attempts;
    job.builtAt = replica_.seqno();
    job.txn = std::make_unique<Transaction>(replica_, job.comment);
    try {
        job.builder(*job.txn);
    } catch (const Error& e) {
        finish(id, e);
        return;
    } catch (const std::exception& e) {
        finish(id, Error(ErrorCode::InternalError, e.what()));
        return;
    }
    if (!job.txn->writes()) {
        TxnResult result;
        result.status = TxnResult::Status::Unchanged;
        result.attempts = job.attempts;
        finish(id, std::move(result));
        return;
    }
    ++stats_.transactionsSent;
    connection_->call(
        "transact", job.txn->params(options_.database), [this, id](Result<Json> reply) {
            auto it = jobs_.find(id);
            if (it == jobs_.end()) {
                return;
            }
            Job& job = it->second;
            if (!reply.ok()) {
                finish(id, reply.error());
                return;
            }
            TxnResult result;
            result.attempts = job.attempts;
            Transaction::Outcome outcome;
            try {
                outcome = job.txn->interpret(reply.value(), result);
            } catch (const Error& e) {
                finish(id, e);
                return;
            }
            switch (outcome) {
            case Transaction::Outcome::Committed:
                finish(id, std::move(result));
                return;
            case Transaction::Outcome::Failed:
                finish(id, *job.txn->error());
                return;
            case Transaction::Outcome::TryAgain:
                break;
            }
            ++stats_.tryAgains;
            if (job.attempts >= options_.maxAttempts) {
                finish(id, Error(ErrorCode::OperationFailed,
                                 fmt::format("OVSDB transaction '{}' kept conflicting with other "
                                             "writers ({} attempts).",
                                             job.comment, job.attempts)));
            } else if (replica_.seqno() != job.builtAt && state_ == ClientState::Ready) {
                attempt(id);
            } else {
                // The change that broke the prerequisite has not reached the replica yet.
                parked_.push_back(id);
            }
        });
}

void Client::runParked()
{
    if (parked_.empty() || state_ != ClientState::Ready) {
        return;
    }
    for (auto id : parked_) {
        waiting_.push_back(id);
    }
    parked_.clear();
    kick();
}

void Client::finish(std::uint64_t id, Result<TxnResult> result)
{
    auto it = jobs_.find(id);
    if (it == jobs_.end()) {
        return;
    }
    Completion done = std::move(it->second.done);
    jobs_.erase(it);
    try {
        done(std::move(result));
    } catch (...) {
        // Completions must not throw; there is nobody left to report to.
    }
}

} // namespace dvs::ovsdb
