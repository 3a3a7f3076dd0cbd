// SPDX-License-Identifier: LGPL-2.1-or-later
// ovs::plan() over the replica of a real ovsdb-server, on rows made the way libvirt and
// ovs-vsctl make them: what its indexes find (Interfaces by iface-id, the Port of an Interface,
// the QoS of a Port and how many Ports share it, queue 0 of a QoS, the Ports dvsd plugged for a
// port, the uplinks of a network) and what they must not find.
#include <catch2/catch.hpp>

#include "ovs/planner.h"
#include "ovs_fixture.h"
#include "ovsdb/client.h"
#include "ovsdb/vswitch.h"

using namespace dvs;
using namespace dvs::test;

namespace {

constexpr auto kWait = std::chrono::seconds(20);

// A sandbox with the bridge brdvs (not dvsd's), and a client whose replica the planner reads.
struct PlannerFixture
{
    OvsSandbox ovs;
    std::unique_ptr<ovsdb::Client> client;

    PlannerFixture()
    {
        ovs.vsctl({"add-br", "brdvs"});
        ovsdb::ClientOptions options;
        options.connection.remotes = {ovs.unixRemote()};
        options.monitor = ovs::monitoredColumns();
        client = std::make_unique<ovsdb::Client>(nullptr, options);
        client->start();
        REQUIRE(runUntil([&] { return client->state() == ovsdb::ClientState::Ready; }, kWait));
    }

    // Waits until the replica has what ovs-vsctl wrote last (its rows of that table).
    void sync(std::string_view table, std::size_t rows)
    {
        REQUIRE(runUntil([&] { return client->replica().rows(table).size() == rows; }, kWait));
    }

    // The operations of one pass over the replica as it is, without writing them.
    ovsdb::Json plan(const ovs::DesiredState& desired, ovs::PlanReport& report)
    {
        ovsdb::Transaction txn(client->replica(), "test");
        ovs::plan(desired, txn, report);
        return txn.operations();
    }
    ovsdb::Json plan(const ovs::DesiredState& desired)
    {
        ovs::PlanReport report;
        return plan(desired, report);
    }

    // One pass, committed; returns once the replica has the result.
    ovs::PlanReport apply(const ovs::DesiredState& desired)
    {
        ovs::PlanReport report;
        std::optional<ovsdb::Result<ovsdb::TxnResult>> outcome;
        auto seqno = client->replica().seqno();
        client->transact(
            "test",
            [&](ovsdb::Transaction& txn) {
                report = {};
                ovs::plan(desired, txn, report);
            },
            [&](ovsdb::Result<ovsdb::TxnResult> result) { outcome = std::move(result); });
        REQUIRE(runUntil([&] { return outcome.has_value(); }, kWait));
        REQUIRE(outcome->ok());
        if (outcome->value().status == ovsdb::TxnResult::Status::Success) {
            REQUIRE(runUntil([&] { return client->replica().seqno() != seqno; }, kWait));
        }
        return report;
    }
};

// A port on brdvs as the driver resolves it: an access VLAN, a MAC, an owner, no plug.
ovs::PortSpec portSpec(int n, unsigned tag = 10)
{
    ovs::PortSpec spec;
    spec.port = util::Uuid::generate();
    spec.network = "vmnet";
    spec.bridge = "brdvs";
    spec.interfaceId = util::Uuid::generate();
    spec.mac = *util::MacAddr::parse(fmt::format("52:54:00:00:00:{:02x}", n));
    spec.owner = util::Uuid::generate();
    spec.vlan = accessVlan(tag);
    return spec;
}

ovs::DesiredState desiredWith(std::initializer_list<ovs::PortSpec> ports)
{
    ovs::DesiredState desired;
    for (const auto& spec : ports) {
        desired.ports.emplace(spec.port, spec);
    }
    return desired;
}

// ovs-vsctl arguments that plug ifname as libvirt does, for the port's interfaceid.
std::vector<std::string> plugArgs(const std::string& ifname, const ovs::PortSpec& spec)
{
    return {"--",
            "add-port",
            "brdvs",
            ifname,
            "--",
            "set",
            "Interface",
            ifname,
            "external-ids:iface-id=\"" + spec.interfaceId.toString() + "\"",
            "external-ids:vm-id=\"" + spec.owner.toString() + "\""};
}

std::size_t count(const std::string& text, const std::string& what)
{
    std::size_t n = 0;
    for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) {
        ++n;
    }
    return n;
}

} // namespace

