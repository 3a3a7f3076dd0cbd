// SPDX-License-Identifier: LGPL-2.1-or-later
// libvirt's remote program: network ports (list, look up, create, delete, parameters).
#include "rpc/procedures.h"

namespace dvs::rpc {

void addPortProcedures(ProcTable& t)
{
    t[{REMOTE_PROGRAM, REMOTE_PROC_NETWORK_LIST_ALL_PORTS}] =
        makeProc<remote_network_list_all_ports_args, remote_network_list_all_ports_ret>(
            xp(xdr_remote_network_list_all_ports_args), xp(xdr_remote_network_list_all_ports_ret),
            0, "virNetworkListAllPorts",
            [](Call& call, remote_network_list_all_ports_args& args,
               remote_network_list_all_ports_ret& ret) {
                auto ports = call.driver().listAllPorts(toRef(args.network), args.flags);
                checkListMax(static_cast<long long>(ports.size()), REMOTE_NETWORK_PORT_LIST_MAX,
                             "network ports");
                ret.ret = static_cast<u_int>(ports.size());
                if (args.need_results != 0) {
                    refsToWire(call.arena, ports, ret.ports.ports_len, ret.ports.ports_val);
                }
            });

    t[{REMOTE_PROGRAM, REMOTE_PROC_NETWORK_PORT_LOOKUP_BY_UUID}] =
        makeProc<remote_network_port_lookup_by_uuid_args, remote_network_port_ret>(
            xp(xdr_remote_network_port_lookup_by_uuid_args), xp(xdr_remote_network_port_ret), 0,
            "virNetworkPortLookupByUUID",
            [](Call& call, remote_network_port_lookup_by_uuid_args& args,
               remote_network_port_ret& ret) {
                fromRef(call.arena,
                        call.driver().portLookupByUuid(toRef(args.network), toUuid(args.uuid)),
                        ret.port);
            });

    t[{REMOTE_PROGRAM, REMOTE_PROC_NETWORK_PORT_CREATE_XML}] =
        makeProc<remote_network_port_create_xml_args, remote_network_port_ret>(
            xp(xdr_remote_network_port_create_xml_args), xp(xdr_remote_network_port_ret), kWrite,
            "virNetworkPortCreateXML",
            [](Call& call, remote_network_port_create_xml_args& args,
               remote_network_port_ret& ret) {
                fromRef(
                    call.arena,
                    call.driver().portCreateXml(toRef(args.network), orEmpty(args.xml), args.flags),
                    ret.port);
            });

    t[{REMOTE_PROGRAM, REMOTE_PROC_NETWORK_PORT_GET_XML_DESC}] =
        makeProc<remote_network_port_flags_args, remote_string_ret>(
            xp(xdr_remote_network_port_flags_args), xp(xdr_remote_string_ret), 0,
            "virNetworkPortGetXMLDesc",
            [](Call& call, remote_network_port_flags_args& args, remote_string_ret& ret) {
                ret.str =
                    call.arena.str(call.driver().portGetXmlDesc(toRef(args.port), args.flags));
            });

    t[{REMOTE_PROGRAM, REMOTE_PROC_NETWORK_PORT_DELETE}] =
        makeProc<remote_network_port_flags_args, Nothing>(
            xp(xdr_remote_network_port_flags_args), kNothing, kWrite, "virNetworkPortDelete",
            [](Call& call, remote_network_port_flags_args& args, Nothing&) {
                call.driver().portDelete(toRef(args.port), args.flags);
            });

    t[{REMOTE_PROGRAM, REMOTE_PROC_NETWORK_PORT_GET_PARAMETERS}] =
        makeProc<remote_network_port_get_parameters_args, remote_network_port_get_parameters_ret>(
            xp(xdr_remote_network_port_get_parameters_args),
            xp(xdr_remote_network_port_get_parameters_ret), 0, "virNetworkPortGetParameters",
            [](Call& call, remote_network_port_get_parameters_args& args,
               remote_network_port_get_parameters_ret& ret) {
                // The port API allocates the parameters itself (virNetworkPortGetParameters
                // has no caller-sized buffer): libvirt's client leaves args.nparams unset, and
                // the daemon answers with every parameter.
                auto params = call.driver().portGetParameters(toRef(args.port), args.flags);
                if (params.size() > REMOTE_NETWORK_PORT_PARAMETERS_MAX) {
                    throw Error(ErrorCode::Rpc, "nparams too large", ErrorDomain::Rpc);
                }
                ret.nparams = static_cast<int>(params.size());
                auto* out = call.arena.array<remote_typed_param>(params.size());
                fromParams(call.arena, params, out);
                ret.params.params_len = static_cast<u_int>(params.size());
                ret.params.params_val = out;
            });

    t[{REMOTE_PROGRAM, REMOTE_PROC_NETWORK_PORT_SET_PARAMETERS}] =
        makeProc<remote_network_port_set_parameters_args, Nothing>(
            xp(xdr_remote_network_port_set_parameters_args), kNothing, kWrite,
            "virNetworkPortSetParameters",
            [](Call& call, remote_network_port_set_parameters_args& args, Nothing&) {
                call.driver().portSetParameters(
                    toRef(args.port), toParams(args.params.params_val, args.params.params_len),
                    args.flags);
            });
}

} // namespace dvs::rpc
