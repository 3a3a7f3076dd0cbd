// SPDX-License-Identifier: LGPL-2.1-or-later
#include <memory>
#include <stdexcept>
#include <vector>

#include <catch2/catch.hpp>

#include "link_scaffold.h"
#include "netlink/connection.h"
#include "netlink/link_monitor.h"
#include "netns.h"
#include "test_support.h"

using dvs::Error;
using dvs::ErrorCode;
using dvs::netlink::Connection;
using dvs::netlink::LinkEvent;
using dvs::netlink::LinkMonitor;
using dvs::netlink::OperState;

namespace {

// Whether events hold one of type for device name that satisfies pred.
template <typename Pred>
bool seen(const std::vector<LinkEvent>& events, LinkEvent::Type type, const std::string& name,
          Pred&& pred)
{
    for (const auto& event : events) {
        if (event.type == type && event.link.name == name && pred(event)) {
            return true;
        }
    }
    return false;
}

bool seen(const std::vector<LinkEvent>& events, LinkEvent::Type type, const std::string& name)
{
    return seen(events, type, name, [](const LinkEvent&) { return true; });
}

} // namespace

TEST_CASE("the monitor starts with the namespace's devices")
{
    if (!dvs::test::enterFreshNetworkNamespaceOrSkip()) {
        return;
    }
    Connection nl;
    dvs::test::createVethPair("dvs-a", "dvs-b");
    dvs::test::MainContext context;
    std::vector<LinkEvent> events;
    LinkMonitor monitor([&](const LinkEvent& e) { events.push_back(e); }, context.get());

    auto a = monitor.find("dvs-a");
    REQUIRE(a);
    CHECK(*a == nl.link("dvs-a"));
    CHECK(monitor.find(a->index) == a);
    CHECK(monitor.links().size() == 3);
    CHECK_FALSE(monitor.find("dvs-none"));
    CHECK(events.empty()); // the initial devices are no events
}

TEST_CASE("carrier and operstate changes arrive as events on the main loop")
{
    if (!dvs::test::enterFreshNetworkNamespaceOrSkip()) {
        return;
    }
    Connection nl;
    dvs::test::createVethPair("dvs-a", "dvs-b");
    dvs::test::MainContext context;
    std::vector<LinkEvent> events;
    LinkMonitor monitor([&](const LinkEvent& e) { events.push_back(e); }, context.get());

    nl.setUp("dvs-a", true);
    nl.setUp("dvs-b", true);
    auto carrierUp = [&] {
        return seen(events, LinkEvent::Type::Changed, "dvs-a", [](const LinkEvent& e) {
            return e.carrierChanged() && e.link.carrier && e.link.operState == OperState::Up;
        });
    };
    REQUIRE(context.runUntil(carrierUp));
    CHECK(monitor.find("dvs-a")->carrier);
    for (const auto& event : events) {
        // Only real changes are reported.
        REQUIRE(event.previous);
        CHECK_FALSE(*event.previous == event.link);
    }

    events.clear();
    nl.setUp("dvs-b", false);
    auto carrierDown = [&] {
        return seen(events, LinkEvent::Type::Changed, "dvs-a", [](const LinkEvent& e) {
            return e.carrierChanged() && !e.link.carrier && e.operStateChanged() &&
                   e.link.operState == OperState::LowerLayerDown;
        });
    };
    REQUIRE(context.runUntil(carrierDown));
    CHECK_FALSE(monitor.find("dvs-a")->ready());
    CHECK(seen(events, LinkEvent::Type::Changed, "dvs-b",
               [](const LinkEvent& e) { return e.previous->up && !e.link.up; }));

    events.clear();
    nl.setMtu("dvs-a", 1400);
    REQUIRE(context.runUntil([&] {
        return seen(events, LinkEvent::Type::Changed, "dvs-a",
                    [](const LinkEvent& e) { return e.link.mtu == 1400; });
    }));
}

TEST_CASE("devices appearing and disappearing arrive as events")
{
    if (!dvs::test::enterFreshNetworkNamespaceOrSkip()) {
        return;
    }
    Connection nl;
    dvs::test::MainContext context;
    std::vector<LinkEvent> events;
    LinkMonitor monitor([&](const LinkEvent& e) { events.push_back(e); }, context.get());

    dvs::test::createBridge("dvs-br");
    auto tap = std::make_unique<dvs::test::TapDevice>("dvs-tap");
    REQUIRE(context.runUntil([&] {
        return seen(events, LinkEvent::Type::Added, "dvs-br") &&
               seen(events, LinkEvent::Type::Added, "dvs-tap");
    }));
    int tapIndex = monitor.find("dvs-tap")->index;

    // A port joining a bridge also sends AF_BRIDGE messages; they are no device events.
    events.clear();
    nl.enslave("dvs-br", "dvs-tap");
    REQUIRE(context.runUntil([&] {
        return seen(events, LinkEvent::Type::Changed, "dvs-tap",
                    [](const LinkEvent& e) { return e.link.masterIndex != 0; });
    }));
    // Leaving the bridge sends an AF_BRIDGE RTM_DELLINK: the device is still there.
    events.clear();
    nl.release("dvs-tap");
    dvs::test::createBridge("dvs-mark"); // notifications are ordered: this one comes last
    REQUIRE(context.runUntil([&] { return seen(events, LinkEvent::Type::Added, "dvs-mark"); }));
    CHECK(seen(events, LinkEvent::Type::Changed, "dvs-tap",
               [](const LinkEvent& e) { return e.link.masterIndex == 0; }));
    CHECK_FALSE(seen(events, LinkEvent::Type::Removed, "dvs-tap"));
    CHECK(monitor.find("dvs-tap"));

    events.clear();
    tap.reset();
    dvs::test::removeLink("dvs-br");
    REQUIRE(context.runUntil([&] {
        return seen(events, LinkEvent::Type::Removed, "dvs-tap") &&
               seen(events, LinkEvent::Type::Removed, "dvs-br");
    }));
    CHECK_FALSE(monitor.find("dvs-tap"));
    CHECK_FALSE(monitor.find(tapIndex));
    CHECK_FALSE(monitor.find("dvs-br"));
}

