// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cerrno>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace dvs::util {

// The value of one hexadecimal digit (either case), or -1 for any other character.
constexpr int hexDigitValue(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// How parseNumber treats a minus sign.
enum class Sign
{
    // "-N" wraps around as C's strtoul does (libvirt's virStrToLong_ui/ul/ull).
    Wrap,
    // A minus sign is an error (libvirt's virStrToLong_uip/ulp/ullp).
    Refuse,
};

// Parses an unsigned number the way libvirt's virStrToLong_* family does when no end pointer is
// given: leading blanks and a sign are allowed, then the whole rest must be digits of base (0
// accepts the 0x and 0 prefixes). Returns nullopt for empty text, trailing garbage, overflow of T,
// or a minus sign refused by sign.
template <typename T>
std::optional<T> parseNumber(std::string_view text, int base = 10, Sign sign = Sign::Wrap)
{
    static_assert(std::numeric_limits<T>::is_integer && !std::numeric_limits<T>::is_signed);
    std::string copy(text);
    const char* begin = copy.c_str();
    char* end = nullptr;
    errno = 0;
    unsigned long long value = std::strtoull(begin, &end, base);
    if (errno != 0 || end == begin || *end != '\0') {
        return std::nullopt;
    }
    bool negative = copy.find('-') != std::string::npos;
    if (negative) {
        if (sign == Sign::Refuse) {
            return std::nullopt;
        }
        if constexpr (sizeof(T) < sizeof(unsigned long long)) {
            unsigned long long magnitude = -value;
            if (magnitude > std::numeric_limits<T>::max()) {
                return std::nullopt;
            }
            value &= std::numeric_limits<T>::max();
        }
    }
    if (value > std::numeric_limits<T>::max()) {
        return std::nullopt;
    }
    return static_cast<T>(value);
}

} // namespace dvs::util
