// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "driver/network_driver.h"
#include "dvs_protocol.h"
#include "util/uuid.h"

namespace dvs::rpc {

// Conversions between the XDR structs rpcgen generates from dvs_protocol.x and the driver's
// types, for the procedures of rpc/procedures_*.cpp.

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
    // An optional string (remote_string): null when there is none.
    char** optionalStr(const std::optional<std::string>& value)
    {
        return value ? &hold<char*>(str(*value)) : nullptr;
    }
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

template <typename F>
xdrproc_t xp(F fn)
{
    return reinterpret_cast<xdrproc_t>(fn);
}

// Stands in for the args or ret of a procedure that has none.
struct Nothing
{};
// Variadic, so that calling it through xdrproc_t is a call of its own type (clang's
// -fsanitize=function reports the cast of a two-argument function).
extern "C" bool_t xdrNothing(XDR*, ...);
inline const xdrproc_t kNothing = xdrNothing;

// Throws Error(Rpc) "Unable to decode message payload", as libvirt does for arguments that do
// not decode.
[[noreturn]] void raiseDecodeError();

util::Uuid toUuid(const char (&bytes)[REMOTE_UUID_BUFLEN]);
void fromUuid(const util::Uuid& uuid, char (&bytes)[REMOTE_UUID_BUFLEN]);

driver::NetworkRef toRef(const remote_nonnull_network& net);
driver::PortRef toRef(const remote_nonnull_network_port& port);
void fromRef(Arena& arena, const driver::NetworkRef& ref, remote_nonnull_network& out);
void fromRef(Arena& arena, const driver::PortRef& ref, remote_nonnull_network_port& out);

// A nonnull string that may still be null on the wire of a hostile client: empty then.
std::string_view orEmpty(const char* text);
// An optional string (remote_string); nullopt when absent.
std::optional<std::string> toOptional(char** text);

// Typed parameters (remote_typed_param); an unknown type throws raiseDecodeError().
driver::TypedParams toParams(const remote_typed_param* params, unsigned count);
void fromParams(Arena& arena, const driver::TypedParams& params, remote_typed_param* out);

// Throws Error(Rpc) "too many WHAT: N > MAX" when count is over max.
void checkListMax(long long count, long long max, std::string_view what);

// The references a list-all procedure returns (networks, ports), converted into the arena
// as the reply's array and its length.
template <typename Wire, typename Ref>
void refsToWire(Arena& arena, const std::vector<Ref>& refs, u_int& len, Wire*& val)
{
    auto* out = arena.array<Wire>(refs.size());
    for (std::size_t i = 0; i < refs.size(); ++i) {
        fromRef(arena, refs[i], out[i]);
    }
    len = static_cast<u_int>(refs.size());
    val = out;
}

} // namespace dvs::rpc
