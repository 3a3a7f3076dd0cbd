// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ovsdb/connection.h"
#include "ovsdb/replica.h"
#include "ovsdb/schema.h"
#include "ovsdb/transaction.h"
#include "util/enum_table.h"
#include "util/notice.h"

namespace dvs::ovsdb {

// Monitor requests, newest first; the client falls back along this list when the server does
// not know a method.
enum class MonitorMethod
{
    CondSince,
    Cond,
    Plain,
    Last
};

enum class ClientState
{
    Idle,       // not started, or stopped
    Connecting, // no session (connecting, or waiting to reconnect)
    Syncing,    // session up, schema and monitor being set up
    Ready,      // the replica follows the server; transactions are sent
    Last
};

} // namespace dvs::ovsdb

template <>
struct dvs::util::EnumNames<dvs::ovsdb::MonitorMethod>
{
    static constexpr std::array<std::string_view, 3> kNames{"monitor_cond_since", "monitor_cond",
                                                            "monitor"};
};

template <>
struct dvs::util::EnumNames<dvs::ovsdb::ClientState>
{
    static constexpr std::array<std::string_view, 4> kNames{"idle", "connecting", "syncing",
                                                            "ready"};
};

namespace dvs::ovsdb {

struct ClientOptions
{
    ConnectionOptions connection;
    std::string database = "Open_vSwitch";
    // Tables to replicate and their columns; an empty list means every column of the table.
    // Columns the server's schema lacks are left out.
    std::map<std::string, std::vector<std::string>> monitor;
    // Monitor conditions: per table, the "where" clauses of monitor_cond (ovsdb-server ORs
    // them; [false] matches no row), so only matching rows are replicated. A table without one
    // replicates every row. Changed later with Client::setCondition(). The plain "monitor"
    // method has no conditions: the replica then holds every row. The replica cache file is not
    // used for a client with conditions.
    std::map<std::string, Json> conditions;
    // The first monitor method tried.
    MonitorMethod monitorMethod = MonitorMethod::CondSince;
    // Follow _Server.Database for the database: a clustered server that is not connected to
    // its cluster (or, with requireLeader, is not the leader) is left for the next remote.
    bool serverAware = true;
    bool requireLeader = false;
    // Builds of one transaction before it fails for good on repeated conflicts.
    unsigned maxAttempts = 16;
    // A file that keeps the replica between runs, or empty. When the server gives transaction
    // ids (a clustered database), the replica and its transaction id are saved there when the
    // client stops and, while it runs, at most once per cacheInterval after a change. A new
    // client with the same file starts from it when the database, schema version and columns
    // match, and asks monitor_cond_since only for what changed since; the server answers with
    // a full snapshot (diffed against it) when it no longer has that transaction in its
    // history. A file that does not match or does not parse is ignored and later replaced.
    // Nothing is saved for a standalone database, whose transaction id is always zero.
    std::filesystem::path replicaCache{};
    std::chrono::milliseconds cacheInterval{10000};
    // Where a replica cache that is ignored or cannot be saved is reported (on the client's
    // thread; the last one may come from the destructor).
    util::NoticeSink notices{};
};

// What _Server.Database says about the database.
struct DatabaseStatus
{
    std::string model; // "standalone", "clustered" or "relay"
    bool connected = false;
    bool leader = false;
};

struct ClientStats
{
    std::uint64_t snapshots = 0;   // monitor replies taken as a full snapshot
    std::uint64_t fastResyncs = 0; // monitor_cond_since replies with found = true
    std::uint64_t tryAgains = 0;   // transactions rebuilt after a failed prerequisite
    std::uint64_t transactionsSent = 0;
    std::uint64_t cacheLoads = 0; // sessions started from the replica cache file
    std::uint64_t cacheSaves = 0; // replica cache files written
};

// A client of one database: one persistent connection, a replica of the monitored columns kept
// in step with the server (resynchronised after every reconnect), and transactions built
// against the replica and retried when a prerequisite failed.
class Client
{
public:
    using Builder = std::function<void(Transaction&)>;
    using Completion = std::function<void(Result<TxnResult>)>;
    using StateListener = std::function<void(ClientState state, const Error* error)>;

    // Throws Error(InvalidArg) for unusable options (see Connection).
    Client(GMainContext* context, ClientOptions options);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Starts connecting; returns at once.
    void start();
    // Closes the session. Queued and running transactions fail with Error(OperationInvalid).
    void stop();

    ClientState state() const noexcept { return state_; }
    // The last error that cost the session, if any.
    const std::optional<Error>& lastError() const noexcept { return lastError_; }
    // Called on every state change, with the error that caused a loss.
    std::uint64_t addStateListener(StateListener listener);
    void removeStateListener(std::uint64_t id);

