// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string_view>

namespace dvs::netlink {
class LinkMonitor;
}

// Devices for tests to work on, made through libnl-route on a socket of their own in the calling
// thread's network namespace (tests enter a fresh one first: netns.h). dvsd never creates these
// kinds of devices, so they are not part of src/netlink. Failures throw dvs::Error(SystemError)
// with the kernel's reason.
namespace dvs::test {

// A veth pair, both ends down.
void createVethPair(std::string_view name, std::string_view peer);
// A Linux bridge with the kernel's defaults, down.
void createBridge(std::string_view name);
// Removes any device; does nothing when it does not exist.
void removeLink(std::string_view name);

// What tests may do to a netlink::LinkMonitor beyond its API (it declares this a friend).
struct LinkMonitorAccess
{
    // Shrinks the monitor's receive buffer, so that the kernel drops notifications (the kernel
    // rounds bytes up to its minimum).
    static void setReceiveBuffer(netlink::LinkMonitor& monitor, int bytes);
};

} // namespace dvs::test
