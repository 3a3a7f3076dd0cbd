// SPDX-License-Identifier: LGPL-2.1-or-later
// Snapshots against a real ovsdb-server: what snapshot-create records of a switch, restores to
// the same switch (and into an empty database), as a new switch and onto another, rollbacks
// through the generations kept, and the snapshot folder with names that could escape it.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "mgmt/compose.h"
#include "mgmt/generations.h"
#include "mgmt/revert_admin.h"
#include "mgmt/rollout_policy.h"
#include "mgmt/snapshot_db.h"
#include "mgmt/snapshot_store.h"
#include "mgmt_fixture.h"
#include "util/file.h"

using namespace dvs;
using namespace dvs::test;
namespace db = dvs::mgmt::db;
namespace fs = std::filesystem;
using Target = mgmt::RestoreOptions::Target;

namespace {

struct Fixture
{
    OvsSandbox ovs{dvsSandboxOptions()};
    std::unique_ptr<mgmt::Session> admin = adminSession(ovs.unixRemote());

    void define(const std::string& xml = kSwitchXml)
    {
        auto def = mgmt::parseSwitchDefinition(xml);
        admin->transact("define", [&](ovsdb::Transaction& txn) { mgmt::defineSwitch(txn, def); });
    }

    void setVlan(const std::string& pg, int tag, const std::string& sw = "sw")
    {
        admin->transact("update", [&](ovsdb::Transaction& txn) {
            mgmt::updateSwitch(txn, sw, conf::UpdateCommand::Modify, conf::UpdateSection::Portgroup,
                               "<portgroup name='" + pg + "'><vlan><tag id='" +
                                   std::to_string(tag) + "'/></vlan></portgroup>");
        });
    }

    void addHost(const std::string& host, std::vector<std::string> nics,
                 const std::string& sw = "sw")
    {
        admin->transact("host-add",
                        [&](ovsdb::Transaction& txn) { mgmt::addHost(txn, sw, host, nics); });
    }

    mgmt::Snapshot snapshot(const std::string& name, const std::string& sw = "sw")
    {
        auto row = mgmt::requireSwitch(admin->replica(), sw);
        return mgmt::snapshotOfSwitch(admin->replica(), row, name);
    }

    mgmt::RestoreResult restore(const mgmt::Snapshot& snap, Target target = Target::Same,
                                const std::string& name = "",
                                std::optional<std::string> bridge = std::nullopt)
    {
        mgmt::RestoreOptions options;
        options.target = target;
        options.name = name;
        options.bridge = std::move(bridge);
        mgmt::RestoreResult result;
        admin->transact("restore", [&](ovsdb::Transaction& txn) {
            result = mgmt::restoreSnapshot(txn, snap, options);
        });
        return result;
    }

    std::int64_t generation(const std::string& sw = "sw")
    {
        return mgmt::requireSwitch(admin->replica(), sw).generation();
    }

    std::string portgroup(const std::string& pg, const std::string& sw = "sw")
    {
        auto row = mgmt::requireSwitch(admin->replica(), sw);
        for (const auto& p : mgmt::portgroupsOf(admin->replica(), row.uuid())) {
            if (p.name() == pg) {
                return p.definition();
            }
        }
        return "";
    }
};

bool available()
{
    if (auto why = OvsSandbox::unavailable(dvsSandboxOptions())) {
        skip(*why);
        return false;
    }
    return true;
}

// The differences that matter after a restore: everything but the generation.
std::vector<mgmt::SnapshotChange> configChanges(const mgmt::Snapshot& a, const mgmt::Snapshot& b)
{
    auto changes = mgmt::diffSnapshots(a, b);
    std::erase_if(changes, [](const auto& c) { return c.subject == "generation"; });
    return changes;
}

const char* const kOtherXml = R"(<network>
  <name>other</name>
  <forward mode='bridge'/>
  <bridge name='br-other'/>
  <virtualport type='openvswitch'/>
  <portgroup name='web'><vlan><tag id='110'/></vlan></portgroup>
  <metadata>
    <dvs:network xmlns:dvs='https://libvirt-dvs.org/xmlns/network/1.0'>
      <dvs:uplink type='ovs-bond' name='bond1' mode='active-backup'/>
    </dvs:network>
  </metadata>
</network>
)";

} // namespace