    const Replica& replica() const noexcept { return replica_; }
    // For listeners and change tracking.
    Replica& replica() noexcept { return replica_; }
    // The server's schema of the database, once known.
    const Schema* schema() const noexcept { return replica_.schema(); }
    // The monitor method of the current session.
    std::optional<MonitorMethod> monitorMethod() const noexcept { return activeMonitor_; }
    // The last transaction id seen (all zeros on a standalone server).
    const std::string& lastTxnId() const noexcept { return lastTxnId_; }
    // _Server.Database's row for the database, when known.
    std::optional<DatabaseStatus> databaseStatus() const;

    // Runs a transaction: once the replica is ready, builder adds operations to a Transaction
    // over the current replica; the result comes to done. When a prerequisite (verify) fails
    // because another writer changed the row, builder runs again after the replica has the
    // change. A builder that adds no write completes with Status::Unchanged without a request.
    // Errors thrown by builder fail the transaction with that error. If the session is lost
    // while the request is in flight, done gets the error: the outcome is then unknown.
    void transact(std::string comment, Builder builder, Completion done);

    // Changes the monitor condition of a table (see ClientOptions::conditions; a null Json
    // removes it): sent with monitor_cond_change when the session is ready, else with the next
    // monitor request. The replica gains and loses rows when the server answers. A session
    // whose replica was built under other conditions resynchronises from a full snapshot
    // rather than from its last transaction id.
    void setCondition(const std::string& table, Json where);
    // The condition of a table as last set, or null.
    const Json& condition(const std::string& table) const;

    // Sends any request on the session (e.g. "list_dbs", "get_server_id"); fails without one.
    void call(std::string method, Json params, Connection::ReplyHandler reply);

    // Hears the notifications the client does not handle itself: "locked" and "stolen" (RFC
    // 7047 §4.1.9-11) for a caller that takes locks with call("lock", ...).
    using NotificationListener = std::function<void(const std::string& method, const Json& params)>;
    void setNotificationListener(NotificationListener listener)
    {
        notificationListener_ = std::move(listener);
    }

    Connection& connection() noexcept { return *connection_; }
    const ClientStats& stats() const noexcept { return stats_; }

private:
    struct Job
    {
        std::string comment;
        Builder builder;
        Completion done;
        unsigned attempts = 0;
        std::unique_ptr<Transaction> txn;
        std::uint64_t builtAt = 0;
    };

    void setState(ClientState state, const Error* error);
    void onConnectionState(const Error* error);
    void onNotification(const std::string& method, Json&& params);
    void afterChangeAware();
    void afterSchema(const Json& schemaJson);
    void afterServerSchema(const Json& schemaJson);
    void sendMonitor(MonitorMethod method);
    void afterMonitor(MonitorMethod method, Json&& reply);
    bool checkServer();
    void loadCache();
    void saveCache();
    void scheduleCacheSave();
    static gboolean onCacheSave(gpointer self) noexcept;
    Json monitorRequests(MonitorMethod method) const;
    void sendConditionChanges();
    void becomeReady();
    void attempt(std::uint64_t id);
    void finish(std::uint64_t id, Result<TxnResult> result);
    void runParked();
    void kick();
    static gboolean onKick(gpointer self) noexcept;

    GMainContext* context_;
    ClientOptions options_;
    std::unique_ptr<Connection> connection_;
    Replica replica_;
    Replica server_;
    ClientState state_ = ClientState::Idle;
    std::optional<Error> lastError_;
    std::optional<MonitorMethod> activeMonitor_;
    std::string lastTxnId_;
    std::map<std::string, std::vector<std::string>> columns_;
    // The conditions wanted, and those the replica's rows were selected by.
    std::map<std::string, Json> conditions_;
    std::map<std::string, Json> requestedConditions_; // sent on this session
    std::map<std::string, Json> ackedConditions_;
    std::string conditionAckTxnId_; // lastTxnId_ when a condition change was acknowledged
    std::string schemaVersion_;
    std::uint64_t session_ = 0;

    std::map<std::uint64_t, Job> jobs_;
    std::deque<std::uint64_t> waiting_; // not yet sent: waiting for Ready
    std::vector<std::uint64_t> parked_; // TRY_AGAIN with no newer replica yet
    std::uint64_t nextJob_ = 1;
    util::AttachedSource kickSource_;
    util::AttachedSource cacheSource_;
    bool cacheTried_ = false;
    std::string savedTxnId_; // the transaction id of the last cache file written or read

    std::map<std::uint64_t, StateListener> stateListeners_;
    NotificationListener notificationListener_;
    std::uint64_t nextListener_ = 1;
    ClientStats stats_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

} // namespace dvs::ovsdb
