// SPDX-License-Identifier: LGPL-2.1-or-later
#include "socket_addr.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <netdb.h>
#include <netinet/in.h>

#include "error.h"

namespace dvs::util {

namespace {

struct AddrInfoDeleter
{
    void operator()(addrinfo* ai) const noexcept { freeaddrinfo(ai); }
};
using AddrInfoPtr = std::unique_ptr<addrinfo, AddrInfoDeleter>;

// The address bytes in network order: 4 for IPv4, 16 for IPv6, none otherwise.
std::size_t addrBytes(const sockaddr_storage& s, std::uint8_t* out)
{
    if (s.ss_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(&s);
        std::memcpy(out, &in->sin_addr, 4);
        return 4;
    }
    if (s.ss_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&s);
        std::memcpy(out, &in6->sin6_addr, 16);
        return 16;
    }
    return 0;
}

void setAddrBytes(sockaddr_storage& s, const std::uint8_t* in)
{
    if (s.ss_family == AF_INET) {
        std::memcpy(&reinterpret_cast<sockaddr_in*>(&s)->sin_addr, in, 4);
    } else if (s.ss_family == AF_INET6) {
        std::memcpy(&reinterpret_cast<sockaddr_in6*>(&s)->sin6_addr, in, 16);
    }
}

} // namespace

SocketAddr::SocketAddr() noexcept : storage_{}, length_(0)
{
    storage_.ss_family = AF_UNSPEC;
}

