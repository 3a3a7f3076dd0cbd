// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gio/gio.h>

#include "ovsdb/json_stream.h"
#include "ovsdb/result.h"
#include "ovsdb/tls.h"
#include "util/glib_ptr.h"

namespace dvs::ovsdb {

// Where an OVSDB server listens: "unix:PATH", "tcp:IP:PORT" or "ssl:IP:PORT" (IPv6 as
// "tcp:[ADDR]:PORT"), the spellings ovsdb-server and ovs-vsctl use.
struct Remote
{
    enum class Kind
    {
        Unix,
        Tcp,
        Ssl
    };
    Kind kind = Kind::Unix;
    std::string path; // Unix
    std::string host; // Tcp and Ssl, a numeric address
    std::uint16_t port = 0;

    // Throws Error(InvalidArg) for anything else.
    static Remote parse(std::string_view text);
    std::string toString() const;
};

struct ConnectionOptions
{
    // Tried in turn, one per connection attempt.
    std::vector<std::string> remotes;
    // Try the remotes in a random order (fixed for the connection's life), as the OVS IDL does,
    // so that many clients given one list spread over a cluster's servers instead of all using
    // the first one (and all losing their session when that one fails).
    bool shuffleRemotes = false;
    // The key, certificate and CA of ssl: remotes.
    TlsOptions tls;
    // Largest JSON text accepted from the server; a bigger one resets the connection.
    std::size_t maxMessageSize = 64 << 20;
    // Requests sent and not yet answered; more wait in a queue. ovsdb-server stops reading a
    // session that has unsent output, so an unbounded window can deadlock.
    std::size_t window = 32;
    // With nothing received for this long on tcp or ssl, an echo request is sent; with no answer
    // after as long again, the connection is reset. Zero disables. Unix sockets are not probed
    // unless probeUnix is set.
    std::chrono::milliseconds probeInterval{5000};
    bool probeUnix = false;
    // Reconnect delays: exponential from backoffMin up to backoffMax, each with up to 50 %
    // random jitter added. reconnect = false stops after the first loss.
    std::chrono::milliseconds backoffMin{100};
    std::chrono::milliseconds backoffMax{8000};
    bool reconnect = true;
    // Whether any message from the server starts the delays over from backoffMin. Off, only
    // resetBackoff() does: for an owner that leaves servers it cannot use (a follower when it
    // wants the leader) right after they answer, and must not poll them at the shortest delay.
    bool backoffResetOnMessage = true;
};

// Counters, for tests and status reports.
struct ConnectionStats
{
    std::uint64_t connects = 0;
    std::uint64_t resets = 0;
    std::uint64_t requestsSent = 0;
    std::uint64_t echoRepliesSent = 0;
    std::uint64_t probesSent = 0;
    std::size_t maxOutstanding = 0;
};

// One JSON-RPC 1.0 session (RFC 7047 §4) with an OVSDB server on a GMainContext: non-blocking
// I/O with reading always armed, requests pipelined within a window, echo answered at once, and
// reconnection with backoff. Any protocol violation by the peer resets the connection and fails
// every pending and queued request with the error.
//
// Handlers run from the context's dispatch. They may call methods of the Connection, and may
// destroy it only through the owner after they return (destroying it from inside a handler is
// safe too: dispatch stops).
class Connection
{
public:
    using ReplyHandler = std::function<void(Result<Json>)>;
    // A notification (request with a null id) from the server: method and params.
    using NotificationHandler = std::function<void(const std::string&, Json&&)>;
    // Called after the session is established (error == nullptr) and after it is lost (the
    // error says why).
    using StateHandler = std::function<void(const Error* error)>;

    // Throws Error(InvalidArg) when a remote cannot be parsed or none is given.
    Connection(GMainContext* context, ConnectionOptions options);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    void setNotificationHandler(NotificationHandler handler);
    void setStateHandler(StateHandler handler);

    // Starts connecting (asynchronously).
    void start();
    // Closes the session without reconnecting; pending and queued requests fail with
    // Error(OperationInvalid).
    void stop();
    // Drops the session as if the peer had failed: requests fail with error, and a reconnection
    // follows after the backoff delay.
    void reset(const Error& error);
    // The session is good: the next loss reconnects after backoffMin again.
    void resetBackoff() noexcept { failures_ = 0; }

    bool connected() const noexcept { return state_ == State::Connected; }
    // The remote of the current or last session.
    const std::string& remote() const;

    // Sends a request. reply gets the result, or an Error: the server's JSON-RPC error
    // (OperationFailed), or the loss of the session. Without a session the request fails (from
    // the main loop, never from inside call()).
    void call(std::string method, Json params, ReplyHandler reply);
    // Sends a notification (e.g. "cancel"); dropped without a session.
    void notify(std::string method, Json params);

    // Requests sent and not yet answered, and requests waiting for the window.
    std::size_t outstanding() const noexcept { return pending_.size(); }
    std::size_t queued() const noexcept { return queue_.size(); }
    const ConnectionStats& stats() const noexcept { return stats_; }

private:
    enum class State
    {
        Idle,
        Connecting,
        Connected,
        Backoff
    };
    struct Request
    {
        std::string method;
        Json params;
        ReplyHandler reply;
    };

    static gboolean onSocketReady(GSocket* socket, GIOCondition condition, gpointer self) noexcept;
    static gboolean onWritable(GSocket* socket, GIOCondition condition, gpointer self) noexcept;
    static gboolean onConnectDone(GSocket* socket, GIOCondition condition, gpointer self) noexcept;
    static gboolean onTimer(gpointer self) noexcept;
    static gboolean onProbeTimer(gpointer self) noexcept;
    static gboolean onFailLater(gpointer self) noexcept;

    void connectNow();
    void established();
    void sessionUp();
    void feedTls(std::string_view cipher);
    void armWrite();
    void readAvailable();
    void flush();
    void sendBuffer(std::string& out, std::size_t& offset);
    bool tlsOffsetPending() const noexcept { return tlsOutOffset_ < tlsOut_.size(); }
    void handleMessage(Json&& message);
    void send(const Json& message);
    void pump();
    void drop(const Error& error, bool reconnect);
    void scheduleReconnect();
    void failLater(ReplyHandler reply, Error error);

    GMainContext* context_;
    ConnectionOptions options_;
    std::vector<Remote> remotes_;
    std::size_t remoteIndex_ = 0;
    State state_ = State::Idle;
    unsigned failures_ = 0;
    std::uint64_t generation_ = 0;

    util::GObjectPtr<GSocket> socket_;
    util::AttachedSource readSource_;
    util::AttachedSource writeSource_;
    util::AttachedSource timer_;
    util::AttachedSource probeTimer_;
    util::AttachedSource failSource_;

    JsonStream stream_;
    std::vector<char> readBuffer_;
    std::string out_;
    std::size_t outOffset_ = 0;
    // ssl: the session, and the ciphertext waiting for the socket.
    std::unique_ptr<TlsSession> tls_;
    std::string tlsOut_;
    std::size_t tlsOutOffset_ = 0;
    std::int64_t nextId_ = 1;
    std::map<std::int64_t, Request> pending_;
    std::deque<Request> queue_;
    std::vector<std::pair<ReplyHandler, Error>> deferredFailures_;
    bool receivedSinceProbe_ = false;
    std::optional<std::int64_t> probeId_;

    NotificationHandler onNotification_;
    StateHandler onState_;
    ConnectionStats stats_;
    // Shared with dispatch frames so they notice when a handler destroyed the Connection.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

} // namespace dvs::ovsdb
