// SPDX-License-Identifier: LGPL-2.1-or-later
// The DVS schema loads in a real ovsdb-server, standalone and clustered, and its constraints hold:
// children reference their parent strongly, enums and ranges are enforced.
#include <optional>

#include <catch2/catch.hpp>

#include "mgmt/database.h"
#include "mgmt_fixture.h"
#include "ovs_sandbox.h"
#include "test_support.h"

using namespace dvs;
using namespace dvs::ovsdb;
using namespace dvs::test;
namespace db = dvs::mgmt::db;

namespace {

Result<TxnResult> transactAndWait(Client& client, Client::Builder builder)
{
    std::optional<Result<TxnResult>> result;
    client.transact("test", std::move(builder),
                    [&](Result<TxnResult> r) { result = std::move(r); });
    if (!runUntil([&] { return result.has_value(); })) {
        return Error(ErrorCode::OperationTimeout, "the transaction did not complete in time");
    }
    return std::move(*result);
}

std::vector<std::string_view> allTables()
{
    return {db::Switch::kTable,  db::Portgroup::kTable,    db::SwitchGeneration::kTable,
            db::Member::kTable,  db::MemberStatus::kTable, db::HostStatus::kTable,
            db::Rollout::kTable, db::RolloutHost::kTable,  db::Host::kTable};
}

// Defines switch sw with one portgroup and its first generation, as switch-define does.
Result<TxnResult> defineSwitch(Client& client)
{
    return transactAndWait(client, [](Transaction& txn) {
        txn.verifyAbsent(db::Switch::kTable, "name", "sw");
        Ref sw = txn.insert(db::Switch::Values()
                                .setName("sw")
                                .setNetworkUuid("6f2a1a1e-2f53-4c5c-9a47-0e3c1f0d2b11")
                                .setDefinition("<network><name>sw</name></network>")
                                .setGeneration(1));
        txn.insert(db::Portgroup::Values().setSwitch(sw).setName("web").setDefinition(
            "<portgroup name='web'><vlan><tag id='10'/></vlan></portgroup>"));
        txn.insert(db::SwitchGeneration::Values()
                       .setSwitch(sw)
                       .setGeneration(1)
                       .setDefinition("<network/>")
                       .setChange("define"));
    });
}

} // namespace

TEST_CASE("the DVS schema is a valid OVSDB schema named DVS", "[schema]")
{
    OvsSandboxOptions options = dvsSandboxOptions();
    if (auto why = OvsSandbox::unavailable(options)) {
        skip(*why);
        return;
    }
    OvsSandbox ovs(options);
    CHECK(ovs.database() == "DVS");
    CHECK(ovs.run({"ovsdb-tool", "schema-version", mgmt::schemaPath().string()}) ==
          std::string(db::kSchemaVersion));
    // The server serves it under that name.
    CHECK(ovs.run({"ovsdb-client", "list-dbs", ovs.unixRemote()}).find("DVS") != std::string::npos);
}

TEST_CASE("the generated accessors write and read DVS rows in a real server", "[schema]")
{
    OvsSandboxOptions options = dvsSandboxOptions();
    if (auto why = OvsSandbox::unavailable(options)) {
        skip(*why);
        return;
    }
    OvsSandbox ovs(options);
    Client client(nullptr, mgmt::clientOptions({ovs.unixRemote()}, allTables()));
    client.start();
    REQUIRE(runUntil([&] { return client.state() == ClientState::Ready; }));

    auto defined = defineSwitch(client);
    REQUIRE(defined.ok());
    auto sw = db::Switch::findByName(client.replica(), "sw");
    REQUIRE(sw.has_value());
    CHECK(sw->generation() == 1);
    CHECK_FALSE(sw->rolloutBatch().has_value());
    auto pgs = db::Portgroup::all(client.replica());
    REQUIRE(pgs.size() == 1);
    CHECK(pgs[0].switchColumn() == sw->uuid());

    // A second switch of the same name is refused by the prerequisite.
    auto again = defineSwitch(client);
    CHECK_FALSE(again.ok());

    // Deleting the switch alone breaks its children's strong references: refused.
    auto orphaning = transactAndWait(
        client, [&](Transaction& txn) { txn.remove(db::Switch::kTable, sw->uuid()); });
    REQUIRE_FALSE(orphaning.ok());
    CHECK(orphaning.error().message().find("referential integrity") != std::string::npos);

    // Status states are an enum: a made-up one is a constraint violation.
    auto badState = transactAndWait(client, [](Transaction& txn) {
        txn.insert(db::MemberStatus::Values().setHost("h1").setSwitch("sw").setState("happy"));
    });
    CHECK_FALSE(badState.ok());
    auto goodState = transactAndWait(client, [](Transaction& txn) {
        txn.insert(db::MemberStatus::Values()
                       .setHost("h1")
                       .setSwitch("sw")
                       .setState("in-sync")
                       .setGeneration(1)
                       .setUplinkState({{"eth1", "up"}}));
    });
    REQUIRE(goodState.ok());
    auto statuses = db::MemberStatus::all(client.replica());
    REQUIRE(statuses.size() == 1);
    CHECK(statuses[0].state() == "in-sync");
    CHECK(statuses[0].uplinkState().at("eth1") == "up");

    // The switch goes with its children in one transaction.
    auto undefined = transactAndWait(client, [&](Transaction& txn) {
        for (const auto& pg : db::Portgroup::all(txn.replica())) {
            txn.remove(db::Portgroup::kTable, pg.uuid());
        }
        for (const auto& gen : db::SwitchGeneration::all(txn.replica())) {
            txn.remove(db::SwitchGeneration::kTable, gen.uuid());
        }
        txn.remove(db::Switch::kTable, sw->uuid());
    });
    REQUIRE(undefined.ok());
    CHECK(db::Switch::all(client.replica()).empty());
    // Status rows name their switch: they outlive it until their host removes them.
    CHECK(db::MemberStatus::all(client.replica()).size() == 1);
}

TEST_CASE("the DVS schema runs in a 3-server Raft cluster", "[schema][cluster]")
{
    OvsSandboxOptions options = dvsSandboxOptions(true);
    if (auto why = OvsSandbox::unavailable(options)) {
        skip(*why);
        return;
    }
    OvsSandbox ovs(options);
    REQUIRE(ovs.serverCount() == 3);
    // Written through one server, read through another.
    Client writer(nullptr, mgmt::clientOptions({ovs.unixRemote(1)}, allTables()));
    Client reader(nullptr, mgmt::clientOptions({ovs.unixRemote(2)}, allTables()));
    writer.start();
    reader.start();
    REQUIRE(runUntil([&] {
        return writer.state() == ClientState::Ready && reader.state() == ClientState::Ready;
    }));
    REQUIRE(defineSwitch(writer).ok());
    REQUIRE(runUntil([&] { return db::Switch::findByName(reader.replica(), "sw").has_value(); }));
    CHECK(reader.databaseStatus()->model == "clustered");
}

TEST_CASE("management remotes are split and checked", "[schema]")
{
    CHECK(mgmt::splitRemotes("unix:/run/dvs/db.sock") ==
          std::vector<std::string>{"unix:/run/dvs/db.sock"});
    CHECK(mgmt::splitRemotes("tcp:10.0.0.1:6641, tcp:10.0.0.2:6641") ==
          std::vector<std::string>{"tcp:10.0.0.1:6641", "tcp:10.0.0.2:6641"});
    CHECK_THROWS_AS(mgmt::splitRemotes(""), Error);
    CHECK_THROWS_AS(mgmt::splitRemotes("http://x"), Error);
}
