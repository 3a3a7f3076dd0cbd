// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "driver/network_driver.h"
#include "rpc/definition_worker.h"
#include "rpc/dispatcher.h"
#include "rpc/polkit.h"
#include "util/cdeleter.h"

namespace dvs::rpc {

struct ServerConfig
{
    // Keepalive towards clients that announced PROGRAM_KEEPALIVE: after interval seconds without
    // a byte from the client the server sends a PING, and drops the client once count PINGs went
    // unanswered (libvirt's keepalive_interval/keepalive_count). interval <= 0 disables it.
    int keepaliveInterval = 5;
    unsigned keepaliveCount = 5;
    // libvirt's max_clients: at this many connections the server stops accepting, and further
    // connections wait (in the listen backlog) until one of them closes.
    std::size_t maxClients = 5000;
    // libvirt's max_anonymous_clients: at this many connections still waiting to authenticate,
    // the server stops accepting until one of them authenticates or closes.
    std::size_t maxAnonymousClients = 20;
    // libvirt's auth_unix_rw and auth_unix_ro: how clients of each socket authenticate.
    SocketAuth authRw = SocketAuth::None;
    SocketAuth authRo = SocketAuth::None;
    // Told each polkit decision: who asked for which action, and the refusal if any (the
    // daemon logs it, as libvirt logs "Policy kit denied action ...").
    std::function<void(const Session&, const std::string& action, const std::optional<Error>&)>
        polkitDecided;
    // Told why a client was dropped for a protocol fault or silence (the daemon logs it).
    std::function<void(std::uint64_t clientId, const std::string& reason)> clientDropped;
};

class Client;

// dvsd's RPC server on the GLib main loop (the thread-default context of the caller of start()):
// listening unix sockets, one Client per connection with its own buffers, dispatch of every
// complete message, keepalive, and lifecycle events to registered callbacks. Single-threaded.
class Server
{
public:
    // driver must outlive the server.
    Server(driver::NetworkDriver& driver, ServerConfig config);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds a unix socket at path (creating its folder, replacing a stale socket file), gives it
    // mode and, if set, group, and listens. readOnly marks every connection on it read-only.
    // Throws Error(SystemError) with libvirt's wording when any step fails.
    void listenUnix(const std::filesystem::path& path, bool readOnly, mode_t mode,
                    std::optional<gid_t> group = std::nullopt);
    // Takes over an already listening socket (systemd socket activation).
    void adoptListener(util::UniqueFd fd, bool readOnly);

    // Starts accepting on every listener and subscribes to the driver's lifecycle events.
    void start();
    // Stops accepting new connections and removes the socket files listenUnix() created.
    // Connected clients stay.
    void stopAccepting();
    // Stops reading from clients and writes out what is queued for them, for at most timeout.
    void flush(std::chrono::milliseconds timeout);

    std::size_t clientCount() const noexcept { return clients_.size(); }

    // Called by the Client machinery and the GLib trampolines; not for other users.
    void dropClient(std::uint64_t id, const std::string& reason);
    static int onAcceptTrampoline(int fd, unsigned condition, void* data) noexcept;
    Dispatcher& dispatcher() noexcept { return dispatcher_; }
    const ServerConfig& config() const noexcept { return config_; }

private:
    struct Listener
    {
        util::UniqueFd fd;
        bool readOnly = false;
        std::filesystem::path createdPath; // empty when adopted
        unsigned sourceId = 0;
        Server* owner = nullptr;
    };

    static int onEventsIdleTrampoline(void* data) noexcept;
    void accept(Listener& listener);
    // Watches (or stops watching) every listener for connections.
    void watchListeners(bool on);
    void queueLifecycle(const driver::NetworkRef& net, driver::LifecycleEvent event, int detail);
    void deliverEvents();

    driver::NetworkDriver& driver_;
    ServerConfig config_;
    Dispatcher dispatcher_;
    std::vector<std::unique_ptr<Listener>> listeners_;
    std::map<std::uint64_t, std::unique_ptr<Client>> clients_;
    std::uint64_t lastClientId_ = 0;
    bool accepting_ = false; // between start() and stopAccepting()
    std::optional<int> subscription_;

    struct PendingEvent
    {
        driver::NetworkRef net;
        driver::LifecycleEvent event;
        int detail;
    };
    std::vector<PendingEvent> pendingEvents_;
    unsigned eventsIdleId_ = 0;
    // Parses large definitions off the loop (created by start()).
    std::unique_ptr<DefinitionWorker> worker_;
    // Asks polkitd (created at the first client that must authenticate).
    std::unique_ptr<PolkitAuthority> polkit_;
    PolkitAuthority& polkit();
    // Connections still waiting to authenticate (libvirt's anonymous clients).
    std::size_t anonymous_ = 0;
    bool roomForClients() const noexcept;
    // A client passed polkit: it no longer counts as anonymous.
    void authenticated();

    friend class Client;
};

} // namespace dvs::rpc