TEST_CASE("every Interface with the port's iface-id is programmed, whatever Port holds it",
          "[ovs][planner]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    PlannerFixture f;
    auto spec = portSpec(1);
    auto other = portSpec(2);
    // Two taps with the same iface-id, and a bond whose second member has another port's.
    f.ovs.vsctl(plugArgs("tap1", spec));
    f.ovs.vsctl(plugArgs("tap2", spec));
    f.ovs.vsctl({"add-bond", "brdvs", "bond0", "m0", "m1", "--", "set", "Interface", "m1",
                 "external-ids:iface-id=\"" + other.interfaceId.toString() + "\""});
    f.sync(ovsdb::vswitch::Interface::kTable, 5);

    auto desired = desiredWith({spec, other});
    auto report = f.apply(desired);
    CHECK(report.programmed["vmnet"] == 2);
    CHECK(report.pending.empty());
    CHECK(report.portsWritten == 2);
    CHECK(get(f.ovs, "Port", "tap1", "tag") == "10");
    CHECK(get(f.ovs, "Port", "tap2", "tag") == "10");
    CHECK(get(f.ovs, "Port", "bond0", "tag") == "10");
    CHECK(get(f.ovs, "Port", "tap1", "external_ids:dvs-port") == spec.port.toString());
    CHECK(get(f.ovs, "Port", "tap2", "external_ids:dvs-port") == spec.port.toString());
    CHECK(get(f.ovs, "Port", "bond0", "external_ids:dvs-port") == other.port.toString());
    CHECK(get(f.ovs, "Interface", "m1", "external_ids:attached-mac") == other.mac.toString());
    CHECK(get(f.ovs, "Interface", "m0", "external_ids:attached-mac").empty());

    // Once programmed, a pass finds everything in place.
    CHECK(f.plan(desired).empty());

    // A port whose iface-id no Interface carries is pending; nothing is written for it.
    auto pending = portSpec(3);
    ovs::PlanReport again;
    CHECK(f.plan(desiredWith({spec, other, pending}), again).empty());
    CHECK(again.pending["vmnet"] == 1);
    CHECK(again.programmed["vmnet"] == 2);
}

