// SPDX-License-Identifier: LGPL-2.1-or-later
// The host agent against a real ovsdb-server with the DVS schema, each host a driver with the
// recording backends on a private root: membership, generations, teardown, status rows,
// restarts and a database that goes away.
#include <algorithm>
#include <csignal>

#include <catch2/catch.hpp>

#include "agent_fixture.h"
#include "conf/network_def.h"
#include "conf/network_port.h"
#include "mgmt/agent_network.h"
#include "util/file.h"

using namespace dvs;
using namespace dvs::test;

namespace {

const std::string kNetUuid = "6f2a1a1e-2f53-4c5c-9a47-0e3c1f0d2b11";

std::string portXml(const std::string& uuid, const std::string& group)
{
    return fmt::format("<networkport><uuid>{}</uuid><owner><name>vm</name>"
                       "<uuid>aaaaaaaa-0000-4000-8000-000000000001</uuid></owner>"
                       "<group>{}</group><mac address='52:54:00:00:00:01'/></networkport>",
                       uuid, group);
}

unsigned vlanOf(driver::NetworkDriver& drv, const driver::PortRef& ref)
{
    auto port = conf::NetworkPort::parseString(drv.portGetXmlDesc(ref, 0));
    REQUIRE(port.vlan.tags.size() == 1);
    return port.vlan.tags.front();
}

bool isActive(driver::NetworkDriver& drv, const std::string& name)
{
    try {
        return drv.isActive(drv.lookupByName(name));
    } catch (const Error&) {
        return false;
    }
}

bool exists(driver::NetworkDriver& drv, const std::string& name)
{
    try {
        drv.lookupByName(name);
        return true;
    } catch (const Error&) {
        return false;
    }
}

// Whether the host reports the switch in sync at generation.
bool inSync(const Admin& admin, const std::string& host, const std::string& sw,
            std::int64_t generation)
{
    auto row = admin.memberStatus(host, sw);
    return row && row->state() == "in-sync" && row->generation() == generation;
}

// sw1 with host-a its member (uplink eth1), in sync at generation 1: where most cases start.
struct SwitchWithMember
{
    OvsSandbox dbs{dvsSandboxOptions()};
    Admin admin{{dbs.unixRemote()}};
    Host host{"host-a", {dbs.unixRemote()}};

    SwitchWithMember()
    {
        admin.defineSwitch("sw1", kNetUuid, switchXml("sw1"));
        admin.addMember("sw1", "host-a", {"eth1"});
        REQUIRE(runUntil([&] { return inSync(admin, "host-a", "sw1", 1); }));
    }
};

#define SKIP_WITHOUT_OVSDB()                                                                       \
    do {                                                                                           \
        if (auto why = OvsSandbox::unavailable(dvsSandboxOptions())) {                             \
            skip(*why);                                                                            \
            return;                                                                                \
        }                                                                                          \
    } while (false)

} // namespace

TEST_CASE("a member host defines, starts and reports its switch's network", "[agent]")
{
    SKIP_WITHOUT_OVSDB();
    SwitchWithMember f;
    auto& admin = f.admin;
    auto& host = f.host;

    auto& drv = host.driver();
    auto net = drv.lookupByName("sw1");
    CHECK(net.uuid.toString() == kNetUuid);
    CHECK(drv.isActive(net));
    CHECK(drv.getAutostart(net));
    CHECK(drv.managedBy("sw1") == driver::ManagedBy{"sw1", "host-a"});
    // The uplink is the member's NIC.
    CHECK_THAT(drv.getXmlDesc(net, 0), Catch::Matchers::Contains("<dvs:interface name=\"eth1\"/>"));
    auto status = admin.memberStatus("host-a", "sw1");
    CHECK(status->networkState() == "ready");
    CHECK(status->portCount() == 0);
    CHECK(status->uplinkState().at("eth1") == "missing");
    CHECK(admin.hostStatus("host-a").has_value());
    CHECK(admin.hostStatus("host-a")->agentVersion() == "test");

    // Read-only for clients.
    try {
        drv.destroy(net);
        FAIL("destroy of a managed network was not refused");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::OperationDenied);
        CHECK_THAT(e.message(), Catch::Matchers::Contains("dvsctl host-remove sw1 host-a"));
    }
}

