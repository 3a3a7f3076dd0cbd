// SPDX-License-Identifier: LGPL-2.1-or-later
// Direct-mode networks against the real kernel, in a fresh network namespace: pool devices are
// checked at start, their link state is part of the status, and a Linux bond uplink is created
// and removed (or refused with the kernel's reason where bonding is missing).
#include <catch2/catch.hpp>

#include "driver/bridge_bandwidth.h"
#include "driver_fixture.h"
#include "link_scaffold.h"
#include "netlink/connection.h"
#include "netns.h"

using namespace dvs;
using namespace dvs::test;

namespace {

bool enterNamespaceOrSkip()
{
    static std::optional<std::optional<std::string>> result;
    if (!result) {
        result = enterFreshNetworkNamespace();
    }
    if (*result) {
        skip("needs root or CAP_NET_ADMIN for a private network namespace: " + **result);
        return false;
    }
    return true;
}

} // namespace

TEST_CASE("a direct network checks its pool devices and reports their link state")
{
    if (!enterNamespaceOrSkip()) {
        return;
    }
    netlink::Connection kernel;
    dvs::test::createVethPair("pool1", "pool1p");
    dvs::test::createVethPair("pool2", "pool2p");
    DriverFixture f(true);

    auto net = f.drv->defineXml("<network><name>mv</name><forward mode='vepa'>"
                                "<interface dev='pool1'/><interface dev='pool2'/></forward>"
                                "</network>",
                                0);
    f.drv->start(net);
    auto status = f.drv->status().at(0);
    CHECK_THAT(status.backendState,
               Catch::Matchers::StartsWith("degraded: macvtap pool pool1 down"));

    for (const char* dev : {"pool1", "pool1p", "pool2", "pool2p"}) {
        kernel.setUp(dev, true);
    }
    MainContext loop;
    // The carrier of a veth follows its peer asynchronously: wait for it.
    CHECK(loop.runUntil([&] {
        return f.drv->status().at(0).backendState == "ready: macvtap pool pool1 up, pool2 up";
    }));
    kernel.setUp("pool2p", false);
    CHECK(loop.runUntil([&] {
        return f.drv->status().at(0).backendState ==
               "degraded: macvtap pool pool1 up, pool2 up (no carrier)";
    }));
    f.drv->destroy(net);

    auto missing = f.drv->defineXml("<network><name>gone</name><forward mode='passthrough'>"
                                    "<interface dev='pool1'/><interface dev='eth9'/></forward>"
                                    "</network>",
                                    0);
    auto e = thrownError([&] { f.drv->start(missing); });
    CHECK(e.code() == ErrorCode::DeviceMissing);
    CHECK(e.fullMessage() ==
          "device not found: network 'gone' cannot start: its pool device 'eth9' does not exist");
    CHECK_FALSE(f.drv->isActive(missing));
}

TEST_CASE("a Linux bond uplink is created on start and removed on destroy")
{
    if (!enterNamespaceOrSkip()) {
        return;
    }
    netlink::Connection kernel;
    dvs::test::createVethPair("ens3f0", "ens3f0p");
    dvs::test::createVethPair("ens3f1", "ens3f1p");
    DriverFixture f(true);
    auto net = f.drv->defineXml(R"(<network><name>bonded</name>
      <metadata><dvs:network xmlns:dvs='https://libvirt-dvs.org/xmlns/network/1.0' role='vm'>
        <dvs:uplink type='linux-bond' name='bond1' mode='802.3ad' updelay='150'>
          <dvs:lacp mode='active' rate='fast'/>
          <dvs:interface name='ens3f0'/><dvs:interface name='ens3f1'/>
        </dvs:uplink></dvs:network></metadata>
      <forward mode='bridge'><interface dev='bond1'/></forward></network>)",
                                0);
    try {
        f.drv->start(net);
    } catch (const Error& e) {
        // This kernel has no bonding: the refusal names the bond and the kernel's reason, and
        // nothing is left behind.
        CHECK(e.code() == ErrorCode::OperationUnsupported);
        CHECK_THAT(e.fullMessage(), Catch::Matchers::Contains("bond1"));
        CHECK_FALSE(f.drv->isActive(net));
        CHECK_FALSE(kernel.findLink("bond1"));
        WARN("bonding is not available in this kernel; checked the refusal: " << e.fullMessage());
        return;
    }
    auto bond = kernel.findLink("bond1");
    REQUIRE(bond);
    CHECK(bond->kind == "bond");
    CHECK(kernel.members("bond1").size() == 2);
    // A restarted driver still knows it created the bond.
    f.restart();
    f.drv->destroy(f.drv->lookupByName("bonded"));
    CHECK_FALSE(kernel.findLink("bond1"));
}

