// SPDX-License-Identifier: LGPL-2.1-or-later
#include "netlink/link_monitor.h"

#include <exception>
#include <linux/rtnetlink.h>
#include <map>
#include <utility>

#include <glib-unix.h>
#include <glib.h>

#include "netlink/connection.h"
#include "netlink/nl_support.h"

namespace dvs::netlink {

namespace {

using GSourcePtr = util::CPtr<GSource, g_source_unref>;

// Large enough for bursts such as a bond and its members changing at once.
constexpr int kReceiveBuffer = 1 << 20;
constexpr int kMaxReadsPerDispatch = 256;

} // namespace

struct LinkMonitor::State
{
    Callback callback;
    ErrorHandler errorHandler;
    detail::NlSockPtr sock;
    detail::NlCbPtr cb;
    Connection requests; // for the initial and resynchronising dumps
    GSourcePtr source;
    std::map<int, LinkInfo> links;
    // Messages read in one dispatch, reported after reading.
    std::vector<detail::LinkMessage> pending;
    std::exception_ptr parseFailure;
    unsigned resyncs = 0;
    // Points at a flag of the running dispatch, which the destructor sets: a callback may
    // destroy the monitor, and the dispatch must then stop touching it.
    bool* destroyed = nullptr;

    static int onValid(nl_msg* msg, void* arg) noexcept
    {
        auto* self = static_cast<State*>(arg);
        try {
            if (auto parsed = detail::parseLinkMessage(msg)) {
                self->pending.push_back(std::move(*parsed));
            }
        } catch (...) {
            self->parseFailure = std::current_exception();
        }
        return NL_OK;
    }

    static gboolean onReadable(gint, GIOCondition, gpointer data) noexcept
    {
        auto* self = static_cast<State*>(data);
        bool destroyed = false;
        self->destroyed = &destroyed;
        try {
            self->dispatch(destroyed);
        } catch (const Error& e) {
            if (!destroyed) {
                self->reportError(e);
            }
        } catch (const std::exception& e) {
            if (!destroyed) {
                self->reportError(
                    Error(ErrorCode::InternalError, std::string("link monitor: ") + e.what()));
            }
        } catch (...) {
            if (!destroyed) {
                self->reportError(Error(ErrorCode::InternalError, "link monitor failed"));
            }
        }
        if (destroyed) {
            return G_SOURCE_REMOVE;
        }
        self->destroyed = nullptr;
        return G_SOURCE_CONTINUE;
    }

    void reportError(const Error& error) noexcept
    {
        if (!errorHandler) {
            return;
        }
        try {
            // A copy: the handler may destroy the monitor, and with it errorHandler.
            ErrorHandler handler = errorHandler;
            handler(error);
        } catch (...) {
            // Nothing may cross the GLib frame; an error handler that fails has nowhere to go.
        }
    }

    // Reads everything the socket holds, then reports. Stops as soon as a callback destroyed
    // the monitor.
    void dispatch(bool& destroyed)
    {
        bool resync = false;
        // Bounded, so that a storm of notifications cannot keep the loop from other sources;
        // what is left is read on the next dispatch.
        for (int reads = 0; reads < kMaxReadsPerDispatch; ++reads) {
            int rc = nl_recvmsgs_report(sock.get(), cb.get());
            if (rc == -NLE_AGAIN || rc == 0) {
                break;
            }
            if (rc == -NLE_NOMEM) {
                // ENOBUFS: the kernel dropped notifications. Whatever was read is stale
                // relative to a fresh dump.
                resync = true;
                continue;
            }
            if (rc < 0) {
                raise(ErrorCode::SystemError, "Unable to read link notifications: {}",
                      nl_geterror(rc));
            }
        }
        if (parseFailure) {
            pending.clear();
            std::rethrow_exception(std::exchange(parseFailure, nullptr));
        }
        std::vector<LinkEvent> events;
        if (resync) {
            ++resyncs;
            pending.clear();
            events = resynchronise();
        } else {
            for (auto& message : std::exchange(pending, {})) {
                if (auto event = apply(std::move(message))) {
                    events.push_back(std::move(*event));
                }
            }
        }
        deliver(events, destroyed);
    }

    void deliver(const std::vector<LinkEvent>& events, bool& destroyed)
    {
        if (events.empty() || !callback) {
            return;
        }
        // A copy: the callback may destroy the monitor, and with it `callback`.
        Callback call = callback;
        for (const auto& event : events) {
            try {
                call(event);
            } catch (const Error& e) {
                if (!destroyed) {
                    reportError(e);
                }
            } catch (const std::exception& e) {
                if (!destroyed) {
                    reportError(Error(ErrorCode::InternalError,
                                      std::string("link event callback failed: ") + e.what()));
                }
            } catch (...) {
                if (!destroyed) {
                    reportError(Error(ErrorCode::InternalError, "link event callback failed"));
                }
            }
            if (destroyed) {
                return;
            }
        }
    }

