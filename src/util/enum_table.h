// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace dvs::util {

// Spelling table of an enum, specialised next to the enum:
//
//   enum class ForwardMode { None, Nat, ..., Last };
//   template <> struct EnumNames<ForwardMode> {
//       static constexpr std::array<std::string_view, 9> kNames{"none", "nat", ...};
//   };
//
// The enum ends with a `Last` sentinel; toString()/fromString() check at compile time that the
// table has exactly one spelling per member.
template <typename E>
struct EnumNames;

template <typename E>
constexpr std::size_t enumCount()
{
    constexpr auto count = static_cast<std::size_t>(E::Last);
    static_assert(EnumNames<E>::kNames.size() == count, "enum table does not match its enum");
    return count;
}

template <typename E>
constexpr std::string_view toString(E value)
{
    constexpr auto count = enumCount<E>();
    auto index = static_cast<std::size_t>(value);
    return index < count ? EnumNames<E>::kNames[index] : std::string_view{};
}

template <typename E>
constexpr std::optional<E> fromString(std::string_view text)
{
    constexpr auto count = enumCount<E>();
    for (std::size_t i = 0; i < count; ++i) {
        if (EnumNames<E>::kNames[i] == text) {
            return static_cast<E>(i);
        }
    }
    return std::nullopt;
}

} // namespace dvs::util