TEST_CASE("an existing bond is adopted and never removed")
{
    if (!enterNamespaceOrSkip()) {
        return;
    }
    netlink::Connection kernel;
    try {
        kernel.createBond({"bond7", netlink::BondMode::ActiveBackup, {}, 100, 0, 0, {}});
    } catch (const Error& e) {
        // Without bonding in the kernel there is nothing to adopt; the refusal must be clear.
        CHECK(e.code() == ErrorCode::OperationUnsupported);
        WARN(
            "bonding is not available in this kernel, adoption not exercised: " << e.fullMessage());
        return;
    }
    DriverFixture f(true);
    auto net = f.drv->defineXml(R"(<network><name>adopt</name>
      <metadata><dvs:network xmlns:dvs='https://libvirt-dvs.org/xmlns/network/1.0'>
        <dvs:uplink type='linux-bond' name='bond7' mode='active-backup'>
          <dvs:interface name='x0'/><dvs:interface name='x1'/></dvs:uplink>
      </dvs:network></metadata>
      <forward mode='bridge'><interface dev='bond7'/></forward></network>)",
                                0);
    f.drv->start(net);
    f.drv->destroy(net);
    CHECK(kernel.findLink("bond7"));
}

TEST_CASE("dvsd plugs a direct port itself as a macvtap device, and removes it")
{
    if (!enterNamespaceOrSkip()) {
        return;
    }
    netlink::Connection kernel;
    dvs::test::createVethPair("lower0", "lower0p");
    kernel.setUp("lower0", true);
    DriverFixture f(true);
    auto net = f.defineAndStart("<network><name>mv2</name><forward mode='bridge'>"
                                "<interface dev='lower0'/></forward></network>");
    auto ref = f.drv->portCreateXml(net, portXml("00000000-0000-4000-8000-000000000001"), 0);
    std::string device;
    try {
        device = f.drv->portPlug(ref, "mvtap0");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::OperationUnsupported);
        CHECK_THAT(e.fullMessage(), Catch::Matchers::Contains("mvtap0"));
        // Nothing was recorded: there is nothing to unplug.
        CHECK(thrownError([&] { f.drv->portUnplug(ref); }).code() == ErrorCode::OperationInvalid);
        WARN("macvtap is not available in this kernel; checked the refusal: " << e.fullMessage());
        return;
    }
    CHECK(device == "mvtap0");
    auto link = kernel.findLink("mvtap0");
    REQUIRE(link);
    CHECK(link->kind == "macvtap");
    CHECK(link->mac == util::MacAddr::parse("52:54:00:aa:bb:cc"));
    CHECK(link->lowerIndex == kernel.link("lower0").index);
    CHECK(thrownError([&] { f.drv->portPlug(ref, "mvtap1"); }).code() ==
          ErrorCode::OperationInvalid);
    // A restarted dvsd still removes it when the port goes.
    f.restart();
    f.drv->portDelete(ref, 0);
    CHECK_FALSE(kernel.findLink("mvtap0"));
}

