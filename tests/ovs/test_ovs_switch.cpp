// SPDX-License-Identifier: LGPL-2.1-or-later
// OvsSwitch against a real ovsdb-server: bridges and uplinks of networks, ports programmed when
// libvirt plugs their Interface, restarts without writes, one transaction per portgroup change,
// and convergence after ovsdb-server is killed.
#include <csignal>

#include <catch2/catch.hpp>

#include "ovs_fixture.h"

using namespace dvs;
using namespace dvs::test;

namespace {

// What libvirt runs to plug a tap (brief §3.1), with the QoS it adds for an inbound limit.
std::vector<std::string> libvirtPlug(const std::string& bridge, const std::string& ifname,
                                     const conf::NetworkPort& port, const std::string& tagArg)
{
    std::vector<std::string> args{"--", "--may-exist", "add-port", bridge, ifname};
    if (!tagArg.empty()) {
        args.push_back(tagArg);
    }
    auto set = [&](const std::string& kv) {
        for (const auto& a : {"--", "set", "Interface"}) {
            args.push_back(a);
        }
        args.push_back(ifname);
        args.push_back(kv);
    };
    set("external-ids:attached-mac=\"" + port.mac.toString() + "\"");
    set("external-ids:iface-id=\"" + port.virtualPort->interfaceId->toString() + "\"");
    set("external-ids:vm-id=\"" + port.ownerUuid.toString() + "\"");
    set("external-ids:iface-status=active");
    return args;
}

std::vector<std::string> libvirtQos(const std::string& ifname, const conf::NetworkPort& port,
                                    const std::string& minRate)
{
    std::string vm = "external-ids:vm-id=\"" + port.ownerUuid.toString() + "\"";
    std::string name = "external-ids:ifname=\"" + ifname + "\"";
    return {"--",
            "set",
            "port",
            ifname,
            "qos=@qos1",
            vm,
            name,
            "--",
            "--id=@qos1",
            "create",
            "qos",
            "type=linux-htb",
            "other_config:min-rate=" + minRate,
            "queues:0=@queue0",
            vm,
            name,
            "--",
            "--id=@queue0",
            "create",
            "queue",
            "other_config:min-rate=" + minRate,
            vm,
            name};
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// A fresh sandbox and a switch on it with the network "vmnet" (bridge brdvs) started.
struct VmnetSwitch
{
    OvsSandbox ovs;
    ovs::OvsSwitch sw{switchOptions(ovs)};
    conf::NetworkDef def = ovsNetwork("vmnet", "brdvs");

    VmnetSwitch() { sw.waitApplied(sw.setNetwork(ovs::bridgeSpecFor(def, "netdev")), kWait); }
};

// How many Port rows have the access VLAN tag.
std::size_t portsTagged(const OvsSandbox& ovs, unsigned tag)
{
    auto out = ovs.vsctl({"--columns=_uuid", "--format=csv", "--no-headings", "find", "Port",
                          "tag=" + std::to_string(tag)});
    return out.empty() ? 0 : static_cast<std::size_t>(std::count(out.begin(), out.end(), '\n')) + 1;
}

} // namespace

TEST_CASE("a network's bridge is created, tagged and removed; an untagged one is only used",
          "[ovs][bridge]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    VmnetSwitch f;
    auto& [ovs, sw, def] = f;
    CHECK(ovs.vsctl({"br-exists", "brdvs"}).empty());
    CHECK(get(ovs, "Bridge", "brdvs", "external_ids:dvs-network") == "vmnet");
    CHECK(get(ovs, "Bridge", "brdvs", "datapath_type") == "netdev");
    CHECK(get(ovs, "Interface", "brdvs", "type") == "internal");
    CHECK(sw.bridgePresent("vmnet"));

    // The same desired state again: nothing is written.
    auto writes = sw.stats().writeTransactions;
    sw.waitApplied(sw.setNetwork(ovs::bridgeSpecFor(def, "netdev")), kWait);
    CHECK(sw.stats().writeTransactions == writes);

    sw.waitApplied(sw.removeNetwork("vmnet"), kWait);
    CHECK(ovs.vsctl({"list-br"}).empty());
    CHECK(rowCount(ovs, "Port") == "0");
    CHECK(rowCount(ovs, "Interface") == "0");

    // A bridge somebody else made: dvsd adds its uplink to it and takes only that away again.
    ovs.vsctl({"add-br", "brold", "--", "add-port", "brold", "other0", "tag=5"});
    auto old = ovsNetwork("old", "brold", "",
                          "<dvs:uplink type='interface'><dvs:interface name='eth9'/></dvs:uplink>");
    sw.waitApplied(sw.setNetwork(ovs::bridgeSpecFor(old, "netdev")), kWait);
    CHECK(ovs.vsctl({"list-ports", "brold"}) == "eth9\nother0");
    CHECK(get(ovs, "Port", "eth9", "external_ids:dvs-uplink") == "old");
    CHECK(vsctlGet(ovs, "Bridge", "brold", "external_ids") == "{}");
    CHECK(get(ovs, "Bridge", "brold", "datapath_type").empty());

    sw.waitApplied(sw.removeNetwork("old"), kWait);
    CHECK(ovs.vsctl({"br-exists", "brold"}).empty());
    CHECK(ovs.vsctl({"list-ports", "brold"}) == "other0");
    CHECK(get(ovs, "Port", "other0", "tag") == "5");
}

TEST_CASE("an OVS bond uplink and the MTU are programmed and corrected", "[ovs][uplink]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    OvsSandbox ovs;
    ovs::OvsSwitch sw(switchOptions(ovs));
    // libvirt refuses <mtu> on bridge-mode networks: the switch's MTU is the uplink's.
    auto def = ovsNetwork("vmnet", "brdvs", "",
                          "<dvs:uplink type='ovs-bond' name='bond0' mode='balance-tcp' "
                          "updelay='200' downdelay='100' mtu='9000'><dvs:lacp mode='active' "
                          "rate='fast'/><dvs:interface name='eno1'/><dvs:interface name='eno2'/>"
                          "</dvs:uplink>");
    auto spec = ovs::bridgeSpecFor(def, "netdev");
    sw.waitApplied(sw.setNetwork(spec), kWait);
    CHECK(ovs.vsctl({"list-ports", "brdvs"}) == "bond0");
    CHECK(ovs.vsctl({"list-ifaces", "brdvs"}) == "eno1\neno2");
    CHECK(get(ovs, "Port", "bond0", "bond_mode") == "balance-tcp");
    CHECK(get(ovs, "Port", "bond0", "lacp") == "active");
    CHECK(get(ovs, "Port", "bond0", "other_config:lacp-time") == "fast");
    CHECK(get(ovs, "Port", "bond0", "bond_updelay") == "200");
    CHECK(get(ovs, "Port", "bond0", "bond_downdelay") == "100");
    CHECK(get(ovs, "Port", "bond0", "external_ids:dvs-uplink") == "vmnet");
    CHECK(get(ovs, "Interface", "eno1", "mtu_request") == "9000");
    CHECK(get(ovs, "Interface", "brdvs", "mtu_request") == "9000");

    // Another writer's key on the bond survives our corrections.
    ovs.vsctl({"set", "Port", "bond0", "other_config:bond-rebalance-interval=5000"});
    auto changed =
        ovsNetwork("vmnet", "brdvs", "",
                   "<dvs:uplink type='ovs-bond' name='bond0' mode='active-backup'>"
                   "<dvs:interface name='eno1'/><dvs:interface name='eno3'/></dvs:uplink>");
    auto writes = sw.stats().writeTransactions;
    auto changedSpec = ovs::bridgeSpecFor(changed, "netdev");
    changedSpec.mtu = 1500;
    sw.waitApplied(sw.setNetwork(changedSpec), kWait);
    CHECK(sw.stats().writeTransactions == writes + 1);
    CHECK(ovs.vsctl({"list-ifaces", "brdvs"}) == "eno1\neno3");
    CHECK(get(ovs, "Port", "bond0", "bond_mode") == "active-backup");
    CHECK(get(ovs, "Port", "bond0", "lacp") == "[]");
    CHECK(get(ovs, "Port", "bond0", "other_config:lacp-time").empty());
    CHECK(get(ovs, "Port", "bond0", "other_config:bond-rebalance-interval") == "5000");
    CHECK(get(ovs, "Port", "bond0", "bond_updelay") == "0");
    CHECK(get(ovs, "Interface", "eno3", "mtu_request") == "1500");
    CHECK(get(ovs, "Interface", "eno2", "name").empty());

    // A single-interface uplink replaces the bond.
    auto single = ovsNetwork("vmnet", "brdvs", "",
                             "<dvs:uplink type='interface'><dvs:interface name='eno4'/>"
                             "</dvs:uplink>");
    sw.waitApplied(sw.setNetwork(ovs::bridgeSpecFor(single, "netdev")), kWait);
    CHECK(ovs.vsctl({"list-ports", "brdvs"}) == "eno4");
    CHECK(get(ovs, "Port", "eno4", "bond_mode") == "[]");
    CHECK(get(ovs, "Port", "eno4", "external_ids:dvs-uplink") == "vmnet");
}

TEST_CASE("a port is programmed when libvirt plugs it, libvirt's QoS rows are adopted, and a "
          "restart writes nothing",
          "[ovs][port]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    OvsSandbox ovs;
    auto def = ovsNetwork("vmnet", "brdvs");
    auto port = ovsPort(1);
    port.vlan = accessVlan(10);
    port.bandwidth.in = conf::BandwidthRate{1000, 2000, 0, 512};
    port.bandwidth.out = conf::BandwidthRate{500, 0, 0, 256};
    auto spec = ovs::portSpecFor(def, port);
    {
        ovs::OvsSwitch sw(switchOptions(ovs));
        sw.waitApplied(sw.setNetwork(ovs::bridgeSpecFor(def, "netdev")), kWait);
        sw.waitApplied(sw.setPort(spec), kWait);
        CHECK(sw.networkState("vmnet").portsPending == 1);
        // A port of somebody else on the bridge is never touched.
        ovs.vsctl({"add-port", "brdvs", "other1", "tag=5"});

        // libvirt plugs the tap with an old tag and its own QoS rows with a stale rate.
        ovs.vsctl(concat(libvirtPlug("brdvs", "vnet0", port, "tag=99"),
                         libvirtQos("vnet0", port, "1000")));
        REQUIRE(pollUntil([&] {
            return get(ovs, "QoS", get(ovs, "Port", "vnet0", "qos"), "other_config:max-rate") ==
                       "16000000" &&
                   get(ovs, "Port", "vnet0", "tag") == "10";
        }));
        REQUIRE(pollUntil([&] { return sw.networkState("vmnet").portsProgrammed == 1; }));
        CHECK(sw.networkState("vmnet").portsPending == 0);
    }
    // libvirt's rows were adopted: still one QoS and one Queue, with libvirt's units.
    CHECK(rowCount(ovs, "QoS") == "1");
    CHECK(rowCount(ovs, "Queue") == "1");
    auto qos = get(ovs, "Port", "vnet0", "qos");
    CHECK(get(ovs, "QoS", qos, "type") == "linux-htb");
    CHECK(get(ovs, "QoS", qos, "other_config:min-rate") == "8000000");
    CHECK(get(ovs, "QoS", qos, "other_config:burst") == "4194304");
    CHECK(get(ovs, "QoS", qos, "external_ids:vm-id") == port.ownerUuid.toString());
    CHECK(get(ovs, "QoS", qos, "external_ids:ifname") == "vnet0");
    CHECK(get(ovs, "QoS", qos, "external_ids:dvs-port") == port.uuid.toString());
    auto queue = get(ovs, "QoS", qos, "queues:0");
    CHECK(get(ovs, "Queue", queue, "other_config:min-rate") == "8000000");
    CHECK(get(ovs, "Queue", queue, "other_config:max-rate") == "16000000");
    CHECK(get(ovs, "Interface", "vnet0", "ingress_policing_rate") == "4000");
    CHECK(get(ovs, "Interface", "vnet0", "ingress_policing_burst") == "2048");
    CHECK(get(ovs, "Interface", "vnet0", "external_ids:iface-status") == "active");
    CHECK(get(ovs, "Interface", "vnet0", "external_ids:attached-mac") == port.mac.toString());
    CHECK(get(ovs, "Port", "vnet0", "external_ids:vm-id") == port.ownerUuid.toString());
    CHECK(get(ovs, "Port", "vnet0", "external_ids:ifname") == "vnet0");
    CHECK(get(ovs, "Port", "other1", "tag") == "5");
    CHECK(vsctlGet(ovs, "Port", "other1", "external_ids") == "{}");

    // dvsd restarts with the same desired state: no write at all.
    {
        ovs::OvsSwitch sw(switchOptions(ovs));
        sw.setNetwork(ovs::bridgeSpecFor(def, "netdev"));
        sw.waitApplied(sw.setPort(spec), kWait);
        CHECK(sw.stats().writeTransactions == 0);
        CHECK(sw.stats().reconciles >= 1);
        CHECK(sw.networkState("vmnet").portsProgrammed == 1);
    }

    // Without an inbound limit the QoS goes, and policing is switched off.
    {
        ovs::OvsSwitch sw(switchOptions(ovs));
        spec.bandwidth = {};
        sw.setNetwork(ovs::bridgeSpecFor(def, "netdev"));
        sw.waitApplied(sw.setPort(spec), kWait);
        CHECK(sw.stats().writeTransactions == 1);
        CHECK(get(ovs, "Port", "vnet0", "qos") == "[]");
        CHECK(rowCount(ovs, "QoS") == "0");
        CHECK(rowCount(ovs, "Queue") == "0");
        CHECK(get(ovs, "Interface", "vnet0", "ingress_policing_rate") == "0");
    }
}

TEST_CASE("libvirt's QoS rows win when libvirt sets them after dvsd programmed the port",
          "[ovs][port]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    VmnetSwitch f;
    auto& [ovs, sw, def] = f;
    auto port = ovsPort(2);
    port.bandwidth.in = conf::BandwidthRate{1000, 0, 0, 0};
    sw.waitApplied(sw.setPort(ovs::portSpecFor(def, port)), kWait);

    // libvirt's first step: the plug. dvsd gives the port a QoS of its own.
    ovs.vsctl(libvirtPlug("brdvs", "vnet2", port, ""));
    REQUIRE(pollUntil([&] { return get(ovs, "Port", "vnet2", "qos") != "[]"; }));
    auto ours = get(ovs, "Port", "vnet2", "qos");
    // libvirt's second step: its own QoS and Queue, set on the port.
    auto created = ovs.vsctl(libvirtQos("vnet2", port, "8000000"));
    auto libvirts = created.substr(0, created.find('\n'));
    REQUIRE(libvirts != ours);
    REQUIRE(pollUntil([&] {
        return get(ovs, "QoS", libvirts, "external_ids:dvs-port") == port.uuid.toString() &&
               rowCount(ovs, "QoS") == "1" && rowCount(ovs, "Queue") == "1";
    }));
    CHECK(get(ovs, "Port", "vnet2", "qos") == libvirts);
    CHECK(get(ovs, "QoS", ours, "type").empty());
}

TEST_CASE("a portgroup change moves every live port in one transaction", "[ovs][portgroup]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    VmnetSwitch f;
    auto& [ovs, sw, def] = f;
    constexpr int kPorts = 100;
    std::vector<conf::NetworkPort> ports;
    std::vector<std::string> plug;
    for (int i = 0; i < kPorts; ++i) {
        ports.push_back(ovsPort(i, "web"));
        ports.back().vlan = accessVlan(10);
        sw.setPort(ovs::portSpecFor(def, ports.back()));
        plug = concat(plug, libvirtPlug("brdvs", "vnet" + std::to_string(i), ports.back(), ""));
    }
    ovs.vsctl(plug);
    REQUIRE(pollUntil([&] { return sw.networkState("vmnet").portsProgrammed == kPorts; }));
    REQUIRE(pollUntil([&] { return portsTagged(ovs, 10) == kPorts; }));

    auto writes = sw.stats().writeTransactions;
    std::vector<ovs::PortSpec> moved;
    for (auto& port : ports) {
        port.vlan = accessVlan(20);
        port.bandwidth.in = conf::BandwidthRate{100, 0, 0, 0};
        moved.push_back(ovs::portSpecFor(def, port));
    }
    sw.waitApplied(sw.setNetworkAndPorts(ovs::bridgeSpecFor(def, "netdev"), moved), kWait);
    CHECK(sw.stats().writeTransactions == writes + 1);
    CHECK(portsTagged(ovs, 20) == kPorts);
    CHECK(portsTagged(ovs, 10) == 0);
    CHECK(rowCount(ovs, "QoS") == std::to_string(kPorts));
}

TEST_CASE("ports attached during a storm in which ovsdb-server is killed all end up programmed",
          "[ovs][faults]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    VmnetSwitch f;
    auto& [ovs, sw, def] = f;
    constexpr int kPorts = 200;
    std::vector<conf::NetworkPort> ports;
    std::vector<std::string> plug;
    for (int i = 0; i < kPorts; ++i) {
        ports.push_back(ovsPort(i));
        ports.back().vlan = accessVlan(30);
        plug = concat(plug, libvirtPlug("brdvs", "vnet" + std::to_string(i), ports.back(), ""));
    }
    ovs.vsctl(plug);
    for (int i = 0; i < kPorts; ++i) {
        sw.setPort(ovs::portSpecFor(def, ports[i]));
        if (i == 50) {
            ovs.killServer(SIGKILL);
        } else if (i == 150) {
            ovs.startServer();
        }
    }
    REQUIRE(pollUntil([&] { return sw.networkState("vmnet").portsProgrammed == kPorts; },
                      std::chrono::seconds(30)));
    REQUIRE(pollUntil([&] { return portsTagged(ovs, 30) == kPorts; }));
    CHECK(sw.networkState("vmnet").portsPending == 0);
    CHECK(sw.stats().failures + sw.stats().writeTransactions >= 1);
}

TEST_CASE("ports dvsd plugs itself get libvirt's rows, and unplugging removes them", "[ovs][plug]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    VmnetSwitch f;
    auto& [ovs, sw, def] = f;
    auto port = ovsPort(7);
    port.vlan.tags = {10, 20};
    port.vlan.trunk = true;
    port.vlan.nativeMode = conf::VlanNativeMode::Untagged;
    port.vlan.nativeTag = 10;
    port.bandwidth.in = conf::BandwidthRate{1000, 0, 0, 0};
    auto spec = ovs::portSpecFor(def, port);
    spec.plugIfname = "veth7";
    sw.waitApplied(sw.setPort(spec), kWait);
    CHECK(sw.conflict(port.uuid).empty());
    CHECK(ovs.vsctl({"list-ports", "brdvs"}) == "veth7");
    CHECK(get(ovs, "Port", "veth7", "external_ids:dvs-plugged") == port.uuid.toString());
    CHECK(get(ovs, "Port", "veth7", "trunks") == "[10, 20]");
    CHECK(get(ovs, "Port", "veth7", "tag") == "10");
    CHECK(get(ovs, "Port", "veth7", "vlan_mode") == "native-untagged");
    CHECK(get(ovs, "Interface", "veth7", "external_ids:iface-id") ==
          port.virtualPort->interfaceId->toString());
    CHECK(get(ovs, "Interface", "veth7", "external_ids:vm-id") == port.ownerUuid.toString());
    CHECK(get(ovs, "Interface", "veth7", "external_ids:attached-mac") == port.mac.toString());
    CHECK(rowCount(ovs, "QoS") == "1");
    CHECK(sw.networkState("vmnet").portsProgrammed == 1);
    // Posted again without a device (a re-attach, a net-update), the port keeps its plug.
    sw.waitApplied(sw.setPort(ovs::portSpecFor(def, port)), kWait);
    sw.waitApplied(sw.setPorts({ovs::portSpecFor(def, port)}), kWait);
    CHECK(ovs.vsctl({"list-ports", "brdvs"}) == "veth7");

    // A device that is already somebody else's port is refused.
    ovs.vsctl({"add-port", "brdvs", "taken0"});
    auto other = ovsPort(8);
    auto otherSpec = ovs::portSpecFor(def, other);
    otherSpec.plugIfname = "taken0";
    sw.waitApplied(sw.setPort(otherSpec), kWait);
    CHECK_THAT(sw.conflict(other.uuid), Catch::Contains("taken0"));
    sw.removePort(other.uuid);

    sw.waitApplied(sw.unplugPort(port.uuid), kWait);
    CHECK(ovs.vsctl({"list-ports", "brdvs"}) == "taken0");
    CHECK(get(ovs, "Interface", "veth7", "name").empty());
    CHECK(rowCount(ovs, "QoS") == "0");
    CHECK(rowCount(ovs, "Queue") == "0");
    CHECK(sw.networkState("vmnet").portsPending == 1);
}

TEST_CASE("an unreachable or unusable remote gives a clear error", "[ovs][errors]")
{
    TempDir dir;
    ovs::OvsSwitchOptions options;
    options.remote = "unix:" + (dir.path() / "missing.sock").string();
    ovs::OvsSwitch sw(options);
    auto def = ovsNetwork("vmnet", "brdvs");
    try {
        sw.waitApplied(sw.setNetwork(ovs::bridgeSpecFor(def, "netdev")), kWait);
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::OperationFailed);
        CHECK_THAT(e.message(), Catch::Contains(options.remote));
    }
    for (const char* bad : {"ssl:127.0.0.1:6640", "tcp:nowhere", "db.sock"}) {
        ovs::OvsSwitchOptions badOptions;
        badOptions.remote = bad;
        try {
            ovs::OvsSwitch unusable(badOptions);
            FAIL("accepted " << bad);
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::ConfSyntax);
            CHECK_THAT(e.message(), Catch::Contains(bad));
        }
    }
}

