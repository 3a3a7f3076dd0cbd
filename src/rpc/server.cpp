// SPDX-License-Identifier: LGPL-2.1-or-later
#include "server.h"

#include <cerrno>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <system_error>
#include <unistd.h>

#include <glib-unix.h>
#include <glib.h>

#include "rpc/unix_address.h"

namespace dvs::rpc {

namespace {

// A client that does not read its replies stops being read from beyond this much queued output,
// and is dropped beyond the second limit (events keep coming even when it sends nothing).
constexpr std::size_t kOutputPauseReading = 4 * 1024 * 1024;
constexpr std::size_t kOutputDrop = 64 * 1024 * 1024;
constexpr std::size_t kReadChunk = 64 * 1024;

std::string systemMessage(int err)
{
    return std::system_category().message(err);
}

// GLib's exact callback type for g_unix_fd_add.
gboolean acceptTrampoline(gint fd, GIOCondition condition, gpointer data) noexcept
{
    return Server::onAcceptTrampoline(fd, static_cast<unsigned>(condition), data);
}

[[noreturn]] void raiseSystem(const std::string& what, int err)
{
    throw Error(ErrorCode::SystemError, fmt::format("{}: {}", what, systemMessage(err)));
}

} // namespace

// One connection: its socket, session, input reassembly and output queue.
class Client
{
public:
    Client(Server& server, std::uint64_t id, util::UniqueFd fd, bool readOnly)
        : server_(server), id_(id), fd_(std::move(fd))
    {
        session_.readOnlySocket = readOnly;
        ucred cred{};
        socklen_t len = sizeof cred;
        if (::getsockopt(fd_.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
            session_.peer = fmt::format("pid={} uid={} gid={}", cred.pid, cred.uid, cred.gid);
            session_.peerPid = cred.pid;
            session_.peerUid = cred.uid;
        }
        SocketAuth auth = readOnly ? server_.config_.authRo : server_.config_.authRw;
        // libvirt bypasses polkit for privileged clients; a peer the socket cannot name must
        // authenticate (and will fail).
        session_.authPending = auth == SocketAuth::Polkit && session_.peerUid != 0;
        source_ = g_source_new(&kSourceFuncs, sizeof(FdSource));
        reinterpret_cast<FdSource*>(source_)->client = this;
        tag_ = g_source_add_unix_fd(source_, fd_.get(), G_IO_IN);
        // GLib takes a source that cannot recurse out of its poll set around every dispatch and
        // puts it back after, waking its own loop each time (two eventfd writes and a read per
        // call). Nothing here runs a nested loop, so the client's source may "recurse".
        g_source_set_can_recurse(source_, TRUE);
        g_source_attach(source_, g_main_context_get_thread_default());
        lastInput_ = std::chrono::steady_clock::now();
    }

    ~Client()
    {
        if (keepaliveSource_ != nullptr) {
            g_source_destroy(keepaliveSource_);
            g_source_unref(keepaliveSource_);
        }
        g_source_destroy(source_);
        g_source_unref(source_);
    }

    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    const Session& session() const noexcept { return session_; }

    // Queues a message; returns false when the client must be dropped.
    bool send(const Message& message)
    {
        out_.push_back(encodeMessage(message.header, message.payload));
        outSize_ += out_.back().size();
        if (outSize_ > kOutputDrop) {
            return false;
        }
        return writeSome();
    }

    // Writes what it can without blocking; false on a broken connection.
    bool writeSome()
    {
        while (!out_.empty()) {
            auto& front = out_.front();
            ssize_t n = ::send(fd_.get(), front.data() + outOffset_, front.size() - outOffset_,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    break;
                }
                return false;
            }
            outOffset_ += static_cast<std::size_t>(n);
            outSize_ -= static_cast<std::size_t>(n);
            if (outOffset_ == front.size()) {
                out_.pop_front();
                outOffset_ = 0;
            }
        }
        updateCondition();
        return true;
    }

    bool hasOutput() const noexcept { return !out_.empty(); }
    int fd() const noexcept { return fd_.get(); }

    // Stops reading requests (shutdown).
    void stopReading()
    {
        reading_ = false;
        updateCondition();
    }