TEST_CASE("a QoS shared by two Ports is never adopted; a Port's own is, and gets a queue 0",
          "[ovs][planner]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    PlannerFixture f;
    auto shared = portSpec(1);
    auto own = portSpec(2);
    shared.bandwidth.in = conf::BandwidthRate{1000, 0, 0, 0};
    own.bandwidth.in = conf::BandwidthRate{2000, 0, 0, 0};
    f.ovs.vsctl(plugArgs("tap1", shared));
    f.ovs.vsctl({"add-port", "brdvs", "tap9"});
    f.ovs.vsctl(plugArgs("tap2", own));
    // tap1 and tap9 share one QoS; tap2 has its own, whose only queue is number 1.
    f.ovs.vsctl({"--", "set", "Port", "tap1", "qos=@q", "--", "set", "Port", "tap9", "qos=@q", "--",
                 "--id=@q", "create", "QoS", "type=linux-htb"});
    f.ovs.vsctl({"--", "set", "Port", "tap2", "qos=@q", "--", "--id=@q", "create", "QoS",
                 "type=linux-htb", "queues:1=@u", "--", "--id=@u", "create", "Queue",
                 "other_config:min-rate=1"});
    f.sync(ovsdb::vswitch::QoS::kTable, 2);
    f.sync(ovsdb::vswitch::Queue::kTable, 1);
    auto sharedQos = f.ovs.vsctl({"get", "Port", "tap9", "qos"});
    auto ownQos = f.ovs.vsctl({"get", "Port", "tap2", "qos"});

    auto desired = desiredWith({shared, own});
    f.apply(desired);
    // tap1 got a QoS of its own; the shared one stays with tap9, untouched.
    CHECK(f.ovs.vsctl({"get", "Port", "tap9", "qos"}) == sharedQos);
    CHECK(f.ovs.vsctl({"get", "Port", "tap1", "qos"}) != sharedQos);
    CHECK(get(f.ovs, "QoS", sharedQos, "external_ids:dvs-port").empty());
    CHECK(get(f.ovs, "QoS", sharedQos, "other_config") == "{}");
    auto tap1Qos = f.ovs.vsctl({"get", "Port", "tap1", "qos"});
    CHECK(get(f.ovs, "QoS", tap1Qos, "external_ids:dvs-port") == shared.port.toString());
    CHECK(get(f.ovs, "QoS", tap1Qos, "other_config:min-rate") == "8000000");
    // tap2's QoS is adopted: tagged, its rate set, and a queue 0 added beside queue 1.
    CHECK(f.ovs.vsctl({"get", "Port", "tap2", "qos"}) == ownQos);
    CHECK(get(f.ovs, "QoS", ownQos, "external_ids:dvs-port") == own.port.toString());
    CHECK(get(f.ovs, "QoS", ownQos, "other_config:min-rate") == "16000000");
    auto queue0 = f.ovs.vsctl({"get", "QoS", ownQos, "queues:0"});
    auto queue1 = f.ovs.vsctl({"get", "QoS", ownQos, "queues:1"});
    CHECK(get(f.ovs, "Queue", queue0, "other_config:min-rate") == "16000000");
    CHECK(get(f.ovs, "Queue", queue1, "other_config:min-rate") == "1");
    CHECK(f.plan(desired).empty());

    // Without an inbound limit, tap2 loses the QoS made for it (and its queues); the shared
    // one, made for no port of ours, stays where it is.
    own.bandwidth.in.reset();
    shared.bandwidth.in.reset();
    desired = desiredWith({shared, own});
    f.apply(desired);
    CHECK(f.ovs.vsctl({"get", "Port", "tap2", "qos"}) == "[]");
    CHECK(f.ovs.vsctl({"get", "Port", "tap1", "qos"}) == "[]");
    CHECK(f.ovs.vsctl({"get", "Port", "tap9", "qos"}) == sharedQos);
    CHECK(rowCount(f.ovs, "QoS") == "1");
    CHECK(rowCount(f.ovs, "Queue") == "0");
    CHECK(f.plan(desired).empty());
}

TEST_CASE("libvirt's unreferenced QoS is adopted only by the port of its vm-id and ifname",
          "[ovs][planner]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    PlannerFixture f;
    auto spec = portSpec(1);
    spec.bandwidth.in = conf::BandwidthRate{1000, 0, 0, 0};
    f.ovs.vsctl(plugArgs("tap1", spec));
    std::string vmId = "external-ids:vm-id=\"" + spec.owner.toString() + "\"";
    // libvirt's rows for tap1, and for another device of the same domain: no Port has either.
    auto mine = f.ovs.vsctl({"create", "QoS", "type=linux-htb", vmId, "external-ids:ifname=tap1"});
    auto theirs =
        f.ovs.vsctl({"create", "QoS", "type=linux-htb", vmId, "external-ids:ifname=tap2"});
    f.sync(ovsdb::vswitch::QoS::kTable, 2);

    auto desired = desiredWith({spec});
    f.apply(desired);
    CHECK(f.ovs.vsctl({"get", "Port", "tap1", "qos"}) == mine);
    CHECK(get(f.ovs, "QoS", mine, "external_ids:dvs-port") == spec.port.toString());
    CHECK(get(f.ovs, "QoS", theirs, "external_ids:dvs-port").empty());
    CHECK(get(f.ovs, "QoS", theirs, "type") == "linux-htb");
    CHECK(rowCount(f.ovs, "QoS") == "2");
    CHECK(f.plan(desired).empty());
}

