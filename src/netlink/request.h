// SPDX-License-Identifier: LGPL-2.1-or-later
// Internal to src/netlink: one rtnetlink request and its reply (the exchange every Connection
// method goes through), and the message-building helpers they share.
#pragma once

#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "netlink/connection.h"
#include "netlink/nl_support.h"

namespace dvs::netlink::detail {

// The outcome of one request: the kernel's errno and extended-ack text, and the links it sent.
struct Exchange
{
    bool done = false;
    int error = 0; // positive errno, 0 on success
    std::string extack;
    // Collect the links of RTM_NEWLINK replies into links.
    bool collect = false;
    std::vector<LinkInfo> links;
    // Called for every other reply message (address dumps, ...); may throw.
    std::function<void(nl_msg*)> onMessage;
    std::exception_ptr failure;
};

// How a kernel refusal of a request maps to a libvirt error code.
enum class Action
{
    Query,
    Change,
    Create
};

// The kernel's reason: strerror and, when given, its extended-ack text.
std::string reason(int errnum, const std::string& extack);
// Throws the dvs::Error for a refused request; what names the action.
[[noreturn]] void raiseKernel(const Exchange& ex, Action action, const std::string& what);

NlMsgPtr newMessage(int type, int flags);
// A link message (ifinfomsg of family AF_UNSPEC) for the device of that index (0: none).
NlMsgPtr newLinkMessage(int type, int flags, int index);
// Checks the return value of an nla_put*: they fail only when the message is full.
void put(int rc);
// Refuses names the kernel would refuse or that could escape a folder.
void checkName(std::string_view name);

} // namespace dvs::netlink::detail

namespace dvs::netlink {

struct Connection::State
{
    detail::NlSockPtr sock;

    // Sends msg and waits for its reply: an ack, an error, or the end of a dump. Returns the
    // exchange; a failure to talk to the kernel at all throws Error(SystemError).
    detail::Exchange transact(detail::NlMsgPtr msg, bool collect = false);
    // Same, handing every reply message that is not a link to onMessage.
    detail::Exchange transact(detail::NlMsgPtr msg, std::function<void(nl_msg*)> onMessage);

    // Runs a change request built by build(msg) on the device; what names the action for the
    // error message.
    template <typename Build>
    void change(int index, const std::string& what, Build&& build)
    {
        detail::NlMsgPtr msg = detail::newLinkMessage(RTM_NEWLINK, 0, index);
        build(msg.get());
        detail::Exchange ex = transact(std::move(msg));
        if (ex.error != 0) {
            detail::raiseKernel(ex, detail::Action::Change, what);
        }
    }

    void setFlags(int index, unsigned flags, unsigned mask, const std::string& what);
    // Sends a creation request built by libnl-route from a link template.
    void add(rtnl_link* link, const std::string& what);
    // Removes a device; one already gone is no error.
    void remove(int index, const std::string& what);
};

} // namespace dvs::netlink