TEST_CASE("a portgroup change moves the running ports without restarting the network", "[agent]")
{
    SKIP_WITHOUT_OVSDB();
    SwitchWithMember f;
    auto& admin = f.admin;
    auto& host = f.host;
    auto& drv = host.driver();
    auto net = drv.lookupByName("sw1");
    auto web = drv.portCreateXml(net, portXml("00000000-0000-4000-8000-000000000001", "web"), 0);
    auto db = drv.portCreateXml(net, portXml("00000000-0000-4000-8000-000000000002", "db"), 0);
    REQUIRE(vlanOf(drv, web) == 10);
    auto events = host.events().size();

    auto gen = admin.bumpGeneration("sw1", switchXml("sw1", 30));
    REQUIRE(runUntil([&] { return inSync(admin, "host-a", "sw1", gen); }));
    CHECK(vlanOf(drv, web) == 30);
    CHECK(vlanOf(drv, db) == 20);
    CHECK(drv.listAllPorts(net, 0).size() == 2);
    CHECK(admin.memberStatus("host-a", "sw1")->portCount() == 2);
    // Redefined (the config follows) but never stopped.
    for (auto i = events; i < host.events().size(); ++i) {
        CHECK(host.events()[i] != driver::LifecycleEvent::Stopped);
    }
}

TEST_CASE("a removed host tears its network down once no port holds it", "[agent]")
{
    SKIP_WITHOUT_OVSDB();
    SwitchWithMember f;
    auto& admin = f.admin;
    auto& host = f.host;
    auto& drv = host.driver();
    auto net = drv.lookupByName("sw1");
    const std::string portUuid = "00000000-0000-4000-8000-000000000001";
    auto port = drv.portCreateXml(net, portXml(portUuid, "web"), 0);

    admin.removeMember("sw1", "host-a");
    REQUIRE(runUntil([&] {
        auto row = admin.memberStatus("host-a", "sw1");
        return row && row->state() == "removing";
    }));
    CHECK(admin.memberStatus("host-a", "sw1")->portsHolding() ==
          std::vector<std::string>{portUuid});
    CHECK(isActive(drv, "sw1"));

    drv.portDelete(port, 0);
    REQUIRE(runUntil([&] { return !exists(drv, "sw1"); }));
    REQUIRE(runUntil([&] { return !admin.memberStatus("host-a", "sw1"); }));
    CHECK_FALSE(drv.managedBy("sw1"));

    // Added again later: the network comes back.
    admin.addMember("sw1", "host-a", {"eth1"});
    REQUIRE(runUntil([&] { return inSync(admin, "host-a", "sw1", 1); }));
    CHECK(isActive(drv, "sw1"));
}

