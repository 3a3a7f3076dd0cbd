// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mac.h"

#include "number.h"
#include "uuid.h"

namespace dvs::util {

MacAddr MacAddr::generate()
{
    auto random = Uuid::generate().bytes();
    return MacAddr({0x52, 0x54, 0x00, random[0], random[1], random[2]});
}

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
        while (i < text.size() && digits < 2 && hexDigitValue(text[i]) >= 0) {
            value = value << 4 | hexDigitValue(text[i]);
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
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(17, ':');
    for (std::size_t i = 0; i < bytes_.size(); ++i) {
        out[i * 3] = kHex[bytes_[i] >> 4];
        out[i * 3 + 1] = kHex[bytes_[i] & 0xF];
    }
    return out;
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
