// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>
#include <glib.h>

#include "util/cdeleter.h"
#include "util/error.h"

namespace dvs::test {

// Moves the calling thread into a new, empty network namespace. Returns why it could not (no
// root or CAP_NET_ADMIN), or nullopt on success. Sockets opened before keep their namespace.
std::optional<std::string> enterFreshNetworkNamespace();
// Same, but when it cannot, marks the test skipped (skip()) saying why and returns false: the
// caller returns then.
bool enterFreshNetworkNamespaceOrSkip();

// Moves the calling thread into a new, empty network namespace for the object's lifetime and
// back into the one it came from afterwards. Processes started meanwhile (ovs-vswitchd) stay in
// the new one, and their devices go with it when they exit: nothing reaches the host's
// namespace, even from a run that is killed. failure() says why it could not (no root).
class ScopedNetworkNamespace
{
public:
    ScopedNetworkNamespace();
    ~ScopedNetworkNamespace();
    ScopedNetworkNamespace(const ScopedNetworkNamespace&) = delete;
    ScopedNetworkNamespace& operator=(const ScopedNetworkNamespace&) = delete;

    const std::optional<std::string>& failure() const { return failure_; }

private:
    util::UniqueFd original_;
    std::optional<std::string> failure_;
};

// Drops CAP_NET_ADMIN from the calling thread's effective capabilities for its lifetime (it stays
// permitted, so the destructor takes it back). Throws std::runtime_error when it cannot.
class WithoutNetAdmin
{
public:
    WithoutNetAdmin();
    ~WithoutNetAdmin();
    WithoutNetAdmin(const WithoutNetAdmin&) = delete;
    WithoutNetAdmin& operator=(const WithoutNetAdmin&) = delete;
};

// A GMainContext of the test's own.
class MainContext
{
public:
    MainContext() : context_(g_main_context_new()) {}
    GMainContext* get() const { return context_.get(); }

    // Iterates the context until done() holds or the timeout passes; returns done(). Blocks in
    // poll() between events, woken by a timer at the deadline: no sleeping.
    bool runUntil(const std::function<bool()>& done,
                  std::chrono::milliseconds timeout = std::chrono::seconds(3));

private:
    util::CPtr<GMainContext, g_main_context_unref> context_;
};

// A tap device created through /dev/net/tun (not persistent: it disappears when closed).
class TapDevice
{
public:
    // Throws std::runtime_error with the reason when it cannot be created.
    explicit TapDevice(std::string_view name);
    void close() { fd_.reset(); }

private:
    util::UniqueFd fd_;
};

// The dvs::Error that fn throws; fails the test when it throws none.
template <typename Fn>
Error thrownError(Fn&& fn)
{
    try {
        fn();
    } catch (const Error& e) {
        return e;
    }
    FAIL("no dvs::Error was thrown");
    return Error(ErrorCode::Ok, "");
}

} // namespace dvs::test