TEST_CASE("unplugging removes the Ports dvsd plugged for that port only, from their bridge",
          "[ovs][planner]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    PlannerFixture f;
    f.ovs.vsctl({"add-br", "brother"});
    auto a = portSpec(1);
    auto b = portSpec(2);
    a.plugIfname = "veth1";
    b.plugIfname = "veth2";
    a.bandwidth.in = conf::BandwidthRate{1000, 0, 0, 0};
    b.bandwidth.in = conf::BandwidthRate{1000, 0, 0, 0};
    auto desired = desiredWith({a, b});
    auto report = f.apply(desired);
    CHECK(report.portsWritten == 2);
    CHECK(f.ovs.vsctl({"list-ports", "brdvs"}) == "veth1\nveth2");
    CHECK(rowCount(f.ovs, "QoS") == "2");
    // A Port of another bridge tagged for port a too (as after a bridge was renamed).
    f.ovs.vsctl({"add-port", "brother", "stale1", "--", "set", "Port", "stale1",
                 "external-ids:dvs-plugged=" + a.port.toString()});
    f.sync(ovsdb::vswitch::Port::kTable, 5);
    CHECK(f.plan(desired).empty());

    desired.unplugs[a.port] = 1;
    report = f.apply(desired);
    CHECK(f.ovs.vsctl({"list-ports", "brdvs"}) == "veth2");
    CHECK(f.ovs.vsctl({"list-ports", "brother"}).empty());
    CHECK(get(f.ovs, "Interface", "veth1", "name").empty());
    CHECK(get(f.ovs, "Port", "veth2", "external_ids:dvs-plugged") == b.port.toString());
    CHECK(rowCount(f.ovs, "QoS") == "1");
    CHECK(rowCount(f.ovs, "Queue") == "1");
    CHECK(report.programmed["vmnet"] == 1);
    CHECK(f.plan(desired).empty());
}

TEST_CASE("a network's stale uplink goes, another network's stays", "[ovs][planner]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    PlannerFixture f;
    f.ovs.vsctl({"add-port", "brdvs", "eth0", "--", "set", "Port", "eth0",
                 "external-ids:dvs-uplink=vmnet"});
    f.ovs.vsctl({"add-port", "brdvs", "eth5", "--", "set", "Port", "eth5",
                 "external-ids:dvs-uplink=other"});
    f.sync(ovsdb::vswitch::Port::kTable, 3);
    ovs::BridgeSpec bridge;
    bridge.network = "vmnet";
    bridge.name = "brdvs";
    conf::Uplink uplink;
    uplink.interfaces = {"eth0"};
    bridge.uplink = uplink;
    ovs::DesiredState desired;
    desired.bridges.emplace("vmnet", bridge);

    // The uplink in place is the one wanted: nothing to do.
    CHECK(f.plan(desired).empty());

    desired.bridges["vmnet"].uplink->interfaces = {"eth1"};
    auto operations = f.plan(desired).dump();
    CHECK(count(operations, "\"delete\"") == 3); // eth0's Port and Interface, and its removal
    f.apply(desired);
    CHECK(f.ovs.vsctl({"list-ports", "brdvs"}) == "eth1\neth5");
    CHECK(get(f.ovs, "Port", "eth1", "external_ids:dvs-uplink") == "vmnet");
    CHECK(get(f.ovs, "Port", "eth5", "external_ids:dvs-uplink") == "other");
    CHECK(f.plan(desired).empty());
}

TEST_CASE("only the QoS and Queue rows dvsd tagged and nothing references are collected",
          "[ovs][planner]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    PlannerFixture f;
    std::string tag = "external-ids:dvs-port=" + util::Uuid::generate().toString();
    auto lost = f.ovs.vsctl({"create", "QoS", "type=linux-htb", tag});
    auto untagged = f.ovs.vsctl({"create", "QoS", "type=linux-htb"});
    auto lostQueue = f.ovs.vsctl({"create", "Queue", tag});
    auto keptQueue = f.ovs.vsctl({"create", "Queue", tag});
    f.ovs.vsctl({"set", "QoS", untagged, "queues:0=" + keptQueue});
    f.sync(ovsdb::vswitch::Queue::kTable, 2);
    f.sync(ovsdb::vswitch::QoS::kTable, 2);

    ovs::DesiredState nothing;
    auto operations = f.plan(nothing).dump();
    CHECK(count(operations, "\"delete\"") == 2);
    CHECK(count(operations, lost) == 1);
    CHECK(count(operations, lostQueue) == 1);
    f.apply(nothing);
    CHECK(f.ovs.vsctl({"--columns=_uuid", "--bare", "list", "QoS"}) == untagged);
    CHECK(f.ovs.vsctl({"--columns=_uuid", "--bare", "list", "Queue"}) == keptQueue);
    CHECK(f.plan(nothing).empty());
}