    // Handles readiness of the socket; returns false with a reason when the client must go.
    bool onIo(GIOCondition condition, std::string& reason)
    {
        if ((condition & G_IO_OUT) != 0 && !writeSome()) {
            reason = "write failed";
            return false;
        }
        if ((condition & (G_IO_IN | G_IO_HUP | G_IO_ERR)) != 0 && reading_) {
            char buffer[kReadChunk];
            ssize_t n = ::recv(fd_.get(), buffer, sizeof buffer, MSG_DONTWAIT);
            if (n < 0) {
                if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
                    return true;
                }
                reason = "read failed";
                return false;
            }
            if (n == 0) {
                reason = "";
                return false;
            }
            lastInput_ = std::chrono::steady_clock::now();
            pingsUnanswered_ = 0;
            reader_.feed(buffer, static_cast<std::size_t>(n));
            return processBuffered(reason);
        } else if ((condition & (G_IO_HUP | G_IO_ERR)) != 0 && !hasOutput()) {
            reason = "";
            return false;
        }
        return true;
    }

    // Handles the complete messages read so far, up to a call that waits for the definition
    // worker; false with a reason when the client must go.
    bool processBuffered(std::string& reason)
    {
        try {
            while (!waiting_) {
                auto message = reader_.next();
                if (!message) {
                    break;
                }
                if (!handle(*message, reason)) {
                    return false;
                }
            }
        } catch (const Error& error) {
            reason = error.message();
            return false;
        }
        return true;
    }

    bool authPending() const noexcept { return session_.authPending; }

    // polkitd answered this client's AUTH_POLKIT: the reply goes out, then the client's next
    // messages.
    bool finishPolkit(const Header& call, const std::string& action,
                      const std::optional<Error>& denied, std::string& reason)
    {
        if (!denied) {
            session_.authPending = false;
            server_.authenticated();
        }
        if (server_.config_.polkitDecided) {
            server_.config_.polkitDecided(session_, action, denied);
        }
        waiting_ = false;
        if (!afterCall(Dispatcher::authPolkitReply(call, denied), reason)) {
            return false;
        }
        updateCondition();
        return processBuffered(reason);
    }

    // The definition worker parsed this client's define or create: the call runs now, then the
    // client's next messages.
    bool finishPrepared(DefinitionWorker::Done done, std::string& reason)
    {
        server_.driver_.adoptPrepared(std::move(done.prepared));
        Message reply = server_.dispatcher().dispatch(session_, done.call);
        server_.driver_.adoptPrepared(nullptr);
        waiting_ = false;
        if (!afterCall(reply, reason)) {
            return false;
        }
        updateCondition();
        return processBuffered(reason);
    }

private:
    struct FdSource
    {
        GSource base;
        Client* client;
    };

    // Runs one step of a client (its I/O, a keepalive tick) and drops the client when the step
    // says so or throws: what both trampolines do.
    template <typename Step>
    static gboolean stepOrDrop(Client* client, Step step) noexcept
    {
        Server& server = client->server_;
        std::uint64_t id = client->id_;
        std::string reason;
        bool keep = false;
        try {
            keep = step(reason);
        } catch (const std::exception& error) {
            reason = error.what();
        }
        if (!keep) {
            // Destroys client and its sources; the source that called stays alive until it
            // returns.
            server.dropClient(id, reason);
            return G_SOURCE_REMOVE;
        }
        return G_SOURCE_CONTINUE;
    }

    static gboolean dispatchTrampoline(GSource* source, GSourceFunc, gpointer) noexcept
    {
        Client* client = reinterpret_cast<FdSource*>(source)->client;
        return stepOrDrop(client, [&](std::string& reason) {
            return client->onIo(g_source_query_unix_fd(source, client->tag_), reason);
        });
    }

    static gboolean keepaliveTrampoline(gpointer data) noexcept
    {
        auto* client = static_cast<Client*>(data);
        return stepOrDrop(client,
                          [&](std::string& reason) { return client->onKeepaliveTick(reason); });
    }

    static inline GSourceFuncs kSourceFuncs = {
        nullptr, nullptr, &Client::dispatchTrampoline, nullptr, nullptr, nullptr,
    };

    // Tells GLib which readiness to wait for, only when it changed: GLib wakes its loop (an
    // eventfd write and read) on every g_source_modify_unix_fd, which would otherwise cost two
    // system calls per reply.
    void updateCondition()
    {
        unsigned condition = 0;
        if (reading_ && !waiting_ && outSize_ < kOutputPauseReading) {
            condition |= G_IO_IN;
        }
        if (!out_.empty()) {
            condition |= G_IO_OUT;
        }
        if (condition == condition_) {
            return;
        }
        condition_ = condition;
        g_source_modify_unix_fd(source_, tag_, static_cast<GIOCondition>(condition));
    }

