// SPDX-License-Identifier: LGPL-2.1-or-later
#include "netlink/request.h"

#include <cerrno>
#include <cstring>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <utility>

#include <fmt/format.h>
#include <glib.h>
#include <netlink/attr.h>

#include "util/error.h"

namespace dvs::netlink {

namespace detail {

namespace {

int onValid(nl_msg* msg, void* arg) noexcept
{
    auto* ex = static_cast<Exchange*>(arg);
    if (ex->failure) {
        return NL_OK;
    }
    try {
        if (ex->onMessage) {
            ex->onMessage(msg);
        } else if (!ex->collect) {
            return NL_OK;
        } else if (auto parsed = parseLinkMessage(msg); parsed && !parsed->removed) {
            ex->links.push_back(std::move(parsed->link));
        }
    } catch (...) {
        ex->failure = std::current_exception();
    }
    return NL_OK;
}

int onFinish(nl_msg*, void* arg) noexcept
{
    static_cast<Exchange*>(arg)->done = true;
    return NL_STOP;
}

int onError(sockaddr_nl*, nlmsgerr* err, void* arg) noexcept
{
    auto* ex = static_cast<Exchange*>(arg);
    ex->done = true;
    ex->error = -err->error;
    // With NETLINK_EXT_ACK the kernel appends attributes after the echoed request (only its
    // header when capped); NLMSGERR_ATTR_MSG carries its human-readable reason.
    const auto* hdr =
        reinterpret_cast<const nlmsghdr*>(reinterpret_cast<const char*>(err) - NLMSG_HDRLEN);
    if ((hdr->nlmsg_flags & NLM_F_ACK_TLVS) != 0) {
        std::size_t offset = NLMSG_HDRLEN + sizeof(nlmsgerr);
        if ((hdr->nlmsg_flags & NLM_F_CAPPED) == 0 && err->msg.nlmsg_len >= NLMSG_HDRLEN) {
            offset += NLMSG_ALIGN(err->msg.nlmsg_len - NLMSG_HDRLEN);
        }
        if (offset < hdr->nlmsg_len) {
            auto* attrs = reinterpret_cast<nlattr*>(
                const_cast<char*>(reinterpret_cast<const char*>(hdr) + offset));
            int len = static_cast<int>(hdr->nlmsg_len - offset);
            if (nlattr* text = nla_find(attrs, len, NLMSGERR_ATTR_MSG); text != nullptr) {
                try {
                    const char* data = static_cast<const char*>(nla_data(text));
                    ex->extack.assign(data, ::strnlen(data, nla_len(text)));
                } catch (...) {
                    // The text is an extra; the errno alone still explains the failure.
                }
            }
        }
    }
    return NL_STOP;
}

} // namespace

std::string reason(int errnum, const std::string& extack)
{
    std::string text = g_strerror(errnum);
    if (!extack.empty()) {
        text += fmt::format(" ({})", extack);
    }
    return text;
}

[[noreturn]] void raiseKernel(const Exchange& ex, Action action, const std::string& what)
{
    ErrorCode code = ErrorCode::SystemError;
    switch (ex.error) {
    case ENODEV:
    case ENXIO:
        code = ErrorCode::DeviceMissing;
        break;
    case EBUSY:
        code = ErrorCode::ResourceBusy;
        break;
    case EOPNOTSUPP:
        code = action == Action::Create ? ErrorCode::OperationUnsupported : ErrorCode::SystemError;
        break;
    default:
        break;
    }
    if (code == ErrorCode::OperationUnsupported) {
        // What an unknown link kind gets: the kernel has no driver (module) for it.
        throw Error(code, fmt::format("{}: the kernel does not support this device type: {}", what,
                                      reason(ex.error, ex.extack)));
    }
    throw Error(code, fmt::format("{}: {}", what, reason(ex.error, ex.extack)));
}

NlMsgPtr newMessage(int type, int flags)
{
    NlMsgPtr msg(nlmsg_alloc_simple(type, flags));
    if (!msg) {
        throw std::bad_alloc();
    }
    return msg;
}

NlMsgPtr newLinkMessage(int type, int flags, int index)
{
    NlMsgPtr msg = newMessage(type, flags);
    ifinfomsg ifi{};
    ifi.ifi_family = AF_UNSPEC;
    ifi.ifi_index = index;
    if (nlmsg_append(msg.get(), &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
        throw std::bad_alloc();
    }
    return msg;
}

// Checks the return value of an nla_put*: they fail only when the message is full.
void put(int rc)
{
    if (rc < 0) {
        raise(ErrorCode::InternalError, "Netlink message too large: {}", nl_geterror(rc));
    }
}

void checkName(std::string_view name)
{
    if (name.empty() || name.size() >= IFNAMSIZ || name.find_first_of("/: \t\n") != name.npos ||
        name == "." || name == "..") {
        raise(ErrorCode::InvalidArg, "invalid interface name '{}'", name);
    }
}

} // namespace detail

using detail::Action;
using detail::Exchange;
using detail::NlMsgPtr;
using detail::raiseKernel;

namespace {

Exchange run(nl_sock* sock, NlMsgPtr msg, Exchange ex)
{
    // nl_socket_get_cb() returns a new reference.
    detail::NlCbPtr base(nl_socket_get_cb(sock));
    detail::NlCbPtr cb(nl_cb_clone(base.get()));
    if (!cb) {
        throw std::bad_alloc();
    }
    nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, detail::onValid, &ex);
    nl_cb_set(cb.get(), NL_CB_FINISH, NL_CB_CUSTOM, detail::onFinish, &ex);
    nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, detail::onFinish, &ex);
    nl_cb_err(cb.get(), NL_CB_CUSTOM, detail::onError, &ex);

