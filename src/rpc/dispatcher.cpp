// SPDX-License-Identifier: LGPL-2.1-or-later
#include "dispatcher.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <deque>
#include <exception>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include <glib.h>

#include "dvs_config.h"
#include "virtnet/lease_event.h"

namespace dvs::rpc {

namespace {

// libvirt's virDrvFeature numbers that the network driver's daemon answers with 1.
constexpr int kFeatureFdPassing = 8;
constexpr int kFeatureTypedParamString = 9;
constexpr int kFeatureProgramKeepalive = 10;
constexpr int kFeatureRemoteEventCallback = 14;
constexpr int kFeatureRemoteCloseCallback = 15;
constexpr int kFeatureNetworkUpdateHasCorrectOrder = 16;

constexpr int kLifecycleEventId = 0; // VIR_NETWORK_EVENT_ID_LIFECYCLE

// Owns whatever a reply's C structs point to until the reply is encoded.
class Arena
{
public:
    template <typename T>
    T& hold(T value)
    {
        auto item = std::make_unique<Item<T>>(std::move(value));
        T& ref = item->value;
        items_.push_back(std::move(item));
        return ref;
    }
    char* str(std::string value) { return hold(std::move(value)).data(); }
    template <typename T>
    T* array(std::size_t count)
    {
        return hold(std::vector<T>(count)).data();
    }

private:
    struct Base
    {
        virtual ~Base() = default;
    };
    template <typename T>
    struct Item : Base
    {
        explicit Item(T v) : value(std::move(v)) {}
        T value;
    };
    std::vector<std::unique_ptr<Base>> items_;
};

// One call being served.
struct Call
{
    Dispatcher& dispatcher;
    Session& session;
    Arena arena;
    driver::NetworkDriver& driver() { return dispatcher.driver(); }
};

// Stands in for the args or ret of a procedure that has none.
struct Nothing
{};

extern "C" bool_t xdrNothing(XDR*, void*)
{
    return TRUE;
}

[[noreturn]] void raiseDecodeError()
{
    throw Error(ErrorCode::Rpc, "Unable to decode message payload", ErrorDomain::Rpc);
}

enum ProcFlags : unsigned
{
    kPreOpen = 1, // allowed before CONNECT_OPEN
    kWrite = 2,   // changes state: refused on a read-only connection
};

struct Procedure
{
    unsigned flags = 0;
    // The public libvirt API behind the procedure, for the read-only refusal.
    const char* api = "";
    std::function<std::vector<char>(Call&, const std::vector<char>&)> invoke;
};

template <typename Args, typename Ret, typename Fn>
Procedure makeProc(xdrproc_t argsProc, xdrproc_t retProc, unsigned flags, const char* api, Fn fn)
{
    Procedure proc;
    proc.flags = flags;
    proc.api = api;
    proc.invoke = [argsProc, retProc, fn](Call& call, const std::vector<char>& payload) {
        XdrValue<Args> args(argsProc);
        if (!args.decode(payload.data(), payload.size())) {
            raiseDecodeError();
        }
        Ret ret{};
        fn(call, args.get(), ret);
        return xdrEncode(retProc, &ret);
    };
    return proc;
}

template <typename F>
xdrproc_t xp(F fn)
{
    return reinterpret_cast<xdrproc_t>(fn);
}

const xdrproc_t kNothing = xp(xdrNothing);

// ---- Conversions between the wire structs and the driver's types.

util::Uuid toUuid(const char (&bytes)[REMOTE_UUID_BUFLEN])
{
    std::array<std::uint8_t, 16> raw{};
    std::memcpy(raw.data(), bytes, raw.size());
    return util::Uuid(raw);
}

void fromUuid(const util::Uuid& uuid, char (&bytes)[REMOTE_UUID_BUFLEN])
{
    std::memcpy(bytes, uuid.bytes().data(), sizeof bytes);
}

driver::NetworkRef toRef(const remote_nonnull_network& net)
{
    return {net.name != nullptr ? net.name : "", toUuid(net.uuid)};
}

driver::PortRef toRef(const remote_nonnull_network_port& port)
{
    return {toRef(port.net), toUuid(port.uuid)};
}

void fromRef(Arena& arena, const driver::NetworkRef& ref, remote_nonnull_network& out)
{
    out.name = arena.str(ref.name);
    fromUuid(ref.uuid, out.uuid);
}

void fromRef(Arena& arena, const driver::PortRef& ref, remote_nonnull_network_port& out)
{
    fromRef(arena, ref.network, out.net);
    fromUuid(ref.uuid, out.uuid);
}

std::string_view orEmpty(const char* text)
{
    return text != nullptr ? std::string_view(text) : std::string_view();
}

driver::TypedParams toParams(const remote_typed_param* params, unsigned count)
{
    driver::TypedParams out;
    for (unsigned i = 0; i < count; ++i) {
        const auto& value = params[i].value;
        const auto& u = value.remote_typed_param_value_u;
        driver::TypedValue typed;
        switch (value.type) {
        case 1:
            typed = u.i;
            break;
        case 2:
            typed = static_cast<unsigned>(u.ui);
            break;
        case 3:
            typed = static_cast<long long>(u.l);
            break;
        case 4:
            typed = static_cast<unsigned long long>(u.ul);
            break;
        case 5:
            typed = u.d;
            break;
        case 6:
            typed = u.b != 0;
            break;
        case 7:
            typed = std::string(orEmpty(u.s));
            break;
        default:
            raiseDecodeError();
        }
        out.push_back({std::string(orEmpty(params[i].field)), std::move(typed)});
    }
    return out;
}

void fromParams(Arena& arena, const driver::TypedParams& params, remote_typed_param* out)
{
    for (std::size_t i = 0; i < params.size(); ++i) {
        out[i].field = arena.str(params[i].field);
        auto& value = out[i].value;
        auto& u = value.remote_typed_param_value_u;
        value.type = static_cast<int>(params[i].value.index()) + 1;
        std::visit(
            [&](const auto& v) {
                using V = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<V, int>) {
                    u.i = v;
                } else if constexpr (std::is_same_v<V, unsigned>) {
                    u.ui = v;
                } else if constexpr (std::is_same_v<V, long long>) {
                    u.l = v;
                } else if constexpr (std::is_same_v<V, unsigned long long>) {
                    u.ul = v;
                } else if constexpr (std::is_same_v<V, double>) {
                    u.d = v;
                } else if constexpr (std::is_same_v<V, bool>) {
                    u.b = v ? 1 : 0;
                } else {
                    u.s = arena.str(v);
                }
            },
            params[i].value);
    }
}

void checkListMax(int requested, int max)
{
    if (requested > max) {
        throw Error(ErrorCode::Rpc,
                    fmt::format("too many remote networks: {} > {}", requested, max),
                    ErrorDomain::Rpc);
    }
}

// ---- The remote program's procedure table.

using ProcTable = std::unordered_map<int, Procedure>;

void addConnectProcs(ProcTable& t)
{
    t[REMOTE_PROC_AUTH_LIST] = makeProc<Nothing, remote_auth_list_ret>(
        kNothing, xp(xdr_remote_auth_list_ret), kPreOpen, "virConnectOpen",
        [](Call& call, Nothing&, remote_auth_list_ret& ret) {
            auto* types = call.arena.array<remote_auth_type>(1);
            types[0] = REMOTE_AUTH_NONE;
            ret.types.types_len = 1;
            ret.types.types_val = types;
        });

    t[REMOTE_PROC_CONNECT_SUPPORTS_FEATURE] =
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

    t[REMOTE_PROC_CONNECT_OPEN] = makeProc<remote_connect_open_args, Nothing>(
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

    t[REMOTE_PROC_CONNECT_CLOSE] = makeProc<Nothing, Nothing>(
        kNothing, kNothing, 0, "virConnectClose", [](Call& call, Nothing&, Nothing&) {
            call.session.open = false;
            call.session.lifecycleCallbacks.clear();
        });

    auto noop = [](Call&, Nothing&, Nothing&) {};
    t[REMOTE_PROC_CONNECT_REGISTER_CLOSE_CALLBACK] =
        makeProc<Nothing, Nothing>(kNothing, kNothing, 0, "virConnectRegisterCloseCallback", noop);
    t[REMOTE_PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK] = makeProc<Nothing, Nothing>(
        kNothing, kNothing, 0, "virConnectUnregisterCloseCallback", noop);

    // The identity of the process behind the connection (virtqemud passes its caller's). dvsd has
    // no per-identity policy; a read-write connection may set it.
    t[REMOTE_PROC_CONNECT_SET_IDENTITY] = makeProc<remote_connect_set_identity_args, Nothing>(
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

    t[REMOTE_PROC_CONNECT_GET_TYPE] = makeProc<Nothing, remote_connect_get_type_ret>(
        kNothing, xp(xdr_remote_connect_get_type_ret), 0, "virConnectGetType",
        [](Call& call, Nothing&, remote_connect_get_type_ret& ret) {
            ret.type = call.arena.str("network");
        });

    t[REMOTE_PROC_CONNECT_GET_VERSION] = makeProc<Nothing, remote_connect_get_version_ret>(
        kNothing, xp(xdr_remote_connect_get_version_ret), 0, "virConnectGetVersion",
        [](Call&, Nothing&, remote_connect_get_version_ret& ret) {
            ret.hv_ver = Dispatcher::kLibVersion;
        });

    t[REMOTE_PROC_CONNECT_GET_LIB_VERSION] = makeProc<Nothing, remote_connect_get_lib_version_ret>(
        kNothing, xp(xdr_remote_connect_get_lib_version_ret), 0, "virConnectGetLibVersion",
        [](Call&, Nothing&, remote_connect_get_lib_version_ret& ret) {
            ret.lib_ver = Dispatcher::kLibVersion;
        });

    t[REMOTE_PROC_CONNECT_GET_HOSTNAME] = makeProc<Nothing, remote_connect_get_hostname_ret>(
        kNothing, xp(xdr_remote_connect_get_hostname_ret), 0, "virConnectGetHostname",
        [](Call& call, Nothing&, remote_connect_get_hostname_ret& ret) {
            ret.hostname = call.arena.str(g_get_host_name());
        });

    t[REMOTE_PROC_CONNECT_GET_URI] = makeProc<Nothing, remote_connect_get_uri_ret>(
        kNothing, xp(xdr_remote_connect_get_uri_ret), 0, "virConnectGetURI",
        [](Call& call, Nothing&, remote_connect_get_uri_ret& ret) {
            ret.uri = call.arena.str(call.session.uri);
        });

    t[REMOTE_PROC_CONNECT_IS_SECURE] = makeProc<Nothing, remote_connect_is_secure_ret>(
        kNothing, xp(xdr_remote_connect_is_secure_ret), 0, "virConnectIsSecure",
        [](Call&, Nothing&, remote_connect_is_secure_ret& ret) { ret.secure = 1; });
}

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

void addNetworkProcs(ProcTable& t)
{
    auto listNames = [](bool active, const char* api) {
        return makeProc<remote_connect_list_networks_args, remote_connect_list_networks_ret>(
            xp(xdr_remote_connect_list_networks_args), xp(xdr_remote_connect_list_networks_ret), 0,
            api,
            [active](Call& call, remote_connect_list_networks_args& args,
                     remote_connect_list_networks_ret& ret) {
                checkListMax(args.maxnames, REMOTE_NETWORK_LIST_MAX);
                auto names = call.driver().listNetworkNames(active, args.maxnames);
                auto* out = call.arena.array<char*>(names.size());
                for (std::size_t i = 0; i < names.size(); ++i) {
                    out[i] = call.arena.str(names[i]);
                }
                ret.names.names_len = static_cast<u_int>(names.size());
                ret.names.names_val = out;
            });
    };
    t[REMOTE_PROC_CONNECT_LIST_NETWORKS] = listNames(true, "virConnectListNetworks");
    t[REMOTE_PROC_CONNECT_LIST_DEFINED_NETWORKS] =
        listNames(false, "virConnectListDefinedNetworks");

    auto countNames = [](bool active, const char* api) {
        return makeProc<Nothing, remote_connect_num_of_networks_ret>(
            kNothing, xp(xdr_remote_connect_num_of_networks_ret), 0, api,
            [active](Call& call, Nothing&, remote_connect_num_of_networks_ret& ret) {
                ret.num = call.driver().countNetworks(active);
            });
    };
    t[REMOTE_PROC_CONNECT_NUM_OF_NETWORKS] = countNames(true, "virConnectNumOfNetworks");
    t[REMOTE_PROC_CONNECT_NUM_OF_DEFINED_NETWORKS] =
        countNames(false, "virConnectNumOfDefinedNetworks");

    t[REMOTE_PROC_CONNECT_LIST_ALL_NETWORKS] =
        makeProc<remote_connect_list_all_networks_args, remote_connect_list_all_networks_ret>(
            xp(xdr_remote_connect_list_all_networks_args),
            xp(xdr_remote_connect_list_all_networks_ret), 0, "virConnectListAllNetworks",
            [](Call& call, remote_connect_list_all_networks_args& args,
               remote_connect_list_all_networks_ret& ret) {
                auto nets = call.driver().listAllNetworks(args.flags);
                if (nets.size() > REMOTE_NETWORK_LIST_MAX) {
                    throw Error(ErrorCode::Rpc,
                                fmt::format("too many remote networks: {} > {}", nets.size(),
                                            REMOTE_NETWORK_LIST_MAX),
                                ErrorDomain::Rpc);
                }
                ret.ret = static_cast<u_int>(nets.size());
                if (args.need_results != 0) {
                    auto* out = call.arena.array<remote_nonnull_network>(nets.size());
                    for (std::size_t i = 0; i < nets.size(); ++i) {
                        fromRef(call.arena, nets[i], out[i]);
                    }
                    ret.nets.nets_len = static_cast<u_int>(nets.size());
                    ret.nets.nets_val = out;
                }
            });

    t[REMOTE_PROC_NETWORK_LOOKUP_BY_NAME] =
        makeProc<remote_network_lookup_by_name_args, remote_network_ret>(
            xp(xdr_remote_network_lookup_by_name_args), xp(xdr_remote_network_ret), 0,
            "virNetworkLookupByName",
            [](Call& call, remote_network_lookup_by_name_args& args, remote_network_ret& ret) {
                fromRef(call.arena, call.driver().lookupByName(orEmpty(args.name)), ret.net);
            });

    t[REMOTE_PROC_NETWORK_LOOKUP_BY_UUID] =
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
    t[REMOTE_PROC_NETWORK_DEFINE_XML] = fromXml(true, false, "virNetworkDefineXML");
    t[REMOTE_PROC_NETWORK_DEFINE_XML_FLAGS] = fromXml(true, true, "virNetworkDefineXMLFlags");
    t[REMOTE_PROC_NETWORK_CREATE_XML] = fromXml(false, false, "virNetworkCreateXML");
    t[REMOTE_PROC_NETWORK_CREATE_XML_FLAGS] = fromXml(false, true, "virNetworkCreateXMLFlags");

    t[REMOTE_PROC_NETWORK_CREATE] =
        networkVoidProc("virNetworkCreate",
                        [](driver::NetworkDriver& d, const driver::NetworkRef& n) { d.start(n); });
    t[REMOTE_PROC_NETWORK_DESTROY] =
        networkVoidProc("virNetworkDestroy", [](driver::NetworkDriver& d,
                                                const driver::NetworkRef& n) { d.destroy(n); });
    t[REMOTE_PROC_NETWORK_UNDEFINE] =
        networkVoidProc("virNetworkUndefine", [](driver::NetworkDriver& d,
                                                 const driver::NetworkRef& n) { d.undefine(n); });

    t[REMOTE_PROC_NETWORK_GET_AUTOSTART] = networkIntProc(
        "virNetworkGetAutostart",
        [](driver::NetworkDriver& d, const driver::NetworkRef& n) { return d.getAutostart(n); });
    t[REMOTE_PROC_NETWORK_IS_ACTIVE] = networkIntProc(
        "virNetworkIsActive",
        [](driver::NetworkDriver& d, const driver::NetworkRef& n) { return d.isActive(n); });
    t[REMOTE_PROC_NETWORK_IS_PERSISTENT] = networkIntProc(
        "virNetworkIsPersistent",
        [](driver::NetworkDriver& d, const driver::NetworkRef& n) { return d.isPersistent(n); });

    t[REMOTE_PROC_NETWORK_GET_BRIDGE_NAME] = makeProc<remote_network_args, remote_string_ret>(
        xp(xdr_remote_network_args), xp(xdr_remote_string_ret), 0, "virNetworkGetBridgeName",
        [](Call& call, remote_network_args& args, remote_string_ret& ret) {
            ret.str = call.arena.str(call.driver().getBridgeName(toRef(args.net)));
        });

    t[REMOTE_PROC_NETWORK_GET_XML_DESC] =
        makeProc<remote_network_get_xml_desc_args, remote_string_ret>(
            xp(xdr_remote_network_get_xml_desc_args), xp(xdr_remote_string_ret), 0,
            "virNetworkGetXMLDesc",
            [](Call& call, remote_network_get_xml_desc_args& args, remote_string_ret& ret) {
                ret.str = call.arena.str(call.driver().getXmlDesc(toRef(args.net), args.flags));
            });

    t[REMOTE_PROC_NETWORK_SET_AUTOSTART] = makeProc<remote_network_set_autostart_args, Nothing>(
        xp(xdr_remote_network_set_autostart_args), kNothing, kWrite, "virNetworkSetAutostart",
        [](Call& call, remote_network_set_autostart_args& args, Nothing&) {
            call.driver().setAutostart(toRef(args.net), args.autostart != 0);
        });

    t[REMOTE_PROC_NETWORK_UPDATE] = makeProc<remote_network_update_args, Nothing>(
        xp(xdr_remote_network_update_args), kNothing, kWrite, "virNetworkUpdate",
        [](Call& call, remote_network_update_args& args, Nothing&) {
            call.driver().update(toRef(args.net), args.command, args.section, args.parentIndex,
                                 orEmpty(args.xml), args.flags);
        });

    // What dnsmasq handed out on a virtual network (libvirt's remoteDispatchNetworkGetDHCPLeases
    // over networkGetDHCPLeases).
    t[REMOTE_PROC_NETWORK_GET_DHCP_LEASES] =
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
                std::optional<std::string> mac;
                if (args.mac != nullptr && *args.mac != nullptr) {
                    mac = *args.mac;
                }
                auto leases = call.driver().getDhcpLeases(toRef(args.net), mac);
                if (leases.size() > REMOTE_NETWORK_DHCP_LEASES_MAX) {
                    throw Error(ErrorCode::InternalError,
                                fmt::format("Number of leases is {}, which exceeds max limit: {}",
                                            leases.size(), REMOTE_NETWORK_DHCP_LEASES_MAX));
                }
                ret.ret = static_cast<unsigned>(leases.size());
                if (args.need_results == 0) {
                    return;
                }
                auto optional = [&](const std::optional<std::string>& value) -> char** {
                    return value ? &call.arena.hold<char*>(call.arena.str(*value)) : nullptr;
                };
                auto* out = call.arena.array<remote_network_dhcp_lease>(leases.size());
                for (std::size_t i = 0; i < leases.size(); ++i) {
                    const auto& l = leases[i];
                    out[i].iface = call.arena.str(l.iface);
                    out[i].expirytime = l.expiryTime;
                    out[i].type = static_cast<int>(l.type);
                    out[i].mac = optional(l.mac);
                    out[i].iaid = optional(l.iaid);
                    out[i].ipaddr = call.arena.str(l.ipAddr);
                    out[i].prefix = l.prefix;
                    out[i].hostname = optional(l.hostname);
                    out[i].clientid = optional(l.clientId);
                }
                ret.leases.leases_len = static_cast<u_int>(leases.size());
                ret.leases.leases_val = out;
            });

    t[REMOTE_PROC_CONNECT_NETWORK_EVENT_REGISTER_ANY] =
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

    t[REMOTE_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY] =
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

void addPortProcs(ProcTable& t)
{
    t[REMOTE_PROC_NETWORK_LIST_ALL_PORTS] =
        makeProc<remote_network_list_all_ports_args, remote_network_list_all_ports_ret>(
            xp(xdr_remote_network_list_all_ports_args), xp(xdr_remote_network_list_all_ports_ret),
            0, "virNetworkListAllPorts",
            [](Call& call, remote_network_list_all_ports_args& args,
               remote_network_list_all_ports_ret& ret) {
                auto ports = call.driver().listAllPorts(toRef(args.network), args.flags);
                if (ports.size() > REMOTE_NETWORK_PORT_LIST_MAX) {
                    throw Error(ErrorCode::Rpc,
                                fmt::format("too many network ports: {} > {}", ports.size(),
                                            REMOTE_NETWORK_PORT_LIST_MAX),
                                ErrorDomain::Rpc);
                }
                ret.ret = static_cast<u_int>(ports.size());
                if (args.need_results != 0) {
                    auto* out = call.arena.array<remote_nonnull_network_port>(ports.size());
                    for (std::size_t i = 0; i < ports.size(); ++i) {
                        fromRef(call.arena, ports[i], out[i]);
                    }
                    ret.ports.ports_len = static_cast<u_int>(ports.size());
                    ret.ports.ports_val = out;
                }
            });

    t[REMOTE_PROC_NETWORK_PORT_LOOKUP_BY_UUID] =
        makeProc<remote_network_port_lookup_by_uuid_args, remote_network_port_ret>(
            xp(xdr_remote_network_port_lookup_by_uuid_args), xp(xdr_remote_network_port_ret), 0,
            "virNetworkPortLookupByUUID",
            [](Call& call, remote_network_port_lookup_by_uuid_args& args,
               remote_network_port_ret& ret) {
                fromRef(call.arena,
                        call.driver().portLookupByUuid(toRef(args.network), toUuid(args.uuid)),
                        ret.port);
            });

    t[REMOTE_PROC_NETWORK_PORT_CREATE_XML] =
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

    t[REMOTE_PROC_NETWORK_PORT_GET_XML_DESC] =
        makeProc<remote_network_port_flags_args, remote_string_ret>(
            xp(xdr_remote_network_port_flags_args), xp(xdr_remote_string_ret), 0,
            "virNetworkPortGetXMLDesc",
            [](Call& call, remote_network_port_flags_args& args, remote_string_ret& ret) {
                ret.str =
                    call.arena.str(call.driver().portGetXmlDesc(toRef(args.port), args.flags));
            });

    t[REMOTE_PROC_NETWORK_PORT_DELETE] = makeProc<remote_network_port_flags_args, Nothing>(
        xp(xdr_remote_network_port_flags_args), kNothing, kWrite, "virNetworkPortDelete",
        [](Call& call, remote_network_port_flags_args& args, Nothing&) {
            call.driver().portDelete(toRef(args.port), args.flags);
        });

    t[REMOTE_PROC_NETWORK_PORT_GET_PARAMETERS] =
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

    t[REMOTE_PROC_NETWORK_PORT_SET_PARAMETERS] =
        makeProc<remote_network_port_set_parameters_args, Nothing>(
            xp(xdr_remote_network_port_set_parameters_args), kNothing, kWrite,
            "virNetworkPortSetParameters",
            [](Call& call, remote_network_port_set_parameters_args& args, Nothing&) {
                call.driver().portSetParameters(
                    toRef(args.port), toParams(args.params.params_val, args.params.params_len),
                    args.flags);
            });
}

const ProcTable& remoteProcedures()
{
    static const ProcTable table = [] {
        ProcTable t;
        addConnectProcs(t);
        addNetworkProcs(t);
        addPortProcs(t);
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
        if (call.header.prog == REMOTE_PROGRAM && call.header.vers == REMOTE_PROTOCOL_VERSION) {
            return dispatchRemote(session, call);
        }
        if (call.header.prog == DVS_PROGRAM && call.header.vers == DVS_PROTOCOL_VERSION) {
            return dispatchDvs(session, call);
        }
        throw Error(
            ErrorCode::Rpc,
            fmt::format("Cannot find program {} version {}", call.header.prog, call.header.vers),
            ErrorDomain::Rpc);
    } catch (const Error& error) {
        return errorReply(call.header, error);
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& error) {
        return errorReply(call.header, Error(ErrorCode::InternalError, error.what()));
    }
}

Message Dispatcher::dispatchRemote(Session& session, const Message& call)
{
    const auto& table = remoteProcedures();
    auto it = table.find(call.header.proc);
    if (it == table.end()) {
        throw Error(ErrorCode::Rpc, fmt::format("unknown procedure: {}", call.header.proc),
                    ErrorDomain::Rpc);
    }
    const Procedure& proc = it->second;
    if ((proc.flags & kPreOpen) == 0 && !session.open) {
        throw Error(ErrorCode::InternalError, "connection not open", ErrorDomain::Rpc);
    }
    if ((proc.flags & kWrite) != 0 && session.readOnly) {
        // libvirt's public API refuses these on a read-only connection (virCheckReadOnlyGoto).
        throw Error(ErrorCode::OperationDenied,
                    fmt::format("read only access prevents {}", proc.api), ErrorDomain::None);
    }
    Call state{*this, session, {}};
    Message reply = makeReply(call.header);
    reply.payload = proc.invoke(state, call.payload);
    if ((proc.flags & kWrite) != 0 && networksChanged_) {
        networksChanged_();
    }
    if ((proc.flags & kWrite) != 0 && changed_) {
        changed_(session, proc.api);
    }
    return reply;
}

Message Dispatcher::dispatchDvs(Session& session, const Message& call)
{
    if (call.header.proc == DVS_PROC_PORT_PLUG || call.header.proc == DVS_PROC_PORT_UNPLUG) {
        return dispatchPortPlug(session, call);
    }
    if (call.header.proc == DVS_PROC_NETWORK_HOOK) {
        return dispatchNetworkHook(session, call);
    }
    if (call.header.proc == DVS_PROC_DHCP_LEASE) {
        return dispatchDhcpLease(session, call);
    }
    if (call.header.proc != DVS_PROC_DAEMON_STATUS) {
        throw Error(ErrorCode::Rpc, fmt::format("unknown procedure: {}", call.header.proc),
                    ErrorDomain::Rpc);
    }
    if (!call.payload.empty()) {
        raiseDecodeError();
    }
    Arena arena;
    auto networks = driver_.status();
    auto* out = arena.array<dvs_network_status>(networks.size());
    for (std::size_t i = 0; i < networks.size(); ++i) {
        const auto& n = networks[i];
        out[i].name = arena.str(n.name);
        out[i].active = n.active ? 1 : 0;
        out[i].persistent = n.persistent ? 1 : 0;
        out[i].autostart = n.autostart ? 1 : 0;
        out[i].forward_mode = arena.str(n.forwardMode);
        out[i].connections = n.connections;
        out[i].ports = n.ports;
        out[i].dataplane_kind = arena.str(n.dataplaneKind);
        out[i].dataplane_state = arena.str(n.dataplaneState);
        out[i].dataplane = arena.str(n.dataplane);
        // "libvirtd: STATE" (hook mode) and "switch 'NAME': STATE" (a managed network), joined
        // by "; ".
        std::string published = publicationState_ ? publicationState_(n.name) : "";
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
        out[i].libvirtd = arena.str(libvirtd);
        out[i].membership = arena.str(membership);
    }
    dvs_daemon_status_ret ret{};
    ret.daemon_version = arena.str(DVS_VERSION);
    ret.uptime_seconds = static_cast<u_quad_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                                   std::chrono::steady_clock::now() - info_.started)
                                                   .count());
    ret.clients = info_.clientCount ? info_.clientCount() : 0;
    ret.readonly = session.readOnlySocket ? 1 : 0;
    ret.networks.networks_len = static_cast<u_int>(networks.size());
    ret.networks.networks_val = out;
    Message reply = makeReply(call.header);
    reply.payload = xdrEncode(xp(xdr_dvs_daemon_status_ret), &ret);
    return reply;
}

