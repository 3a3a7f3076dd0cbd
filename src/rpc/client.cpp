// SPDX-License-Identifier: LGPL-2.1-or-later
#include "client.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <system_error>
#include <unistd.h>

#include "rpc/unix_address.h"

namespace dvs::rpc {

namespace {

[[noreturn]] void raiseRpc(const std::string& message)
{
    throw Error(ErrorCode::Rpc, message, ErrorDomain::Rpc);
}

// remote_error carries libvirt's full text ("prefix: detail"); Error wants the detail alone.
std::string detailOf(ErrorCode code, const std::string& full)
{
    const std::string marker = "\x01";
    std::string pattern = Error::formatFull(code, marker);
    auto pos = pattern.find(marker);
    if (pos == std::string::npos) {
        return full;
    }
    std::string prefix = pattern.substr(0, pos);
    std::string suffix = pattern.substr(pos + marker.size());
    if (full.size() >= prefix.size() + suffix.size() && full.starts_with(prefix) &&
        full.ends_with(suffix)) {
        return full.substr(prefix.size(), full.size() - prefix.size() - suffix.size());
    }
    return full;
}

} // namespace

ClientConnection::ClientConnection(const std::filesystem::path& path,
                                   std::chrono::milliseconds timeout)
    : timeout_(timeout)
{
    sockaddr_un addr = unixSocketAddress(path);
    fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd_ || ::connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
        int err = errno;
        throw Error(ErrorCode::SystemError,
                    fmt::format("Failed to connect socket to '{}': {}", path.native(),
                                std::system_category().message(err)));
    }
    // dvsd lets root in without asking (as libvirtd does); anyone else may have to pass polkit.
    if (::geteuid() != 0) {
        authenticate();
    }
}

void ClientConnection::authenticate()
{
    auto payload = call(REMOTE_PROGRAM, REMOTE_PROTOCOL_VERSION, REMOTE_PROC_AUTH_LIST, {});
    XdrValue<remote_auth_list_ret> list(reinterpret_cast<xdrproc_t>(xdr_remote_auth_list_ret));
    if (!list.decode(payload.data(), payload.size())) {
        raiseRpc("Unable to decode message payload");
    }
    bool none = list->types.types_len == 0;
    bool polkit = false;
    for (u_int i = 0; i < list->types.types_len; ++i) {
        none = none || list->types.types_val[i] == REMOTE_AUTH_NONE;
        polkit = polkit || list->types.types_val[i] == REMOTE_AUTH_POLKIT;
    }
    if (none) {
        return;
    }
    if (!polkit) {
        throw Error(ErrorCode::AuthFailed, "the server offers no authentication dvsctl supports",
                    ErrorDomain::Rpc);
    }
    // Errors (access denied by policy, no agent) come back as the server's error.
    call(REMOTE_PROGRAM, REMOTE_PROTOCOL_VERSION, REMOTE_PROC_AUTH_POLKIT, {});
}

std::vector<char> ClientConnection::call(unsigned prog, unsigned vers, int proc,
                                         const std::vector<char>& args)
{
    Header header{};
    header.prog = prog;
    header.vers = vers;
    header.proc = proc;
    header.type = DVS_MESSAGE_TYPE_CALL;
    header.serial = serial_++;
    header.status = DVS_MESSAGE_STATUS_OK;
    sendAll(encodeMessage(header, args));
    for (;;) {
        Message reply = receive();
        const Header& h = reply.header;
        if (h.prog == KEEPALIVE_PROGRAM) {
            if (h.proc == KEEPALIVE_PROC_PING) {
                Message pong;
                pong.header = h;
                pong.header.proc = KEEPALIVE_PROC_PONG;
                sendAll(encodeMessage(pong.header, {}));
            }
            continue;
        }
        if (h.type != DVS_MESSAGE_TYPE_REPLY || h.serial != header.serial) {
            continue; // an event, or a reply we no longer wait for
        }
        if (h.status == DVS_MESSAGE_STATUS_ERROR) {
            XdrValue<remote_error> error(reinterpret_cast<xdrproc_t>(xdr_remote_error));
            if (!error.decode(reply.payload.data(), reply.payload.size())) {
                raiseRpc("Unable to decode message payload");
            }
            auto code = static_cast<ErrorCode>(error->code);
            std::string full = error->message != nullptr && *error->message != nullptr
                                   ? std::string(*error->message)
                                   : std::string();
            throw Error(code, detailOf(code, full), static_cast<ErrorDomain>(error->domain));
        }
        return std::move(reply.payload);
    }
}

