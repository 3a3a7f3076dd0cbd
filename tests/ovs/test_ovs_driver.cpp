// SPDX-License-Identifier: LGPL-2.1-or-later
// The network driver with the OVS backend against a real ovsdb-server: a portgroup's VLAN
// change moves every live port that inherited it in one OVSDB transaction, a port with its own
// VLAN stays, and a restarted driver writes nothing. Transactions are counted in the database's
// own log (ovsdb-tool show-log), independently of our counters.
#include <regex>

#include <catch2/catch.hpp>

#include "conf/network_update.h"
#include "driver/host_backends.h"
#include "driver/network_driver.h"
#include "netns.h"
#include "ovs_fixture.h"

using namespace dvs;
using namespace dvs::test;

namespace {

const char* const kNetwork = R"(<network><name>vmnet</name><forward mode='bridge'/>
  <bridge name='brdvs'/><virtualport type='openvswitch'/>
  <portgroup name='web' default='yes'><vlan><tag id='10'/></vlan></portgroup>
  <portgroup name='db'><vlan><tag id='20'/></vlan></portgroup></network>)";

std::string portXml(int n, const std::string& group, const std::string& extra = "")
{
    return fmt::format("<networkport><uuid>{}</uuid><owner><name>vm{}</name><uuid>{}</uuid>"
                       "</owner><group>{}</group><mac address='52:54:00:00:01:{:02x}'/>{}"
                       "</networkport>",
                       util::Uuid::generate().toString(), n, util::Uuid::generate().toString(),
                       group, n, extra);
}

// The transactions dvsd committed, as the database's log records them.
std::size_t reconciles(const OvsSandbox& ovs)
{
    auto log = ovs.run({"ovsdb-tool", "show-log", (ovs.dir() / "conf.db").string()});
    std::size_t count = 0;
    for (std::size_t at = 0; (at = log.find("dvsd: reconcile", at)) != std::string::npos; ++at) {
        ++count;
    }
    return count;
}

struct Driver
{
    explicit Driver(const OvsSandbox& ovs, const TempDir& dir)
    {
        driver::OvsBackendOptions options;
        options.remote = ovs.unixRemote();
        options.datapathType = "netdev";
        auto paths = driver::DriverPaths::underRoot(dir.path());
        drv = std::make_unique<driver::NetworkDriver>(
            paths, driver::makeHostBackends(paths.runDir, (dir.path() / "sys").string(), options));
    }

    std::string backendState() const
    {
        for (const auto& status : drv->status()) {
            if (status.name == "vmnet") {
                return status.backendState;
            }
        }
        return {};
    }

    std::unique_ptr<driver::NetworkDriver> drv;
};

} // namespace