Message Dispatcher::dispatchPortPlug(Session& session, const Message& call)
{
    bool plug = call.header.proc == DVS_PROC_PORT_PLUG;
    if (session.readOnly || session.readOnlySocket) {
        throw Error(ErrorCode::OperationDenied,
                    plug ? "read only access prevents plugging a network port"
                         : "read only access prevents unplugging a network port",
                    ErrorDomain::None);
    }
    Message reply = makeReply(call.header);
    if (plug) {
        XdrValue<dvs_port_plug_args> args(xp(xdr_dvs_port_plug_args));
        if (!args.decode(call.payload.data(), call.payload.size())) {
            raiseDecodeError();
        }
        auto net = driver_.lookupByName(args->network != nullptr ? args->network : "");
        std::string ifname =
            args->ifname != nullptr && *args->ifname != nullptr ? *args->ifname : "";
        auto device = driver_.portPlug({net, toUuid(args->port)}, ifname);
        Arena arena;
        dvs_port_plug_ret ret{};
        ret.device = arena.str(device);
        reply.payload = xdrEncode(xp(xdr_dvs_port_plug_ret), &ret);
    } else {
        XdrValue<dvs_port_unplug_args> args(xp(xdr_dvs_port_unplug_args));
        if (!args.decode(call.payload.data(), call.payload.size())) {
            raiseDecodeError();
        }
        auto net = driver_.lookupByName(args->network != nullptr ? args->network : "");
        driver_.portUnplug({net, toUuid(args->port)});
    }
    return reply;
}

