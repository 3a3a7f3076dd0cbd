// SPDX-License-Identifier: LGPL-2.1-or-later
// libvirt's remote program: networks (list, look up, define, start, update, DHCP leases) and
// their lifecycle events.
#include "rpc/procedures.h"

namespace dvs::rpc {

namespace {

constexpr int kLifecycleEventId = 0; // VIR_NETWORK_EVENT_ID_LIFECYCLE

// Procedures whose only argument is a network and whose result is an int.
template <typename Fn>
Procedure networkIntProc(const char* api, Fn fn)
{
    return makeProc<remote_network_args, remote_int_ret>(
        xp(xdr_remote_network_args), xp(xdr_remote_int_ret), 0, api,
        [fn](Call& call, remote_network_args& args, remote_int_ret& ret) {
            ret.value = fn(call.driver(), toRef(args.net)) ? 1 : 0;
        });
}

// Procedures whose only argument is a network and that return nothing.
template <typename Fn>
Procedure networkVoidProc(const char* api, Fn fn)
{
    return makeProc<remote_network_args, Nothing>(
        xp(xdr_remote_network_args), kNothing, kWrite, api,
        [fn](Call& call, remote_network_args& args, Nothing&) {
            fn(call.driver(), toRef(args.net));
        });
}

} // namespace

void addNetworkProcedures(ProcTable& t)
{
    auto listNames = [](bool active, const char* api) {
        return makeProc<remote_connect_list_networks_args, remote_connect_list_networks_ret>(
            xp(xdr_remote_connect_list_networks_args), xp(xdr_remote_connect_list_networks_ret), 0,
            api,
            [active](Call& call, remote_connect_list_networks_args& args,
                     remote_connect_list_networks_ret& ret) {
                checkListMax(args.maxnames, REMOTE_NETWORK_LIST_MAX, "remote networks");
                auto names = call.driver().listNetworkNames(active, args.maxnames);
                auto* out = call.arena.array<char*>(names.size());
                for (std::size_t i = 0; i < names.size(); ++i) {
                    out[i] = call.arena.str(names[i]);
                }
                ret.names.names_len = static_cast<u_int>(names.size());
                ret.names.names_val = out;
            });
    };
    t[{REMOTE_PROGRAM, REMOTE_PROC_CONNECT_LIST_NETWORKS}] =
        listNames(true, "virConnectListNetworks");
    t[{REMOTE_PROGRAM, REMOTE_PROC_CONNECT_LIST_DEFINED_NETWORKS}] =
        listNames(false, "virConnectListDefinedNetworks");

    auto countNames = [](bool active, const char* api) {
        return makeProc<Nothing, remote_connect_num_of_networks_ret>(
            kNothing, xp(xdr_remote_connect_num_of_networks_ret), 0, api,
            [active](Call& call, Nothing&, remote_connect_num_of_networks_ret& ret) {
                ret.num = call.driver().countNetworks(active);
            });
    };
    t[{REMOTE_PROGRAM, REMOTE_PROC_CONNECT_NUM_OF_NETWORKS}] =
        countNames(true, "virConnectNumOfNetworks");
    t[{REMOTE_PROGRAM, REMOTE_PROC_CONNECT_NUM_OF_DEFINED_NETWORKS}] =
        countNames(false, "virConnectNumOfDefinedNetworks");

    t[{REMOTE_PROGRAM, REMOTE_PROC_CONNECT_LIST_ALL_NETWORKS}] =
        makeProc<remote_connect_list_all_networks_args, remote_connect_list_all_networks_ret>(
            xp(xdr_remote_connect_list_all_networks_args),
            xp(xdr_remote_connect_list_all_networks_ret), 0, "virConnectListAllNetworks",
            [](Call& call, remote_connect_list_all_networks_args& args,
               remote_connect_list_all_networks_ret& ret) {
                auto nets = call.driver().listAllNetworks(args.flags);
                checkListMax(static_cast<long long>(nets.size()), REMOTE_NETWORK_LIST_MAX,
                             "remote networks");
                ret.ret = static_cast<u_int>(nets.size());
                if (args.need_results != 0) {
                    refsToWire(call.arena, nets, ret.nets.nets_len, ret.nets.nets_val);
                }
            });

    t[{REMOTE_PROGRAM, REMOTE_PROC_NETWORK_LOOKUP_BY_NAME}] =
        makeProc<remote_network_lookup_by_name_args, remote_network_ret>(
            xp(xdr_remote_network_lookup_by_name_args), xp(xdr_remote_network_ret), 0,
            "virNetworkLookupByName",
            [](Call& call, remote_network_lookup_by_name_args& args, remote_network_ret& ret) {
                fromRef(call.arena, call.driver().lookupByName(orEmpty(args.name)), ret.net);
            });

    t[{REMOTE_PROGRAM, REMOTE_PROC_NETWORK_LOOKUP_BY_UUID}] =
        makeProc<remote_network_lookup_by_uuid_args, remote_network_ret>(
            xp(xdr_remote_network_lookup_by_uuid_args), xp(xdr_remote_network_ret), 0,
            "virNetworkLookupByUUID",
            [](Call& call, remote_network_lookup_by_uuid_args& args, remote_network_ret& ret) {
                fromRef(call.arena, call.driver().lookupByUuid(toUuid(args.uuid)), ret.net);
            });

    auto fromXml = [](bool define, bool withFlags, const char* api) {
        if (withFlags) {
            return makeProc<remote_network_xml_flags_args, remote_network_ret>(
                xp(xdr_remote_network_xml_flags_args), xp(xdr_remote_network_ret), kWrite, api,
                [define](Call& call, remote_network_xml_flags_args& args, remote_network_ret& ret) {
                    auto ref = define ? call.driver().defineXml(orEmpty(args.xml), args.flags)
                                      : call.driver().createXml(orEmpty(args.xml), args.flags);
                    fromRef(call.arena, ref, ret.net);
                });
        }
        return makeProc<remote_network_xml_args, remote_network_ret>(
            xp(xdr_remote_network_xml_args), xp(xdr_remote_network_ret), kWrite, api,
            [define](Call& call, remote_network_xml_args& args, remote_network_ret& ret) {
                auto ref = define ? call.driver().defineXml(orEmpty(args.xml), 0)
                                  : call.driver().createXml(orEmpty(args.xml), 0);
                fromRef(call.arena, ref, ret.net);
            });
    };
    t[{REMOTE_PROGRAM, REMOTE_PROC_NETWORK_DEFINE_XML}] =
        fromXml(true, false, "virNetworkDefineXML");
    t[{REMOTE_PROGRAM, REMOTE_PROC_NETWORK_DEFINE_XML_FLAGS}] =
        fromXml(true, true, "virNetworkDefineXMLFlags");
    t[{REMOTE_PROGRAM, REMOTE_PROC_NETWORK_CREATE_XML}] =
        fromXml(false, false, "virNetworkCreateXML");
    t[{REMOTE_PROGRAM, REMOTE_PROC_NETWORK_CREATE_XML_FLAGS}] =
        fromXml(false, true, "virNetworkCreateXMLFlags");

    t[{REMOTE_PROGRAM, REMOTE_PROC_NETWORK_CREATE}] =
        networkVoidProc("virNetworkCreate",
                        [](driver::NetworkDriver& d, const driver::NetworkRef& n) { d.start(n); });
    t[{REMOTE_PROGRAM, REMOTE_PROC_NETWORK_DESTROY}] =
        networkVoidProc("virNetworkDestroy", [](driver::NetworkDriver& d,
                                                const driver::NetworkRef& n) { d.destroy(n); });
    t[{REMOTE_PROGRAM, REMOTE_PROC_NETWORK_UNDEFINE}] =
        networkVoidProc("virNetworkUndefine", [](driver::NetworkDriver& d,
                                                 const driver::NetworkRef& n) { d.undefine(n); });

    t[{REMOTE_PROGRAM, REMOTE_PROC_NETWORK_GET_AUTOSTART}] = networkIntProc(
        "virNetworkGetAutostart",
        [](driver::NetworkDriver& d, const driver::NetworkRef& n) { return d.getAutostart(n); });
    t[{REMOTE_PROGRAM, REMOTE_PROC_NETWORK_IS_ACTIVE}] = networkIntProc(
        "virNetworkIsActive",
        [](driver::NetworkDriver& d, const driver::NetworkRef& n) { return d.isActive(n); });
    t[{REMOTE_PROGRAM, REMOTE_PROC_NETWORK_IS_PERSISTENT}] = networkIntProc(
        "virNetworkIsPersistent",
        [](driver::NetworkDriver& d, const driver::NetworkRef& n) { return d.isPersistent(n); });

    t[{REMOTE_PROGRAM, REMOTE_PROC_NETWORK_GET_BRIDGE_NAME}] =
        makeProc<remote_network_args, remote_string_ret>(
            xp(xdr_remote_network_args), xp(xdr_remote_string_ret), 0, "virNetworkGetBridgeName",
            [](Call& call, remote_network_args& args, remote_string_ret& ret) {
                ret.str = call.arena.str(call.driver().getBridgeName(toRef(args.net)));
            });

    t[{REMOTE_PROGRAM, REMOTE_PROC_NETWORK_GET_XML_DESC}] =
        makeProc<remote_network_get_xml_desc_args, remote_string_ret>(
            xp(xdr_remote_network_get_xml_desc_args), xp(xdr_remote_string_ret), 0,
            "virNetworkGetXMLDesc",
            [](Call& call, remote_network_get_xml_desc_args& args, remote_string_ret& ret) {
                ret.str = call.arena.str(call.driver().getXmlDesc(toRef(args.net), args.flags));
            });

    t[{REMOTE_PROGRAM, REMOTE_PROC_NETWORK_SET_AUTOSTART}] =
        makeProc<remote_network_set_autostart_args, Nothing>(
            xp(xdr_remote_network_set_autostart_args), kNothing, kWrite, "virNetworkSetAutostart",
            [](Call& call, remote_network_set_autostart_args& args, Nothing&) {
                call.driver().setAutostart(toRef(args.net), args.autostart != 0);
            });

    t[{REMOTE_PROGRAM, REMOTE_PROC_NETWORK_UPDATE}] = makeProc<remote_network_update_args, Nothing>(
        xp(xdr_remote_network_update_args), kNothing, kWrite, "virNetworkUpdate",
        [](Call& call, remote_network_update_args& args, Nothing&) {
            call.driver().update(toRef(args.net), args.command, args.section, args.parentIndex,
                                 orEmpty(args.xml), args.flags);
        });

    // What dnsmasq handed out on a virtual network (libvirt's remoteDispatchNetworkGetDHCPLeases
    // over networkGetDHCPLeases).
    t[{REMOTE_PROGRAM, REMOTE_PROC_NETWORK_GET_DHCP_LEASES}] =
        makeProc<remote_network_get_dhcp_leases_args, remote_network_get_dhcp_leases_ret>(
            xp(xdr_remote_network_get_dhcp_leases_args), xp(xdr_remote_network_get_dhcp_leases_ret),
            0, "virNetworkGetDHCPLeases",
            [](Call& call, remote_network_get_dhcp_leases_args& args,
               remote_network_get_dhcp_leases_ret& ret) {
                if (args.flags != 0) {
                    throw Error(ErrorCode::InvalidArg,
                                fmt::format("unsupported flags (0x{:x}) in function "
                                            "networkGetDHCPLeases",
                                            args.flags));
                }
                auto leases = call.driver().getDhcpLeases(toRef(args.net), toOptional(args.mac));
                if (leases.size() > REMOTE_NETWORK_DHCP_LEASES_MAX) {
                    throw Error(ErrorCode::InternalError,
                                fmt::format("Number of leases is {}, which exceeds max limit: {}",
                                            leases.size(), REMOTE_NETWORK_DHCP_LEASES_MAX));
                }
                ret.ret = static_cast<unsigned>(leases.size());
                if (args.need_results == 0) {
                    return;
                }
                auto* out = call.arena.array<remote_network_dhcp_lease>(leases.size());
                for (std::size_t i = 0; i < leases.size(); ++i) {
                    const auto& l = leases[i];
                    out[i].iface = call.arena.str(l.iface);
                    out[i].expirytime = l.expiryTime;
                    out[i].type = static_cast<int>(l.type);
                    out[i].mac = call.arena.optionalStr(l.mac);
                    out[i].iaid = call.arena.optionalStr(l.iaid);
                    out[i].ipaddr = call.arena.str(l.ipAddr);
                    out[i].prefix = l.prefix;
                    out[i].hostname = call.arena.optionalStr(l.hostname);
                    out[i].clientid = call.arena.optionalStr(l.clientId);
                }
                ret.leases.leases_len = static_cast<u_int>(leases.size());
                ret.leases.leases_val = out;
            });

    t[{REMOTE_PROGRAM, REMOTE_PROC_CONNECT_NETWORK_EVENT_REGISTER_ANY}] =
        makeProc<remote_connect_network_event_register_any_args,
                 remote_connect_network_event_register_any_ret>(
            xp(xdr_remote_connect_network_event_register_any_args),
            xp(xdr_remote_connect_network_event_register_any_ret), 0,
            "virConnectNetworkEventRegisterAny",
            [](Call& call, remote_connect_network_event_register_any_args& args,
               remote_connect_network_event_register_any_ret& ret) {
                if (args.eventID != kLifecycleEventId) {
                    throw Error(ErrorCode::InternalError,
                                fmt::format("unsupported network event ID {}", args.eventID));
                }
                std::optional<util::Uuid> filter;
                if (args.net != nullptr) {
                    filter = toUuid(args.net->uuid);
                }
                int id = call.dispatcher.nextCallbackId();
                call.session.lifecycleCallbacks[id] = filter;
                ret.callbackID = id;
            });

    t[{REMOTE_PROGRAM, REMOTE_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY}] =
        makeProc<remote_connect_network_event_deregister_any_args, Nothing>(
            xp(xdr_remote_connect_network_event_deregister_any_args), kNothing, 0,
            "virConnectNetworkEventDeregisterAny",
            [](Call& call, remote_connect_network_event_deregister_any_args& args, Nothing&) {
                if (call.session.lifecycleCallbacks.erase(args.callbackID) == 0) {
                    throw Error(
                        ErrorCode::InternalError,
                        fmt::format("network event callback {} not registered", args.callbackID));
                }
            });
}

} // namespace dvs::rpc