TEST_CASE("waiting fails at once while the database is away, and the change is applied when it "
          "is back",
          "[ovs][errors]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    VmnetSwitch f;
    auto& [ovs, sw, def] = f;
    ovs.killServer(SIGKILL);
    REQUIRE(pollUntil([&] { return !sw.ready(); }));
    auto other = ovsNetwork("other", "brother");
    try {
        // A caller on dvsd's main loop must not sit out the whole timeout.
        sw.waitApplied(sw.setNetwork(ovs::bridgeSpecFor(other, "netdev")),
                       std::chrono::minutes(10));
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::OperationFailed);
        CHECK_THAT(e.message(), Catch::Contains(ovs.unixRemote()));
        CHECK_THAT(e.message(), !Catch::Contains("no answer within"));
    }
    ovs.startServer();
    REQUIRE(pollUntil([&] { return sw.bridgePresent("other"); }));
    CHECK(ovs.vsctl({"br-exists", "brother"}).empty());
}

TEST_CASE("the switch's MTU comes from the dvs: uplink", "[ovs][desired]")
{
    auto def = ovsNetwork("jumbo", "brjumbo", "",
                          "<dvs:uplink type='ovs-bond' name='bond0' mtu='9000'>"
                          "<dvs:interface name='eno1'/><dvs:interface name='eno2'/></dvs:uplink>");
    auto spec = ovs::bridgeSpecFor(def, "netdev");
    CHECK(spec.mtu == 9000u);
    REQUIRE(spec.uplink);
    CHECK(spec.uplink->interfaces == std::vector<std::string>{"eno1", "eno2"});

    auto plain = ovsNetwork("plain", "brplain");
    CHECK(ovs::bridgeSpecFor(plain, "netdev").mtu == 0u);
}