Message Dispatcher::dispatchNetworkHook(Session& session, const Message& call)
{
    if (session.readOnly || session.readOnlySocket) {
        throw Error(ErrorCode::OperationDenied,
                    "read only access prevents handing a network hook to dvsd", ErrorDomain::None);
    }
    XdrValue<dvs_network_hook_args> args(xp(xdr_dvs_network_hook_args));
    if (!args.decode(call.payload.data(), call.payload.size())) {
        raiseDecodeError();
    }
    if (!networkHook_) {
        throw Error(ErrorCode::OperationInvalid,
                    "dvsd is not in hook mode (set mode=hook in the [libvirt] group of dvsd.conf)");
    }
    driver::NetworkHookCall hook;
    hook.network = args->network != nullptr ? args->network : "";
    hook.op = args->op != nullptr ? args->op : "";
    hook.subop = args->subop != nullptr ? args->subop : "";
    hook.hookData = args->hook_data != nullptr ? args->hook_data : "";
    networkHook_(hook);
    return makeReply(call.header);
}

Message Dispatcher::dispatchDhcpLease(Session& session, const Message& call)
{
    if (session.readOnly || session.readOnlySocket) {
        throw Error(ErrorCode::OperationDenied, "read only access prevents reporting a DHCP lease",
                    ErrorDomain::None);
    }
    XdrValue<dvs_dhcp_lease_args> args(xp(xdr_dvs_dhcp_lease_args));
    if (!args.decode(call.payload.data(), call.payload.size())) {
        raiseDecodeError();
    }
    std::vector<std::string> argv;
    for (u_int i = 0; i < args->args.args_len; ++i) {
        argv.emplace_back(args->args.args_val[i] != nullptr ? args->args.args_val[i] : "");
    }
    std::vector<std::pair<std::string, std::string>> env;
    for (u_int i = 0; i < args->env.env_len; ++i) {
        std::string entry = args->env.env_val[i] != nullptr ? args->env.env_val[i] : "";
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
    auto event = virtnet::parseLeaseEvent(argv, lookup, static_cast<long long>(::time(nullptr)));
    driver_.dhcpLeaseChanged(args->network != nullptr ? args->network : "", event);
    return makeReply(call.header);
}

Message Dispatcher::lifecycleMessage(int callbackId, const driver::NetworkRef& net,
                                     driver::LifecycleEvent event, int detail)
{
    Arena arena;
    remote_network_event_lifecycle_msg msg{};
    msg.callbackID = callbackId;
    fromRef(arena, net, msg.net);
    msg.event = static_cast<int>(event);
    msg.detail = detail;
    Message message;
    message.header.prog = REMOTE_PROGRAM;
    message.header.vers = REMOTE_PROTOCOL_VERSION;
    message.header.proc = REMOTE_PROC_NETWORK_EVENT_LIFECYCLE;
    message.header.type = DVS_MESSAGE_TYPE_MESSAGE;
    message.header.serial = 1;
    message.header.status = DVS_MESSAGE_STATUS_OK;
    message.payload = xdrEncode(xp(xdr_remote_network_event_lifecycle_msg), &msg);
    return message;
}

Message Dispatcher::keepaliveMessage(int proc)
{
    Message message;
    message.header.prog = KEEPALIVE_PROGRAM;
    message.header.vers = KEEPALIVE_PROTOCOL_VERSION;
    message.header.proc = proc;
    message.header.type = DVS_MESSAGE_TYPE_MESSAGE;
    message.header.serial = 0;
    message.header.status = DVS_MESSAGE_STATUS_OK;
    return message;
}

} // namespace dvs::rpc