TEST_CASE("a host Linux bridge network needs its bridge and manages its MAC table as libvirt")
{
    if (!enterNamespaceOrSkip()) {
        return;
    }
    netlink::Connection kernel;
    DriverFixture f(true);
    auto net = f.drv->defineXml(
        "<network><name>lan</name><forward mode='bridge'/><bridge name='br-lan'/></network>", 0);
    auto e = thrownError([&] { f.drv->start(net); });
    CHECK(e.code() == ErrorCode::DeviceMissing);
    CHECK(e.message() == "network 'lan' cannot start: its bridge 'br-lan' does not exist");
    CHECK_FALSE(f.drv->isActive(net));

    dvs::test::createBridge("br-lan");
    f.drv->start(net);
    CHECK(f.drv->status().at(0).backendState == "degraded: host bridge 'br-lan' down");
    kernel.setUp("br-lan", true);
    CHECK(f.drv->status().at(0).backendState == "ready: host bridge 'br-lan' up");
    f.drv->destroy(net);
    // The bridge is the host's: it stays.
    CHECK(kernel.findLink("br-lan").has_value());

    // macTableManager='libvirt': VLAN filtering on, or the kernel's refusal as libvirt gets it.
    auto managed = f.drv->defineXml("<network><name>lan2</name><forward mode='bridge'/>"
                                    "<bridge name='br-lan' macTableManager='libvirt'/></network>",
                                    0);
    try {
        f.drv->start(managed);
        CHECK(kernel.bridgeInfo("br-lan").vlanFiltering);
        CHECK(f.drv->status().at(1).backendState ==
              "ready: host bridge 'br-lan' up; MAC table managed by libvirt");
        f.drv->destroy(managed);
    } catch (const Error& err) {
        CHECK_THAT(err.message(),
                   Catch::Matchers::Contains("Unable to set bridge br-lan vlan_filtering"));
        CHECK_FALSE(f.drv->isActive(managed));
    }
}

TEST_CASE("a network's bandwidth goes on its bridge with libvirt's tc commands")
{
    conf::Bandwidth bw;
    bw.in = conf::BandwidthRate{1000, 2000, 0, 256};
    bw.out = conf::BandwidthRate{500, 0, 0, 0};
    auto cmds = driver::bridgeBandwidthCommands("br0", bw);
    REQUIRE(cmds.size() == 7);
    auto joined = [&](std::size_t i) {
        std::string out;
        for (const auto& a : cmds[i]) {
            out += (out.empty() ? "" : " ") + a;
        }
        return out;
    };
    CHECK(joined(0) == "qdisc add dev br0 root handle 1: htb default 2");
    CHECK(joined(1) ==
          "class add dev br0 parent 1: classid 1:1 htb rate 1000kbps ceil 2000kbps burst 256kb");
    CHECK(joined(2) ==
          "class add dev br0 parent 1:1 classid 1:2 htb rate 1000kbps ceil 2000kbps burst 256kb");
    CHECK(joined(3) == "qdisc add dev br0 parent 1:2 handle 2: sfq perturb 10");
    CHECK(joined(4) == "filter add dev br0 parent 1:0 protocol all prio 1 handle 1 fw flowid 1");
    CHECK(joined(5) == "qdisc add dev br0 ingress");
    CHECK(joined(6) == "filter add dev br0 parent ffff: protocol all u32 match u32 0 0 police "
                       "rate 500kbps burst 500kb mtu 64kb drop flowid :1");
    CHECK(driver::bridgeBandwidthCommands("br0", conf::Bandwidth{}).empty());

    if (!enterNamespaceOrSkip()) {
        return;
    }
    dvs::test::createBridge("br-bw");
    DriverFixture f(true);
    auto net = f.drv->defineXml("<network><name>bw</name><forward mode='bridge'/>"
                                "<bridge name='br-bw'/><bandwidth><inbound average='1000'/>"
                                "<outbound average='500'/></bandwidth></network>",
                                0);
    try {
        f.drv->start(net);
        CHECK(f.drv->isActive(net));
        f.drv->destroy(net);
    } catch (const Error& e) {
        // A kernel without htb, sfq, fw or police refuses, as it does libvirt's.
        CHECK_THAT(e.message(),
                   Catch::Matchers::StartsWith("Cannot set the bandwidth of bridge 'br-bw': tc "));
        CHECK_FALSE(f.drv->isActive(net));
    }
}