TEST_CASE("a snapshot records the switch's whole configuration and reads back the same",
          "[snapshot-db]")
{
    if (!available()) {
        return;
    }
    Fixture f;
    f.define();
    f.addHost("host1", {"eth1", "eth2"});
    f.addHost("host2", {"eth3", "eth4"});
    f.admin->transact("policy", [&](ovsdb::Transaction& txn) {
        mgmt::RolloutPolicy policy;
        policy.canary = {"host2"};
        policy.batch = 2;
        policy.soak = 5;
        mgmt::setRolloutPolicy(txn, "sw", policy);
        mgmt::setKeepGenerations(txn, "sw", 4);
    });
    auto snap = f.snapshot("first");
    CHECK(snap.name == "first");
    CHECK(snap.generation == 1);
    CHECK(snap.keepGenerations == 4);
    CHECK(snap.network.name == "sw");
    CHECK(snap.network.uuid.toString() ==
          mgmt::requireSwitch(f.admin->replica(), "sw").networkUuid());
    REQUIRE(snap.network.portgroups.size() == 2);
    REQUIRE(snap.members.size() == 2);
    CHECK(snap.members[0].host == "host1");
    CHECK(snap.members[0].uplink == std::vector<std::string>{"eth1", "eth2"});
    CHECK(snap.policy.canary == std::vector<std::string>{"host2"});
    CHECK(snap.policy.batch == 2);
    snap.validate();
    auto again = mgmt::Snapshot::parse(snap.format());
    CHECK(again.format() == snap.format());
    CHECK(mgmt::diffSnapshots(snap, again).empty());
}

TEST_CASE("a snapshot keeps the automatic revert's probes and timeout, and a restore puts them "
          "back",
          "[snapshot-db]")
{
    if (!available()) {
        return;
    }
    Fixture f;
    f.define();
    f.addHost("host1", {"eth1", "eth2"});
    f.admin->transact("revert", [&](ovsdb::Transaction& txn) {
        mgmt::addProbe(txn, "sw", {"gw", mgmt::ProbeKind::Icmp, "192.0.2.1", 0, "eth2"});
        mgmt::setRevertTimeout(txn, "sw", 20);
    });
    auto before = f.snapshot("before");
    CHECK(before.revertTimeout == 20);
    REQUIRE(before.probes.size() == 1);
    CHECK(before.probes[0].interface == "eth2");
    CHECK(mgmt::Snapshot::parse(before.format()).probes == before.probes);

    f.admin->transact("change", [&](ovsdb::Transaction& txn) {
        mgmt::removeProbe(txn, "sw", "gw");
        mgmt::addProbe(txn, "sw", {"iscsi", mgmt::ProbeKind::Tcp, "fd00::5", 3260, ""});
        mgmt::setRevertTimeout(txn, "sw", std::nullopt);
    });
    auto text = mgmt::formatSnapshotDiff(mgmt::diffSnapshots(before, f.snapshot("changed")));
    CHECK(text.find("revert 'timeout': removed") != std::string::npos);
    CHECK(text.find("revert 'probe gw': removed") != std::string::npos);
    CHECK(text.find("revert 'probe iscsi': added") != std::string::npos);

    f.restore(before);
    auto after = f.snapshot("after");
    CHECK(after.revertTimeout == 20);
    CHECK(after.probes == before.probes);
    // As a new switch, the probes come along.
    f.restore(before, Target::New, "sw2", "br-sw2");
    CHECK(f.snapshot("copy", "sw2").probes == before.probes);
}