TEST_CASE("a database that does not list the host cannot take its networks away", "[agent]")
{
    SKIP_WITHOUT_OVSDB();
    OvsSandbox first(dvsSandboxOptions());
    Admin admin{{first.unixRemote()}};
    admin.initialise();
    admin.defineSwitch("sw1", kNetUuid, switchXml("sw1"));
    admin.addMember("sw1", "host-a", {"eth1"});
    Host host{"host-a", {first.unixRemote()}};
    REQUIRE(runUntil([&] { return inSync(admin, "host-a", "sw1", 1); }));
    auto record = host.options().stateDir / "database";
    REQUIRE(std::filesystem::exists(record));
    const std::string firstId = util::readFile(record, 256);

    // The database is re-created empty (not even db-init yet) and the host reaches it.
    OvsSandbox second(dvsSandboxOptions());
    Admin admin2{{second.unixRemote()}};
    host.options().remotes = {second.unixRemote()};
    host.restart();
    REQUIRE(runUntil([&] {
        return admin2.hostStatus("host-a").has_value() && host.agent().stats().reconciles > 0;
    }));
    CHECK(isActive(host.driver(), "sw1"));
    CHECK(host.agent().stats().teardowns == 0);
    CHECK_THAT(host.agent().members().at("sw1").reason, Catch::Matchers::Contains("kept"));

    // Initialised, it is still not the host's database, and it does not list the host.
    admin2.initialise();
    auto reconciles = host.agent().stats().reconciles;
    REQUIRE(runUntil([&] { return host.agent().stats().reconciles > reconciles; }));
    CHECK(isActive(host.driver(), "sw1"));
    CHECK(host.agent().stats().teardowns == 0);
    CHECK(util::readFile(record, 256) == firstId);

    // An administrator adds the host to a switch of it: the host follows this database from
    // then on, and the switch it is no longer in goes.
    admin2.defineSwitch("sw2", "6f2a1a1e-2f53-4c5c-9a47-0e3c1f0d2b12", switchXml("sw2"));
    admin2.addMember("sw2", "host-a", {"eth1"});
    REQUIRE(runUntil([&] { return inSync(admin2, "host-a", "sw2", 1); }));
    REQUIRE(runUntil([&] { return !exists(host.driver(), "sw1"); }));
    CHECK(util::readFile(record, 256) != firstId);

    // And this database may take its own switch away again.
    admin2.removeMember("sw2", "host-a");
    REQUIRE(runUntil([&] { return !exists(host.driver(), "sw2"); }));
}

TEST_CASE("a restarted dvsd that finds everything applied changes nothing", "[agent]")
{
    SKIP_WITHOUT_OVSDB();
    SwitchWithMember f;
    auto& admin = f.admin;
    auto& host = f.host;
    auto connectedAt = admin.hostStatus("host-a")->connectedAt();

    host.restart();
    REQUIRE(runUntil([&] {
        auto row = admin.hostStatus("host-a");
        return row && row->connectedAt() != connectedAt && host.agent().stats().reconciles > 0;
    }));
    CHECK(host.agent().stats().applies == 0);
    CHECK(host.events().empty()); // no define, start or stop
    CHECK(inSync(admin, "host-a", "sw1", 1));
    CHECK(host.agent().members().at("sw1").applied == 1);
}

TEST_CASE("a host replicates only its own membership and switches, and no status", "[agent]")
{
    SKIP_WITHOUT_OVSDB();
    OvsSandbox dbs(dvsSandboxOptions());
    Admin admin({dbs.unixRemote()});
    Host a("host-a", {dbs.unixRemote()});
    Host b("host-b", {dbs.unixRemote()});
    admin.defineSwitch("sw1", kNetUuid, switchXml("sw1"));
    admin.defineSwitch("sw2", "7f2a1a1e-2f53-4c5c-9a47-0e3c1f0d2b12", switchXml("sw2"));
    admin.addMember("sw1", "host-a", {"eth1"});
    admin.addMember("sw2", "host-b", {"eth1"});
    REQUIRE(runUntil(
        [&] { return inSync(admin, "host-a", "sw1", 1) && inSync(admin, "host-b", "sw2", 1); }));
    const auto& replica = a.agent().client().replica();
    CHECK(db::Member::all(replica).size() == 1);
    CHECK(db::Switch::all(replica).size() == 1);
    CHECK(db::Switch::all(replica).front().name() == "sw1");
    CHECK(db::SwitchGeneration::all(replica).size() == 1);
    // Its own status rows neither: every host's status write would wake every host's monitor.
    CHECK(db::MemberStatus::all(replica).empty());
    CHECK(db::HostStatus::all(replica).empty());
    CHECK_FALSE(exists(a.driver(), "sw2"));
    CHECK_FALSE(exists(b.driver(), "sw1"));
}