TEST_CASE("a portgroup VLAN change moves its live ports in one transaction; a restart writes "
          "nothing",
          "[ovs][driver]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    OvsSandbox ovs;
    TempDir dir;
    auto driver = std::make_unique<Driver>(ovs, dir);
    auto net = driver->drv->defineXml(kNetwork, 0);
    driver->drv->start(net);

    // virtqemud allocates the ports, then libvirt plugs each tap with the VLAN of its port.
    constexpr int kPorts = 20;
    std::vector<std::string> plug;
    std::regex interfaceId("interfaceid='([0-9a-f-]+)'");
    for (int i = 0; i <= kPorts; ++i) {
        // Port kPorts has a VLAN of its own, which a portgroup change must not move.
        auto ref = driver->drv->portCreateXml(
            net,
            i < kPorts ? portXml(i, i % 2 == 0 ? "web" : "")
                       : portXml(i, "web", "<vlan><tag id='99'/></vlan>"),
            0);
        auto xml = driver->drv->portGetXmlDesc(ref, 0);
        std::smatch m;
        REQUIRE(std::regex_search(xml, m, interfaceId));
        std::string ifname = "vnet" + std::to_string(i);
        for (const auto& arg : {"--", "add-port", "brdvs"}) {
            plug.push_back(arg);
        }
        plug.push_back(ifname);
        for (const auto& arg : {"--", "set", "Interface"}) {
            plug.push_back(arg);
        }
        plug.push_back(ifname);
        plug.push_back("external-ids:iface-id=\"" + m[1].str() + "\"");
    }
    ovs.vsctl(plug);
    auto converged = [&](const std::string& tagOfWeb) {
        for (int i = 0; i < kPorts; ++i) {
            if (ovs.vsctl({"get", "Port", "vnet" + std::to_string(i), "tag"}) != tagOfWeb) {
                return false;
            }
        }
        return ovs.vsctl({"get", "Port", "vnet" + std::to_string(kPorts), "tag"}) == "99";
    };
    REQUIRE(pollUntil([&] { return converged("10"); }));
    REQUIRE(pollUntil([&] {
        return driver->backendState().find("ports 21 programmed, 0 pending") != std::string::npos;
    }));

    auto before = reconciles(ovs);
    driver->drv->update(net, static_cast<unsigned>(conf::UpdateCommand::Modify),
                        static_cast<unsigned>(conf::UpdateSection::Portgroup), -1,
                        "<portgroup name='web' default='yes'><vlan><tag id='30'/></vlan>"
                        "</portgroup>",
                        driver::UpdateFlags::Live | driver::UpdateFlags::Config);
    REQUIRE(pollUntil([&] { return converged("30"); }));
    CHECK(reconciles(ovs) == before + 1);
    // The driver's port records follow too: a restart keeps the new VLAN.
    auto written = reconciles(ovs);
    driver.reset();
    driver = std::make_unique<Driver>(ovs, dir);
    REQUIRE(pollUntil([&] {
        return driver->backendState().find("ports 21 programmed, 0 pending") != std::string::npos;
    }));
    CHECK(converged("30"));
    CHECK(reconciles(ovs) == written);

    driver->drv->destroy(net);
    CHECK_THROWS(ovs.vsctl({"br-exists", "brdvs"}));
}

TEST_CASE("a port dvsd plugged comes back after a restart over a database that lost it",
          "[ovs][driver]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    // The veth stays out of the host's network namespace.
    ScopedNetworkNamespace netns;
    if (netns.failure()) {
        WARN("running in the host's network namespace: " << *netns.failure());
    }
    OvsSandbox ovs;
    TempDir dir;
    Veth veth(ovs, "dvsrp0");
    if (!veth.ok()) {
        skip("the kernel makes no veth pair here");
        return;
    }
    auto driver = std::make_unique<Driver>(ovs, dir);
    auto net = driver->drv->defineXml(kNetwork, 0);
    driver->drv->start(net);
    auto ref = driver->drv->portCreateXml(net, portXml(1, "db"), 0);
    CHECK(driver->drv->portPlug(ref, "dvsrp0") == "dvsrp0");
    REQUIRE(vsctlGet(ovs, "Port", "dvsrp0", "tag") == "20");

    // The database loses the port while dvsd is down; the restarted dvsd plugs it again from
    // its record, with its VLAN.
    driver.reset();
    ovs.vsctl({"del-port", "brdvs", "dvsrp0"});
    REQUIRE(vsctlGet(ovs, "Port", "dvsrp0", "tag").empty());
    driver = std::make_unique<Driver>(ovs, dir);
    CHECK(pollUntil([&] { return vsctlGet(ovs, "Port", "dvsrp0", "tag") == "20"; }));

    // Unplugged, it stays away, also across a restart.
    driver->drv->portUnplug(ref);
    CHECK(vsctlGet(ovs, "Port", "dvsrp0", "tag").empty());
    driver.reset();
    driver = std::make_unique<Driver>(ovs, dir);
    REQUIRE(pollUntil([&] {
        return driver->backendState().find("ports 1 programmed") != std::string::npos ||
               driver->backendState().find("ports 0 programmed, 1 pending") != std::string::npos;
    }));
    CHECK(vsctlGet(ovs, "Port", "dvsrp0", "tag").empty());
    driver->drv->destroy(net);
}
