// SPDX-License-Identifier: LGPL-2.1-or-later
#include <algorithm>

#include <catch2/catch.hpp>

#include "link_scaffold.h"
#include "netlink/connection.h"
#include "netns.h"
#include "test_support.h"
#include "util/error.h"

using dvs::Error;
using dvs::ErrorCode;
using dvs::netlink::Connection;
using dvs::netlink::LinkInfo;
using dvs::netlink::OperState;

using dvs::test::thrownError;

TEST_CASE("links are looked up by name and by index")
{
    if (!dvs::test::enterFreshNetworkNamespaceOrSkip()) {
        return;
    }
    Connection nl;
    dvs::test::createVethPair("dvs-a", "dvs-b");

    LinkInfo a = nl.link("dvs-a");
    CHECK(a.name == "dvs-a");
    CHECK(a.index > 1);
    CHECK(a.kind == "veth");
    CHECK(a.mtu == 1500);
    REQUIRE(a.mac.has_value());
    CHECK_FALSE(a.mac->isNull());
    CHECK_FALSE(a.up);
    CHECK_FALSE(a.carrier);
    CHECK(a.operState == OperState::Down);
    CHECK(a.masterIndex == 0);
    CHECK_FALSE(a.ready());

    LinkInfo byIndex = nl.link(a.index);
    CHECK(byIndex == a);

    auto all = nl.links();
    REQUIRE(all.size() == 3); // lo and the pair
    CHECK(all[0].name == "lo");
    CHECK(std::is_sorted(all.begin(), all.end(),
                         [](const LinkInfo& x, const LinkInfo& y) { return x.index < y.index; }));
    CHECK(std::count_if(all.begin(), all.end(),
                        [](const LinkInfo& l) { return l.name == "dvs-b"; }) == 1);
}

TEST_CASE("a missing device is a clear error")
{
    if (!dvs::test::enterFreshNetworkNamespaceOrSkip()) {
        return;
    }
    Connection nl;
    CHECK_FALSE(nl.findLink("dvs-none").has_value());
    CHECK_FALSE(nl.findLink(4242).has_value());

    Error e = thrownError([&] { nl.link("dvs-none"); });
    CHECK(e.code() == ErrorCode::DeviceMissing);
    CHECK(e.message() == "interface 'dvs-none' does not exist");
    CHECK(e.fullMessage() == "device not found: interface 'dvs-none' does not exist");

    CHECK(thrownError([&] { nl.link(4242); }).code() == ErrorCode::DeviceMissing);
    CHECK(thrownError([&] { nl.setMtu("dvs-none", 1400); }).code() == ErrorCode::DeviceMissing);
    CHECK(thrownError([&] { nl.setUp("dvs-none", true); }).code() == ErrorCode::DeviceMissing);

    // Names that cannot be device names never reach the kernel.
    CHECK(thrownError([&] { nl.findLink("a/b"); }).code() == ErrorCode::InvalidArg);
    CHECK(thrownError([&] { nl.findLink("0123456789abcdef"); }).code() == ErrorCode::InvalidArg);
    CHECK(thrownError([&] { nl.findLink(""); }).code() == ErrorCode::InvalidArg);
}

TEST_CASE("MTU is set and refused with the kernel's reason")
{
    if (!dvs::test::enterFreshNetworkNamespaceOrSkip()) {
        return;
    }
    Connection nl;
    dvs::test::createVethPair("dvs-a", "dvs-b");
    nl.setMtu("dvs-a", 9000);
    CHECK(nl.link("dvs-a").mtu == 9000);
    CHECK(nl.link("dvs-b").mtu == 1500);
    nl.setMtu("dvs-a", 1280);
    CHECK(nl.link("dvs-a").mtu == 1280);

    // Below the minimum of 68: the kernel refuses with EINVAL.
    Error e = thrownError([&] { nl.setMtu("dvs-a", 10); });
    CHECK(e.code() == ErrorCode::SystemError);
    CHECK_THAT(e.message(), Catch::StartsWith("Cannot set interface MTU on 'dvs-a': Invalid "
                                              "argument"));
    CHECK(nl.link("dvs-a").mtu == 1280);
}

TEST_CASE("devices go up and down; carrier follows the peer")
{
    if (!dvs::test::enterFreshNetworkNamespaceOrSkip()) {
        return;
    }
    Connection nl;
    dvs::test::createVethPair("dvs-a", "dvs-b");

    nl.setUp("dvs-a", true);
    LinkInfo a = nl.link("dvs-a");
    CHECK(a.up);
    CHECK_FALSE(a.carrier);
    CHECK(a.operState == OperState::LowerLayerDown);

    nl.setUp("dvs-b", true);
    a = nl.link("dvs-a");
    CHECK(a.up);
    CHECK(a.carrier);
    CHECK(a.operState == OperState::Up);
    CHECK(a.ready());

    nl.setUp("dvs-a", false);
    a = nl.link("dvs-a");
    CHECK_FALSE(a.up);
    CHECK_FALSE(a.carrier);
    CHECK(a.operState == OperState::Down);
    CHECK_FALSE(nl.link("dvs-b").carrier);
}

