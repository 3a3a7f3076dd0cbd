// SPDX-License-Identifier: LGPL-2.1-or-later
#include "link_scaffold.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <sys/socket.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "netlink/link_monitor.h"
#include "util/cdeleter.h"
#include "util/error.h"

namespace dvs::test {

namespace {

using NlSockPtr = util::CPtr<nl_sock, nl_socket_free>;
using RtnlLinkPtr = util::CPtr<rtnl_link, rtnl_link_put>;

NlSockPtr routeSocket()
{
    NlSockPtr sock(nl_socket_alloc());
    if (!sock) {
        throw std::bad_alloc();
    }
    if (int rc = nl_connect(sock.get(), NETLINK_ROUTE); rc < 0) {
        raise(ErrorCode::SystemError, "Unable to open a route netlink socket: {}", nl_geterror(rc));
    }
    return sock;
}

RtnlLinkPtr named(rtnl_link* link, std::string_view name)
{
    if (link == nullptr) {
        throw std::bad_alloc();
    }
    RtnlLinkPtr owned(link);
    rtnl_link_set_name(owned.get(), std::string(name).c_str());
    return owned;
}

void add(rtnl_link* link, std::string_view what, std::string_view name)
{
    auto sock = routeSocket();
    if (int rc = rtnl_link_add(sock.get(), link, NLM_F_CREATE | NLM_F_EXCL); rc < 0) {
        raise(ErrorCode::SystemError, "Unable to create {} '{}': {}", what, name, nl_geterror(rc));
    }
}

} // namespace

void createVethPair(std::string_view name, std::string_view peer)
{
    RtnlLinkPtr link = named(rtnl_link_veth_alloc(), name);
    RtnlLinkPtr peerLink(rtnl_link_veth_get_peer(link.get())); // a new reference
    rtnl_link_set_name(peerLink.get(), std::string(peer).c_str());
    add(link.get(), "veth device", name);
}

void createBridge(std::string_view name)
{
    RtnlLinkPtr link = named(rtnl_link_alloc(), name);
    if (int rc = rtnl_link_set_type(link.get(), "bridge"); rc < 0) {
        raise(ErrorCode::SystemError, "Unable to create bridge '{}': {}", name, nl_geterror(rc));
    }
    add(link.get(), "bridge device", name);
}

void removeLink(std::string_view name)
{
    RtnlLinkPtr link = named(rtnl_link_alloc(), name);
    auto sock = routeSocket();
    int rc = rtnl_link_delete(sock.get(), link.get());
    if (rc < 0 && rc != -NLE_NODEV && rc != -NLE_OBJ_NOTFOUND) {
        raise(ErrorCode::SystemError, "Unable to delete interface '{}': {}", name, nl_geterror(rc));
    }
}

void LinkMonitorAccess::setReceiveBuffer(netlink::LinkMonitor& monitor, int bytes)
{
    if (setsockopt(monitor.socketFd(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) != 0) {
        raise(ErrorCode::SystemError, "Unable to set the receive buffer: {}", std::strerror(errno));
    }
}

} // namespace dvs::test