TEST_CASE("a host cut off from the database keeps its networks and converges after", "[agent]")
{
    SKIP_WITHOUT_OVSDB();
    SwitchWithMember f;
    auto& admin = f.admin;
    auto& host = f.host;
    auto& dbs = f.dbs;
    auto& drv = host.driver();
    auto net = drv.lookupByName("sw1");
    auto port = drv.portCreateXml(net, portXml("00000000-0000-4000-8000-000000000001", "web"), 0);

    dbs.killServer(SIGKILL);
    REQUIRE(runUntil([&] { return host.agent().cutOffSince().has_value(); }));
    CHECK_THAT(host.agent().describe("sw1"),
               Catch::Matchers::StartsWith("switch 'sw1': in-sync at generation 1") &&
                   Catch::Matchers::Contains("management database unreachable since"));
    CHECK_FALSE(host.agent().connected());
    CHECK(isActive(drv, "sw1"));
    CHECK(drv.managedBy("sw1").has_value());
    // Guests still get ports on existing portgroups.
    auto second = drv.portCreateXml(net, portXml("00000000-0000-4000-8000-000000000002", "db"), 0);
    CHECK(vlanOf(drv, second) == 20);

    dbs.startServer();
    REQUIRE(runUntil([&] {
        return host.agent().connected() && admin.client().state() == ovsdb::ClientState::Ready;
    }));
    CHECK_FALSE(host.agent().cutOffSince().has_value());
    auto gen = admin.bumpGeneration("sw1", switchXml("sw1", 40));
    REQUIRE(runUntil([&] { return inSync(admin, "host-a", "sw1", gen); }));
    CHECK(vlanOf(drv, port) == 40);
}

TEST_CASE("what cannot be applied is reported as failed and retried on a change", "[agent]")
{
    SKIP_WITHOUT_OVSDB();
    OvsSandbox dbs(dvsSandboxOptions());
    Admin admin({dbs.unixRemote()});
    Host host("host-a", {dbs.unixRemote()});
    // A network of that name that no switch manages is left alone.
    auto& drv = host.driver();
    auto mine = drv.defineXml(switchXml("sw1"), 0);
    admin.defineSwitch("sw1", kNetUuid, switchXml("sw1"));
    admin.addMember("sw1", "host-a", {"eth1"});
    REQUIRE(runUntil([&] {
        auto row = admin.memberStatus("host-a", "sw1");
        return row && row->state() == "failed";
    }));
    auto row = admin.memberStatus("host-a", "sw1");
    CHECK_THAT(row->reason(), Catch::Matchers::Contains("that no switch manages"));
    CHECK_FALSE(row->lastError().empty());
    CHECK_FALSE(drv.managedBy("sw1"));
    CHECK_FALSE(drv.isActive(mine));

    // Once the name is free, the retry applies it.
    drv.undefine(mine);
    REQUIRE(runUntil([&] { return inSync(admin, "host-a", "sw1", 1); }));

    // Two NICs on a switch without dvs:uplink: one NIC per member only.
    admin.defineSwitch("sw2", "7f2a1a1e-2f53-4c5c-9a47-0e3c1f0d2b12", switchXml("sw2"));
    admin.addMember("sw2", "host-a", {"eth2", "eth3"});
    REQUIRE(runUntil([&] {
        auto r = admin.memberStatus("host-a", "sw2");
        return r && r->state() == "failed";
    }));
    CHECK_THAT(admin.memberStatus("host-a", "sw2")->reason(),
               Catch::Matchers::Contains("no dvs:uplink"));
    CHECK(inSync(admin, "host-a", "sw1", 1));
}

