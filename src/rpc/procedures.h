// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <functional>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "rpc/dispatcher.h"
#include "rpc/wire_convert.h"

namespace dvs::rpc {

// The procedures the dispatcher serves, of every program, in one table: libvirt's remote
// program (procedures_connect.cpp, procedures_network.cpp, procedures_port.cpp) and our own
// (procedures_dvs.cpp).

// One call being served.
struct Call
{
    Dispatcher& dispatcher;
    Session& session;
    Arena arena;
    driver::NetworkDriver& driver() { return dispatcher.driver(); }
};

enum ProcFlags : unsigned
{
    kPreOpen = 1,   // allowed before CONNECT_OPEN
    kReadWrite = 2, // refused on a read-only connection or socket
    kChanges = 4,   // may change networks: the dispatcher's networks-changed handler runs after it
    kSkipAuth = 8,  // served before the client authenticated (AUTH_LIST, AUTH_POLKIT)
};
// A remote procedure that changes networks (define, start, update, port create, ...).
inline constexpr unsigned kWrite = kReadWrite | kChanges;

struct Procedure
{
    unsigned flags = 0;
    // The public libvirt API behind the procedure, or what our own procedure does, for the
    // read-only refusal ("read only access prevents API").
    const char* api = "";
    std::function<std::vector<char>(Call&, const std::vector<char>&)> invoke;
};

// Keyed by program and procedure number.
struct ProcKey
{
    std::uint32_t program;
    int proc;
    bool operator==(const ProcKey&) const = default;
};
struct ProcKeyHash
{
    std::size_t operator()(const ProcKey& key) const noexcept
    {
        return std::hash<std::uint64_t>()((std::uint64_t{key.program} << 32) |
                                          static_cast<std::uint32_t>(key.proc));
    }
};
using ProcTable = std::unordered_map<ProcKey, Procedure, ProcKeyHash>;

// A procedure that decodes Args, calls fn(call, args, ret) and encodes Ret.
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

void addConnectProcedures(ProcTable& table);
void addNetworkProcedures(ProcTable& table);
void addPortProcedures(ProcTable& table);
void addDvsProcedures(ProcTable& table);

} // namespace dvs::rpc
