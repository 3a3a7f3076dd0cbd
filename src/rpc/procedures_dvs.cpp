// SPDX-License-Identifier: LGPL-2.1-or-later
// Our own program (DVS_PROGRAM): what libvirt has no call for. Daemon status, plugging a port's
// device, the network hook of hook mode, and dnsmasq's lease changes.
#include <chrono>
#include <ctime>
#include <utility>

#include "dvs_config.h"
#include "rpc/procedures.h"
#include "virtnet/lease_event.h"

namespace dvs::rpc {

namespace {

// Our procedures need no CONNECT_OPEN: dvsctl and the hook script call them directly.
constexpr unsigned kDvsRead = kPreOpen;
constexpr unsigned kDvsWrite = kPreOpen | kReadWrite;

Procedure daemonStatus()
{
    auto proc = makeProc<Nothing, dvs_daemon_status_ret>(
        kNothing, xp(xdr_dvs_daemon_status_ret), kDvsRead, "reading the daemon's status",
        [](Call& call, Nothing&, dvs_daemon_status_ret& ret) {
            auto networks = call.driver().status();
            auto* out = call.arena.array<dvs_network_status>(networks.size());
            for (std::size_t i = 0; i < networks.size(); ++i) {
                const auto& n = networks[i];
                out[i].name = call.arena.str(n.name);
                out[i].active = n.active ? 1 : 0;
                out[i].persistent = n.persistent ? 1 : 0;
                out[i].autostart = n.autostart ? 1 : 0;
                out[i].forward_mode = call.arena.str(n.forwardMode);
                out[i].connections = n.connections;
                out[i].ports = n.ports;
                out[i].dataplane_kind = call.arena.str(n.dataplaneKind);
                out[i].dataplane_state = call.arena.str(n.dataplaneState);
                out[i].dataplane = call.arena.str(n.dataplane);
                // "libvirtd: STATE" (hook mode) and "switch 'NAME': STATE" (a managed network),
                // joined by "; ".
                std::string published = call.dispatcher.publicationState(n.name);
                std::string libvirtd;
                std::string membership;
                constexpr std::string_view kLibvirtd = "libvirtd: ";
                constexpr std::string_view kSwitch = "; switch '";
                auto sw = published.starts_with("switch '") ? 0 : published.find(kSwitch);
                if (sw != std::string::npos) {
                    membership = published.substr(sw == 0 ? 0 : sw + 2);
                    published.erase(sw);
                }
                if (published.starts_with(kLibvirtd)) {
                    libvirtd = published.substr(kLibvirtd.size());
                }
                out[i].libvirtd = call.arena.str(libvirtd);
                out[i].membership = call.arena.str(membership);
            }
            const auto& info = call.dispatcher.info();
            ret.daemon_version = call.arena.str(DVS_VERSION);
            ret.uptime_seconds =
                static_cast<u_quad_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                          std::chrono::steady_clock::now() - info.started)
                                          .count());
            ret.clients = info.clientCount ? info.clientCount() : 0;
            ret.readonly = call.session.readOnlySocket ? 1 : 0;
            ret.networks.networks_len = static_cast<u_int>(networks.size());
            ret.networks.networks_val = out;
        });
    // The call has no arguments: a payload is a malformed call.
    proc.invoke = [invoke = std::move(proc.invoke)](Call& call, const std::vector<char>& payload) {
        if (!payload.empty()) {
            raiseDecodeError();
        }
        return invoke(call, payload);
    };
    return proc;
}

} // namespace

void addDvsProcedures(ProcTable& t)
{
    t[{DVS_PROGRAM, DVS_PROC_DAEMON_STATUS}] = daemonStatus();

    t[{DVS_PROGRAM, DVS_PROC_PORT_PLUG}] = makeProc<dvs_port_plug_args, dvs_port_plug_ret>(
        xp(xdr_dvs_port_plug_args), xp(xdr_dvs_port_plug_ret), kDvsWrite, "plugging a network port",
        [](Call& call, dvs_port_plug_args& args, dvs_port_plug_ret& ret) {
            auto net = call.driver().lookupByName(orEmpty(args.network));
            auto ifname = toOptional(args.ifname).value_or("");
            ret.device = call.arena.str(call.driver().portPlug({net, toUuid(args.port)}, ifname));
        });

    t[{DVS_PROGRAM, DVS_PROC_PORT_UNPLUG}] = makeProc<dvs_port_unplug_args, Nothing>(
        xp(xdr_dvs_port_unplug_args), kNothing, kDvsWrite, "unplugging a network port",
        [](Call& call, dvs_port_unplug_args& args, Nothing&) {
            auto net = call.driver().lookupByName(orEmpty(args.network));
            call.driver().portUnplug({net, toUuid(args.port)});
        });

    t[{DVS_PROGRAM, DVS_PROC_NETWORK_HOOK}] = makeProc<dvs_network_hook_args, Nothing>(
        xp(xdr_dvs_network_hook_args), kNothing, kDvsWrite, "handing a network hook to dvsd",
        [](Call& call, dvs_network_hook_args& args, Nothing&) {
            driver::NetworkHookCall hook;
            hook.network = orEmpty(args.network);
            hook.op = orEmpty(args.op);
            hook.subop = orEmpty(args.subop);
            hook.hookData = orEmpty(args.hook_data);
            call.dispatcher.handleNetworkHook(hook);
        });

    // dvs-leaseshelper, run by dnsmasq, hands over its arguments and environment.
    t[{DVS_PROGRAM, DVS_PROC_DHCP_LEASE}] = makeProc<dvs_dhcp_lease_args, Nothing>(
        xp(xdr_dvs_dhcp_lease_args), kNothing, kDvsWrite, "reporting a DHCP lease",
        [](Call& call, dvs_dhcp_lease_args& args, Nothing&) {
            std::vector<std::string> argv;
            for (u_int i = 0; i < args.args.args_len; ++i) {
                argv.emplace_back(orEmpty(args.args.args_val[i]));
            }
            std::vector<std::pair<std::string, std::string>> env;
            for (u_int i = 0; i < args.env.env_len; ++i) {
                std::string entry(orEmpty(args.env.env_val[i]));
                auto eq = entry.find('=');
                if (eq != std::string::npos) {
                    env.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
                }
            }
            auto lookup = [&env](std::string_view name) -> std::optional<std::string> {
                for (const auto& [key, value] : env) {
                    if (key == name) {
                        return value;
                    }
                }
                return std::nullopt;
            };
            auto event =
                virtnet::parseLeaseEvent(argv, lookup, static_cast<long long>(::time(nullptr)));
            call.driver().dhcpLeaseChanged(std::string(orEmpty(args.network)), event);
        });
}

} // namespace dvs::rpc