TEST_CASE("many agents run in one process on one main context", "[agent]")
{
    SKIP_WITHOUT_OVSDB();
    OvsSandbox dbs(dvsSandboxOptions());
    Admin admin({dbs.unixRemote()});
    std::vector<std::unique_ptr<Host>> hosts;
    admin.defineSwitch(
        "sw1", kNetUuid,
        switchXml("sw1", 10, "<dvs:uplink type='ovs-bond' name='bond0' mode='active-backup'/>"));
    for (int i = 0; i < 8; ++i) {
        auto name = fmt::format("host-{}", i);
        hosts.push_back(std::make_unique<Host>(name, std::vector<std::string>{dbs.unixRemote()}));
        admin.addMember("sw1", name, {"eth1", "eth2"});
    }
    REQUIRE(runUntil([&] {
        return std::all_of(hosts.begin(), hosts.end(),
                           [&](const auto& h) { return inSync(admin, h->name(), "sw1", 1); });
    }));
    auto gen = admin.bumpGeneration(
        "sw1",
        switchXml("sw1", 11, "<dvs:uplink type='ovs-bond' name='bond0' mode='active-backup'/>"));
    REQUIRE(runUntil([&] {
        return std::all_of(hosts.begin(), hosts.end(),
                           [&](const auto& h) { return inSync(admin, h->name(), "sw1", gen); });
    }));
    auto xml = hosts[3]->driver().getXmlDesc(hosts[3]->driver().lookupByName("sw1"), 0);
    CHECK_THAT(xml, Catch::Matchers::Contains("<dvs:interface name=\"eth2\"/>"));
    CHECK_THAT(xml, Catch::Matchers::Contains("<tag id='11'/>"));
}

TEST_CASE("a member's network is the generation with the member's uplink NICs", "[compose]")
{
    const std::string bond = "<dvs:uplink type='ovs-bond' name='bond0' mode='balance-slb'/>";
    auto xml = mgmt::composeMemberNetwork(switchXml("other", 10, bond), "sw1", kNetUuid,
                                          {"ens1f0", "ens1f1"});
    auto def = conf::NetworkDef::parseString(xml);
    CHECK(def.name == "sw1");
    CHECK(def.uuid.toString() == kNetUuid);
    REQUIRE(def.dvs);
    REQUIRE(def.dvs->uplink);
    CHECK(def.dvs->uplink->type == conf::UplinkType::OvsBond);
    CHECK(def.dvs->uplink->interfaces == std::vector<std::string>{"ens1f0", "ens1f1"});
    CHECK(def.portgroups.size() == 2);

    // No dvs:uplink: one NIC is a single-interface uplink, none is no uplink.
    auto single = conf::NetworkDef::parseString(
        mgmt::composeMemberNetwork(switchXml("sw1"), "sw1", kNetUuid, {"eth1"}));
    REQUIRE(single.dvs);
    CHECK(single.dvs->uplink->type == conf::UplinkType::Interface);
    CHECK(single.dvs->uplink->interfaces == std::vector<std::string>{"eth1"});
    auto none = conf::NetworkDef::parseString(
        mgmt::composeMemberNetwork(switchXml("sw1"), "sw1", kNetUuid, {}));
    CHECK_FALSE(none.dvs);

    auto codeOf = [](auto f) {
        try {
            f();
        } catch (const Error& e) {
            return e.code();
        }
        return ErrorCode::Ok;
    };
    CHECK(codeOf([&] {
              mgmt::composeMemberNetwork(switchXml("sw1"), "sw1", kNetUuid, {"eth1", "eth2"});
          }) == ErrorCode::ConfigUnsupported);
    CHECK(codeOf([&] {
              mgmt::composeMemberNetwork(switchXml("sw1", 10, bond), "sw1", kNetUuid, {});
          }) == ErrorCode::ConfigUnsupported);
    CHECK(codeOf([&] {
              mgmt::composeMemberNetwork(switchXml("sw1"), "sw1", kNetUuid, {"bad/name"});
          }) == ErrorCode::InvalidArg);
    CHECK(codeOf([&] { mgmt::composeMemberNetwork(switchXml("sw1"), "sw1", "not-a-uuid", {}); }) ==
          ErrorCode::XmlError);
    CHECK(codeOf([&] { mgmt::composeMemberNetwork("<network>", "sw1", kNetUuid, {}); }) !=
          ErrorCode::Ok);
}