TEST_CASE("exceptions from the callback go to the error handler, not through GLib")
{
    if (!dvs::test::enterFreshNetworkNamespaceOrSkip()) {
        return;
    }
    dvs::test::MainContext context;
    std::vector<LinkEvent> events;
    std::vector<Error> errors;
    LinkMonitor monitor(
        [&](const LinkEvent& e) {
            events.push_back(e);
            if (e.link.name == "dvs-x") {
                throw Error(ErrorCode::InternalError, "callback refused 'dvs-x'");
            }
            throw std::runtime_error("not a dvs::Error");
        },
        context.get());
    monitor.setErrorHandler([&](const Error& e) { errors.push_back(e); });

    dvs::test::createBridge("dvs-x");
    dvs::test::createBridge("dvs-y");
    REQUIRE(context.runUntil([&] { return errors.size() >= 2; }));
    CHECK(seen(events, LinkEvent::Type::Added, "dvs-x"));
    CHECK(seen(events, LinkEvent::Type::Added, "dvs-y"));
    CHECK(errors[0].message() == "callback refused 'dvs-x'");
    CHECK(errors[1].code() == ErrorCode::InternalError);
    CHECK_THAT(errors[1].message(), Catch::Contains("not a dvs::Error"));

    // The monitor goes on after failed callbacks.
    dvs::test::removeLink("dvs-y");
    REQUIRE(context.runUntil([&] { return seen(events, LinkEvent::Type::Removed, "dvs-y"); }));
}

TEST_CASE("a callback may destroy the monitor")
{
    if (!dvs::test::enterFreshNetworkNamespaceOrSkip()) {
        return;
    }
    dvs::test::MainContext context;
    int calls = 0;
    std::unique_ptr<LinkMonitor> monitor;
    monitor = std::make_unique<LinkMonitor>(
        [&](const LinkEvent&) {
            ++calls;
            monitor.reset();
        },
        context.get());

    // Two devices in one burst: the second event must not be delivered to a dead monitor.
    dvs::test::createBridge("dvs-x");
    dvs::test::createBridge("dvs-y");
    REQUIRE(context.runUntil([&] { return monitor == nullptr; }));
    CHECK(calls == 1);

    // Nothing is left attached to the context: a second monitor on the same context sees the
    // next event, which the kernel queued on both sockets before removeLink() returned,
    // so the dead monitor would have been dispatched by then too.
    std::vector<LinkEvent> observed;
    LinkMonitor observer([&](const LinkEvent& event) { observed.push_back(event); }, context.get());
    dvs::test::removeLink("dvs-x");
    REQUIRE(context.runUntil([&] { return seen(observed, LinkEvent::Type::Removed, "dvs-x"); }));
    CHECK(calls == 1);
}

TEST_CASE("notifications the kernel dropped are recovered from a fresh device list")
{
    if (!dvs::test::enterFreshNetworkNamespaceOrSkip()) {
        return;
    }
    dvs::test::createVethPair("dvs-a", "dvs-b");
    dvs::test::MainContext context;
    std::vector<LinkEvent> events;
    LinkMonitor monitor([&](const LinkEvent& e) { events.push_back(e); }, context.get());
    dvs::test::LinkMonitorAccess::setReceiveBuffer(monitor,
                                                   1024); // the kernel rounds it up to its minimum

    // Far more notifications than the buffer holds, all before the loop reads any.
    constexpr int kBridges = 40;
    for (int i = 0; i < kBridges; ++i) {
        dvs::test::createBridge("dvs-br" + std::to_string(i));
    }
    dvs::test::removeLink("dvs-b"); // takes dvs-a with it

    REQUIRE(context.runUntil([&] { return monitor.links().size() == kBridges + 1; }));
    CHECK(monitor.resynchronisations() >= 1);
    for (int i = 0; i < kBridges; ++i) {
        CHECK(seen(events, LinkEvent::Type::Added, "dvs-br" + std::to_string(i)));
    }
    CHECK(seen(events, LinkEvent::Type::Removed, "dvs-a"));
    CHECK(seen(events, LinkEvent::Type::Removed, "dvs-b"));
    CHECK_FALSE(monitor.find("dvs-a"));
}