std::optional<SocketAddr> SocketAddr::tryParse(std::string_view text, int family)
{
    std::string copy(text);
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_flags = AI_NUMERICHOST;
    addrinfo* res = nullptr;
    if (getaddrinfo(copy.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) {
        return std::nullopt;
    }
    AddrInfoPtr owned(res);
    SocketAddr addr;
    std::memcpy(&addr.storage_, res->ai_addr, res->ai_addrlen);
    addr.length_ = res->ai_addrlen;
    return addr;
}

SocketAddr SocketAddr::parse(std::string_view text, int family)
{
    std::string copy(text);
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_flags = AI_NUMERICHOST;
    addrinfo* res = nullptr;
    int err = getaddrinfo(copy.c_str(), nullptr, &hints, &res);
    if (err != 0) {
        raise(ErrorCode::SystemError, "Cannot parse socket address '{}': {}", copy,
              gai_strerror(err));
    }
    if (res == nullptr) {
        raise(ErrorCode::SystemError, "No socket addresses found for '{}'", copy);
    }
    AddrInfoPtr owned(res);
    SocketAddr addr;
    std::memcpy(&addr.storage_, res->ai_addr, res->ai_addrlen);
    addr.length_ = res->ai_addrlen;
    return addr;
}

std::string SocketAddr::toString() const
{
    if (!valid()) {
        return {};
    }
    std::array<char, NI_MAXHOST> host{};
    if (getnameinfo(reinterpret_cast<const sockaddr*>(&storage_), length_, host.data(), host.size(),
                    nullptr, 0, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        return {};
    }
    return host.data();
}

int SocketAddr::port() const noexcept
{
    if (storage_.ss_family == AF_INET) {
        return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
    }
    if (storage_.ss_family == AF_INET6) {
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
    }
    return -1;
}

void SocketAddr::setPort(int port) noexcept
{
    auto p = htons(static_cast<std::uint16_t>(port));
    if (storage_.ss_family == AF_INET) {
        reinterpret_cast<sockaddr_in*>(&storage_)->sin_port = p;
    } else if (storage_.ss_family == AF_INET6) {
        reinterpret_cast<sockaddr_in6*>(&storage_)->sin6_port = p;
    }
}

bool SocketAddr::equals(const SocketAddr& other) const noexcept
{
    if (storage_.ss_family != other.storage_.ss_family || !valid()) {
        return false;
    }
    std::uint8_t a[16];
    std::uint8_t b[16];
    std::size_t n = addrBytes(storage_, a);
    addrBytes(other.storage_, b);
    return std::memcmp(a, b, n) == 0 && port() == other.port();
}

bool SocketAddr::isWildcard() const noexcept
{
    std::uint8_t a[16];
    std::size_t n = addrBytes(storage_, a);
    if (n == 0) {
        return false;
    }
    for (std::size_t i = 0; i < n; ++i) {
        if (a[i] != 0) {
            return false;
        }
    }
    return true;
}

std::optional<SocketAddr> SocketAddr::prefixToNetmask(unsigned prefix, int family)
{
    SocketAddr mask;
    std::size_t bytes = 0;
    if (family == AF_INET) {
        if (prefix > 32) {
            return std::nullopt;
        }
        bytes = 4;
        mask.length_ = sizeof(sockaddr_in);
    } else if (family == AF_INET6) {
        if (prefix > 128) {
            return std::nullopt;
        }
        bytes = 16;
        mask.length_ = sizeof(sockaddr_in6);
    } else {
        return std::nullopt;
    }
    mask.storage_.ss_family = static_cast<sa_family_t>(family);
    std::uint8_t out[16] = {};
    for (std::size_t i = 0; i < bytes; ++i) {
        if (prefix >= 8) {
            out[i] = 0xff;
            prefix -= 8;
        } else if (prefix > 0) {
            out[i] = static_cast<std::uint8_t>(0xff << (8 - prefix));
            prefix = 0;
        }
    }
    setAddrBytes(mask.storage_, out);
    return mask;
}

std::optional<SocketAddr> SocketAddr::mask(const SocketAddr& netmask) const
{
    if (!valid() || family() != netmask.family()) {
        return std::nullopt;
    }
    std::uint8_t a[16];
    std::uint8_t m[16];
    std::size_t n = addrBytes(storage_, a);
    addrBytes(netmask.storage_, m);
    SocketAddr out;
    out.storage_.ss_family = storage_.ss_family;
    out.length_ = length_;
    for (std::size_t i = 0; i < n; ++i) {
        a[i] &= m[i];
    }
    setAddrBytes(out.storage_, a);
    return out;
}

std::optional<SocketAddr> SocketAddr::maskByPrefix(unsigned prefix) const
{
    auto netmask = prefixToNetmask(prefix, family());
    if (!netmask) {
        return std::nullopt;
    }
    return mask(*netmask);
}

std::optional<SocketAddr> SocketAddr::broadcast(const SocketAddr& netmask) const
{
    if (!isFamily(AF_INET) || !netmask.isFamily(AF_INET)) {
        return std::nullopt;
    }
    std::uint8_t a[16];
    std::uint8_t m[16];
    addrBytes(storage_, a);
    addrBytes(netmask.storage_, m);
    for (std::size_t i = 0; i < 4; ++i) {
        a[i] = static_cast<std::uint8_t>(a[i] | ~m[i]);
    }
    SocketAddr out;
    out.storage_.ss_family = AF_INET;
    out.length_ = sizeof(sockaddr_in);
    setAddrBytes(out.storage_, a);
    return out;
}

int SocketAddr::netmaskBits() const noexcept
{
    std::uint8_t m[16];
    std::size_t n = addrBytes(storage_, m);
    if (n == 0) {
        return -1;
    }
    int count = 0;
    std::size_t bit = 0;
    const std::size_t total = n * 8;
    while (bit < total && (m[bit / 8] & (0x80 >> (bit % 8))) != 0) {
        ++count;
        ++bit;
    }
    for (; bit < total; ++bit) {
        if ((m[bit / 8] & (0x80 >> (bit % 8))) != 0) {
            return -1;
        }
    }
    return count;
}

int SocketAddr::ipPrefix(const SocketAddr& address, const SocketAddr& netmask, int prefix)
{
    if (prefix > 0) {
        return prefix;
    }
    if (netmask.valid()) {
        return netmask.netmaskBits();
    }
    if (address.isFamily(AF_INET)) {
        std::uint8_t a[16];
        addrBytes(address.storage_, a);
        if (address.isWildcard()) {
            return 0;
        }
        std::uint8_t octet = a[0];
        if ((octet & 0x80) == 0) {
            return 8;
        }
        if ((octet & 0xC0) == 0x80) {
            return 16;
        }
        if ((octet & 0xE0) == 0xC0) {
            return 24;
        }
        return -1;
    }
    if (address.isFamily(AF_INET6)) {
        return address.isWildcard() ? 0 : 64;
    }
    return 0;
}

int SocketAddr::checkNetmask(const SocketAddr& a, const SocketAddr& b, const SocketAddr& netmask)
{
    if (a.family() != b.family() || a.family() != netmask.family() || !a.valid()) {
        return -1;
    }
    std::uint8_t x[16];
    std::uint8_t y[16];
    std::uint8_t m[16];
    std::size_t n = addrBytes(a.storage_, x);
    addrBytes(b.storage_, y);
    addrBytes(netmask.storage_, m);
    for (std::size_t i = 0; i < n; ++i) {
        if ((x[i] & m[i]) != (y[i] & m[i])) {
            return 0;
        }
    }
    return 1;
}

int SocketAddr::range(const SocketAddr& start, const SocketAddr& end, const SocketAddr* network,
                      int prefix)
{
    std::string startStr = start.toString();
    std::string endStr = end.toString();
    if (start.family() != end.family()) {
        raise(ErrorCode::InternalError, "mismatch of address family in range {} - {}", startStr,
              endStr);
    }
    if (network != nullptr) {
        std::string netStr = network->toString();
        if (start.family() != network->family()) {
            raise(ErrorCode::InternalError,
                  "mismatch of address family in range {} - {} for network {}", startStr, endStr,
                  netStr);
        }
        std::optional<SocketAddr> netmask;
        if (prefix >= 0) {
            netmask = prefixToNetmask(static_cast<unsigned>(prefix), network->family());
        }
        if (!netmask) {
            raise(ErrorCode::InternalError,
                  "bad prefix {} for network {} when checking range {} - {}", prefix, netStr,
                  startStr, endStr);
        }
        if (checkNetmask(start, *network, *netmask) <= 0 ||
            checkNetmask(end, *network, *netmask) <= 0) {
            raise(ErrorCode::InternalError, "range {} - {} is not entirely within network {}/{}",
                  startStr, endStr, netStr, prefix);
        }
        if (start.isFamily(AF_INET)) {
            auto netaddr = network->mask(*netmask);
            auto bcast = network->broadcast(*netmask);
            if (!netaddr || !bcast) {
                raise(ErrorCode::InternalError,
                      "failed to construct broadcast or network address for network {}/{}", netStr,
                      prefix);
            }
            if (start.equals(*netaddr)) {
                raise(ErrorCode::InternalError,
                      "start of range {} - {} in network {}/{} is the network address", startStr,
                      endStr, netStr, prefix);
            }
            if (end.equals(*bcast)) {
                raise(ErrorCode::InternalError,
                      "end of range {} - {} in network {}/{} is the broadcast address", startStr,
                      endStr, netStr, prefix);
            }
        }
    }

    std::uint8_t s[16];
    std::uint8_t e[16];
    addrBytes(start.storage_, s);
    addrBytes(end.storage_, e);
    int size = 0;
    if (start.isFamily(AF_INET)) {
        for (std::size_t i = 0; i < 2; ++i) {
            if (s[i] != e[i]) {
                raise(ErrorCode::InternalError, "range {} - {} is too large (> 65535)", startStr,
                      endStr);
            }
        }
        size = (e[2] - s[2]) * 256 + (e[3] - s[3]);
        if (size < 0) {
            raise(ErrorCode::InternalError, "range {} - {} is reversed ", startStr, endStr);
        }
    } else if (start.isFamily(AF_INET6)) {
        for (std::size_t i = 0; i < 14; ++i) {
            if (s[i] != e[i]) {
                raise(ErrorCode::InternalError, "range {} - {} is too large (> 65535)", startStr,
                      endStr);
            }
        }
        size = (e[14] * 256 + e[15]) - (s[14] * 256 + s[15]);
        if (size < 0) {
            raise(ErrorCode::InternalError, "range {} - {} start larger than end", startStr,
                  endStr);
        }
    } else {
        raise(ErrorCode::InternalError,
              "unsupported address family for range {} - {}, must be ipv4 or ipv6", startStr,
              endStr);
    }
    return size + 1;
}

} // namespace dvs::util
