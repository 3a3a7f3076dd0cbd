// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ovsdb/connection.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

#include <gio/gunixsocketaddress.h>

#include "util/error.h"

namespace dvs::ovsdb {

namespace {

// The read buffer starts small and doubles while reads fill it: a session that receives
// small updates (a host agent: thousands of them in one process) keeps a small buffer, one
// that receives a large dump reads it in large chunks.
constexpr std::size_t kFirstReadChunk = 16 * 1024;
constexpr std::size_t kReadChunk = 256 * 1024;
// Reads per wakeup, so that one busy connection does not starve the rest of the loop.
constexpr int kReadsPerDispatch = 16;

util::AttachedSource attachTimer(GMainContext* context, std::chrono::milliseconds delay,
                                 GSourceFunc callback, gpointer data)
{
    util::AttachedSource source(g_timeout_source_new(static_cast<guint>(delay.count())));
    g_source_set_callback(source.get(), callback, data, nullptr);
    g_source_attach(source.get(), context);
    return source;
}

std::string describeServerError(const Json& error)
{
    if (error.is_string()) {
        return error.get<std::string>();
    }
    if (error.is_object() && error.contains("error") && error["error"].is_string()) {
        std::string text = error["error"].get<std::string>();
        if (auto it = error.find("details"); it != error.end() && it->is_string()) {
            text += ": " + it->get<std::string>();
        }
        return text;
    }
    return error.dump();
}

} // namespace

Remote Remote::parse(std::string_view text)
{
    Remote remote;
    if (text.starts_with("unix:") && text.size() > 5) {
        remote.kind = Kind::Unix;
        remote.path = std::string(text.substr(5));
        return remote;
    }
    if (text.starts_with("tcp:") || text.starts_with("ssl:")) {
        const bool ssl = text.starts_with("ssl:");
        std::string_view rest = text.substr(4);
        std::string_view host;
        std::string_view port;
        if (rest.starts_with('[')) {
            auto close = rest.find("]:");
            if (close != std::string_view::npos) {
                host = rest.substr(1, close - 1);
                port = rest.substr(close + 2);
            }
        } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
            host = rest.substr(0, colon);
            port = rest.substr(colon + 1);
        }
        unsigned value = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (!host.empty() && !port.empty() && ec == std::errc() &&
            end == port.data() + port.size() && value > 0 && value < 65536 &&
            g_hostname_is_ip_address(std::string(host).c_str())) {
            remote.kind = ssl ? Kind::Ssl : Kind::Tcp;
            remote.host = std::string(host);
            remote.port = static_cast<std::uint16_t>(value);
            return remote;
        }
    }
    raise(ErrorCode::InvalidArg,
          "OVSDB remote '{}' is not of the form 'unix:PATH', 'tcp:IP:PORT' or 'ssl:IP:PORT'.",
          text);
}

std::string Remote::toString() const
{
    if (kind == Kind::Unix) {
        return "unix:" + path;
    }
    const char* scheme = kind == Kind::Ssl ? "ssl" : "tcp";
    if (host.find(':') != std::string::npos) {
        return fmt::format("{}:[{}]:{}", scheme, host, port);
    }
    return fmt::format("{}:{}:{}", scheme, host, port);
}

Connection::Connection(GMainContext* context, ConnectionOptions options)
    : context_(context), options_(std::move(options)), stream_(options_.maxMessageSize)
{
    if (options_.remotes.empty()) {
        raise(ErrorCode::InvalidArg, "No OVSDB remote is configured.");
    }
    if (options_.shuffleRemotes) {
        auto& list = options_.remotes;
        for (std::size_t i = list.size() - 1; i > 0; --i) {
            std::swap(
                list[i],
                list[static_cast<std::size_t>(g_random_int_range(0, static_cast<gint32>(i) + 1))]);
        }
    }
    for (const auto& text : options_.remotes) {
        remotes_.push_back(Remote::parse(text));
        if (remotes_.back().kind == Remote::Kind::Ssl &&
            (options_.tls.privateKey.empty() || options_.tls.certificate.empty() ||
             options_.tls.caCert.empty())) {
            raise(ErrorCode::InvalidArg,
                  "OVSDB remote '{}' needs a private key, a certificate and a CA certificate.",
                  text);
        }
    }
    options_.window = std::max<std::size_t>(options_.window, 1);
    options_.backoffMin = std::max(options_.backoffMin, std::chrono::milliseconds(1));
    options_.backoffMax = std::max(options_.backoffMax, options_.backoffMin);
}

