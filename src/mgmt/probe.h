// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <glib.h>

#include "util/cdeleter.h"
#include "util/glib_ptr.h"

// An administrator's probe: a check every member host of a switch must pass after it applied a
// generation (issue 14's automatic revert). A probe is an ICMP echo or a TCP connect to an
// address, sent from inside the network's bridge or through a named interface. It runs in the
// network namespace of the daemon, with sockets only: never a shell, never a program.
namespace dvs::mgmt {

enum class ProbeKind
{
    Icmp,
    Tcp,
};

struct ProbeSpec
{
    std::string name;
    ProbeKind kind = ProbeKind::Icmp;
    std::string address;    // a numeric IPv4 or IPv6 address: no name is resolved
    std::uint16_t port = 0; // TCP only
    // The interface the probe's packets leave through (SO_BINDTODEVICE); empty: the network's
    // bridge, which the agent fills in before it runs the probe.
    std::string interface;

    bool operator==(const ProbeSpec&) const = default;
};

// Checks a probe as an administrator gives it; throws Error(InvalidArg) naming what is wrong
// (a name that is not a plain word, an address that is not numeric, a port on an ICMP probe or
// none on a TCP one, an interface name the kernel would refuse).
void validateProbe(const ProbeSpec& probe);

// "ICMP echo to 10.0.0.5 through eth2", "TCP connect to [fd00::5]:3260 from the bridge".
std::string describeProbe(const ProbeSpec& probe);

// One run of a probe on a GLib context: an ICMP echo (a datagram ICMP socket, or a raw one when
// the host's ping_group_range does not allow the former), repeated every 250 ms until an answer,
// or one TCP connect; bound to the interface with SO_BINDTODEVICE. done gets nullopt when the
// address answered, or why it did not (an error, or no answer within timeout). done is called
// once, from the context, never from the constructor; destroying the run cancels it.
class ProbeRun
{
public:
    using Done = std::function<void(std::optional<std::string> failure)>;

    ProbeRun(GMainContext* context, ProbeSpec probe, std::chrono::milliseconds timeout, Done done);
    ~ProbeRun();
    ProbeRun(const ProbeRun&) = delete;
    ProbeRun& operator=(const ProbeRun&) = delete;

    const ProbeSpec& probe() const noexcept { return probe_; }

private:
    void open();
    void sendEcho();
    void onReadable();
    void onWritable();
    void finish(std::optional<std::string> failure);
    static gboolean onFd(gint fd, GIOCondition condition, gpointer self) noexcept;
    static gboolean onTimer(gpointer self) noexcept;
    static gboolean onDeadline(gpointer self) noexcept;

    GMainContext* context_;
    ProbeSpec probe_;
    Done done_;
    util::UniqueFd fd_;
    bool raw_ = false;
    int family_ = 0;
    std::uint16_t id_ = 0;
    std::uint16_t sequence_ = 0;
    std::string payload_;
    std::string lastError_;
    bool finished_ = false;
    util::AttachedSource fdSource_;
    util::AttachedSource timerSource_;
    util::AttachedSource deadlineSource_;
    util::AttachedSource startSource_;
};

} // namespace dvs::mgmt
