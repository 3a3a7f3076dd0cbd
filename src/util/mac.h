// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dvs::util {

// A 6-byte Ethernet address (virMacAddr).
class MacAddr
{
public:
    MacAddr() = default;
    explicit MacAddr(const std::array<std::uint8_t, 6>& bytes) : bytes_(bytes) {}

    // A random address in libvirt's QEMU/KVM range 52:54:00:xx:xx:xx (virMacAddrGenerate with
    // VIR_MAC_PREFIX_KVM), as libvirt gives guests and virtual networks' bridges.
    static MacAddr generate();

    // Parses like virMacAddrParse: six groups of one or two hex digits separated by ':'.
    static std::optional<MacAddr> parse(std::string_view text);

    // Lower-case "52:54:00:aa:bb:cc", as libvirt formats it.
    std::string toString() const;
    const std::array<std::uint8_t, 6>& bytes() const noexcept { return bytes_; }
    bool isMulticast() const noexcept { return (bytes_[0] & 1) != 0; }
    bool isNull() const noexcept;

    friend bool operator==(const MacAddr&, const MacAddr&) = default;
    friend auto operator<=>(const MacAddr&, const MacAddr&) = default;

private:
    std::array<std::uint8_t, 6> bytes_{};
};

} // namespace dvs::util
