// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "netlink/link.h"
#include "util/error.h"

typedef struct _GMainContext GMainContext;

namespace dvs::test {
struct LinkMonitorAccess;
}

namespace dvs::netlink {

// One change of a network device, as the monitor saw it.
struct LinkEvent
{
    enum class Type
    {
        Added,
        Changed,
        Removed
    };

    Type type = Type::Changed;
    // The device's new state; for Removed, its last known state.
    LinkInfo link;
    // For Changed: the state before the change.
    std::optional<LinkInfo> previous;

    bool carrierChanged() const noexcept { return previous && previous->carrier != link.carrier; }
    bool operStateChanged() const noexcept
    {
        return previous && previous->operState != link.operState;
    }
};

// Watches the network devices of the namespace it was created in: a netlink socket subscribed
// to RTNLGRP_LINK, read by a GSource on a GLib main context. It keeps the last known state of
// every device and calls back, on that context, once per device that appeared, disappeared or
// changed in any LinkInfo field (carrier, operstate, up, MTU, MAC, name, master, ...);
// notifications that change none of them are not reported.
//
// When the kernel drops notifications (the socket buffer overflowed), the monitor reads the
// whole device list again and reports the differences, so no change is lost for good.
//
// Events are delivered after the replica took in every notification read in the same dispatch,
// so find() in a callback may already show a newer state than the event.
//
// The callbacks may destroy the monitor. Exceptions they throw are caught (none crosses the GLib
// frame) and handed to the error handler, a dvs::Error as is and anything else as an
// Error(InternalError); socket failures go there too. Without an error handler they are dropped.
class LinkMonitor
{
public:
    using Callback = std::function<void(const LinkEvent&)>;
    using ErrorHandler = std::function<void(const Error&)>;

    // Subscribes, reads the current devices (reported by no event) and attaches to context
    // (nullptr: the global default context). Throws Error(SystemError) when netlink is
    // unavailable.
    explicit LinkMonitor(Callback callback, GMainContext* context = nullptr);
    ~LinkMonitor();
    LinkMonitor(const LinkMonitor&) = delete;
    LinkMonitor& operator=(const LinkMonitor&) = delete;

    void setErrorHandler(ErrorHandler handler);

    // The last known state of a device, from the monitor's replica (no kernel request).
    std::optional<LinkInfo> find(std::string_view name) const;
    std::optional<LinkInfo> find(int index) const;
    // Every known device, by increasing index.
    std::vector<LinkInfo> links() const;

    // How many times the monitor re-read the device list because the kernel dropped
    // notifications (for diagnostics).
    unsigned resynchronisations() const noexcept;

private:
    // Tests shrink the socket's receive buffer to make the kernel drop notifications
    // (tests/support/link_scaffold.h).
    friend struct test::LinkMonitorAccess;
    int socketFd() const noexcept;

    struct State;
    std::unique_ptr<State> state_;
};

} // namespace dvs::netlink