    bool handle(const Message& message, std::string& reason)
    {
        const Header& header = message.header;
        if (header.prog == KEEPALIVE_PROGRAM) {
            if (header.type == DVS_MESSAGE_TYPE_MESSAGE && header.proc == KEEPALIVE_PROC_PING) {
                return send(Dispatcher::keepaliveMessage(KEEPALIVE_PROC_PONG));
            }
            // A PONG, or something unknown of the keepalive program: the input itself was
            // the sign of life.
            return true;
        }
        if (header.type != DVS_MESSAGE_TYPE_CALL) {
            reason = fmt::format("unexpected message type {}", static_cast<int>(header.type));
            return false;
        }
        if (session_.authPending && header.prog == REMOTE_PROGRAM &&
            header.proc == REMOTE_PROC_AUTH_POLKIT) {
            return askPolkit(message, reason);
        }
        if (server_.worker_ && DefinitionWorker::wanted(message)) {
            // Parsed off the loop; this client's later messages wait for it (libvirt's
            // clients match replies by serial, but keep to the order of one connection).
            waiting_ = true;
            updateCondition();
            server_.worker_->submit(id_, message);
            return true;
        }
        return afterCall(server_.dispatcher().dispatch(session_, message), reason);
    }

    // Asks polkitd whether the peer may use this socket; this client's later messages wait for
    // the answer (finishPolkit), while the loop serves the others.
    bool askPolkit(const Message& message, std::string& reason)
    {
        std::string action =
            session_.readOnlySocket ? "org.libvirt.unix.monitor" : "org.libvirt.unix.manage";
        auto startTime = processStartTime(session_.peerPid);
        if (!startTime) {
            return afterCall(
                Dispatcher::authPolkitReply(message.header, Error(ErrorCode::AuthFailed,
                                                                  "cannot get peer socket identity",
                                                                  ErrorDomain::Rpc)),
                reason);
        }
        waiting_ = true;
        updateCondition();
        PolkitSubject subject{session_.peerPid, *startTime, session_.peerUid};
        server_.polkit().check(action, subject,
                               [&server = server_, id = id_, call = message.header,
                                action](std::optional<Error> denied) {
                                   auto it = server.clients_.find(id);
                                   if (it == server.clients_.end()) {
                                       return; // gone meanwhile
                                   }
                                   std::string why;
                                   bool keep = false;
                                   try {
                                       keep = it->second->finishPolkit(call, action, denied, why);
                                   } catch (const std::exception& error) {
                                       why = error.what();
                                   }
                                   if (!keep) {
                                       server.dropClient(id, why);
                                   }
                               });
        return true;
    }

    // Sends a call's reply and starts the keepalive the call may have asked for.
    bool afterCall(const Message& reply, std::string& reason)
    {
        if (!send(reply)) {
            reason = "write failed";
            return false;
        }
        if (session_.keepaliveRequested && keepaliveSource_ == nullptr &&
            server_.config().keepaliveInterval > 0) {
            keepaliveSource_ = g_timeout_source_new_seconds(
                static_cast<unsigned>(server_.config().keepaliveInterval));
            g_source_set_callback(keepaliveSource_, &Client::keepaliveTrampoline, this, nullptr);
            g_source_attach(keepaliveSource_, g_main_context_get_thread_default());
        }
        return true;
    }

    bool onKeepaliveTick(std::string& reason)
    {
        auto interval = std::chrono::seconds(server_.config().keepaliveInterval);
        // Allow for timer slack: a tick slightly early still counts as a full interval.
        if (std::chrono::steady_clock::now() - lastInput_ + std::chrono::milliseconds(200) <
            interval) {
            return true;
        }
        if (pingsUnanswered_ >= server_.config().keepaliveCount) {
            reason = fmt::format("no response to {} keepalive messages, the client is gone",
                                 pingsUnanswered_);
            return false;
        }
        ++pingsUnanswered_;
        if (!send(Dispatcher::keepaliveMessage(KEEPALIVE_PROC_PING))) {
            reason = "write failed";
            return false;
        }
        return true;
    }

    Server& server_;
    std::uint64_t id_;
    util::UniqueFd fd_;
    Session session_;
    FrameReader reader_;
    std::deque<std::vector<char>> out_;
    std::size_t outOffset_ = 0;
    std::size_t outSize_ = 0;
    bool reading_ = true;
    bool waiting_ = false; // a call of ours is with the definition worker
    GSource* source_ = nullptr;
    gpointer tag_ = nullptr;
    unsigned condition_ = G_IO_IN; // what tag_ waits for
    GSource* keepaliveSource_ = nullptr;
    std::chrono::steady_clock::time_point lastInput_;
    unsigned pingsUnanswered_ = 0;

