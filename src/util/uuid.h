// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dvs::util {

// A 16-byte UUID as libvirt handles it (virUUIDParse/virUUIDFormat).
class Uuid
{
public:
    Uuid() = default;
    explicit Uuid(const std::array<std::uint8_t, 16>& bytes) : bytes_(bytes) {}

    // Parses like virUUIDParse: 32 hex digits, '-' or ' ' allowed between byte pairs, leading
    // and trailing blanks ignored. Returns nullopt on anything else.
    static std::optional<Uuid> parse(std::string_view text);
    // A random (version 4) UUID from the kernel's random source.
    static Uuid generate();

    // Lower-case 8-4-4-4-12 form.
    std::string toString() const;
    const std::array<std::uint8_t, 16>& bytes() const noexcept { return bytes_; }
    bool isNull() const noexcept;

    friend bool operator==(const Uuid&, const Uuid&) = default;
    friend auto operator<=>(const Uuid&, const Uuid&) = default;

private:
    std::array<std::uint8_t, 16> bytes_{};
};

} // namespace dvs::util
