// SPDX-License-Identifier: LGPL-2.1-or-later
#include "netlink/connection.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <linux/if.h>
#include <linux/if_bonding.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <set>
#include <sys/socket.h>
#include <utility>

#include <fmt/format.h>
#include <glib.h>
#include <netlink/attr.h>
#include <netlink/route/link/macvtap.h>

#include "netlink/nl_support.h"
#include "netlink/request.h"
#include "util/error.h"

namespace dvs::netlink {

namespace detail {

std::optional<LinkMessage> parseLinkMessage(nl_msg* msg)
{
    nlmsghdr* hdr = nlmsg_hdr(msg);
    if (hdr->nlmsg_type != RTM_NEWLINK && hdr->nlmsg_type != RTM_DELLINK) {
        return std::nullopt;
    }
    if (!nlmsg_valid_hdr(hdr, sizeof(ifinfomsg))) {
        return std::nullopt;
    }
    const auto* ifi = static_cast<const ifinfomsg*>(nlmsg_data(hdr));
    if (ifi->ifi_family != AF_UNSPEC) {
        return std::nullopt;
    }

    struct Parsed
    {
        RtnlLinkPtr link;
    } parsed;
    int rc = nl_msg_parse(
        msg,
        [](nl_object* obj, void* arg) {
            nl_object_get(obj);
            static_cast<Parsed*>(arg)->link.reset(reinterpret_cast<rtnl_link*>(obj));
        },
        &parsed);
    if (rc < 0 || !parsed.link) {
        return std::nullopt;
    }

    rtnl_link* link = parsed.link.get();
    LinkMessage out;
    out.removed = hdr->nlmsg_type == RTM_DELLINK;
    LinkInfo& info = out.link;
    info.index = rtnl_link_get_ifindex(link);
    if (const char* name = rtnl_link_get_name(link)) {
        info.name = name;
    }
    info.mtu = rtnl_link_get_mtu(link);
    if (nl_addr* addr = rtnl_link_get_addr(link); addr != nullptr && nl_addr_get_len(addr) == 6) {
        std::array<std::uint8_t, 6> bytes{};
        std::memcpy(bytes.data(), nl_addr_get_binary_addr(addr), bytes.size());
        info.mac = util::MacAddr(bytes);
    }
    unsigned flags = rtnl_link_get_flags(link);
    info.up = (flags & IFF_UP) != 0;
    info.carrier = (flags & IFF_LOWER_UP) != 0;
    auto oper = rtnl_link_get_operstate(link);
    info.operState = oper < static_cast<unsigned>(OperState::Last) ? static_cast<OperState>(oper)
                                                                   : OperState::Unknown;
    if (const char* kind = rtnl_link_get_type(link)) {
        info.kind = kind;
    }
    info.masterIndex = rtnl_link_get_master(link);
    info.lowerIndex = rtnl_link_get_link(link);
    if (rtnl_link_is_macvtap(link) != 0) {
        switch (rtnl_link_macvtap_get_mode(link)) {
        case MACVLAN_MODE_VEPA:
            info.macvtapMode = MacvtapMode::Vepa;
            break;
        case MACVLAN_MODE_BRIDGE:
            info.macvtapMode = MacvtapMode::Bridge;
            break;
        case MACVLAN_MODE_PRIVATE:
            info.macvtapMode = MacvtapMode::Private;
            break;
        case MACVLAN_MODE_PASSTHRU:
            info.macvtapMode = MacvtapMode::Passthrough;
            break;
        default:
            break;
        }
    }
    if (info.lowerIndex == info.index) {
        // Physical devices report themselves as their own IFLA_LINK.
        info.lowerIndex = 0;
    }
    return out;
}

NlSockPtr openRouteSocket()
{
    NlSockPtr sock(nl_socket_alloc());
    if (!sock) {
        throw std::bad_alloc();
    }
    if (int rc = nl_connect(sock.get(), NETLINK_ROUTE); rc < 0) {
        raise(ErrorCode::SystemError, "Unable to open a route netlink socket: {}", nl_geterror(rc));
    }
    nl_socket_enable_msg_peek(sock.get());
    int fd = nl_socket_get_fd(sock.get());
    int one = 1;
    // Both are best effort: without them errors lack the kernel's text, nothing else.
    (void)::setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
    (void)::setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
    return sock;
}

} // namespace detail

using detail::Action;
using detail::checkName;
using detail::Exchange;
using detail::newLinkMessage;
using detail::newMessage;
using detail::NlMsgPtr;
using detail::put;
using detail::raiseKernel;
using detail::RtnlLinkPtr;

namespace {

constexpr std::uint8_t kernelBondMode(BondMode mode)
{
    switch (mode) {
    case BondMode::ActiveBackup:
        return BOND_MODE_ACTIVEBACKUP;
    case BondMode::BalanceXor:
        return BOND_MODE_XOR;
    case BondMode::Ieee8023ad:
    case BondMode::Last:
        break;
    }
    return BOND_MODE_8023AD;
}

constexpr std::uint32_t kernelMacvtapMode(MacvtapMode mode)
{
    switch (mode) {
    case MacvtapMode::Vepa:
        return MACVLAN_MODE_VEPA;
    case MacvtapMode::Bridge:
        return MACVLAN_MODE_BRIDGE;
    case MacvtapMode::Private:
        return MACVLAN_MODE_PRIVATE;
    case MacvtapMode::Passthrough:
    case MacvtapMode::Last:
        break;
    }
    return MACVLAN_MODE_PASSTHRU;
}

} // namespace

Connection::Connection() : state_(std::make_unique<State>())
{
    state_->sock = detail::openRouteSocket();
}

Connection::~Connection() = default;
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;

std::optional<LinkInfo> Connection::findLink(std::string_view name)
{
    checkName(name);
    NlMsgPtr msg = newLinkMessage(RTM_GETLINK, 0, 0);
    put(nla_put_string(msg.get(), IFLA_IFNAME, std::string(name).c_str()));
    Exchange ex = state_->transact(std::move(msg), true);
    if (ex.error == ENODEV) {
        return std::nullopt;
    }
    if (ex.error != 0) {
        raiseKernel(ex, Action::Query,
                    fmt::format("Unable to get information about interface '{}'", name));
    }
    // The kernel also finds a device by one of its alternative names; the reply then carries
    // the primary name.
    if (ex.links.empty()) {
        return std::nullopt;
    }
    return std::move(ex.links.front());
}

std::optional<LinkInfo> Connection::findLink(int index)
{
    if (index <= 0) {
        raise(ErrorCode::InvalidArg, "invalid interface index {}", index);
    }
    Exchange ex = state_->transact(newLinkMessage(RTM_GETLINK, 0, index), true);
    if (ex.error == ENODEV) {
        return std::nullopt;
    }
    if (ex.error != 0) {
        raiseKernel(ex, Action::Query,
                    fmt::format("Unable to get information about interface index {}", index));
    }
    for (auto& link : ex.links) {
        if (link.index == index) {
            return std::move(link);
        }
    }
    return std::nullopt;
}

LinkInfo Connection::link(std::string_view name)
{
    auto found = findLink(name);
    if (!found) {
        raise(ErrorCode::DeviceMissing, "interface '{}' does not exist", name);
    }
    return std::move(*found);
}

LinkInfo Connection::link(int index)
{
    auto found = findLink(index);
    if (!found) {
        raise(ErrorCode::DeviceMissing, "interface with index {} does not exist", index);
    }
    return std::move(*found);
}

std::vector<LinkInfo> Connection::links()
{
    Exchange ex = state_->transact(newLinkMessage(RTM_GETLINK, NLM_F_DUMP, 0), true);
    if (ex.error != 0) {
        raiseKernel(ex, Action::Query, "Unable to list network interfaces");
    }
    std::sort(ex.links.begin(), ex.links.end(),
              [](const LinkInfo& a, const LinkInfo& b) { return a.index < b.index; });
    return std::move(ex.links);
}

void Connection::setMtu(std::string_view name, unsigned mtu)
{
    LinkInfo dev = link(name);
    state_->change(dev.index, fmt::format("Cannot set interface MTU on '{}'", name),
                   [&](nl_msg* msg) { put(nla_put_u32(msg, IFLA_MTU, mtu)); });
}

void Connection::setUp(std::string_view name, bool up)
{
    LinkInfo dev = link(name);
    state_->setFlags(dev.index, up ? IFF_UP : 0, IFF_UP,
                     fmt::format("Cannot set interface flags on '{}'", name));
}

void Connection::setMac(std::string_view name, const util::MacAddr& mac)
{
    LinkInfo dev = link(name);
    state_->change(dev.index, fmt::format("Cannot set interface MAC on '{}'", name),
                   [&](nl_msg* msg) {
                       put(nla_put(msg, IFLA_ADDRESS, static_cast<int>(mac.bytes().size()),
                                   mac.bytes().data()));
                   });
}

LinkInfo Connection::createBond(const BondConfig& config)
{
    checkName(config.name);
    if (config.lacpRate && config.mode != BondMode::Ieee8023ad) {
        raise(ErrorCode::InvalidArg, "LACP rate of bond '{}' requires mode '{}', not '{}'",
              config.name, util::toString(BondMode::Ieee8023ad), util::toString(config.mode));
    }
    if (config.mode >= BondMode::Last) {
        raise(ErrorCode::InvalidArg, "invalid mode of bond '{}'", config.name);
    }
    if (config.miimon == 0 && (config.updelay != 0 || config.downdelay != 0)) {
        raise(ErrorCode::InvalidArg, "updelay and downdelay of bond '{}' require miimon",
              config.name);
    }
    if (config.miimon != 0 &&
        (config.updelay % config.miimon != 0 || config.downdelay % config.miimon != 0)) {
        raise(ErrorCode::InvalidArg,
              "updelay and downdelay of bond '{}' must be multiples of miimon ({} ms)", config.name,
              config.miimon);
    }
    const std::string what = fmt::format("Unable to create bond device '{}'", config.name);

    NlMsgPtr msg = newLinkMessage(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
    nl_msg* m = msg.get();
    put(nla_put_string(m, IFLA_IFNAME, config.name.c_str()));
    if (config.mtu) {
        put(nla_put_u32(m, IFLA_MTU, *config.mtu));
    }
    nlattr* info = nla_nest_start(m, IFLA_LINKINFO);
    if (info == nullptr) {
        put(-NLE_NOMEM);
    }
    put(nla_put_string(m, IFLA_INFO_KIND, "bond"));
    nlattr* data = nla_nest_start(m, IFLA_INFO_DATA);
    if (data == nullptr) {
        put(-NLE_NOMEM);
    }
    // The mode first: the kernel checks the other options against it.
    put(nla_put_u8(m, IFLA_BOND_MODE, kernelBondMode(config.mode)));
    put(nla_put_u32(m, IFLA_BOND_MIIMON, config.miimon));
    put(nla_put_u32(m, IFLA_BOND_UPDELAY, config.updelay));
    put(nla_put_u32(m, IFLA_BOND_DOWNDELAY, config.downdelay));
    if (config.lacpRate) {
        put(nla_put_u8(m, IFLA_BOND_AD_LACP_RATE, *config.lacpRate == LacpRate::Fast ? 1 : 0));
    }
    nla_nest_end(m, data);
    nla_nest_end(m, info);

    Exchange ex = state_->transact(std::move(msg));
    if (ex.error != 0) {
        raiseKernel(ex, Action::Create, what);
    }
    return link(config.name);
}

LinkInfo Connection::createBond(const BondConfig& config, const std::vector<std::string>& members)
{
    // Check the members before creating anything, so that a missing one leaves no trace.
    for (const auto& member : members) {
        (void)link(member);
    }
    LinkInfo bond = createBond(config);
    std::vector<std::string> enslaved;
    try {
        for (const auto& member : members) {
            enslave(config.name, member);
            enslaved.push_back(member);
        }
        setUp(config.name, true);
    } catch (...) {
        for (const auto& member : enslaved) {
            try {
                release(member);
            } catch (const Error&) {
                // Removing the bond below releases it anyway.
            }
        }
        try {
            state_->remove(bond.index, fmt::format("Unable to delete interface '{}'", config.name));
        } catch (const Error&) {
            // The first error is the one to report.
        }
        throw;
    }
    return link(config.name);
}

void Connection::enslave(std::string_view master, std::string_view member)
{
    LinkInfo masterDev = link(master);
    LinkInfo dev = link(member);
    const std::string what = fmt::format("Unable to enslave '{}' to '{}'", member, master);
    // The bonding driver refuses (or on newer kernels silently reopens) members that are up;
    // take them down first so both behave the same.
    bool bringBackUp = false;
    if (masterDev.kind == "bond" && dev.up) {
        state_->setFlags(dev.index, 0, IFF_UP, what);
        bringBackUp = true;
    }
    state_->change(dev.index, what, [&](nl_msg* msg) {
        put(nla_put_u32(msg, IFLA_MASTER, static_cast<std::uint32_t>(masterDev.index)));
    });
    if (bringBackUp || masterDev.kind == "bond") {
        state_->setFlags(dev.index, IFF_UP, IFF_UP,
                         fmt::format("Cannot set interface flags on '{}'", member));
    }
}

void Connection::release(std::string_view member)
{
    LinkInfo dev = link(member);
    if (dev.masterIndex == 0) {
        return;
    }
    state_->change(dev.index, fmt::format("Unable to release '{}' from its master", member),
                   [&](nl_msg* msg) { put(nla_put_u32(msg, IFLA_MASTER, 0)); });
}

std::vector<LinkInfo> Connection::members(std::string_view master)
{
    LinkInfo masterDev = link(master);
    std::vector<LinkInfo> out;
    for (auto& dev : links()) {
        if (dev.masterIndex == masterDev.index) {
            out.push_back(std::move(dev));
        }
    }
    return out;
}

void Connection::removeBond(std::string_view name)
{
    removeLinkOfKind(name, "bond", "a bond", fmt::format("Unable to delete interface '{}'", name));
}

MacvtapDevice Connection::createMacvtap(const MacvtapConfig& config)
{
    if (config.mode >= MacvtapMode::Last) {
        raise(ErrorCode::InvalidArg, "invalid macvtap mode for device on '{}'", config.lower);
    }
    if (!config.name.empty()) {
        checkName(config.name);
    }
    LinkInfo lower = link(config.lower);

    RtnlLinkPtr tmpl(rtnl_link_macvtap_alloc());
    if (!tmpl) {
        throw std::bad_alloc();
    }
    rtnl_link_set_link(tmpl.get(), lower.index);
    if (int rc = rtnl_link_macvtap_set_mode(tmpl.get(), kernelMacvtapMode(config.mode)); rc < 0) {
        raise(ErrorCode::InternalError, "Unable to set macvtap mode: {}", nl_geterror(rc));
    }
    if (config.mac) {
        detail::NlAddrPtr addr(nl_addr_build(AF_LLC, config.mac->bytes().data(), 6));
        if (!addr) {
            throw std::bad_alloc();
        }
        rtnl_link_set_addr(tmpl.get(), addr.get());
    }

    std::string name = config.name;
    if (!name.empty()) {
        rtnl_link_set_name(tmpl.get(), name.c_str());
        state_->add(tmpl.get(), fmt::format("Unable to create macvtap device '{}' on '{}'", name,
                                            config.lower));
    } else {
        // Take the first free macvtapN; another creator may race us to a name, so a name found
        // taken at creation time moves on to the next one.
        std::set<std::string> taken;
        for (const auto& dev : links()) {
            taken.insert(dev.name);
        }
        constexpr int kMaxDevices = 8192;
        for (int i = 0;; ++i) {
            if (i == kMaxDevices) {
                raise(ErrorCode::InternalError,
                      "Unable to create macvtap device on '{}': no free device name", config.lower);
            }
            name = fmt::format("macvtap{}", i);
            if (taken.count(name) != 0) {
                continue;
            }
            rtnl_link_set_name(tmpl.get(), name.c_str());
            try {
                state_->add(tmpl.get(), fmt::format("Unable to create macvtap device '{}' on '{}'",
                                                    name, config.lower));
                break;
            } catch (const Error& e) {
                if (e.code() != ErrorCode::SystemError || !findLink(name)) {
                    throw;
                }
            }
        }
    }

    MacvtapDevice out;
    try {
        LinkInfo dev = link(name);
        if (config.up) {
            setUp(name, true);
        }
        out.index = dev.index;
        out.name = dev.name;
        out.tapPath = fmt::format("/dev/tap{}", dev.index);
    } catch (...) {
        try {
            removeMacvtap(name);
        } catch (const Error&) {
            // The first error is the one to report.
        }
        throw;
    }
    return out;
}

void Connection::removeMacvtap(std::string_view name)
{
    removeLinkOfKind(name, "macvtap", "a macvtap device",
                     fmt::format("Unable to delete interface '{}'", name));
}

void Connection::removeLinkOfKind(std::string_view name, std::string_view kind,
                                  std::string_view noun, const std::string& failed)
{
    auto dev = findLink(name);
    if (!dev) {
        return;
    }
    if (dev->kind != kind) {
        raise(ErrorCode::OperationInvalid, "interface '{}' is not {} but '{}'", name, noun,
              dev->kind.empty() ? "a device without kind" : dev->kind);
    }
    state_->remove(dev->index, failed);
}

} // namespace dvs::netlink
