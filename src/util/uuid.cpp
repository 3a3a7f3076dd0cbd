// SPDX-License-Identifier: LGPL-2.1-or-later
#include "uuid.h"

#include <cerrno>
#include <sys/random.h>

#include "error.h"
#include "number.h"

namespace dvs::util {

std::optional<Uuid> Uuid::parse(std::string_view text)
{
    std::size_t i = 0;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
        ++i;
    }
    std::array<std::uint8_t, 16> bytes{};
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        while (n > 0 && i < text.size() && (text[i] == '-' || text[i] == ' ')) {
            ++i;
        }
        if (i + 2 > text.size()) {
            return std::nullopt;
        }
        int hi = hexDigitValue(text[i]);
        int lo = hexDigitValue(text[i + 1]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        bytes[n] = static_cast<std::uint8_t>(hi << 4 | lo);
        i += 2;
    }
    while (i < text.size()) {
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n') {
            return std::nullopt;
        }
        ++i;
    }
    return Uuid(bytes);
}

Uuid Uuid::generate()
{
    std::array<std::uint8_t, 16> bytes{};
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t got = getrandom(bytes.data() + done, bytes.size() - done, 0);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw Error(ErrorCode::InternalError, "cannot read random bytes for a UUID");
        }
        done += static_cast<std::size_t>(got);
    }
    bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x40);
    bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80);
    return Uuid(bytes);
}

std::string Uuid::toString() const
{
    // On the hot path of every port: no formatting library.
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(36, '-');
    std::size_t pos = 0;
    for (std::size_t i = 0; i < bytes_.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            ++pos;
        }
        out[pos++] = kHex[bytes_[i] >> 4];
        out[pos++] = kHex[bytes_[i] & 0xF];
    }
    return out;
}

bool Uuid::isNull() const noexcept
{
    for (auto b : bytes_) {
        if (b != 0) {
            return false;
        }
    }
    return true;
}

} // namespace dvs::util