    friend class Server;
};

Server::Server(driver::NetworkDriver& driver, ServerConfig config)
    : driver_(driver), config_(std::move(config)),
      dispatcher_(driver, DaemonInfo{std::chrono::steady_clock::now(),
                                     [this] { return static_cast<unsigned>(clients_.size()); }})
{}

Server::~Server()
{
    worker_.reset();
    if (subscription_) {
        driver_.unsubscribe(*subscription_);
    }
    if (eventsIdleId_ != 0) {
        g_source_remove(eventsIdleId_);
    }
    clients_.clear();
    stopAccepting();
}

void Server::listenUnix(const std::filesystem::path& path, bool readOnly, mode_t mode,
                        std::optional<gid_t> group)
{
    sockaddr_un addr = unixSocketAddress(path);

    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
        throw Error(ErrorCode::SystemError, fmt::format("Cannot create directory '{}': {}",
                                                        path.parent_path().native(), ec.message()));
    }
    struct stat st
    {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
        ::unlink(path.c_str());
    }

    util::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        raiseSystem("Failed to create socket", errno);
    }
    mode_t old = ::umask(0077);
    int rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    int err = errno;
    ::umask(old);
    if (rc < 0) {
        raiseSystem(fmt::format("Failed to bind socket to '{}'", path.native()), err);
    }
    if (::chmod(path.c_str(), mode) < 0) {
        raiseSystem(fmt::format("Failed to change permissions of '{}'", path.native()), errno);
    }
    if (group && ::chown(path.c_str(), static_cast<uid_t>(-1), *group) < 0) {
        raiseSystem(fmt::format("Failed to change group ID of '{}' to {}", path.native(), *group),
                    errno);
    }
    if (::listen(fd.get(), 128) < 0) {
        raiseSystem(fmt::format("Failed to listen on socket '{}'", path.native()), errno);
    }
    auto listener = std::make_unique<Listener>();
    listener->fd = std::move(fd);
    listener->readOnly = readOnly;
    listener->createdPath = path;
    listener->owner = this;
    listeners_.push_back(std::move(listener));
}

void Server::adoptListener(util::UniqueFd fd, bool readOnly)
{
    int flags = ::fcntl(fd.get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) < 0) {
        raiseSystem("Failed to make the inherited socket non-blocking", errno);
    }
    auto listener = std::make_unique<Listener>();
    listener->fd = std::move(fd);
    listener->readOnly = readOnly;
    listener->owner = this;
    listeners_.push_back(std::move(listener));
}

void Server::watchListeners(bool on)
{
    for (auto& listener : listeners_) {
        if (on && listener->sourceId == 0 && listener->fd) {
            listener->sourceId =
                g_unix_fd_add(listener->fd.get(), G_IO_IN, &acceptTrampoline, listener.get());
        } else if (!on && listener->sourceId != 0) {
            g_source_remove(listener->sourceId);
            listener->sourceId = 0;
        }
    }
}

bool Server::roomForClients() const noexcept
{
    return clients_.size() < config_.maxClients && anonymous_ < config_.maxAnonymousClients;
}

void Server::authenticated()
{
    --anonymous_;
    if (accepting_ && roomForClients()) {
        watchListeners(true);
    }
}

PolkitAuthority& Server::polkit()
{
    if (!polkit_) {
        polkit_ = std::make_unique<PolkitAuthority>();
    }
    return *polkit_;
}

void Server::start()
{
    accepting_ = true;
    if (!worker_) {
        worker_ = std::make_unique<DefinitionWorker>([this](DefinitionWorker::Done done) {
            std::uint64_t id = done.client;
            auto it = clients_.find(id);
            if (it == clients_.end()) {
                return; // gone meanwhile
            }
            std::string reason;
            bool keep = false;
            try {
                keep = it->second->finishPrepared(std::move(done), reason);
            } catch (const std::exception& error) {
                reason = error.what();
            }
            if (!keep) {
                dropClient(id, reason);
            }
        });
    }
    watchListeners(roomForClients());
    if (!subscription_) {
        subscription_ =
            driver_.subscribe([this](const driver::NetworkRef& net, driver::LifecycleEvent event,
                                     int detail) { queueLifecycle(net, event, detail); });
    }
}