TEST_CASE("the MAC address is set")
{
    if (!dvs::test::enterFreshNetworkNamespaceOrSkip()) {
        return;
    }
    Connection nl;
    dvs::test::createVethPair("dvs-a", "dvs-b");
    auto mac = dvs::util::MacAddr::parse("52:54:00:12:34:56");
    REQUIRE(mac);
    nl.setMac("dvs-a", *mac);
    CHECK(nl.link("dvs-a").mac == mac);

    // A multicast address is refused by the kernel (EADDRNOTAVAIL).
    auto multicast = dvs::util::MacAddr::parse("01:00:5e:00:00:01");
    REQUIRE(multicast);
    Error e = thrownError([&] { nl.setMac("dvs-a", *multicast); });
    CHECK(e.code() == ErrorCode::SystemError);
    CHECK_THAT(e.message(), Catch::StartsWith("Cannot set interface MAC on 'dvs-a': "));
    CHECK(nl.link("dvs-a").mac == mac);
}

TEST_CASE("devices are enslaved to a bridge and released")
{
    if (!dvs::test::enterFreshNetworkNamespaceOrSkip()) {
        return;
    }
    Connection nl;
    dvs::test::createBridge("dvs-br");
    dvs::test::createVethPair("dvs-a", "dvs-b");
    LinkInfo br = nl.link("dvs-br");
    CHECK(br.kind == "bridge");

    nl.enslave("dvs-br", "dvs-a");
    CHECK(nl.link("dvs-a").masterIndex == br.index);
    auto members = nl.members("dvs-br");
    REQUIRE(members.size() == 1);
    CHECK(members[0].name == "dvs-a");

    nl.release("dvs-a");
    CHECK(nl.link("dvs-a").masterIndex == 0);
    CHECK(nl.members("dvs-br").empty());
    nl.release("dvs-a"); // no master: nothing to do

    // A device cannot be its own master: the kernel's refusal names both.
    Error e = thrownError([&] { nl.enslave("dvs-a", "dvs-a"); });
    CHECK(e.code() != ErrorCode::Ok);
    CHECK_THAT(e.message(), Catch::StartsWith("Unable to enslave 'dvs-a' to 'dvs-a': "));

    dvs::test::removeLink("dvs-br");
    CHECK_FALSE(nl.findLink("dvs-br").has_value());
    dvs::test::removeLink("dvs-br"); // already gone: nothing to do
}

TEST_CASE("tap devices are seen with their kind and carrier")
{
    if (!dvs::test::enterFreshNetworkNamespaceOrSkip()) {
        return;
    }
    Connection nl;
    dvs::test::TapDevice tap("dvs-tap");
    LinkInfo t = nl.link("dvs-tap");
    CHECK(t.kind == "tun");
    nl.setUp("dvs-tap", true);
    t = nl.link("dvs-tap");
    CHECK(t.up);
    CHECK(t.carrier); // a queue is attached while the test holds the fd
    tap.close();
    CHECK_FALSE(nl.findLink("dvs-tap").has_value());
}

TEST_CASE("only bonds and macvtap devices are removed by their remove calls")
{
    if (!dvs::test::enterFreshNetworkNamespaceOrSkip()) {
        return;
    }
    Connection nl;
    dvs::test::createVethPair("dvs-a", "dvs-b");
    Error e = thrownError([&] { nl.removeBond("dvs-a"); });
    CHECK(e.code() == ErrorCode::OperationInvalid);
    CHECK(e.message() == "interface 'dvs-a' is not a bond but 'veth'");
    e = thrownError([&] { nl.removeMacvtap("dvs-a"); });
    CHECK(e.code() == ErrorCode::OperationInvalid);
    CHECK(e.message() == "interface 'dvs-a' is not a macvtap device but 'veth'");
    CHECK(nl.findLink("dvs-a").has_value());

    nl.removeBond("dvs-none"); // absent: nothing to do
    nl.removeMacvtap("dvs-none");
}

TEST_CASE("a request without CAP_NET_ADMIN is refused with the kernel's reason")
{
    if (!dvs::test::enterFreshNetworkNamespaceOrSkip()) {
        return;
    }
    Connection nl;
    dvs::test::createVethPair("dvs-a", "dvs-b");
    {
        dvs::test::WithoutNetAdmin dropped;
        Error e = thrownError([&] { nl.setMtu("dvs-a", 1400); });
        CHECK(e.code() == ErrorCode::SystemError);
        CHECK(e.message() == "Cannot set interface MTU on 'dvs-a': Operation not permitted");
        e = thrownError([&] { nl.setUp("dvs-a", true); });
        CHECK(e.message() == "Cannot set interface flags on 'dvs-a': Operation not permitted");
        // Reading needs no privilege.
        CHECK(nl.link("dvs-a").mtu == 1500);
    }
    nl.setMtu("dvs-a", 1400);
    CHECK(nl.link("dvs-a").mtu == 1400);
}
