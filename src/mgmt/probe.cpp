// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mgmt/probe.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <random>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <glib-unix.h>

#include "util/error.h"

namespace dvs::mgmt {

namespace {

constexpr std::chrono::milliseconds kEchoInterval{250};

// The destination as a socket address; nullopt when the text is not a numeric address.
std::optional<sockaddr_storage> destination(const std::string& address, std::uint16_t port,
                                            socklen_t& length)
{
    sockaddr_storage storage{};
    auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    if (inet_pton(AF_INET, address.c_str(), &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        length = sizeof(sockaddr_in);
        return storage;
    }
    if (inet_pton(AF_INET6, address.c_str(), &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        length = sizeof(sockaddr_in6);
        return storage;
    }
    return std::nullopt;
}

std::uint16_t checksum(const std::string& data)
{
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < data.size(); i += 2) {
        sum += static_cast<std::uint32_t>(static_cast<unsigned char>(data[i]) << 8 |
                                          static_cast<unsigned char>(data[i + 1]));
    }
    if (data.size() % 2 != 0) {
        sum += static_cast<std::uint32_t>(static_cast<unsigned char>(data.back()) << 8);
    }
    while (sum >> 16 != 0) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<std::uint16_t>(~sum);
}

std::string errnoText(int err)
{
    return std::strerror(err);
}

} // namespace

void validateProbe(const ProbeSpec& probe)
{
    if (probe.name.empty() || probe.name.size() > 64 ||
        probe.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789-_.") != std::string::npos) {
        raise(ErrorCode::InvalidArg,
              "invalid probe name '{}': expected up to 64 letters, digits, '-', '_' or '.'",
              probe.name);
    }
    socklen_t length = 0;
    if (!destination(probe.address, 0, length)) {
        raise(ErrorCode::InvalidArg,
              "probe '{}': '{}' is not a numeric IPv4 or IPv6 address (no name is resolved)",
              probe.name, probe.address);
    }
    if (probe.kind == ProbeKind::Tcp && probe.port == 0) {
        raise(ErrorCode::InvalidArg, "probe '{}': a TCP probe needs a port from 1 to 65535",
              probe.name);
    }
    if (probe.kind == ProbeKind::Icmp && probe.port != 0) {
        raise(ErrorCode::InvalidArg, "probe '{}': an ICMP probe has no port", probe.name);
    }
    if (!probe.interface.empty() &&
        (probe.interface.size() >= IFNAMSIZ || probe.interface == "." || probe.interface == ".." ||
         probe.interface.find_first_of("/: \t\r\n") != std::string::npos)) {
        raise(ErrorCode::InvalidArg, "probe '{}': invalid interface name '{}'", probe.name,
              probe.interface);
    }
}

std::string describeProbe(const ProbeSpec& probe)
{
    std::string target = probe.kind == ProbeKind::Icmp ? "ICMP echo to " + probe.address
                         : probe.address.find(':') != std::string::npos
                             ? fmt::format("TCP connect to [{}]:{}", probe.address, probe.port)
                             : fmt::format("TCP connect to {}:{}", probe.address, probe.port);
    return target +
           (probe.interface.empty() ? " from the network's bridge" : " through " + probe.interface);
}

ProbeRun::ProbeRun(GMainContext* context, ProbeSpec probe, std::chrono::milliseconds timeout,
                   Done done)
    : context_(context), probe_(std::move(probe)), done_(std::move(done))
{
    deadlineSource_.reset(
        g_timeout_source_new(static_cast<guint>(std::max<std::int64_t>(1, timeout.count()))));
    g_source_set_callback(deadlineSource_.get(), &ProbeRun::onDeadline, this, nullptr);
    g_source_attach(deadlineSource_.get(), context_);
    // The sockets are opened from the loop, so that done never runs inside the constructor.
    startSource_.reset(g_idle_source_new());
    g_source_set_callback(
        startSource_.get(),
        [](gpointer data) noexcept -> gboolean {
            auto* self = static_cast<ProbeRun*>(data);
            self->startSource_.reset();
            self->open();
            return G_SOURCE_REMOVE;
        },
        this, nullptr);
    g_source_attach(startSource_.get(), context_);
}

ProbeRun::~ProbeRun() = default;

void ProbeRun::finish(std::optional<std::string> failure)
{
    if (finished_) {
        return;
    }
    finished_ = true;
    fdSource_.reset();
    timerSource_.reset();
    deadlineSource_.reset();
    startSource_.reset();
    fd_.reset();
    auto done = std::move(done_);
    if (done) {
        done(std::move(failure)); // may destroy this run: nothing after
    }
}

void ProbeRun::open()
{
    socklen_t length = 0;
    auto dest = destination(probe_.address, probe_.port, length);
    if (!dest) {
        finish(fmt::format("'{}' is not a numeric address", probe_.address));
        return;
    }
    family_ = dest->ss_family;
    const bool v6 = family_ == AF_INET6;
    int type = probe_.kind == ProbeKind::Tcp ? SOCK_STREAM : SOCK_DGRAM;
    int protocol = probe_.kind == ProbeKind::Tcp ? 0 : v6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP};
    fd_.reset(::socket(family_, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
    if (!fd_ && probe_.kind == ProbeKind::Icmp && (errno == EACCES || errno == EPERM)) {
        // ping_group_range leaves us out: a raw socket (CAP_NET_RAW) does the same.
        raw_ = true;
        fd_.reset(::socket(family_, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
    }
    if (!fd_) {
        finish(fmt::format("cannot open a socket: {}", errnoText(errno)));
        return;
    }
    if (!probe_.interface.empty() &&
        ::setsockopt(fd_.get(), SOL_SOCKET, SO_BINDTODEVICE, probe_.interface.c_str(),
                     static_cast<socklen_t>(probe_.interface.size())) != 0) {
        finish(fmt::format("cannot send through interface '{}': {}", probe_.interface,
                           errnoText(errno)));
        return;
    }
    if (::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&*dest), length) != 0 &&
        errno != EINPROGRESS) {
        finish(fmt::format("cannot reach {}: {}", probe_.address, errnoText(errno)));
        return;
    }
    const bool tcp = probe_.kind == ProbeKind::Tcp;
    fdSource_.reset(g_unix_fd_source_new(fd_.get(), tcp ? G_IO_OUT : G_IO_IN));
    g_source_set_callback(fdSource_.get(), G_SOURCE_FUNC(&ProbeRun::onFd), this, nullptr);
    g_source_attach(fdSource_.get(), context_);
    if (tcp) {
        return;
    }
    std::random_device random;
    id_ = static_cast<std::uint16_t>(random());
    payload_ = fmt::format("dvs-probe-{:08x}", static_cast<std::uint32_t>(random()));
    sendEcho();
    timerSource_.reset(g_timeout_source_new(static_cast<guint>(kEchoInterval.count())));
    g_source_set_callback(timerSource_.get(), &ProbeRun::onTimer, this, nullptr);
    g_source_attach(timerSource_.get(), context_);
}

void ProbeRun::sendEcho()
{
    const bool v6 = family_ == AF_INET6;
    ++sequence_;
    std::string packet(8, '\0');
    packet[0] = static_cast<char>(v6 ? int{ICMP6_ECHO_REQUEST} : int{ICMP_ECHO});
    packet[4] = static_cast<char>(id_ >> 8);
    packet[5] = static_cast<char>(id_ & 0xff);
    packet[6] = static_cast<char>(sequence_ >> 8);
    packet[7] = static_cast<char>(sequence_ & 0xff);
    packet += payload_;
    if (!v6) {
        // ICMPv6 checksums include the addresses: the kernel computes them.
        auto sum = checksum(packet);
        packet[2] = static_cast<char>(sum >> 8);
        packet[3] = static_cast<char>(sum & 0xff);
    }
    if (::send(fd_.get(), packet.data(), packet.size(), MSG_NOSIGNAL) < 0 && errno != EAGAIN) {
        lastError_ = errnoText(errno); // e.g. no route yet: the next echo may find one
    }
}

void ProbeRun::onReadable()
{
    char buffer[1500];
    for (;;) {
        auto n = ::recv(fd_.get(), buffer, sizeof(buffer), 0);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                lastError_ = errnoText(errno); // an ICMP error for an earlier echo
                continue;
            }
            return;
        }
        std::string_view data(buffer, static_cast<std::size_t>(n));
        const bool v6 = family_ == AF_INET6;
        if (raw_ && !v6) {
            // A raw IPv4 socket reads the IP header too.
            if (data.empty()) {
                continue;
            }
            std::size_t header = static_cast<std::size_t>(data[0] & 0x0f) * 4;
            if (data.size() < header) {
                continue;
            }
            data.remove_prefix(header);
        }
        if (data.size() < 8 + payload_.size()) {
            continue;
        }
        auto type = static_cast<unsigned char>(data[0]);
        if (type != (v6 ? int{ICMP6_ECHO_REPLY} : int{ICMP_ECHOREPLY})) {
            continue;
        }
        // A datagram socket's identifier is the kernel's: the payload tells our echo apart.
        std::uint16_t id = static_cast<std::uint16_t>(static_cast<unsigned char>(data[4]) << 8 |
                                                      static_cast<unsigned char>(data[5]));
        if ((raw_ && id != id_) || data.substr(8, payload_.size()) != payload_) {
            continue;
        }
        finish(std::nullopt);
        return;
    }
}

void ProbeRun::onWritable()
{
    int err = 0;
    socklen_t length = sizeof(err);
    if (::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &length) != 0) {
        err = errno;
    }
    if (err == 0) {
        finish(std::nullopt);
    } else {
        finish(fmt::format("connect: {}", errnoText(err)));
    }
}

gboolean ProbeRun::onFd(gint, GIOCondition, gpointer data) noexcept
{
    auto* self = static_cast<ProbeRun*>(data);
    if (self->probe_.kind == ProbeKind::Tcp) {
        self->fdSource_.reset();
        self->onWritable();
        return G_SOURCE_REMOVE;
    }
    self->onReadable();
    return G_SOURCE_CONTINUE;
}

gboolean ProbeRun::onTimer(gpointer data) noexcept
{
    static_cast<ProbeRun*>(data)->sendEcho();
    return G_SOURCE_CONTINUE;
}

gboolean ProbeRun::onDeadline(gpointer data) noexcept
{
    auto* self = static_cast<ProbeRun*>(data);
    auto timeout = fmt::format("no answer from {}", self->probe_.address);
    if (!self->lastError_.empty()) {
        timeout += " (" + self->lastError_ + ")";
    }
    self->finish(std::move(timeout));
    return G_SOURCE_REMOVE;
}

} // namespace dvs::mgmt
