// SPDX-License-Identifier: LGPL-2.1-or-later
#include "rpc/dispatcher.h"

#include <exception>
#include <new>

#include <fmt/format.h>

#include "rpc/procedures.h"

namespace dvs::rpc {

namespace {

const ProcTable& procedures()
{
    static const ProcTable table = [] {
        ProcTable t;
        addConnectProcedures(t);
        addNetworkProcedures(t);
        addPortProcedures(t);
        addDvsProcedures(t);
        return t;
    }();
    return table;
}

Message makeReply(const Header& call)
{
    Message reply;
    reply.header = call;
    reply.header.type = DVS_MESSAGE_TYPE_REPLY;
    reply.header.status = DVS_MESSAGE_STATUS_OK;
    return reply;
}

Message errorReply(const Header& call, const Error& error)
{
    Message reply = makeReply(call);
    reply.header.status = DVS_MESSAGE_STATUS_ERROR;
    reply.payload = encodeError(error);
    return reply;
}

} // namespace

Dispatcher::Dispatcher(driver::NetworkDriver& driver, DaemonInfo info)
    : driver_(driver), info_(std::move(info))
{}

Message Dispatcher::dispatch(Session& session, const Message& call)
{
    try {
        return dispatchCall(session, call);
    } catch (const Error& error) {
        return errorReply(call.header, error);
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& error) {
        return errorReply(call.header, Error(ErrorCode::InternalError, error.what()));
    }
}

Message Dispatcher::dispatchCall(Session& session, const Message& call)
{
    bool known =
        (call.header.prog == REMOTE_PROGRAM && call.header.vers == REMOTE_PROTOCOL_VERSION) ||
        (call.header.prog == DVS_PROGRAM && call.header.vers == DVS_PROTOCOL_VERSION);
    if (!known) {
        throw Error(
            ErrorCode::Rpc,
            fmt::format("Cannot find program {} version {}", call.header.prog, call.header.vers),
            ErrorDomain::Rpc);
    }
    const auto& table = procedures();
    auto it = table.find({call.header.prog, call.header.proc});
    if (it == table.end()) {
        throw Error(ErrorCode::Rpc, fmt::format("unknown procedure: {}", call.header.proc),
                    ErrorDomain::Rpc);
    }
    const Procedure& proc = it->second;
    if (session.authPending && (proc.flags & kSkipAuth) == 0) {
        // libvirt answers VIR_ERR_RPC here, not AUTH_FAILED, for its older clients' sake.
        throw Error(ErrorCode::Rpc, "authentication required", ErrorDomain::Rpc);
    }
    if ((proc.flags & kPreOpen) == 0 && !session.open) {
        throw Error(ErrorCode::InternalError, "connection not open", ErrorDomain::Rpc);
    }
    if ((proc.flags & kReadWrite) != 0 && (session.readOnly || session.readOnlySocket)) {
        // libvirt's public API refuses these on a read-only connection (virCheckReadOnlyGoto).
        throw Error(ErrorCode::OperationDenied,
                    fmt::format("read only access prevents {}", proc.api), ErrorDomain::None);
    }
    Call state{*this, session, {}};
    Message reply = makeReply(call.header);
    reply.payload = proc.invoke(state, call.payload);
    if ((proc.flags & kChanges) != 0 && networksChanged_) {
        networksChanged_();
    }
    if ((proc.flags & kChanges) != 0 && changed_) {
        changed_(session, proc.api);
    }
    return reply;
}

void Dispatcher::handleNetworkHook(const driver::NetworkHookCall& hook)
{
    if (!networkHook_) {
        throw Error(ErrorCode::OperationInvalid,
                    "dvsd is not in hook mode (set mode=hook in the [libvirt] group of dvsd.conf)");
    }
    networkHook_(hook);
}

std::string Dispatcher::publicationState(const std::string& network) const
{
    return publicationState_ ? publicationState_(network) : std::string();
}

namespace {

// A message the server sends on its own (an event, a keepalive), not a reply.
Message asyncMessage(unsigned prog, unsigned vers, int proc, unsigned serial)
{
    Message message;
    message.header.prog = prog;
    message.header.vers = vers;
    message.header.proc = proc;
    message.header.type = DVS_MESSAGE_TYPE_MESSAGE;
    message.header.serial = serial;
    message.header.status = DVS_MESSAGE_STATUS_OK;
    return message;
}

} // namespace

Message Dispatcher::lifecycleMessage(int callbackId, const driver::NetworkRef& net,
                                     driver::LifecycleEvent event, int detail)
{
    Arena arena;
    remote_network_event_lifecycle_msg msg{};
    msg.callbackID = callbackId;
    fromRef(arena, net, msg.net);
    msg.event = static_cast<int>(event);
    msg.detail = detail;
    auto message = asyncMessage(REMOTE_PROGRAM, REMOTE_PROTOCOL_VERSION,
                                REMOTE_PROC_NETWORK_EVENT_LIFECYCLE, 1);
    message.payload = xdrEncode(xp(xdr_remote_network_event_lifecycle_msg), &msg);
    return message;
}

Message Dispatcher::authPolkitReply(const Header& call, const std::optional<Error>& denied)
{
    if (denied) {
        return errorReply(call, *denied);
    }
    remote_auth_polkit_ret ret{};
    ret.complete = 1;
    Message reply = makeReply(call);
    reply.payload = xdrEncode(xp(xdr_remote_auth_polkit_ret), &ret);
    return reply;
}

Message Dispatcher::keepaliveMessage(int proc)
{
    return asyncMessage(KEEPALIVE_PROGRAM, KEEPALIVE_PROTOCOL_VERSION, proc, 0);
}

} // namespace dvs::rpc
