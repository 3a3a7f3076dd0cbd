// SPDX-License-Identifier: LGPL-2.1-or-later
// The planner's index of the vswitch replica (ovs/replica_index.h), over rows made in-process
// with the installed vswitch schema: what each lookup finds, and what it must not find.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "ovs/planner.h"
#include "ovs/replica_index.h"
#include "ovs_sandbox.h"
#include "test_support.h"
#include "util/file.h"

using namespace dvs;
using ovsdb::Json;

namespace {

// Row uuids: root, bridge, ports, interfaces, QoS, queues.
const char* const kRoot = "00000000-0000-4000-8000-000000000001";
const char* const kBridge = "00000000-0000-4000-8000-0000000000b1";
const char* const kP1 = "00000000-0000-4000-8000-0000000000a1";
const char* const kP2 = "00000000-0000-4000-8000-0000000000a2";
const char* const kUplink = "00000000-0000-4000-8000-0000000000a3";
const char* const kI1 = "00000000-0000-4000-8000-0000000000c1";
const char* const kI2 = "00000000-0000-4000-8000-0000000000c2";
const char* const kI3 = "00000000-0000-4000-8000-0000000000c3";
const char* const kI4 = "00000000-0000-4000-8000-0000000000c4";
const char* const kShared = "00000000-0000-4000-8000-0000000000d1";
const char* const kLibvirt = "00000000-0000-4000-8000-0000000000d2";
const char* const kOurs = "00000000-0000-4000-8000-0000000000d3";
const char* const kMissing = "00000000-0000-4000-8000-0000000000d4";
const char* const kQueue = "00000000-0000-4000-8000-0000000000e1";
const char* const kLoneQueue = "00000000-0000-4000-8000-0000000000e2";
const char* const kGoneQueue = "00000000-0000-4000-8000-0000000000e3";

util::Uuid uuid(const char* text)
{
    return *util::Uuid::parse(text);
}

std::string ref(const char* text)
{
    return fmt::format(R"(["uuid","{}"])", text);
}

// A bridge br0 with two ports of VMs (vnet0 with one Interface, vnet1 with two that share an
// iface-id) sharing one QoS, and an uplink bond0 of network net1; libvirt's unreferenced QoS
// row for vnet9 of a domain, one of dvsd's, and queues used and unused.
struct IndexFixture
{
    ovsdb::Replica replica;

    IndexFixture()
    {
        auto schema = util::readFile(test::OvsSandbox::vswitchSchema());
        replica.setSchema(ovsdb::Schema::parse(Json::parse(schema)), ovs::monitoredColumns());
        auto rows = fmt::format(
            R"({{
 "Open_vSwitch":{{"{root}":{{"insert":{{"bridges":{bridge}}}}}}},
 "Bridge":{{"{bridgeId}":{{"insert":{{"name":"br0","ports":["set",[{p1},{p2},{up}]]}}}}}},
 "Port":{{
  "{p1Id}":{{"insert":{{"name":"vnet0","interfaces":{i1},"qos":{shared},
                        "external_ids":["map",[["dvs-port","port-1"]]]}}}},
  "{p2Id}":{{"insert":{{"name":"vnet1","interfaces":["set",[{i3},{i2}]],"qos":{shared},
                        "external_ids":["map",[["dvs-plugged","port-2"]]]}}}},
  "{upId}":{{"insert":{{"name":"bond0","external_ids":["map",[["dvs-uplink","net1"]]]}}}}}},
 "Interface":{{
  "{i1Id}":{{"insert":{{"name":"vnet0","external_ids":["map",[["iface-id","id-1"]]],
                        "ingress_policing_rate":100}}}},
  "{i2Id}":{{"insert":{{"name":"vnet1a","external_ids":["map",[["iface-id","id-2"]]]}}}},
  "{i3Id}":{{"insert":{{"name":"vnet1b","external_ids":["map",[["iface-id","id-2"]]]}}}},
  "{i4Id}":{{"insert":{{"name":"plain"}}}}}},
 "QoS":{{
  "{sharedId}":{{"insert":{{"type":"linux-htb","queues":["map",[[0,{queue}]]]}}}},
  "{libvirtId}":{{"insert":{{"external_ids":["map",[["ifname","vnet9"],["vm-id","vm-a"]]],
                             "queues":["map",[[0,{gone}]]]}}}},
  "{oursId}":{{"insert":{{"external_ids":["map",[["dvs-port","p"],["ifname","vnet8"],
                                                 ["vm-id","vm-a"]]]}}}}}},
 "Queue":{{"{queueId}":{{"insert":{{"other_config":["map",[["min-rate","1"]]]}}}},
          "{loneId}":{{"insert":{{}}}}}}
}})",
            fmt::arg("root", kRoot), fmt::arg("bridge", ref(kBridge)),
            fmt::arg("bridgeId", kBridge), fmt::arg("p1", ref(kP1)), fmt::arg("p2", ref(kP2)),
            fmt::arg("up", ref(kUplink)), fmt::arg("p1Id", kP1), fmt::arg("p2Id", kP2),
            fmt::arg("upId", kUplink), fmt::arg("i1", ref(kI1)), fmt::arg("i2", ref(kI2)),
            fmt::arg("i3", ref(kI3)), fmt::arg("i1Id", kI1), fmt::arg("i2Id", kI2),
            fmt::arg("i3Id", kI3), fmt::arg("i4Id", kI4), fmt::arg("shared", ref(kShared)),
            fmt::arg("sharedId", kShared), fmt::arg("libvirtId", kLibvirt),
            fmt::arg("oursId", kOurs), fmt::arg("queue", ref(kQueue)),
            fmt::arg("gone", ref(kGoneQueue)), fmt::arg("queueId", kQueue),
            fmt::arg("loneId", kLoneQueue));
        replica.applyUpdates(ovsdb::UpdateFormat::Update2, Json::parse(rows));
    }
};

} // namespace