TEST_CASE("a generation whose uplink NIC is missing fails until the NIC appears", "[agent]")
{
    SKIP_WITHOUT_OVSDB();
    OvsSandbox dbs(dvsSandboxOptions());
    Admin admin({dbs.unixRemote()});
    Host host("host-a", {dbs.unixRemote()});
    host.options().checkUplinks = true;
    host.restart();
    admin.defineSwitch("sw1", kNetUuid, switchXml("sw1"));
    admin.addMember("sw1", "host-a", {"eth9"});
    REQUIRE(runUntil([&] {
        auto row = admin.memberStatus("host-a", "sw1");
        return row && row->state() == "failed";
    }));
    CHECK_THAT(admin.memberStatus("host-a", "sw1")->reason(),
               Catch::Matchers::Contains("uplink NIC 'eth9' does not exist"));
    // The failure names the generation tried; none runs yet.
    CHECK(admin.memberStatus("host-a", "sw1")->applyingGeneration() == 1);
    CHECK_FALSE(admin.memberStatus("host-a", "sw1")->generation());
    CHECK_FALSE(exists(host.driver(), "sw1"));

    std::filesystem::create_directories(host.root().path() / "sys/class/net/eth9");
    util::writeFileAtomic(host.root().path() / "sys/class/net/eth9/operstate", "up\n");
    REQUIRE(runUntil([&] { return inSync(admin, "host-a", "sw1", 1); }));
    CHECK(admin.memberStatus("host-a", "sw1")->uplinkState().at("eth9") == "up");
}

TEST_CASE("on a clustered database a host resumes without a full download", "[agent][cluster]")
{
    if (auto why = OvsSandbox::unavailable(dvsSandboxOptions(true))) {
        skip(*why);
        return;
    }
    OvsSandbox dbs(dvsSandboxOptions(true));
    std::vector<std::string> remotes;
    for (int i = 0; i < dbs.serverCount(); ++i) {
        remotes.push_back(dbs.unixRemote(i));
    }
    Admin admin(remotes);
    // ovsdb-server keeps no more transaction history than the database has atoms: switches of
    // other hosts give it the bulk of a real one, so that the few transactions since the
    // host's last update (its status writes) stay in the history.
    for (int i = 0; i < 8; ++i) {
        std::string name = "other" + std::to_string(i);
        admin.defineSwitch(name, fmt::format("7f2a1a1e-2f53-4c5c-9a47-0e3c1f0d2b{:02x}", i),
                           switchXml(name));
        admin.addMember(name, "host-z", {"eth1"});
    }
    Host host("host-a", remotes);
    admin.defineSwitch("sw1", kNetUuid, switchXml("sw1"));
    admin.addMember("sw1", "host-a", {"eth1"});
    auto gen = admin.bumpGeneration("sw1", switchXml("sw1", 11));
    REQUIRE(runUntil([&] { return inSync(admin, "host-a", "sw1", gen); }));
    const auto snapshots = host.agent().client().stats().snapshots;
    const auto applies = host.agent().stats().applies;

    // SIGKILL the server the host talks to, then change the switch through the others.
    int server = 0;
    for (int i = 0; i < dbs.serverCount(); ++i) {
        if (host.agent().client().connection().remote() == dbs.unixRemote(i)) {
            server = i;
        }
    }
    dbs.killServer(SIGKILL, server);
    REQUIRE(runUntil([&] { return admin.client().state() == ovsdb::ClientState::Ready; }));
    gen = admin.bumpGeneration("sw1", switchXml("sw1", 12));
    REQUIRE(
        runUntil([&] { return inSync(admin, "host-a", "sw1", gen); }, std::chrono::seconds(30)));
    CHECK(host.agent().client().stats().fastResyncs >= 1);
    CHECK(host.agent().client().stats().snapshots == snapshots);
    CHECK(host.agent().stats().applies == applies + 1); // the new generation, once
}