Connection::~Connection()
{
    *alive_ = false;
}

void Connection::setNotificationHandler(NotificationHandler handler)
{
    onNotification_ = std::move(handler);
}

void Connection::setStateHandler(StateHandler handler)
{
    onState_ = std::move(handler);
}

const std::string& Connection::remote() const
{
    std::size_t index = (remoteIndex_ + remotes_.size() - 1) % remotes_.size();
    return options_.remotes[index];
}

void Connection::start()
{
    if (state_ != State::Idle) {
        return;
    }
    state_ = State::Backoff;
    timer_ = attachTimer(context_, std::chrono::milliseconds(0), &Connection::onTimer, this);
}

void Connection::stop()
{
    timer_.reset();
    bool active = state_ != State::Idle;
    drop(Error(ErrorCode::OperationInvalid,
               fmt::format("The connection to OVSDB server '{}' was closed.", remote())),
         false);
    if (!active) {
        state_ = State::Idle;
    }
}

void Connection::reset(const Error& error)
{
    drop(error, true);
}

gboolean Connection::onTimer(gpointer data) noexcept
{
    auto* self = static_cast<Connection*>(data);
    self->timer_.reset();
    try {
        self->connectNow();
    } catch (const Error& e) {
        self->drop(e, true);
    } catch (const std::exception& e) {
        self->drop(Error(ErrorCode::InternalError, e.what()), true);
    }
    return G_SOURCE_REMOVE;
}

void Connection::connectNow()
{
    const Remote& remote = remotes_[remoteIndex_ % remotes_.size()];
    ++remoteIndex_;
    state_ = State::Connecting;

    util::GObjectPtr<GSocketAddress> address;
    if (remote.kind == Remote::Kind::Unix) {
        address.reset(g_unix_socket_address_new(remote.path.c_str()));
    } else {
        util::GObjectPtr<GInetAddress> inet(g_inet_address_new_from_string(remote.host.c_str()));
        address.reset(g_inet_socket_address_new(inet.get(), remote.port));
    }
    GError* rawError = nullptr;
    socket_.reset(g_socket_new(g_socket_address_get_family(address.get()), G_SOCKET_TYPE_STREAM,
                               G_SOCKET_PROTOCOL_DEFAULT, &rawError));
    util::GErrorPtr error(rawError);
    if (!socket_) {
        raise(ErrorCode::SystemError, "Cannot create a socket for OVSDB server '{}': {}",
              remote.toString(), error->message);
    }
    g_socket_set_blocking(socket_.get(), FALSE);
    if (g_socket_connect(socket_.get(), address.get(), nullptr, &rawError)) {
        established();
        return;
    }
    error.reset(rawError);
    if (!g_error_matches(error.get(), G_IO_ERROR, G_IO_ERROR_PENDING)) {
        raise(ErrorCode::SystemError, "Cannot connect to OVSDB server '{}': {}", remote.toString(),
              error->message);
    }
    writeSource_.reset(g_socket_create_source(socket_.get(), G_IO_OUT, nullptr));
    g_source_set_callback(writeSource_.get(), G_SOURCE_FUNC(&onConnectDone), this, nullptr);
    g_source_attach(writeSource_.get(), context_);
}

gboolean Connection::onConnectDone(GSocket* socket, GIOCondition, gpointer data) noexcept
{
    auto* self = static_cast<Connection*>(data);
    self->writeSource_.reset();
    GError* rawError = nullptr;
    if (!g_socket_check_connect_result(socket, &rawError)) {
        util::GErrorPtr error(rawError);
        self->drop(
            Error(ErrorCode::SystemError, fmt::format("Cannot connect to OVSDB server '{}': {}",
                                                      self->remote(), error->message)),
            true);
        return G_SOURCE_REMOVE;
    }
    try {
        self->established();
    } catch (const Error& e) {
        self->drop(e, true);
    } catch (const std::exception& e) {
        self->drop(Error(ErrorCode::InternalError, e.what()), true);
    }
    return G_SOURCE_REMOVE;
}

void Connection::established()
{
    stream_.reset();
    readSource_.reset(g_socket_create_source(
        socket_.get(), static_cast<GIOCondition>(G_IO_IN | G_IO_HUP | G_IO_ERR), nullptr));
    g_source_set_callback(readSource_.get(), G_SOURCE_FUNC(&onSocketReady), this, nullptr);
    g_source_attach(readSource_.get(), context_);

    const Remote& remote = remotes_[(remoteIndex_ + remotes_.size() - 1) % remotes_.size()];
    if (remote.kind == Remote::Kind::Ssl) {
        // The session is up once the handshake is done (readAvailable() drives it).
        tls_ = std::make_unique<TlsSession>(options_.tls, remote.toString());
        tls_->handshake();
        tls_->takeCipher(tlsOut_);
        armWrite();
        return;
    }
    sessionUp();
}

