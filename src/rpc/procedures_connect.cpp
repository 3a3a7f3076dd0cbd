// SPDX-License-Identifier: LGPL-2.1-or-later
// libvirt's remote program: the connection (open, close, features, identity, versions).
#include <variant>

#include <fmt/format.h>
#include <glib.h>

#include "rpc/procedures.h"

namespace dvs::rpc {

namespace {

// libvirt's virDrvFeature numbers that the network driver's daemon answers with 1.
constexpr int kFeatureFdPassing = 8;
constexpr int kFeatureTypedParamString = 9;
constexpr int kFeatureProgramKeepalive = 10;
constexpr int kFeatureRemoteEventCallback = 14;
constexpr int kFeatureRemoteCloseCallback = 15;
constexpr int kFeatureNetworkUpdateHasCorrectOrder = 16;

} // namespace

void addConnectProcedures(ProcTable& t)
{
    t[{REMOTE_PROGRAM, REMOTE_PROC_AUTH_LIST}] = makeProc<Nothing, remote_auth_list_ret>(
        kNothing, xp(xdr_remote_auth_list_ret), kPreOpen | kSkipAuth, "virConnectOpen",
        [](Call& call, Nothing&, remote_auth_list_ret& ret) {
            auto* types = call.arena.array<remote_auth_type>(1);
            types[0] = call.session.authPending ? REMOTE_AUTH_POLKIT : REMOTE_AUTH_NONE;
            ret.types.types_len = 1;
            ret.types.types_val = types;
        });

    // A client that must authenticate is answered by the server, which asks polkitd without
    // blocking the loop (Server's Client::handle); this entry answers the others as libvirt does.
    t[{REMOTE_PROGRAM, REMOTE_PROC_AUTH_POLKIT}] = makeProc<Nothing, remote_auth_polkit_ret>(
        kNothing, xp(xdr_remote_auth_polkit_ret), kPreOpen | kSkipAuth, "virConnectOpen",
        [](Call&, Nothing&, remote_auth_polkit_ret&) {
            throw Error(ErrorCode::AuthFailed, "client tried invalid PolicyKit init request",
                        ErrorDomain::Rpc);
        });

    t[{REMOTE_PROGRAM, REMOTE_PROC_CONNECT_SUPPORTS_FEATURE}] =
        makeProc<remote_connect_supports_feature_args, remote_connect_supports_feature_ret>(
            xp(xdr_remote_connect_supports_feature_args),
            xp(xdr_remote_connect_supports_feature_ret), kPreOpen, "virConnectSupportsFeature",
            [](Call& call, remote_connect_supports_feature_args& args,
               remote_connect_supports_feature_ret& ret) {
                switch (args.feature) {
                case kFeatureProgramKeepalive:
                    call.session.keepaliveRequested = true;
                    ret.supported = 1;
                    break;
                case kFeatureFdPassing:
                case kFeatureTypedParamString:
                case kFeatureRemoteEventCallback:
                case kFeatureRemoteCloseCallback:
                case kFeatureNetworkUpdateHasCorrectOrder:
                    ret.supported = 1;
                    break;
                default:
                    ret.supported = 0;
                    break;
                }
            });

    t[{REMOTE_PROGRAM, REMOTE_PROC_CONNECT_OPEN}] = makeProc<remote_connect_open_args, Nothing>(
        xp(xdr_remote_connect_open_args), kNothing, kPreOpen, "virConnectOpen",
        [](Call& call, remote_connect_open_args& args, Nothing&) {
            constexpr unsigned kConnectReadOnly = 1; // VIR_CONNECT_RO
            if (call.session.open) {
                throw Error(ErrorCode::InternalError, "connection already open", ErrorDomain::Rpc);
            }
            call.session.open = true;
            call.session.readOnly =
                call.session.readOnlySocket || (args.flags & kConnectReadOnly) != 0;
            call.session.uri = args.name != nullptr && *args.name != nullptr
                                   ? std::string(*args.name)
                                   : std::string("network:///system");
        });

    t[{REMOTE_PROGRAM, REMOTE_PROC_CONNECT_CLOSE}] = makeProc<Nothing, Nothing>(
        kNothing, kNothing, 0, "virConnectClose", [](Call& call, Nothing&, Nothing&) {
            call.session.open = false;
            call.session.lifecycleCallbacks.clear();
        });

    auto noop = [](Call&, Nothing&, Nothing&) {};
    t[{REMOTE_PROGRAM, REMOTE_PROC_CONNECT_REGISTER_CLOSE_CALLBACK}] =
        makeProc<Nothing, Nothing>(kNothing, kNothing, 0, "virConnectRegisterCloseCallback", noop);
    t[{REMOTE_PROGRAM, REMOTE_PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK}] = makeProc<Nothing, Nothing>(
        kNothing, kNothing, 0, "virConnectUnregisterCloseCallback", noop);

    // The identity of the process behind the connection (virtqemud passes its caller's). dvsd has
    // no per-identity policy; a read-write connection may set it.
    t[{REMOTE_PROGRAM, REMOTE_PROC_CONNECT_SET_IDENTITY}] =
        makeProc<remote_connect_set_identity_args, Nothing>(
            xp(xdr_remote_connect_set_identity_args), kNothing, kWrite, "virConnectSetIdentity",
            [](Call& call, remote_connect_set_identity_args& args, Nothing&) {
                // Kept for the log of every change this connection makes.
                std::string identity;
                auto params = toParams(args.params.params_val, args.params.params_len);
                for (const auto& [field, value] : params) {
                    if (!identity.empty()) {
                        identity += ' ';
                    }
                    identity += field + '=';
                    std::visit(
                        [&](const auto& v) {
                            using V = std::decay_t<decltype(v)>;
                            if constexpr (std::is_same_v<V, std::string>) {
                                identity += v;
                            } else {
                                identity += fmt::format("{}", v);
                            }
                        },
                        value);
                }
                call.session.identity = std::move(identity);
            });

    t[{REMOTE_PROGRAM, REMOTE_PROC_CONNECT_GET_TYPE}] =
        makeProc<Nothing, remote_connect_get_type_ret>(
            kNothing, xp(xdr_remote_connect_get_type_ret), 0, "virConnectGetType",
            [](Call& call, Nothing&, remote_connect_get_type_ret& ret) {
                ret.type = call.arena.str("network");
            });

    t[{REMOTE_PROGRAM, REMOTE_PROC_CONNECT_GET_VERSION}] =
        makeProc<Nothing, remote_connect_get_version_ret>(
            kNothing, xp(xdr_remote_connect_get_version_ret), 0, "virConnectGetVersion",
            [](Call&, Nothing&, remote_connect_get_version_ret& ret) {
                ret.hv_ver = Dispatcher::kLibVersion;
            });

    t[{REMOTE_PROGRAM, REMOTE_PROC_CONNECT_GET_LIB_VERSION}] =
        makeProc<Nothing, remote_connect_get_lib_version_ret>(
            kNothing, xp(xdr_remote_connect_get_lib_version_ret), 0, "virConnectGetLibVersion",
            [](Call&, Nothing&, remote_connect_get_lib_version_ret& ret) {
                ret.lib_ver = Dispatcher::kLibVersion;
            });

    t[{REMOTE_PROGRAM, REMOTE_PROC_CONNECT_GET_HOSTNAME}] =
        makeProc<Nothing, remote_connect_get_hostname_ret>(
            kNothing, xp(xdr_remote_connect_get_hostname_ret), 0, "virConnectGetHostname",
            [](Call& call, Nothing&, remote_connect_get_hostname_ret& ret) {
                ret.hostname = call.arena.str(g_get_host_name());
            });

    t[{REMOTE_PROGRAM, REMOTE_PROC_CONNECT_GET_URI}] =
        makeProc<Nothing, remote_connect_get_uri_ret>(
            kNothing, xp(xdr_remote_connect_get_uri_ret), 0, "virConnectGetURI",
            [](Call& call, Nothing&, remote_connect_get_uri_ret& ret) {
                ret.uri = call.arena.str(call.session.uri);
            });

    t[{REMOTE_PROGRAM, REMOTE_PROC_CONNECT_IS_SECURE}] =
        makeProc<Nothing, remote_connect_is_secure_ret>(
            kNothing, xp(xdr_remote_connect_is_secure_ret), 0, "virConnectIsSecure",
            [](Call&, Nothing&, remote_connect_is_secure_ret& ret) { ret.secure = 1; });
}

} // namespace dvs::rpc
