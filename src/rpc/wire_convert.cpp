// SPDX-License-Identifier: LGPL-2.1-or-later
#include "rpc/wire_convert.h"

#include <array>
#include <cstring>
#include <variant>

#include <fmt/format.h>

#include "util/error.h"

namespace dvs::rpc {

extern "C" bool_t xdrNothing(XDR*, ...)
{
    return TRUE;
}

void raiseDecodeError()
{
    throw Error(ErrorCode::Rpc, "Unable to decode message payload", ErrorDomain::Rpc);
}

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

std::optional<std::string> toOptional(char** text)
{
    if (text == nullptr || *text == nullptr) {
        return std::nullopt;
    }
    return std::string(*text);
}

void checkListMax(long long count, long long max, std::string_view what)
{
    if (count > max) {
        throw Error(ErrorCode::Rpc, fmt::format("too many {}: {} > {}", what, count, max),
                    ErrorDomain::Rpc);
    }
}

} // namespace dvs::rpc
