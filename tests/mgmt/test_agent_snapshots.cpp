// SPDX-License-Identifier: LGPL-2.1-or-later
// A host's own copies of its switches' snapshots: written after it applied a generation, with
// the members and policy fetched off the convergence path, once per generation (not again after
// a restart), pruned to the switch's keep_generations, and restorable into an empty database.
#include <catch2/catch.hpp>

#include "agent_fixture.h"
#include "mgmt/snapshot_db.h"
#include "mgmt/snapshot_store.h"
#include "mgmt/switches.h"
#include "mgmt_fixture.h"
#include "util/file.h"

using namespace dvs;
using namespace dvs::test;

namespace {

const std::string kNetUuid = "6f2a1a1e-2f53-4c5c-9a47-0e3c1f0d2b12";

#define SKIP_WITHOUT_OVSDB()                                                                       \
    do {                                                                                           \
        if (auto why = OvsSandbox::unavailable(dvsSandboxOptions())) {                             \
            skip(*why);                                                                            \
            return;                                                                                \
        }                                                                                          \
    } while (false)

void withCopies(Host& host)
{
    host.options().snapshots.dir = host.root().path() / "var/lib/dvs/snapshots";
    host.options().snapshots.delay = std::chrono::milliseconds(0);
    host.options().snapshots.jitter = std::chrono::milliseconds(50);
    host.options().snapshots.jitterPerMember = std::chrono::milliseconds(1);
    host.restart();
}

std::filesystem::path copyOf(Host& host, const std::string& sw, std::int64_t generation)
{
    return host.options().snapshots.dir / sw /
           ("generation-" + std::to_string(generation) + ".xml");
}

} // namespace

TEST_CASE("a host keeps a copy of each generation it applied, with every member",
          "[agent-snapshots]")
{
    SKIP_WITHOUT_OVSDB();
    OvsSandbox dbs(dvsSandboxOptions());
    Admin admin({dbs.unixRemote()});
    Host host("host-a", {dbs.unixRemote()});
    withCopies(host);
    admin.defineSwitch("sw1", kNetUuid, switchXml("sw1"));
    admin.addMember("sw1", "host-a", {"eth1"});
    admin.addMember("sw1", "host-b", {"eth7"}); // another host, never running here

    REQUIRE(runUntil([&] { return std::filesystem::exists(copyOf(host, "sw1", 1)); },
                     std::chrono::seconds(30)));
    auto snap = mgmt::Snapshot::parse(util::readFile(copyOf(host, "sw1", 1)));
    snap.validate();
    CHECK(snap.name == "generation-1");
    CHECK(snap.generation == 1);
    CHECK(snap.network.name == "sw1");
    CHECK(snap.network.uuid.toString() == kNetUuid);
    CHECK(snap.network.portgroups.size() == 2);
    REQUIRE(snap.members.size() == 2);
    CHECK(snap.members[0].host == "host-a");
    CHECK(snap.members[1].host == "host-b");
    CHECK(snap.members[1].uplink == std::vector<std::string>{"eth7"});
    CHECK(snap.description.find("host-a") != std::string::npos);
    CHECK(host.agent().snapshots().written() == 1);

    auto gen = admin.bumpGeneration("sw1", switchXml("sw1", 30));
    REQUIRE(runUntil([&] { return std::filesystem::exists(copyOf(host, "sw1", gen)); },
                     std::chrono::seconds(30)));
    auto next = mgmt::Snapshot::parse(util::readFile(copyOf(host, "sw1", gen)));
    CHECK(next.network.portgroups[0].vlan.tags.front() == 30);
    CHECK(host.agent().snapshots().written() == 2);

    // A restart that finds the copy written does not ask for it again.
    host.restart();
    REQUIRE(runUntil([&] {
        auto row = admin.memberStatus("host-a", "sw1");
        return row && row->state() == "in-sync" && host.agent().connected() &&
               host.agent().members().count("sw1") != 0 &&
               host.agent().members().at("sw1").state == "in-sync";
    }));
    auto store = mgmt::SnapshotStore(host.options().snapshots.dir);
    CHECK(store.list("sw1").size() == 2);
    CHECK(host.agent().snapshots().written() == 0);

    // The copy rebuilds the switch in an empty database, members included.
    OvsSandbox fresh(dvsSandboxOptions());
    auto session = adminSession(fresh.unixRemote());
    mgmt::RestoreResult result;
    session->transact(
        "restore", [&](ovsdb::Transaction& txn) { result = mgmt::restoreSnapshot(txn, next, {}); });
    CHECK(result.created);
    CHECK(result.generation == gen + 1);
    auto sw = mgmt::requireSwitch(session->replica(), "sw1");
    CHECK(sw.networkUuid() == kNetUuid);
    CHECK(mgmt::membersOf(session->replica(), sw.uuid()).size() == 2);
}

TEST_CASE("a host without a copy folder writes nothing and reads no members", "[agent-snapshots]")
{
    SKIP_WITHOUT_OVSDB();
    OvsSandbox dbs(dvsSandboxOptions());
    Admin admin({dbs.unixRemote()});
    Host host("host-a", {dbs.unixRemote()});
    admin.defineSwitch("sw1", kNetUuid, switchXml("sw1"));
    admin.addMember("sw1", "host-a", {"eth1"});
    REQUIRE(runUntil([&] {
        auto row = admin.memberStatus("host-a", "sw1");
        return row && row->state() == "in-sync";
    }));
    CHECK(host.agent().snapshots().written() == 0);
    CHECK_FALSE(std::filesystem::exists(host.root().path() / "var/lib/dvs/snapshots"));
}