    // Updates the replica with one notification; returns the event it makes, if any.
    std::optional<LinkEvent> apply(detail::LinkMessage message)
    {
        LinkInfo& info = message.link;
        auto it = links.find(info.index);
        if (message.removed) {
            if (it == links.end()) {
                return std::nullopt;
            }
            LinkEvent event{LinkEvent::Type::Removed, std::move(it->second), std::nullopt};
            links.erase(it);
            return event;
        }
        if (it == links.end()) {
            links.emplace(info.index, info);
            return LinkEvent{LinkEvent::Type::Added, std::move(info), std::nullopt};
        }
        if (it->second == info) {
            return std::nullopt;
        }
        LinkEvent event{LinkEvent::Type::Changed, info, std::move(it->second)};
        it->second = std::move(info);
        return event;
    }

    // Replaces the replica with a fresh dump; returns the differences as events.
    std::vector<LinkEvent> resynchronise()
    {
        std::map<int, LinkInfo> fresh;
        for (auto& link : requests.links()) {
            int index = link.index;
            fresh.emplace(index, std::move(link));
        }
        std::vector<LinkEvent> events;
        for (auto& [index, old] : links) {
            if (fresh.count(index) == 0) {
                events.push_back(LinkEvent{LinkEvent::Type::Removed, old, std::nullopt});
            }
        }
        for (const auto& [index, now] : fresh) {
            auto it = links.find(index);
            if (it == links.end()) {
                events.push_back(LinkEvent{LinkEvent::Type::Added, now, std::nullopt});
            } else if (!(it->second == now)) {
                events.push_back(LinkEvent{LinkEvent::Type::Changed, now, it->second});
            }
        }
        links = std::move(fresh);
        return events;
    }
};

LinkMonitor::LinkMonitor(Callback callback, GMainContext* context)
    : state_(std::make_unique<State>())
{
    State& s = *state_;
    s.callback = std::move(callback);
    s.sock = detail::openRouteSocket();
    nl_socket_disable_seq_check(s.sock.get());
    if (int rc = nl_socket_add_membership(s.sock.get(), RTNLGRP_LINK); rc < 0) {
        raise(ErrorCode::SystemError, "Unable to subscribe to link notifications: {}",
              nl_geterror(rc));
    }
    if (int rc = nl_socket_set_nonblocking(s.sock.get()); rc < 0) {
        raise(ErrorCode::SystemError, "Unable to subscribe to link notifications: {}",
              nl_geterror(rc));
    }
    // Best effort: a smaller buffer only makes resynchronisations likelier.
    (void)nl_socket_set_buffer_size(s.sock.get(), kReceiveBuffer, 0);

    detail::NlCbPtr base(nl_socket_get_cb(s.sock.get())); // a new reference
    s.cb.reset(nl_cb_clone(base.get()));
    if (!s.cb) {
        throw std::bad_alloc();
    }
    nl_cb_set(s.cb.get(), NL_CB_VALID, NL_CB_CUSTOM, &State::onValid, &s);

    // Subscribed first, dumped second: a change between the two is both in the dump and queued
    // as a notification, and a notification equal to the replica is not reported.
    for (auto& link : s.requests.links()) {
        int index = link.index;
        s.links.emplace(index, std::move(link));
    }

    s.source.reset(g_unix_fd_source_new(nl_socket_get_fd(s.sock.get()), G_IO_IN));
    g_source_set_callback(s.source.get(), G_SOURCE_FUNC(&State::onReadable), &s, nullptr);
    g_source_attach(s.source.get(), context);
}

LinkMonitor::~LinkMonitor()
{
    if (state_->destroyed != nullptr) {
        *state_->destroyed = true;
    }
    g_source_destroy(state_->source.get());
}

void LinkMonitor::setErrorHandler(ErrorHandler handler)
{
    state_->errorHandler = std::move(handler);
}

std::optional<LinkInfo> LinkMonitor::find(std::string_view name) const
{
    for (const auto& [index, link] : state_->links) {
        if (link.name == name) {
            return link;
        }
    }
    return std::nullopt;
}

std::optional<LinkInfo> LinkMonitor::find(int index) const
{
    auto it = state_->links.find(index);
    if (it == state_->links.end()) {
        return std::nullopt;
    }
    return it->second;
}

std::vector<LinkInfo> LinkMonitor::links() const
{
    std::vector<LinkInfo> out;
    out.reserve(state_->links.size());
    for (const auto& [index, link] : state_->links) {
        out.push_back(link);
    }
    return out;
}

} // namespace dvs::netlink

namespace dvs::netlink {

unsigned LinkMonitor::resynchronisations() const noexcept
{
    return state_->resyncs;
}

int LinkMonitor::socketFd() const noexcept
{
    return nl_socket_get_fd(state_->sock.get());
}

} // namespace dvs::netlink