TEST_CASE("a restore to the same switch is a new generation with the snapshot's configuration",
          "[snapshot-db]")
{
    if (!available()) {
        return;
    }
    Fixture f;
    f.define();
    f.addHost("host1", {"eth1", "eth2"});
    f.addHost("host2", {"eth1", "eth2"});
    auto before = f.snapshot("before");
    // Three changes: a VLAN, a host gone, another host and a host with new NICs.
    f.setVlan("web", 11);
    f.admin->transact("remove",
                      [&](ovsdb::Transaction& txn) { mgmt::removeHost(txn, "sw", "host2"); });
    f.addHost("host3", {"eth8", "eth9"});
    f.setVlan("db", 21);
    REQUIRE(f.generation() == 3);
    auto changed = f.snapshot("changed");
    auto diff = mgmt::diffSnapshots(before, changed);
    CHECK(mgmt::formatSnapshotDiff(diff).find("portgroup 'web': changed") != std::string::npos);
    CHECK(mgmt::formatSnapshotDiff(diff).find("member 'host2': removed") != std::string::npos);
    CHECK(mgmt::formatSnapshotDiff(diff).find("member 'host3': added") != std::string::npos);

    auto result = f.restore(before);
    CHECK(result.switchName == "sw");
    CHECK(result.generation == 4);
    CHECK_FALSE(result.created);
    CHECK(f.generation() == 4);
    auto after = f.snapshot("after");
    CHECK(configChanges(before, after).empty());
    // Portgroups keep the order they were defined in (web, then db).
    REQUIRE(after.network.portgroups.size() == 2);
    CHECK(after.network.portgroups[0].name == "web");
    CHECK(f.portgroup("web").find("id='10'") != std::string::npos);
    // Host rows follow membership: host3 left its only switch.
    CHECK(db::Host::findByName(f.admin->replica(), "host2"));
    CHECK_FALSE(db::Host::findByName(f.admin->replica(), "host3"));
    // The generation records the restore.
    auto sw = mgmt::requireSwitch(f.admin->replica(), "sw");
    auto row = mgmt::findGeneration(f.admin->replica(), sw.uuid(), 4);
    REQUIRE(row);
    CHECK(row->change() == "snapshot-restore");
}

TEST_CASE("a restore into an empty database rebuilds the switch after the snapshot's generation",
          "[snapshot-db]")
{
    if (!available()) {
        return;
    }
    std::string text;
    {
        Fixture f;
        f.define();
        f.addHost("host1", {"eth1", "eth2"});
        f.setVlan("web", 12);
        f.setVlan("web", 13);
        text = f.snapshot("host-copy").format();
    }
    Fixture fresh;
    auto snap = mgmt::Snapshot::parse(text);
    auto result = fresh.restore(snap);
    CHECK(result.created);
    CHECK(result.generation == 4);
    CHECK(fresh.generation() == 4);
    CHECK(configChanges(snap, fresh.snapshot("now")).empty());
    CHECK(db::Host::findByName(fresh.admin->replica(), "host1"));
    CHECK(fresh.portgroup("web").find("id='13'") != std::string::npos);
}

TEST_CASE("a restore as a new switch takes a new identity and no members", "[snapshot-db]")
{
    if (!available()) {
        return;
    }
    Fixture f;
    f.define();
    f.addHost("host1", {"eth1", "eth2"});
    auto snap = f.snapshot("s");
    // The original's bridge is taken: a clear error, nothing written.
    CHECK_THROWS_WITH(f.restore(snap, Target::New, "copy"),
                      Catch::Contains("bridge 'br-sw' of the snapshot is switch 'sw''s"));
    CHECK_FALSE(db::Switch::findByName(f.admin->replica(), "copy"));
    CHECK_THROWS_WITH(f.restore(snap, Target::New, "sw"), Catch::Contains("already exists"));
    CHECK_THROWS_WITH(f.restore(snap, Target::New, "../x"), Catch::Contains("invalid switch name"));

    auto result = f.restore(snap, Target::New, "copy", "br-copy");
    CHECK(result.created);
    CHECK(result.generation == 1);
    auto copy = mgmt::requireSwitch(f.admin->replica(), "copy");
    CHECK(copy.networkUuid() != snap.network.uuid.toString());
    CHECK(mgmt::membersOf(f.admin->replica(), copy.uuid()).empty());
    auto now = f.snapshot("now", "copy");
    CHECK(now.network.bridge == "br-copy");
    CHECK(now.network.portgroups.size() == 2);
    CHECK(f.generation("sw") == 1); // the original is untouched
}

