// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mac.h"

#include <fmt/format.h>

namespace dvs::util {

namespace {

int hexValue(char c)
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

} // namespace

std::optional<MacAddr> MacAddr::parse(std::string_view text)
{
    std::array<std::uint8_t, 6> bytes{};
    std::size_t i = 0;
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        if (n > 0) {
            if (i >= text.size() || text[i] != ':') {
                return std::nullopt;
            }
            ++i;
        }
        int value = 0;
        int digits = 0;
        while (i < text.size() && digits < 2 && hexValue(text[i]) >= 0) {
            value = value << 4 | hexValue(text[i]);
            ++i;
            ++digits;
        }
        if (digits == 0) {
            return std::nullopt;
        }
        bytes[n] = static_cast<std::uint8_t>(value);
    }
    if (i != text.size()) {
        return std::nullopt;
    }
    return MacAddr(bytes);
}

std::string MacAddr::toString() const
{
    const auto& b = bytes_;
    return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4],
                       b[5]);
}

bool MacAddr::isNull() const noexcept
{
    for (auto b : bytes_) {
        if (b != 0) {
            return false;
        }
    }
    return true;
}

} // namespace dvs::util
