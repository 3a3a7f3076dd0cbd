// SPDX-License-Identifier: LGPL-2.1-or-later
#include "uuid.h"

#include <cerrno>

#include <fmt/format.h>
#include <sys/random.h>

#include "error.h"

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
        int hi = hexValue(text[i]);
        int lo = hexValue(text[i + 1]);
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
    const auto& b = bytes_;
    return fmt::format("{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-"
                       "{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
                       b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                       b[12], b[13], b[14], b[15]);
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