void Server::stopAccepting()
{
    accepting_ = false;
    for (auto& listener : listeners_) {
        if (listener->sourceId != 0) {
            g_source_remove(listener->sourceId);
            listener->sourceId = 0;
        }
        if (!listener->createdPath.empty()) {
            ::unlink(listener->createdPath.c_str());
            listener->createdPath.clear();
        }
        listener->fd.reset();
    }
}

void Server::flush(std::chrono::milliseconds timeout)
{
    deliverEvents();
    auto deadline = std::chrono::steady_clock::now() + timeout;
    // Calls with the definition worker are answered too.
    if (worker_) {
        worker_->drain(deadline);
    }
    for (auto& [id, client] : clients_) {
        client->stopReading();
    }
    for (;;) {
        std::vector<pollfd> fds;
        for (auto& [id, client] : clients_) {
            if (client->hasOutput()) {
                fds.push_back({client->fd(), POLLOUT, 0});
            }
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (fds.empty() || left.count() <= 0) {
            return;
        }
        if (::poll(fds.data(), fds.size(), static_cast<int>(left.count())) < 0 && errno != EINTR) {
            return;
        }
        for (auto it = clients_.begin(); it != clients_.end();) {
            if (it->second->hasOutput() && !it->second->writeSome()) {
                it = clients_.erase(it);
            } else {
                ++it;
            }
        }
    }
}

void Server::dropClient(std::uint64_t id, const std::string& reason)
{
    auto it = clients_.find(id);
    if (it == clients_.end()) {
        return;
    }
    // Move it out first: the client's destructor must not run while it is still in the map.
    auto client = std::move(it->second);
    clients_.erase(it);
    if (client->authPending()) {
        --anonymous_;
    }
    client.reset();
    if (accepting_ && roomForClients()) {
        // A connection waiting at max_clients or max_anonymous_clients gets its turn.
        watchListeners(true);
    }
    if (!reason.empty() && config_.clientDropped) {
        config_.clientDropped(id, reason);
    }
}

int Server::onAcceptTrampoline(int, unsigned, void* data) noexcept
{
    auto* listener = static_cast<Listener*>(data);
    try {
        listener->owner->accept(*listener);
    } catch (const std::exception&) {
        // Out of memory while setting up a client: that connection is closed, the rest go on.
    }
    return G_SOURCE_CONTINUE;
}

int Server::onEventsIdleTrampoline(void* data) noexcept
{
    auto* server = static_cast<Server*>(data);
    server->eventsIdleId_ = 0;
    try {
        server->deliverEvents();
    } catch (const std::exception&) {
        // Only allocation failures can get here; the events are lost, the clients stay.
        server->pendingEvents_.clear();
    }
    return G_SOURCE_REMOVE;
}

void Server::accept(Listener& listener)
{
    for (;;) {
        util::UniqueFd fd(
            ::accept4(listener.fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd) {
            return; // EAGAIN, or a connection that went away before we took it
        }
        std::uint64_t id = ++lastClientId_;
        auto client = std::make_unique<Client>(*this, id, std::move(fd), listener.readOnly);
        if (client->authPending()) {
            ++anonymous_;
        }
        clients_.emplace(id, std::move(client));
        if (!roomForClients()) {
            // As libvirt does at max_clients and max_anonymous_clients: stop accepting; further
            // connections wait in the listen backlog until a client leaves or authenticates.
            watchListeners(false);
            return;
        }
    }
}

void Server::queueLifecycle(const driver::NetworkRef& net, driver::LifecycleEvent event, int detail)
{
    pendingEvents_.push_back({net, event, detail});
    if (eventsIdleId_ == 0) {
        eventsIdleId_ = g_idle_add(&Server::onEventsIdleTrampoline, this);
    }
}

void Server::deliverEvents()
{
    auto events = std::move(pendingEvents_);
    pendingEvents_.clear();
    std::vector<std::uint64_t> dead;
    for (const auto& pending : events) {
        for (auto& [id, client] : clients_) {
            for (const auto& [callbackId, filter] : client->session().lifecycleCallbacks) {
                if (filter && *filter != pending.net.uuid) {
                    continue;
                }
                if (!client->send(Dispatcher::lifecycleMessage(callbackId, pending.net,
                                                               pending.event, pending.detail))) {
                    dead.push_back(id);
                    break;
                }
            }
        }
    }
    for (auto id : dead) {
        dropClient(id, "write failed");
    }
}

} // namespace dvs::rpc