void ClientConnection::sendAll(const std::vector<char>& bytes)
{
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::send(fd_.get(), bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            raiseRpc(fmt::format("Cannot write data: {}", std::system_category().message(errno)));
        }
        done += static_cast<std::size_t>(n);
    }
}

Message ClientConnection::receive()
{
    auto deadline = std::chrono::steady_clock::now() + timeout_;
    for (;;) {
        if (auto message = reader_.next()) {
            return std::move(*message);
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            raiseRpc("Timed out waiting for the daemon's reply");
        }
        pollfd pfd{fd_.get(), POLLIN, 0};
        int rc = ::poll(&pfd, 1, static_cast<int>(left.count()));
        if (rc < 0 && errno != EINTR) {
            raiseRpc(fmt::format("Cannot poll: {}", std::system_category().message(errno)));
        }
        if (rc <= 0) {
            continue;
        }
        char buffer[65536];
        ssize_t n = ::recv(fd_.get(), buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            raiseRpc("End of file while reading data: Input/output error");
        }
        reader_.feed(buffer, static_cast<std::size_t>(n));
    }
}

DaemonStatus fetchDaemonStatus(const std::filesystem::path& socket,
                               std::chrono::milliseconds timeout)
{
    ClientConnection connection(socket, timeout);
    auto payload = connection.call(DVS_PROGRAM, DVS_PROTOCOL_VERSION, DVS_PROC_DAEMON_STATUS);
    XdrValue<dvs_daemon_status_ret> ret(reinterpret_cast<xdrproc_t>(xdr_dvs_daemon_status_ret));
    if (!ret.decode(payload.data(), payload.size())) {
        raiseRpc("Unable to decode message payload");
    }
    DaemonStatus status;
    status.version = ret->daemon_version != nullptr ? ret->daemon_version : "";
    status.uptimeSeconds = ret->uptime_seconds;
    status.clients = ret->clients;
    status.readOnly = ret->readonly != 0;
    for (u_int i = 0; i < ret->networks.networks_len; ++i) {
        const auto& n = ret->networks.networks_val[i];
        auto str = [](const char* value) { return std::string(value != nullptr ? value : ""); };
        status.networks.push_back({str(n.name), n.active != 0, n.persistent != 0, n.autostart != 0,
                                   str(n.forward_mode), n.connections, n.ports,
                                   str(n.dataplane_kind), str(n.dataplane_state), str(n.dataplane),
                                   str(n.libvirtd), str(n.membership)});
    }
    return status;
}

std::vector<util::Uuid> listNetworkPorts(const std::filesystem::path& socket,
                                         const std::string& network,
                                         std::chrono::milliseconds timeout)
{
    ClientConnection connection(socket, timeout);
    remote_connect_open_args open{};
    open.flags = 1; // VIR_CONNECT_RO
    connection.call(REMOTE_PROGRAM, REMOTE_PROTOCOL_VERSION, REMOTE_PROC_CONNECT_OPEN,
                    xdrEncode(reinterpret_cast<xdrproc_t>(xdr_remote_connect_open_args), &open));

    std::string name = network;
    remote_network_lookup_by_name_args lookup{};
    lookup.name = name.data();
    auto payload = connection.call(
        REMOTE_PROGRAM, REMOTE_PROTOCOL_VERSION, REMOTE_PROC_NETWORK_LOOKUP_BY_NAME,
        xdrEncode(reinterpret_cast<xdrproc_t>(xdr_remote_network_lookup_by_name_args), &lookup));
    XdrValue<remote_network_ret> net(reinterpret_cast<xdrproc_t>(xdr_remote_network_ret));
    if (!net.decode(payload.data(), payload.size())) {
        raiseRpc("Unable to decode message payload");
    }

    remote_network_list_all_ports_args list{};
    list.network = net->net;
    list.need_results = 1;
    payload = connection.call(
        REMOTE_PROGRAM, REMOTE_PROTOCOL_VERSION, REMOTE_PROC_NETWORK_LIST_ALL_PORTS,
        xdrEncode(reinterpret_cast<xdrproc_t>(xdr_remote_network_list_all_ports_args), &list));
    XdrValue<remote_network_list_all_ports_ret> ret(
        reinterpret_cast<xdrproc_t>(xdr_remote_network_list_all_ports_ret));
    if (!ret.decode(payload.data(), payload.size())) {
        raiseRpc("Unable to decode message payload");
    }
    std::vector<util::Uuid> out;
    for (u_int i = 0; i < ret->ports.ports_len; ++i) {
        std::array<unsigned char, 16> bytes{};
        std::memcpy(bytes.data(), ret->ports.ports_val[i].uuid, bytes.size());
        out.push_back(util::Uuid(bytes));
    }
    return out;
}