TEST_CASE("on a clustered database a restart starts from the replica cache and writes nothing",
          "[ovs][restart]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    OvsSandbox ovs({.clustered = true});
    TempDir dir;
    auto options = switchOptions(ovs);
    options.replicaCache = dir.path() / "ovsdb-replica.json";
    auto def = ovsNetwork("vmnet", "brdvs");
    std::vector<ovs::PortSpec> specs;
    for (int i = 0; i < 30; ++i) {
        auto port = ovsPort(i);
        port.vlan = accessVlan(10);
        port.bandwidth.in = conf::BandwidthRate{1000, 0, 0, 0};
        auto spec = ovs::portSpecFor(def, port);
        spec.plugIfname = fmt::format("tap{}", i);
        specs.push_back(spec);
    }
    {
        ovs::OvsSwitch sw(options);
        sw.waitApplied(sw.setNetworkAndPorts(ovs::bridgeSpecFor(def, "netdev"), specs), kWait);
        CHECK(sw.stats().cacheLoads == 0);
        CHECK(sw.networkState("vmnet").portsProgrammed == 30);
    }
    REQUIRE(std::filesystem::exists(options.replicaCache));

    // Nothing changed: the server sends nothing, and nothing is written.
    {
        ovs::OvsSwitch sw(options);
        sw.waitApplied(sw.setNetworkAndPorts(ovs::bridgeSpecFor(def, "netdev"), specs), kWait);
        CHECK(sw.stats().cacheLoads == 1);
        CHECK(sw.stats().snapshots == 0);
        CHECK(sw.stats().writeTransactions == 0);
        CHECK(sw.networkState("vmnet").portsProgrammed == 30);
    }

    // A change while dvsd was away is seen (from the history or a full download, as the server
    // can) and undone.
    ovs.vsctl({"set", "Port", "tap3", "tag=99"});
    {
        ovs::OvsSwitch sw(options);
        sw.waitApplied(sw.setNetworkAndPorts(ovs::bridgeSpecFor(def, "netdev"), specs), kWait);
        CHECK(sw.stats().cacheLoads == 1);
        CHECK(sw.stats().writeTransactions == 1);
        CHECK(get(ovs, "Port", "tap3", "tag") == "10");
    }
}
