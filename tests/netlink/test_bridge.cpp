// SPDX-License-Identifier: LGPL-2.1-or-later
#include <algorithm>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "link_scaffold.h"
#include "netlink/connection.h"
#include "netns.h"
#include "test_support.h"
#include "util/error.h"

using dvs::ErrorCode;
using dvs::netlink::BridgeConfig;
using dvs::netlink::Connection;
using dvs::netlink::IfAddress;
using dvs::test::thrownError;

TEST_CASE("a bridge is created with its MAC, STP, forward delay and MTU, and removed")
{
    if (!dvs::test::enterFreshNetworkNamespaceOrSkip()) {
        return;
    }
    Connection nl;
    BridgeConfig config;
    config.name = "virbr7";
    config.mac = dvs::util::MacAddr::parse("52:54:00:0a:0b:0c");
    config.stp = true;
    config.forwardDelay = 0;
    config.mtu = 9000;
    auto br = nl.createBridge(config);
    CHECK(br.kind == "bridge");
    CHECK(br.mtu == 9000);
    REQUIRE(br.mac.has_value());
    CHECK(br.mac->toString() == "52:54:00:0a:0b:0c");
    CHECK_FALSE(br.up);
    auto info = nl.bridgeInfo("virbr7");
    CHECK(info.stp);
    // The kernel raises the delay to STP's minimum when STP starts, as it does for libvirt's
    // sysfs writes.
    CHECK(info.forwardDelay == 2);

    config.name = "virbr8";
    config.mac.reset();
    config.stp = false;
    config.forwardDelay = 5;
    config.mtu = 0;
    nl.createBridge(config);
    info = nl.bridgeInfo("virbr8");
    CHECK_FALSE(info.stp);
    CHECK(info.forwardDelay == 5);
    CHECK_FALSE(info.vlanFiltering);
    try {
        nl.setBridgeVlanFiltering("virbr8", true);
        CHECK(nl.bridgeInfo("virbr8").vlanFiltering);
    } catch (const dvs::Error& e) {
        // Kernels built without CONFIG_BRIDGE_VLAN_FILTERING refuse it.
        CHECK_THAT(e.message(), Catch::Matchers::Contains("Operation not supported"));
    }

    // libvirt's words for a name that is taken.
    auto taken = thrownError([&] { nl.createBridge(config); });
    CHECK(taken.code() == ErrorCode::SystemError);
    CHECK(taken.message() == "error creating bridge interface virbr8: File exists");

    dvs::test::createVethPair("dvs-a", "dvs-b");
    CHECK(thrownError([&] { nl.removeBridge("dvs-a"); }).code() == ErrorCode::OperationInvalid);
    CHECK(thrownError([&] { nl.bridgeInfo("dvs-a"); }).code() == ErrorCode::OperationInvalid);
    nl.removeBridge("virbr7");
    nl.removeBridge("virbr8");
    CHECK_FALSE(nl.findLink("virbr7"));
    CHECK_FALSE(nl.findLink("virbr8"));
    nl.removeBridge("virbr8"); // gone: nothing to do
}

TEST_CASE("addresses are added to a device and listed")
{
    if (!dvs::test::enterFreshNetworkNamespaceOrSkip()) {
        return;
    }
    Connection nl;
    BridgeConfig config;
    config.name = "virbr0";
    nl.createBridge(config);
    nl.addAddress("virbr0", AF_INET, "192.168.122.1", 24);
    nl.addAddress("virbr0", AF_INET, "192.168.122.1", 24); // already there: no error
    nl.addAddress("virbr0", AF_INET6, "2001:db8:ac10:fe01::1", 64);
    auto addrs = nl.addresses("virbr0");
    CHECK(std::count(addrs.begin(), addrs.end(), IfAddress{AF_INET, "192.168.122.1", 24}) == 1);
    CHECK(std::count(addrs.begin(), addrs.end(),
                     IfAddress{AF_INET6, "2001:db8:ac10:fe01::1", 64}) == 1);
    CHECK(thrownError([&] { nl.addAddress("virbr0", AF_INET, "192.168.122.300", 24); }).code() ==
          ErrorCode::InvalidArg);
    CHECK(thrownError([&] { nl.addAddress("nosuch0", AF_INET, "10.0.0.1", 8); }).code() ==
          ErrorCode::DeviceMissing);
}

TEST_CASE("static routes go through a gateway on a device")
{
    if (!dvs::test::enterFreshNetworkNamespaceOrSkip()) {
        return;
    }
    Connection nl;
    BridgeConfig config;
    config.name = "virbr0";
    nl.createBridge(config);
    nl.addAddress("virbr0", AF_INET, "192.168.122.1", 24);
    nl.setUp("virbr0", true);
    nl.addRoute("virbr0", AF_INET, "10.20.0.0", 16, "192.168.122.2", 0);
    nl.addRoute("virbr0", AF_INET, "10.20.0.0", 16, "192.168.122.2", 0); // there: no error
    CHECK(dvs::test::thrownError([&] {
              nl.addRoute("virbr0", AF_INET, "10.30.0.0", 16, "nonsense", 0);
          }).code() == ErrorCode::InvalidArg);
    // A gateway the device cannot reach: the kernel's reason.
    CHECK(dvs::test::thrownError([&] {
              nl.addRoute("virbr0", AF_INET, "10.40.0.0", 16, "172.16.0.1", 0);
          }).code() == ErrorCode::SystemError);
}
