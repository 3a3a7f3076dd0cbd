// SPDX-License-Identifier: LGPL-2.1-or-later
// With ovs-vswitchd running (userspace datapath), a bridge created through the client comes to
// life: vswitchd assigns its interface an OpenFlow port number, which the replica sees.
#include <catch2/catch.hpp>

#include "client_fixture.h"
#include "netns.h"
#include "vswitchd_sandbox.h"

using namespace dvs::ovsdb;
using namespace dvs::test;

TEST_CASE("a netdev bridge created by the client is configured by ovs-vswitchd", "[vswitchd]")
{
    auto vswitchd = VswitchdSandbox::start();
    if (!vswitchd) {
        return;
    }
    OvsSandbox& ovs = *vswitchd->ovs;
    auto options = vswitchClientOptions(ovs.unixRemote());
    options.monitor[std::string(vs::Interface::kTable)].push_back(
        std::string(vs::Interface::Col::kOfport));
    options.monitor[std::string(vs::OpenVSwitch::kTable)].push_back(
        std::string(vs::OpenVSwitch::Col::kCurCfg));
    Client client(nullptr, options);
    client.start();
    REQUIRE(waitReady(client));

    auto result = transactAndWait(client, "test: add-br brv", [](Transaction& txn) {
        auto root = vs::OpenVSwitch::all(txn.replica()).front();
        Ref iface = txn.insert(vs::Interface::Values().setName("brv").setType("internal"));
        Ref port = txn.insert(vs::Port::Values().setName("brv").setInterfaces({iface}));
        Ref bridge = txn.insert(
            vs::Bridge::Values().setName("brv").setDatapathType("netdev").setPorts({port}));
        txn.mutate(root.uuid(),
                   {vs::OpenVSwitch::insertBridges({bridge}), vs::OpenVSwitch::addNextCfg(1)});
    });
    REQUIRE(result.ok());
    // vswitchd picks the change up, assigns the local port its number and reports cur_cfg.
    REQUIRE(runUntil([&] {
        auto iface = vs::Interface::findByName(client.replica(), "brv");
        return iface && iface->ofport() == std::optional<std::int64_t>(65534);
    }));
    REQUIRE(runUntil([&] { return vs::OpenVSwitch::all(client.replica()).front().curCfg() >= 1; }));
    CHECK(ovs.vsctl({"br-exists", "brv"}).empty());
}