TEST_CASE("a restore onto another switch keeps its identity, bridge and members", "[snapshot-db]")
{
    if (!available()) {
        return;
    }
    Fixture f;
    f.define();
    f.addHost("host1", {"eth1", "eth2"});
    f.define(kOtherXml);
    f.addHost("host2", {"eth5", "eth6"}, "other");
    auto snap = f.snapshot("s");
    auto otherUuid = mgmt::requireSwitch(f.admin->replica(), "other").networkUuid();
    auto result = f.restore(snap, Target::Onto, "other");
    CHECK(result.switchName == "other");
    CHECK(result.generation == 2);
    auto now = f.snapshot("now", "other");
    CHECK(now.network.uuid.toString() == otherUuid);
    CHECK(now.network.bridge == "br-other");
    REQUIRE(now.members.size() == 1);
    CHECK(now.members[0].host == "host2");
    CHECK(f.portgroup("db", "other").find("id='20'") != std::string::npos);
    CHECK(f.portgroup("web", "other").find("id='10'") != std::string::npos);
    CHECK_THROWS_WITH(f.restore(snap, Target::Onto, "nope"), Catch::Contains("no switch"));
}

TEST_CASE("a restore that does not fit is refused and writes nothing", "[snapshot-db]")
{
    if (!available()) {
        return;
    }
    Fixture f;
    f.define();
    f.addHost("host1", {"eth1", "eth2"});
    auto snap = f.snapshot("s");
    // A member with two NICs on a switch without dvs:uplink: the model refuses it.
    auto bad = snap;
    bad.network.dvs.reset();
    bad.members[0].uplink = {"eth1", "eth3"};
    CHECK_THROWS_AS(f.restore(bad), Error);
    // The same name with another uuid: the switch was defined again since.
    auto other = snap;
    other.network.uuid = util::Uuid::generate();
    CHECK_THROWS_WITH(f.restore(other), Catch::Contains("defined again since"));
    CHECK(f.generation() == 1);
    CHECK(mgmt::membersOf(f.admin->replica(), mgmt::requireSwitch(f.admin->replica(), "sw").uuid())
              .front()
              .uplink() == std::vector<std::string>{"eth1", "eth2"});
}

TEST_CASE("switch-rollback walks back through the generations kept", "[snapshot-db]")
{
    if (!available()) {
        return;
    }
    Fixture f;
    f.define();
    f.setVlan("web", 11); // 2
    f.setVlan("web", 12); // 3
    mgmt::RollbackResult r;
    f.admin->transact("rollback",
                      [&](ovsdb::Transaction& txn) { r = mgmt::rollbackSwitch(txn, "sw"); });
    CHECK(r.from == 3);
    CHECK(r.to == 2);
    CHECK(r.generation == 4);
    CHECK(f.portgroup("web").find("id='11'") != std::string::npos);
    // Again: the one before, not back to 3.
    f.admin->transact("rollback",
                      [&](ovsdb::Transaction& txn) { r = mgmt::rollbackSwitch(txn, "sw"); });
    CHECK(r.to == 1);
    CHECK(f.portgroup("web").find("id='10'") != std::string::npos);
    CHECK_THROWS_WITH(
        f.admin->transact("rollback",
                          [&](ovsdb::Transaction& txn) { mgmt::rollbackSwitch(txn, "sw"); }),
        Catch::Contains("no generation before 1"));
    // An explicit one, and one pruned away.
    f.admin->transact("rollback",
                      [&](ovsdb::Transaction& txn) { r = mgmt::rollbackSwitch(txn, "sw", 3); });
    CHECK(f.portgroup("web").find("id='12'") != std::string::npos);
    CHECK(f.generation() == 6);
    f.admin->transact("keep",
                      [&](ovsdb::Transaction& txn) { mgmt::setKeepGenerations(txn, "sw", 2); });
    std::vector<std::int64_t> kept;
    for (const auto& row : db::SwitchGeneration::all(f.admin->replica())) {
        kept.push_back(row.generation());
    }
    std::sort(kept.begin(), kept.end());
    CHECK(kept == std::vector<std::int64_t>{5, 6});
    CHECK_THROWS_WITH(
        f.admin->transact("rollback",
                          [&](ovsdb::Transaction& txn) { mgmt::rollbackSwitch(txn, "sw", 2); }),
        Catch::Contains("keeps no generation 2"));
    CHECK_THROWS_WITH(
        f.admin->transact("keep",
                          [&](ovsdb::Transaction& txn) { mgmt::setKeepGenerations(txn, "sw", 0); }),
        Catch::Contains("at least one"));
    CHECK(f.generation() == 6);
}

