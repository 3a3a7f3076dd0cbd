// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <sys/socket.h>

namespace dvs::util {

// An IPv4 or IPv6 address, or nothing (AF_UNSPEC), as libvirt's virSocketAddr holds it. Parsing
// and formatting are purely numeric: no name is ever resolved.
class SocketAddr
{
public:
    SocketAddr() noexcept;

    // libvirt's virSocketAddrParse: a numeric address of the given family (AF_UNSPEC: either).
    // Throws Error(SystemError) "Cannot parse socket address '...': ..." otherwise.
    static SocketAddr parse(std::string_view text, int family = AF_UNSPEC);
    // Like parse(), but returns nullopt instead of throwing.
    static std::optional<SocketAddr> tryParse(std::string_view text, int family = AF_UNSPEC);

    // Numeric text of the address (virSocketAddrFormat); empty when not valid().
    std::string toString() const;

    int family() const noexcept { return storage_.ss_family; }
    bool isFamily(int family) const noexcept { return storage_.ss_family == family; }
    // VIR_SOCKET_ADDR_VALID: whether an address is set.
    bool valid() const noexcept { return storage_.ss_family != AF_UNSPEC; }
    // The port, or -1 when there is no address (virSocketAddrGetPort).
    int port() const noexcept;
    void setPort(int port) noexcept;

    // virSocketAddrEqual: same family, address and port; false when either is not valid().
    bool equals(const SocketAddr& other) const noexcept;
    // Whether the address is 0.0.0.0 or ::.
    bool isWildcard() const noexcept;

    // The address with every bit beyond prefix cleared (virSocketAddrMaskByPrefix); nullopt for
    // a prefix too large for the family or an address that is not valid().
    std::optional<SocketAddr> maskByPrefix(unsigned prefix) const;
    // The address masked with netmask (virSocketAddrMask); nullopt when the families differ.
    std::optional<SocketAddr> mask(const SocketAddr& netmask) const;
    // The broadcast address of this address with netmask (IPv4 only).
    std::optional<SocketAddr> broadcast(const SocketAddr& netmask) const;
    // Number of leading one bits of a netmask, -1 when it is not a netmask
    // (virSocketAddrGetNumNetmaskBits).
    int netmaskBits() const noexcept;
    // virSocketAddrPrefixToNetmask.
    static std::optional<SocketAddr> prefixToNetmask(unsigned prefix, int family);
    // virSocketAddrGetIPPrefix: the prefix given, else the netmask's, else the classful default
    // of an IPv4 address, 64 for IPv6 (0 for wildcards); -1 when undeterminable.
    static int ipPrefix(const SocketAddr& address, const SocketAddr& netmask, int prefix);
    // virSocketAddrCheckNetmask: 1 when both addresses are in the same network, 0 when not, -1
    // when the families differ.
    static int checkNetmask(const SocketAddr& a, const SocketAddr& b, const SocketAddr& netmask);

    // virSocketAddrGetRange: checks that start..end is a sane range (same family, ordered, not
    // too large, and inside network/prefix when network is given) and returns its size. Throws
    // Error(InternalError) with libvirt's messages otherwise.
    static int range(const SocketAddr& start, const SocketAddr& end, const SocketAddr* network,
                     int prefix);

private:
    sockaddr_storage storage_;
    socklen_t length_;
};

} // namespace dvs::util