std::string plugPort(const std::filesystem::path& socket, const std::string& network,
                     const util::Uuid& port, const std::string& ifname,
                     std::chrono::milliseconds timeout)
{
    std::string networkCopy = network;
    std::string ifnameCopy = ifname;
    char* ifnamePtr = ifnameCopy.data();
    dvs_port_plug_args args{};
    args.network = networkCopy.data();
    std::memcpy(args.port, port.bytes().data(), sizeof args.port);
    args.ifname = ifname.empty() ? nullptr : &ifnamePtr;
    ClientConnection connection(socket, timeout);
    auto payload =
        connection.call(DVS_PROGRAM, DVS_PROTOCOL_VERSION, DVS_PROC_PORT_PLUG,
                        xdrEncode(reinterpret_cast<xdrproc_t>(xdr_dvs_port_plug_args), &args));
    XdrValue<dvs_port_plug_ret> ret(reinterpret_cast<xdrproc_t>(xdr_dvs_port_plug_ret));
    if (!ret.decode(payload.data(), payload.size())) {
        raiseRpc("Unable to decode message payload");
    }
    return ret->device != nullptr ? ret->device : "";
}

void unplugPort(const std::filesystem::path& socket, const std::string& network,
                const util::Uuid& port, std::chrono::milliseconds timeout)
{
    std::string networkCopy = network;
    dvs_port_unplug_args args{};
    args.network = networkCopy.data();
    std::memcpy(args.port, port.bytes().data(), sizeof args.port);
    ClientConnection connection(socket, timeout);
    connection.call(DVS_PROGRAM, DVS_PROTOCOL_VERSION, DVS_PROC_PORT_UNPLUG,
                    xdrEncode(reinterpret_cast<xdrproc_t>(xdr_dvs_port_unplug_args), &args));
}

void sendNetworkHook(const std::filesystem::path& socket, const driver::NetworkHookCall& hook,
                     std::chrono::milliseconds timeout)
{
    std::string network = hook.network;
    std::string op = hook.op;
    std::string subop = hook.subop;
    std::string hookData = hook.hookData;
    dvs_network_hook_args args{};
    args.network = network.data();
    args.op = op.data();
    args.subop = subop.data();
    args.hook_data = hookData.data();
    ClientConnection connection(socket, timeout);
    connection.call(DVS_PROGRAM, DVS_PROTOCOL_VERSION, DVS_PROC_NETWORK_HOOK,
                    xdrEncode(reinterpret_cast<xdrproc_t>(xdr_dvs_network_hook_args), &args));
}

void reportDhcpLease(const std::filesystem::path& socket, const DhcpLeaseReport& report,
                     std::chrono::milliseconds timeout)
{
    std::string network = report.network;
    std::vector<std::string> args = report.args;
    std::vector<std::string> env;
    for (const auto& [key, value] : report.env) {
        env.push_back(key + "=" + value);
    }
    std::vector<char*> argPtrs;
    for (auto& a : args) {
        argPtrs.push_back(a.data());
    }
    std::vector<char*> envPtrs;
    for (auto& e : env) {
        envPtrs.push_back(e.data());
    }
    dvs_dhcp_lease_args xargs{};
    xargs.network = network.data();
    xargs.args.args_len = static_cast<u_int>(argPtrs.size());
    xargs.args.args_val = argPtrs.data();
    xargs.env.env_len = static_cast<u_int>(envPtrs.size());
    xargs.env.env_val = envPtrs.data();
    ClientConnection connection(socket, timeout);
    connection.call(DVS_PROGRAM, DVS_PROTOCOL_VERSION, DVS_PROC_DHCP_LEASE,
                    xdrEncode(reinterpret_cast<xdrproc_t>(xdr_dvs_dhcp_lease_args), &xargs));
}

} // namespace dvs::rpc