TEST_CASE("the snapshot folder refuses names that leave it and writes nothing", "[snapshot-store]")
{
    TempDir dir;
    mgmt::SnapshotStore store(dir.path() / "snapshots");
    auto snap = mgmt::Snapshot::parse(R"(<snapshot version='1'>
  <name>s1</name>
  <generation>3</generation>
  <network>
    <name>sw</name>
    <uuid>0b2d4c8e-3f4a-4b5c-8d6e-7f8091a2b3c4</uuid>
    <forward mode='bridge'/>
    <bridge name='br-sw'/>
    <virtualport type='openvswitch'/>
  </network>
</snapshot>
)");
    for (const std::string& name : std::vector<std::string>{"", ".", "..", "../x", "a/b", ".hidden",
                                                            "a\nb", std::string(252, 'x')}) {
        INFO(name);
        auto bad = snap;
        bad.name = name;
        try {
            store.save("sw", bad);
            FAIL("saved");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::InvalidArg);
        }
        try {
            store.save(name, snap);
            FAIL("saved");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::InvalidArg);
        }
        CHECK_THROWS_AS(store.load("sw", name), Error);
        CHECK_THROWS_AS(store.remove("sw", name), Error);
    }
    CHECK_FALSE(fs::exists(store.dir()));

    auto path = store.save("sw", snap);
    CHECK(path == store.dir() / "sw" / "s1.xml");
    struct stat st
    {};
    REQUIRE(stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0640);
    try {
        store.save("sw", snap);
        FAIL("saved twice");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::OperationInvalid);
    }
    CHECK(store.load("sw", "s1").format() == snap.format());
    try {
        store.load("sw", "nope");
        FAIL("loaded");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::InvalidArg);
        CHECK(std::string(e.what()).find("no snapshot named 'nope'") != std::string::npos);
    }

    // A broken file is listed with its error, and loading it says what is wrong.
    util::writeFileAtomic(store.dir() / "sw" / "broken.xml", "<snapshot version='1'>");
    auto list = store.list();
    REQUIRE(list.size() == 2);
    CHECK(list[0].name == "broken");
    CHECK_FALSE(list[0].error.empty());
    CHECK(list[1].generation == 3);
    CHECK_THROWS_WITH(store.load("sw", "broken"), Catch::Contains("Premature end"));
    CHECK(store.switchesWith("s1") == std::vector<std::string>{"sw"});

    // Pruning keeps the newest by generation among the names with the prefix.
    for (int g = 4; g <= 7; ++g) {
        auto copy = snap;
        copy.name = "generation-" + std::to_string(g);
        copy.generation = g;
        store.save("sw", copy);
    }
    auto removed = store.prune("sw", "generation-", 2);
    std::sort(removed.begin(), removed.end());
    CHECK(removed == std::vector<std::string>{"generation-4", "generation-5"});
    CHECK(store.list("sw").size() == 4);

    store.remove("sw", "s1");
    CHECK_FALSE(fs::exists(path));
}