TEST_CASE("the index finds the root, and rows by name", "[replica_index]")
{
    IndexFixture f;
    ovs::ReplicaIndex index(f.replica);
    CHECK(index.root == uuid(kRoot));
    REQUIRE(index.bridgeNamed("br0") != nullptr);
    CHECK(index.bridgeNamed("br0")->uuid() == uuid(kBridge));
    CHECK(index.bridgeNamed("br1") == nullptr);
    REQUIRE(index.portNamed("bond0") != nullptr);
    CHECK(index.portNamed("bond0")->uuid() == uuid(kUplink));
    CHECK(index.portNamed("vnet1a") == nullptr); // an Interface's name, not a Port's
    REQUIRE(index.ifaceNamed("plain") != nullptr);
    CHECK(index.ifaceNamed("plain")->uuid() == uuid(kI4));
}

TEST_CASE("interfaces by iface-id, in uuid order, and the port of each", "[replica_index]")
{
    IndexFixture f;
    ovs::ReplicaIndex index(f.replica);
    std::vector<util::Uuid> found;
    CHECK(index.forEachIfaceWithId("id-2", [&](const ovs::ReplicaIndex::Iface& iface) {
        found.push_back(iface.row->uuid());
        CHECK(iface.externalIds != nullptr);
    }));
    CHECK(found == std::vector<util::Uuid>{uuid(kI2), uuid(kI3)});
    CHECK_FALSE(index.forEachIfaceWithId("id-3", [](const auto&) { FAIL("no such iface-id"); }));

    index.forEachIfaceWithId("id-1", [&](const ovs::ReplicaIndex::Iface& iface) {
        REQUIRE(iface.policingRate != nullptr);
        CHECK(*iface.policingRate == 100);
        REQUIRE(iface.name != nullptr);
        CHECK(*iface.name == "vnet0");
    });
    REQUIRE(index.portOfIface(uuid(kI3)) != nullptr);
    CHECK(index.portOfIface(uuid(kI3))->row->uuid() == uuid(kP2));
    CHECK(index.portOfIface(uuid(kI4)) == nullptr); // on no port
}

TEST_CASE("QoS rows: users, queue 0, libvirt's unreferenced rows", "[replica_index]")
{
    IndexFixture f;
    ovs::ReplicaIndex index(f.replica);
    const auto* port = index.portOfIface(uuid(kI1));
    REQUIRE(port != nullptr);
    const auto* shared = index.qosOf(*port);
    REQUIRE(shared != nullptr);
    CHECK(shared->row->uuid() == uuid(kShared));
    CHECK(shared->users == 2);
    CHECK(shared->queue == uuid(kQueue));
    REQUIRE(shared->queueRow != nullptr);
    CHECK(shared->queueRow->uuid() == uuid(kQueue));
    CHECK(shared->queueOtherConfig != nullptr);
    CHECK(index.qos(uuid(kShared)) == shared);

    // A queue 0 that is not in the replica.
    const auto* libvirt = index.libvirtQos("vm-a", "vnet9");
    REQUIRE(libvirt != nullptr);
    CHECK(libvirt->row->uuid() == uuid(kLibvirt));
    CHECK(libvirt->users == 0);
    CHECK(libvirt->queue == uuid(kGoneQueue));
    CHECK(libvirt->queueRow == nullptr);
    // dvsd's own row is not libvirt's, and a row of another device or domain is not this one's.
    CHECK(index.libvirtQos("vm-a", "vnet8") == nullptr);
    CHECK(index.libvirtQos("vm-b", "vnet9") == nullptr);
    REQUIRE(index.qos(uuid(kOurs)) != nullptr);
    CHECK(index.qos(uuid(kOurs))->users == 0);
    CHECK(index.qos(uuid(kMissing)) == nullptr);

    CHECK(index.queueUsed(uuid(kQueue)));
    CHECK_FALSE(index.queueUsed(uuid(kLoneQueue)));
    CHECK_FALSE(index.queueUsed(uuid(kGoneQueue))); // referenced, but not a row
}

TEST_CASE("uplinks, plugged ports and the bridge of a port", "[replica_index]")
{
    IndexFixture f;
    ovs::ReplicaIndex index(f.replica);
    CHECK(index.otherUplink("net1", "bond1"));
    CHECK_FALSE(index.otherUplink("net1", "bond0"));
    CHECK_FALSE(index.otherUplink("net2", "bond1"));

    CHECK(index.pluggedFor("port-2") == std::vector<util::Uuid>{uuid(kP2)});
    CHECK(index.pluggedFor("port-1").empty()); // dvs-port, not dvs-plugged

    CHECK(index.bridgeOfPort(uuid(kUplink)) == uuid(kBridge));
    CHECK(index.bridgeOfPort(uuid(kMissing)) == std::nullopt);
}
