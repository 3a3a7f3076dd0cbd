// SPDX-License-Identifier: LGPL-2.1-or-later
// Linux bridges and device addresses: what a libvirt virtual network's bridge needs.
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <fmt/format.h>
#include <netlink/attr.h>

#include "netlink/connection.h"
#include "netlink/request.h"
#include "util/error.h"

namespace dvs::netlink {

using detail::Action;
using detail::checkName;
using detail::Exchange;
using detail::newLinkMessage;
using detail::newMessage;
using detail::NlMsgPtr;
using detail::put;
using detail::raiseKernel;

namespace {

// USER_HZ: the kernel gives bridge timers to user space in hundredths of a second.
constexpr unsigned long kClockTicks = 100;

nlattr* nestStart(nl_msg* msg, int type)
{
    nlattr* nest = nla_nest_start(msg, type);
    if (nest == nullptr) {
        put(-NLE_NOMEM);
    }
    return nest;
}

} // namespace

LinkInfo Connection::createBridge(const BridgeConfig& config)
{
    checkName(config.name);
    NlMsgPtr msg = newLinkMessage(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
    nl_msg* m = msg.get();
    put(nla_put_string(m, IFLA_IFNAME, config.name.c_str()));
    if (config.mac) {
        put(nla_put(m, IFLA_ADDRESS, static_cast<int>(config.mac->bytes().size()),
                    config.mac->bytes().data()));
    }
    if (config.mtu != 0) {
        put(nla_put_u32(m, IFLA_MTU, config.mtu));
    }
    nlattr* info = nestStart(m, IFLA_LINKINFO);
    put(nla_put_string(m, IFLA_INFO_KIND, "bridge"));
    nlattr* data = nestStart(m, IFLA_INFO_DATA);
    // The kernel applies the delay before the STP state (libvirt sets them in this order too),
    // so a delay below STP's 2 s minimum is accepted, as libvirt's sysfs writes are.
    put(nla_put_u32(m, IFLA_BR_FORWARD_DELAY,
                    static_cast<std::uint32_t>(config.forwardDelay * kClockTicks)));
    put(nla_put_u32(m, IFLA_BR_STP_STATE, config.stp ? 1 : 0));
    nla_nest_end(m, data);
    nla_nest_end(m, info);

    Exchange ex = state_->transact(std::move(msg));
    if (ex.error != 0) {
        if (ex.error == EEXIST) {
            raise(ErrorCode::SystemError, "error creating bridge interface {}: {}", config.name,
                  detail::reason(ex.error, ex.extack));
        }
        raiseKernel(ex, Action::Create,
                    fmt::format("error creating bridge interface {}", config.name));
    }
    return link(config.name);
}

BridgeInfo Connection::bridgeInfo(std::string_view name)
{
    checkName(name);
    NlMsgPtr msg = newLinkMessage(RTM_GETLINK, 0, 0);
    put(nla_put_string(msg.get(), IFLA_IFNAME, std::string(name).c_str()));
    std::optional<BridgeInfo> out;
    std::string kind;
    Exchange ex = state_->transact(std::move(msg), [&](nl_msg* reply) {
        nlmsghdr* hdr = nlmsg_hdr(reply);
        if (hdr->nlmsg_type != RTM_NEWLINK) {
            return;
        }
        nlattr* tb[IFLA_MAX + 1] = {};
        if (nlmsg_parse(hdr, sizeof(ifinfomsg), tb, IFLA_MAX, nullptr) < 0 ||
            tb[IFLA_LINKINFO] == nullptr) {
            return;
        }
        nlattr* li[IFLA_INFO_MAX + 1] = {};
        if (nla_parse_nested(li, IFLA_INFO_MAX, tb[IFLA_LINKINFO], nullptr) < 0) {
            return;
        }
        if (li[IFLA_INFO_KIND] != nullptr) {
            kind = nla_get_string(li[IFLA_INFO_KIND]);
        }
        if (kind != "bridge" || li[IFLA_INFO_DATA] == nullptr) {
            return;
        }
        nlattr* br[IFLA_BR_MAX + 1] = {};
        if (nla_parse_nested(br, IFLA_BR_MAX, li[IFLA_INFO_DATA], nullptr) < 0) {
            return;
        }
        BridgeInfo info;
        if (br[IFLA_BR_STP_STATE] != nullptr) {
            info.stp = nla_get_u32(br[IFLA_BR_STP_STATE]) != 0;
        }
        if (br[IFLA_BR_FORWARD_DELAY] != nullptr) {
            info.forwardDelay = nla_get_u32(br[IFLA_BR_FORWARD_DELAY]) / kClockTicks;
        }
        if (br[IFLA_BR_VLAN_FILTERING] != nullptr) {
            info.vlanFiltering = nla_get_u8(br[IFLA_BR_VLAN_FILTERING]) != 0;
        }
        out = info;
    });
    if (ex.error == ENODEV) {
        raise(ErrorCode::DeviceMissing, "interface '{}' does not exist", name);
    }
    if (ex.error != 0) {
        raiseKernel(ex, Action::Query,
                    fmt::format("Unable to get information about interface '{}'", name));
    }
    if (!out) {
        raise(ErrorCode::OperationInvalid, "interface '{}' is not a bridge", name);
    }
    return *out;
}

void Connection::setBridgeVlanFiltering(std::string_view name, bool on)
{
    LinkInfo dev = link(name);
    state_->change(dev.index, fmt::format("Unable to set bridge {} vlan_filtering", name),
                   [&](nl_msg* msg) {
                       nlattr* info = nestStart(msg, IFLA_LINKINFO);
                       put(nla_put_string(msg, IFLA_INFO_KIND, "bridge"));
                       nlattr* data = nestStart(msg, IFLA_INFO_DATA);
                       put(nla_put_u8(msg, IFLA_BR_VLAN_FILTERING, on ? 1 : 0));
                       nla_nest_end(msg, data);
                       nla_nest_end(msg, info);
                   });
}

void Connection::removeBridge(std::string_view name)
{
    removeLinkOfKind(name, "bridge", "a bridge", fmt::format("Unable to delete bridge {}", name));
}

void Connection::addAddress(std::string_view name, int family, std::string_view address,
                            unsigned prefix)
{
    LinkInfo dev = link(name);
    unsigned char bytes[16] = {};
    std::size_t len = family == AF_INET ? 4 : 16;
    if ((family != AF_INET && family != AF_INET6) ||
        inet_pton(family, std::string(address).c_str(), bytes) != 1 || prefix > len * 8) {
        raise(ErrorCode::InvalidArg, "invalid address '{}/{}' for interface '{}'", address, prefix,
              name);
    }
    NlMsgPtr msg = newMessage(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
    ifaddrmsg ifa{};
    ifa.ifa_family = static_cast<unsigned char>(family);
    ifa.ifa_prefixlen = static_cast<unsigned char>(prefix);
    ifa.ifa_index = static_cast<unsigned>(dev.index);
    ifa.ifa_scope = RT_SCOPE_UNIVERSE;
    if (family == AF_INET6) {
        ifa.ifa_flags = IFA_F_NODAD;
    }
    if (nlmsg_append(msg.get(), &ifa, sizeof(ifa), NLMSG_ALIGNTO) < 0) {
        throw std::bad_alloc();
    }
    nl_msg* m = msg.get();
    put(nla_put(m, IFA_LOCAL, static_cast<int>(len), bytes));
    put(nla_put(m, IFA_ADDRESS, static_cast<int>(len), bytes));
    if (family == AF_INET && prefix < 31) {
        std::uint32_t addr = 0;
        std::memcpy(&addr, bytes, 4);
        std::uint32_t mask = prefix == 0 ? 0 : htonl(~0U << (32 - prefix));
        std::uint32_t broadcast = addr | ~mask;
        put(nla_put(m, IFA_BROADCAST, 4, &broadcast));
    }
    Exchange ex = state_->transact(std::move(msg));
    if (ex.error != 0 && ex.error != EEXIST) {
        raiseKernel(ex, Action::Change,
                    fmt::format("Failed to add IP address {}/{} to {}", address, prefix, name));
    }
}

void Connection::addRoute(std::string_view name, int family, std::string_view destination,
                          unsigned prefix, std::string_view gateway, unsigned metric)
{
    LinkInfo dev = link(name);
    unsigned char dst[16] = {};
    unsigned char gw[16] = {};
    std::size_t len = family == AF_INET ? 4 : 16;
    if ((family != AF_INET && family != AF_INET6) ||
        inet_pton(family, std::string(destination).c_str(), dst) != 1 ||
        inet_pton(family, std::string(gateway).c_str(), gw) != 1 || prefix > len * 8) {
        raise(ErrorCode::InvalidArg, "invalid route '{}/{}' via '{}' for interface '{}'",
              destination, prefix, gateway, name);
    }
    NlMsgPtr msg = newMessage(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
    rtmsg rtm{};
    rtm.rtm_family = static_cast<unsigned char>(family);
    rtm.rtm_dst_len = static_cast<unsigned char>(prefix);
    rtm.rtm_table = RT_TABLE_MAIN;
    rtm.rtm_protocol = RTPROT_BOOT;
    rtm.rtm_scope = RT_SCOPE_UNIVERSE;
    rtm.rtm_type = RTN_UNICAST;
    if (nlmsg_append(msg.get(), &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0) {
        throw std::bad_alloc();
    }
    nl_msg* m = msg.get();
    put(nla_put(m, RTA_DST, static_cast<int>(len), dst));
    put(nla_put(m, RTA_GATEWAY, static_cast<int>(len), gw));
    put(nla_put_u32(m, RTA_OIF, static_cast<std::uint32_t>(dev.index)));
    if (metric != 0) {
        put(nla_put_u32(m, RTA_PRIORITY, metric));
    }
    Exchange ex = state_->transact(std::move(msg));
    if (ex.error != 0 && ex.error != EEXIST) {
        raiseKernel(ex, Action::Change,
                    fmt::format("Failed to add route {}/{} via {} on {}", destination, prefix,
                                gateway, name));
    }
}

std::vector<IfAddress> Connection::addresses(std::string_view name)
{
    LinkInfo dev = link(name);
    NlMsgPtr msg = newMessage(RTM_GETADDR, NLM_F_DUMP);
    ifaddrmsg ifa{};
    ifa.ifa_family = AF_UNSPEC;
    if (nlmsg_append(msg.get(), &ifa, sizeof(ifa), NLMSG_ALIGNTO) < 0) {
        throw std::bad_alloc();
    }
    std::vector<IfAddress> out;
    Exchange ex = state_->transact(std::move(msg), [&](nl_msg* reply) {
        nlmsghdr* hdr = nlmsg_hdr(reply);
        if (hdr->nlmsg_type != RTM_NEWADDR || !nlmsg_valid_hdr(hdr, sizeof(ifaddrmsg))) {
            return;
        }
        const auto* got = static_cast<const ifaddrmsg*>(nlmsg_data(hdr));
        if (static_cast<int>(got->ifa_index) != dev.index) {
            return;
        }
        nlattr* tb[IFA_MAX + 1] = {};
        if (nlmsg_parse(hdr, sizeof(ifaddrmsg), tb, IFA_MAX, nullptr) < 0) {
            return;
        }
        nlattr* addr = tb[IFA_LOCAL] != nullptr ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
        if (addr == nullptr) {
            return;
        }
        char text[INET6_ADDRSTRLEN] = {};
        if (inet_ntop(got->ifa_family, nla_data(addr), text, sizeof(text)) == nullptr) {
            return;
        }
        out.push_back({got->ifa_family, text, got->ifa_prefixlen});
    });
    if (ex.error != 0) {
        raiseKernel(ex, Action::Query,
                    fmt::format("Unable to list the addresses of interface '{}'", name));
    }
    return out;
}

} // namespace dvs::netlink
