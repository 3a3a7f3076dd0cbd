// SPDX-License-Identifier: LGPL-2.1-or-later
// Internal to src/netlink: owning aliases for libnl handles and the parsing of link messages.
#pragma once

#include <optional>

#include <netlink/cache.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "netlink/link.h"
#include "util/cdeleter.h"

namespace dvs::netlink::detail {

using NlSockPtr = util::CPtr<nl_sock, nl_socket_free>;
using NlMsgPtr = util::CPtr<nl_msg, nlmsg_free>;
using NlCbPtr = util::CPtr<nl_cb, nl_cb_put>;
using RtnlLinkPtr = util::CPtr<rtnl_link, rtnl_link_put>;
using NlAddrPtr = util::CPtr<nl_addr, nl_addr_put>;

// What one link message says, when it is about a network device (family AF_UNSPEC; bridge port
// messages of family AF_BRIDGE and anything else return nullopt).
struct LinkMessage
{
    bool removed = false; // RTM_DELLINK
    LinkInfo link;
};

// Parses an RTM_NEWLINK/RTM_DELLINK message through libnl-route's link parser. May throw
// std::bad_alloc; never throws dvs::Error.
std::optional<LinkMessage> parseLinkMessage(nl_msg* msg);

// Opens a NETLINK_ROUTE socket with extended acks and message peeking enabled. Throws
// Error(SystemError).
NlSockPtr openRouteSocket();

} // namespace dvs::netlink::detail