    if (int rc = nl_send_auto(sock, msg.get()); rc < 0) {
        raise(ErrorCode::SystemError, "Unable to send a netlink request: {}", nl_geterror(rc));
    }
    while (!ex.done) {
        int rc = nl_recvmsgs(sock, cb.get());
        if (rc < 0 && !ex.done) {
            raise(ErrorCode::SystemError, "Unable to receive a netlink reply: {}", nl_geterror(rc));
        }
    }
    if (ex.failure) {
        std::rethrow_exception(ex.failure);
    }
    return ex;
}

} // namespace

Exchange Connection::State::transact(NlMsgPtr msg, bool collect)
{
    Exchange ex;
    ex.collect = collect;
    return run(sock.get(), std::move(msg), std::move(ex));
}

Exchange Connection::State::transact(NlMsgPtr msg, std::function<void(nl_msg*)> onMessage)
{
    Exchange ex;
    ex.onMessage = std::move(onMessage);
    return run(sock.get(), std::move(msg), std::move(ex));
}

void Connection::State::setFlags(int index, unsigned flags, unsigned mask, const std::string& what)
{
    NlMsgPtr msg = detail::newMessage(RTM_NEWLINK, 0);
    ifinfomsg ifi{};
    ifi.ifi_family = AF_UNSPEC;
    ifi.ifi_index = index;
    ifi.ifi_flags = flags;
    ifi.ifi_change = mask;
    if (nlmsg_append(msg.get(), &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
        throw std::bad_alloc();
    }
    Exchange ex = transact(std::move(msg));
    if (ex.error != 0) {
        raiseKernel(ex, Action::Change, what);
    }
}

void Connection::State::add(rtnl_link* link, const std::string& what)
{
    nl_msg* raw = nullptr;
    if (int rc = rtnl_link_build_add_request(link, NLM_F_CREATE | NLM_F_EXCL, &raw); rc < 0) {
        raise(ErrorCode::InternalError, "{}: {}", what, nl_geterror(rc));
    }
    Exchange ex = transact(NlMsgPtr(raw));
    if (ex.error != 0) {
        raiseKernel(ex, Action::Create, what);
    }
}

void Connection::State::remove(int index, const std::string& what)
{
    Exchange ex = transact(detail::newLinkMessage(RTM_DELLINK, 0, index));
    if (ex.error != 0 && ex.error != ENODEV) {
        raiseKernel(ex, Action::Change, what);
    }
}

} // namespace dvs::netlink
