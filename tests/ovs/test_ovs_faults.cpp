// SPDX-License-Identifier: LGPL-2.1-or-later
// ovs-vswitchd killed with SIGKILL in the middle of a port storm and started again (the fault
// matrix of docs/reliability.md): no port is lost, duplicated or left unprogrammed, in the
// database and in the datapath.
#include <csignal>

#include <catch2/catch.hpp>

#include "netns.h"
#include "ovs_fixture.h"
#include "vswitchd_sandbox.h"

using namespace dvs;
using namespace dvs::test;

namespace {

// How many rows of table match the condition (ovs-vsctl find).
std::size_t countWhere(const OvsSandbox& ovs, const std::string& table, const std::string& cond)
{
    auto out = ovs.vsctl({"--columns=_uuid", "--format=csv", "--no-headings", "find", table, cond});
    return out.empty() ? 0 : static_cast<std::size_t>(std::count(out.begin(), out.end(), '\n')) + 1;
}

// Interfaces of the storm (vnet*) that ovs-vswitchd has in its datapath: an OpenFlow port number.
std::size_t inDatapath(const OvsSandbox& ovs, int ports)
{
    std::size_t n = 0;
    for (int i = 0; i < ports; ++i) {
        auto ofport = vsctlGet(ovs, "Interface", "vnet" + std::to_string(i), "ofport");
        if (!ofport.empty() && ofport != "-1" && ofport != "[]") {
            ++n;
        }
    }
    return n;
}

} // namespace

TEST_CASE("ports attached during a storm in which ovs-vswitchd is killed and restarted all end "
          "up programmed, once, in the database and the datapath",
          "[ovs][faults]")
{
    auto vswitchd = VswitchdSandbox::start();
    if (!vswitchd) {
        return;
    }
    OvsSandbox& ovs = *vswitchd->ovs;
    ovs::OvsSwitch sw{switchOptions(ovs)};
    auto def = ovsNetwork("vmnet", "brdvs");
    sw.waitApplied(sw.setNetwork(ovs::bridgeSpecFor(def, "netdev")), kWait);

    constexpr int kPorts = 60;
    auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < kPorts; ++i) {
        auto port = ovsPort(i);
        port.vlan = accessVlan(40);
        auto ifname = "vnet" + std::to_string(i);
        // libvirt's plug of a tap; an internal interface stands in for the tap in the userspace
        // datapath. Plugs go on while vswitchd is down: only the database takes them.
        ovs.vsctl({"--", "--may-exist", "add-port", "brdvs", ifname, "--", "set", "Interface",
                   ifname, "type=internal",
                   "external-ids:iface-id=\"" + port.virtualPort->interfaceId->toString() + "\"",
                   "external-ids:attached-mac=\"" + port.mac.toString() + "\"",
                   "external-ids:vm-id=\"" + port.ownerUuid.toString() + "\"",
                   "external-ids:iface-status=active"});
        sw.setPort(ovs::portSpecFor(def, port));
        if (i == 20) {
            ovs.killVswitchd(SIGKILL);
        } else if (i == 40) {
            ovs.startVswitchd();
        }
    }
    REQUIRE(pollUntil([&] { return sw.networkState("vmnet").portsProgrammed == kPorts; },
                      std::chrono::seconds(30)));
    REQUIRE(pollUntil([&] { return countWhere(ovs, "Port", "tag=40") == kPorts; }));
    REQUIRE(pollUntil([&] { return inDatapath(ovs, kPorts) == kPorts; }, std::chrono::seconds(30)));
    auto converged = std::chrono::steady_clock::now() - started;
    CHECK(sw.networkState("vmnet").portsPending == 0);
    // Nothing duplicated: one Port and one Interface per plug, and the bridge once.
    CHECK(countWhere(ovs, "Port", "tag=40") == kPorts);
    CHECK(rowCount(ovs, "Interface") == std::to_string(kPorts + 1));
    CHECK(rowCount(ovs, "Bridge") == "1");
    // Figures for docs/reliability.md (printed, not asserted).
    WARN("converged " << std::chrono::duration_cast<std::chrono::milliseconds>(converged).count()
                      << " ms after the storm started");
}