void Connection::sessionUp()
{
    state_ = State::Connected;
    ++stats_.connects;
    const Remote& remote = remotes_[(remoteIndex_ + remotes_.size() - 1) % remotes_.size()];
    if (options_.probeInterval.count() > 0 &&
        (remote.kind != Remote::Kind::Unix || options_.probeUnix)) {
        receivedSinceProbe_ = true;
        probeId_.reset();
        probeTimer_ =
            attachTimer(context_, options_.probeInterval, &Connection::onProbeTimer, this);
    }
    if (onState_) {
        onState_(nullptr);
    }
}

gboolean Connection::onSocketReady(GSocket*, GIOCondition, gpointer data) noexcept
{
    auto* self = static_cast<Connection*>(data);
    std::shared_ptr<bool> alive = self->alive_;
    try {
        self->readAvailable();
    } catch (const Error& e) {
        if (*alive) {
            self->drop(e, true);
        }
    } catch (const std::exception& e) {
        if (*alive) {
            self->drop(Error(ErrorCode::InternalError, e.what()), true);
        }
    }
    // The source is destroyed explicitly when the session ends.
    return G_SOURCE_CONTINUE;
}

void Connection::readAvailable()
{
    std::shared_ptr<bool> alive = alive_;
    std::uint64_t generation = generation_;
    std::vector<char>& buffer = readBuffer_;
    if (buffer.empty()) {
        buffer.resize(kFirstReadChunk);
    }
    for (int i = 0; i < kReadsPerDispatch; ++i) {
        GError* rawError = nullptr;
        gssize n =
            g_socket_receive(socket_.get(), buffer.data(), buffer.size(), nullptr, &rawError);
        util::GErrorPtr error(rawError);
        if (n == 0) {
            raise(ErrorCode::SystemError, "OVSDB server '{}' closed the connection.", remote());
        }
        if (n < 0) {
            if (g_error_matches(error.get(), G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
                return;
            }
            raise(ErrorCode::SystemError, "Cannot read from OVSDB server '{}': {}", remote(),
                  error->message);
        }
        if (tls_) {
            feedTls(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
            if (!*alive || generation != generation_) {
                return;
            }
        } else {
            stream_.feed(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
        }
        while (auto message = stream_.next()) {
            handleMessage(std::move(*message));
            if (!*alive || generation != generation_) {
                return;
            }
        }
        if (static_cast<std::size_t>(n) < buffer.size()) {
            return;
        }
        if (buffer.size() < kReadChunk) {
            buffer.resize(buffer.size() * 2);
        }
    }
}

void Connection::feedTls(std::string_view cipher)
{
    tls_->feed(cipher);
    if (!tls_->established()) {
        bool done = tls_->handshake();
        tls_->takeCipher(tlsOut_);
        armWrite();
        if (!done) {
            return;
        }
        std::shared_ptr<bool> alive = alive_;
        std::uint64_t generation = generation_;
        sessionUp();
        if (!*alive || generation != generation_) {
            return;
        }
    }
    std::array<char, 16384> plain;
    while (std::size_t n = tls_->readPlain(plain.data(), plain.size())) {
        stream_.feed(std::string_view(plain.data(), n));
    }
    // Reading may have produced records to send (e.g. a key update).
    tls_->takeCipher(tlsOut_);
    armWrite();
}

void Connection::armWrite()
{
    bool pending = outOffset_ < out_.size() || tlsOffsetPending();
    if (!writeSource_ && socket_ && pending) {
        writeSource_.reset(g_socket_create_source(socket_.get(), G_IO_OUT, nullptr));
        g_source_set_callback(writeSource_.get(), G_SOURCE_FUNC(&onWritable), this, nullptr);
        g_source_attach(writeSource_.get(), context_);
    }
}

void Connection::handleMessage(Json&& message)
{
    if (!message.is_object()) {
        raise(ErrorCode::Rpc, "OVSDB server '{}' sent a message that is not a JSON object.",
              remote());
    }
    receivedSinceProbe_ = true;
    if (options_.backoffResetOnMessage) {
        failures_ = 0;
    }
    auto methodIt = message.find("method");
    if (methodIt != message.end()) {
        if (!methodIt->is_string()) {
            raise(ErrorCode::Rpc, "OVSDB server '{}' sent a request without a method name.",
                  remote());
        }
        std::string method = methodIt->get<std::string>();
        // Moved out of the message: an update notification can be megabytes.
        auto paramsIt = message.find("params");
        Json params = paramsIt != message.end() ? std::move(*paramsIt) : Json::array();
        Json id = message.value("id", Json());
        if (id.is_null()) {
            if (onNotification_) {
                onNotification_(method, std::move(params));
            }
        } else if (method == "echo") {
            send(Json{{"id", std::move(id)}, {"result", std::move(params)}, {"error", nullptr}});
            ++stats_.echoRepliesSent;
        } else {
            send(Json{{"id", std::move(id)}, {"result", nullptr}, {"error", "unknown method"}});
        }
        return;
    }
    if (!message.contains("result") && !message.contains("error")) {
        raise(ErrorCode::Rpc,
              "OVSDB server '{}' sent a message that is neither a request nor a "
              "reply.",
              remote());
    }
    const Json& id = message["id"];
    auto it = id.is_number_integer() ? pending_.find(id.get<std::int64_t>()) : pending_.end();
    if (it == pending_.end()) {
        raise(ErrorCode::Rpc, "OVSDB server '{}' sent a reply with the unknown id '{}'.", remote(),
              id.dump());
    }
    Request request = std::move(it->second);
    pending_.erase(it);
    if (probeId_ && *probeId_ == id.get<std::int64_t>()) {
        probeId_.reset();
    }
    pump();
    const Json& error = message.contains("error") ? message["error"] : Json();
    if (!error.is_null()) {
        request.reply(Error(ErrorCode::OperationFailed,
                            fmt::format("OVSDB server '{}' rejected the '{}' request: {}", remote(),
                                        request.method, describeServerError(error))));
    } else {
        request.reply(std::move(message["result"]));
    }
}

void Connection::call(std::string method, Json params, ReplyHandler reply)
{
    if (state_ != State::Connected) {
        failLater(std::move(reply),
                  Error(ErrorCode::OperationFailed,
                        fmt::format("Not connected to OVSDB server '{}'.", remote())));
        return;
    }
    queue_.push_back(Request{std::move(method), std::move(params), std::move(reply)});
    pump();
}

void Connection::notify(std::string method, Json params)
{
    if (state_ == State::Connected) {
        send(Json{{"method", std::move(method)}, {"params", std::move(params)}, {"id", nullptr}});
    }
}

void Connection::pump()
{
    while (state_ == State::Connected && pending_.size() < options_.window && !queue_.empty()) {
        Request request = std::move(queue_.front());
        queue_.pop_front();
        std::int64_t id = nextId_++;
        send(Json{{"method", request.method}, {"params", std::move(request.params)}, {"id", id}});
        request.params = nullptr;
        pending_.emplace(id, std::move(request));
        ++stats_.requestsSent;
        stats_.maxOutstanding = std::max(stats_.maxOutstanding, pending_.size());
    }
}

void Connection::send(const Json& message)
{
    out_ += message.dump(-1, ' ', false, Json::error_handler_t::replace);
    if (state_ == State::Connected) {
        armWrite();
    }
}

gboolean Connection::onWritable(GSocket*, GIOCondition, gpointer data) noexcept
{
    auto* self = static_cast<Connection*>(data);
    try {
        self->flush();
    } catch (const Error& e) {
        self->drop(e, true);
        return G_SOURCE_REMOVE;
    }
    if (self->outOffset_ == self->out_.size() && !self->tlsOffsetPending()) {
        self->out_.clear();
        self->outOffset_ = 0;
        self->writeSource_.reset();
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

void Connection::flush()
{
    if (tls_) {
        // Plaintext goes through the session once it is up; the socket gets the ciphertext.
        if (tls_->established() && outOffset_ < out_.size()) {
            tls_->writePlain(std::string_view(out_).substr(outOffset_));
            out_.clear();
            outOffset_ = 0;
        }
        tls_->takeCipher(tlsOut_);
        sendBuffer(tlsOut_, tlsOutOffset_);
        return;
    }
    sendBuffer(out_, outOffset_);
}

void Connection::sendBuffer(std::string& out, std::size_t& offset)
{
    while (offset < out.size()) {
        GError* rawError = nullptr;
        gssize n = g_socket_send(socket_.get(), out.data() + offset, out.size() - offset, nullptr,
                                 &rawError);
        util::GErrorPtr error(rawError);
        if (n < 0) {
            if (g_error_matches(error.get(), G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
                break;
            }
            raise(ErrorCode::SystemError, "Cannot write to OVSDB server '{}': {}", remote(),
                  error->message);
        }
        offset += static_cast<std::size_t>(n);
    }
    if (offset == out.size()) {
        out.clear();
        offset = 0;
    } else if (offset > (1 << 20)) {
        out.erase(0, offset);
        offset = 0;
    }
}

gboolean Connection::onProbeTimer(gpointer data) noexcept
{
    auto* self = static_cast<Connection*>(data);
    if (self->receivedSinceProbe_) {
        self->receivedSinceProbe_ = false;
        return G_SOURCE_CONTINUE;
    }
    if (self->probeId_) {
        self->probeTimer_.reset();
        self->drop(Error(ErrorCode::OperationTimeout,
                         fmt::format("OVSDB server '{}' did not answer an inactivity probe "
                                     "within {} ms.",
                                     self->remote(), self->options_.probeInterval.count())),
                   true);
        return G_SOURCE_REMOVE;
    }
    std::int64_t id = self->nextId_++;
    self->send(Json{{"method", "echo"}, {"params", Json::array()}, {"id", id}});
    self->pending_.emplace(id, Request{"echo", nullptr, [](Result<Json>) {}});
    self->probeId_ = id;
    ++self->stats_.probesSent;
    return G_SOURCE_CONTINUE;
}

void Connection::drop(const Error& error, bool reconnect)
{
    bool wasActive = state_ == State::Connected || state_ == State::Connecting;
    if (state_ == State::Connected) {
        ++stats_.resets;
    }
    ++generation_;
    readSource_.reset();
    writeSource_.reset();
    probeTimer_.reset();
    if (socket_) {
        g_socket_close(socket_.get(), nullptr);
        socket_.reset();
    }
    stream_.reset();
    out_.clear();
    outOffset_ = 0;
    tls_.reset();
    tlsOut_.clear();
    tlsOutOffset_ = 0;
    probeId_.reset();

    std::vector<ReplyHandler> failed;
    for (auto& [id, request] : pending_) {
        failed.push_back(std::move(request.reply));
    }
    pending_.clear();
    for (auto& request : queue_) {
        failed.push_back(std::move(request.reply));
    }
    queue_.clear();

    state_ = State::Idle;
    if (reconnect && options_.reconnect) {
        scheduleReconnect();
    }

    std::shared_ptr<bool> alive = alive_;
    for (auto& reply : failed) {
        try {
            reply(error);
        } catch (...) {
            // A completion that throws has nobody to report to; the request failed anyway.
        }
        if (!*alive) {
            return;
        }
    }
    if (wasActive && onState_) {
        onState_(&error);
    }
}

void Connection::scheduleReconnect()
{
    // The delay doubles once per round over the remotes: a client looking for a cluster's
    // leader tries every server at the short delay before it slows down.
    auto base = options_.backoffMin.count();
    for (unsigned i = 0; i < failures_ / remotes_.size() && base < options_.backoffMax.count();
         ++i) {
        base *= 2;
    }
    base = std::min<std::int64_t>(base, options_.backoffMax.count());
    ++failures_;
    // Up to 50 % jitter, so that many hosts losing one server do not come back in step.
    auto jitter = static_cast<std::int64_t>(g_random_double() * static_cast<double>(base) / 2);
    state_ = State::Backoff;
    timer_ =
        attachTimer(context_, std::chrono::milliseconds(base + jitter), &Connection::onTimer, this);
}

void Connection::failLater(ReplyHandler reply, Error error)
{
    deferredFailures_.emplace_back(std::move(reply), std::move(error));
    if (!failSource_) {
        failSource_ =
            attachTimer(context_, std::chrono::milliseconds(0), &Connection::onFailLater, this);
    }
}

gboolean Connection::onFailLater(gpointer data) noexcept
{
    auto* self = static_cast<Connection*>(data);
    self->failSource_.reset();
    auto failures = std::move(self->deferredFailures_);
    self->deferredFailures_.clear();
    std::shared_ptr<bool> alive = self->alive_;
    for (auto& [reply, error] : failures) {
        try {
            reply(error);
        } catch (...) {
            // A completion that throws has nobody to report to; the request failed anyway.
        }
        if (!*alive) {
            break;
        }
    }
    return G_SOURCE_REMOVE;
}

} // namespace dvs::ovsdb
