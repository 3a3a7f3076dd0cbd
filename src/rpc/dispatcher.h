// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

#include "driver/network_driver.h"
#include "driver/network_hook_call.h"
#include "rpc/message.h"
#include "util/uuid.h"

namespace dvs::rpc {

// What the dispatcher knows of one client connection.
struct Session
{
    // Whether the client came in through the read-only socket.
    bool readOnlySocket = false;
    // CONNECT_OPEN succeeded (and CONNECT_CLOSE has not followed).
    bool open = false;
    // The connection is read-only: the socket is, or the client asked with VIR_CONNECT_RO.
    bool readOnly = false;
    // The URI the client opened (what CONNECT_GET_URI returns).
    std::string uri;
    // The client asked for PROGRAM_KEEPALIVE: the server may ping it.
    bool keepaliveRequested = false;
    // Who the peer is, from the socket (SO_PEERCRED): "pid=N uid=N gid=N".
    std::string peer;
    // The same, as numbers (peerUid is -1 when the socket could not tell).
    pid_t peerPid = 0;
    uid_t peerUid = static_cast<uid_t>(-1);
    // The socket's auth is polkit and the client has not passed it yet: only AUTH_LIST and
    // AUTH_POLKIT are served until then (libvirt's virNetServerClientNeedAuth). Root is never
    // asked, as libvirt bypasses polkit for privileged clients.
    bool authPending = false;
    // Who the client says it acts for (virConnectSetIdentity: virtqemud passes the guest's
    // owner), "key=value" pairs; empty until it says.
    std::string identity;
    // Registered lifecycle callbacks: callbackID -> network filter (none = every network).
    std::map<int, std::optional<util::Uuid>> lifecycleCallbacks;
};

// What our own program reports about the daemon itself.
struct DaemonInfo
{
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    std::function<unsigned()> clientCount;
};

// Turns CALLs of the remote program (libvirt's, network driver subset) and of our own program into
// REPLYs, calling the network driver. Single-threaded, like the driver.
class Dispatcher
{
public:
    Dispatcher(driver::NetworkDriver& driver, DaemonInfo info);

    // Handles one CALL (header.type CALL) for REMOTE_PROGRAM or DVS_PROGRAM and returns the REPLY
    // to send: the procedure's result, or an error payload for every refusal, including an unknown
    // program ("Cannot find program N version N") or procedure ("unknown procedure: N"). Never
    // throws dvs::Error; std::bad_alloc may escape.
    Message dispatch(Session& session, const Message& call);

    // The 315 MESSAGE for one registered lifecycle callback.
    static Message lifecycleMessage(int callbackId, const driver::NetworkRef& net,
                                    driver::LifecycleEvent event, int detail);

    // A keepalive MESSAGE (KEEPALIVE_PROC_PING or KEEPALIVE_PROC_PONG).
    static Message keepaliveMessage(int proc);
    // The reply to an AUTH_POLKIT call once polkit answered: complete, or denied's error.
    static Message authPolkitReply(const Header& call, const std::optional<Error>& denied);

    // The value of our version string for CONNECT_GET_LIB_VERSION (libvirt's encoding).
    static constexpr std::uint64_t kLibVersion = 9000000;

    // Hook mode: the daemon's handler for DVS_PROC_NETWORK_HOOK (it throws Error to refuse).
    // Without one the procedure is refused: dvsd is not in hook mode.
    void setNetworkHookHandler(std::function<void(const driver::NetworkHookCall&)> handler)
    {
        networkHook_ = std::move(handler);
    }
    // Called after every remote-program call that may change networks (define, start, update,
    // ...) succeeded; hook mode republishes the networks into libvirtd from it.
    void setNetworksChangedHandler(std::function<void()> handler)
    {
        networksChanged_ = std::move(handler);
    }
    // Called after every remote-program call that changes state succeeded, with the caller's
    // session and the call's libvirt API name: the daemon logs who changed what.
    void setChangeHandler(std::function<void(const Session&, std::string_view api)> handler)
    {
        changed_ = std::move(handler);
    }

    // Hook mode: what dvsctl status adds to a network's dataplane state (its copy in libvirtd).
    void setPublicationState(std::function<std::string(const std::string& network)> state)
    {
        publicationState_ = std::move(state);
    }

    driver::NetworkDriver& driver() noexcept { return driver_; }
    const DaemonInfo& info() const noexcept { return info_; }
    int nextCallbackId() noexcept { return ++lastCallbackId_; }

    // Hook mode: runs the handler set by setNetworkHookHandler; throws Error(OperationInvalid)
    // when there is none (dvsd is not in hook mode), or what the handler throws.
    void handleNetworkHook(const driver::NetworkHookCall& hook);
    // Hook mode: the state setPublicationState's function gives; empty without one.
    std::string publicationState(const std::string& network) const;

private:
    // dispatch() without the conversion of errors into replies.
    Message dispatchCall(Session& session, const Message& call);

    driver::NetworkDriver& driver_;
    DaemonInfo info_;
    int lastCallbackId_ = 0;
    std::function<void(const driver::NetworkHookCall&)> networkHook_;
    std::function<void()> networksChanged_;
    std::function<void(const Session&, std::string_view)> changed_;
    std::function<std::string(const std::string&)> publicationState_;
};

} // namespace dvs::rpc
