// SPDX-License-Identifier: LGPL-2.1-or-later
// ovsdb-server killed with SIGKILL and restarted: the client reconnects by itself and brings
// its replica up to date (full snapshot on a standalone database, monitor_cond_since with the
// last transaction id on a clustered one).
#include <csignal>

#include <catch2/catch.hpp>

#include "client_fixture.h"

using namespace dvs::ovsdb;
using namespace dvs::test;

TEST_CASE("standalone: reconnect after SIGKILL resyncs from a snapshot", "[reconnect]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    OvsSandbox ovs;
    ovs.vsctl({"add-br", "br0", "--", "add-port", "br0", "keep", "--", "add-port", "br0", "gone",
               "--", "set", "Port", "keep", "tag=1"});
    Client client(nullptr, vswitchClientOptions(ovs.unixRemote()));
    std::vector<ClientState> states;
    client.addStateListener([&](ClientState state, const dvs::Error*) { states.push_back(state); });
    client.start();
    REQUIRE(waitReady(client));
    REQUIRE(vs::Port::findByName(client.replica(), "gone").has_value());
    CHECK(client.stats().snapshots == 1);
    auto keepUuid = vs::Port::findByName(client.replica(), "keep")->uuid();
    auto goneUuid = vs::Port::findByName(client.replica(), "gone")->uuid();

    ovs.killServer(SIGKILL);
    REQUIRE(runUntil([&] { return client.state() == ClientState::Connecting; }));
    REQUIRE(client.lastError().has_value());

    // While the server is down, the database changes behind the client's back.
    // Dropping "gone" from the bridge lets the server collect its Port and Interface rows.
    std::string offline = ovs.run({"ovsdb-tool", "transact", (ovs.dir() / "conf.db").string(),
                                   R"(["Open_vSwitch",
             {"op":"update","table":"Port","where":[["name","==","keep"]],"row":{"tag":42}},
             {"op":"mutate","table":"Bridge","where":[["name","==","br0"]],
              "mutations":[["ports","delete",["uuid",")" +
                                       goneUuid.toString() + R"("]]]}])"});
    INFO(offline);
    REQUIRE(offline.find("error") == std::string::npos);
    // And a transaction is asked for: it waits for the session instead of failing.
    std::optional<Result<TxnResult>> queued;
    client.transact(
        "while down",
        [](Transaction& txn) {
            auto br = vs::Bridge::findByName(txn.replica(), "br0");
            txn.mutate(br->uuid(), {vs::Bridge::insertExternalIds({{"after", "restart"}})});
        },
        [&](Result<TxnResult> r) { queued = std::move(r); });

    std::vector<RowChange> changes;
    client.replica().clearTrackedChanges();
    ovs.startServer();
    REQUIRE(waitReady(client));
    REQUIRE(runUntil([&] { return queued.has_value(); }));
    REQUIRE(queued->ok());
    CHECK(client.stats().snapshots == 2);
    CHECK(client.connection().stats().connects >= 2);

    // The snapshot was diffed against the replica: the row that stayed keeps its uuid and is
    // reported modified; the deleted ones are reported deleted.
    auto keep = vs::Port::findByName(client.replica(), "keep");
    REQUIRE(keep.has_value());
    CHECK(keep->uuid() == keepUuid);
    CHECK(keep->tag() == 42);
    CHECK_FALSE(vs::Port::findByName(client.replica(), "gone").has_value());
    std::map<std::pair<std::string, ChangeKind>, int> counts;
    for (const auto& c : client.replica().trackedChanges()) {
        ++counts[{c.table, c.kind}];
    }
    CHECK(counts[{"Port", ChangeKind::Modify}] == 1);
    CHECK(counts[{"Port", ChangeKind::Delete}] == 1);
    CHECK(counts[{"Interface", ChangeKind::Delete}] == 1);
    CHECK(ovs.vsctl({"br-get-external-id", "br0", "after"}) == "restart");
    // The states went through the loss and back.
    CHECK(std::count(states.begin(), states.end(), ClientState::Ready) == 2);
}

TEST_CASE("clustered: _Server status and a fast resync with the last transaction id", "[reconnect]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    OvsSandbox ovs({.tcp = true, .clustered = true});
    auto options = vswitchClientOptions(ovs.unixRemote());
    options.requireLeader = true;
    Client client(nullptr, options);
    client.start();
    REQUIRE(waitReady(client));
    auto status = client.databaseStatus();
    REQUIRE(status.has_value());
    CHECK(status->model == "clustered");
    CHECK(status->connected);
    CHECK(status->leader);
    CHECK(client.monitorMethod() == MonitorMethod::CondSince);
    // ovsdb-server keeps no more transaction history than the database has atoms, so give the
    // database some bulk first; the small changes below then stay in the history.
    std::vector<std::string> bulk{"add-br", "br0"};
    for (int i = 0; i < 40; ++i) {
        std::string name = "bulk" + std::to_string(i);
        bulk.insert(bulk.end(), {"--", "add-port", "br0", name, "--", "set", "Interface", name,
                                 "external_ids:iface-id=" + name + "-id"});
    }
    ovs.vsctl(bulk);
    REQUIRE(runUntil([&] { return vs::Port::all(client.replica()).size() == 41; }));
    ovs.vsctl({"set", "Port", "br0", "tag=3"});
    REQUIRE(runUntil([&] { return vs::Port::findByName(client.replica(), "br0")->tag() == 3; }));
    std::string txnId = client.lastTxnId();
    CHECK(txnId != "00000000-0000-0000-0000-000000000000");

    // A lost session (here dropped by the client) resumes from the last transaction id: the
    // server sends only what changed meanwhile.
    client.connection().reset(dvs::Error(dvs::ErrorCode::SystemError, "test: session dropped"));
    ovs.vsctl({"set", "Port", "br0", "tag=5"});
    REQUIRE(runUntil([&] {
        return client.state() == ClientState::Ready &&
               client.stats().fastResyncs + client.stats().snapshots == 2;
    }));
    CHECK(client.stats().fastResyncs == 1);
    REQUIRE(runUntil([&] { return vs::Port::findByName(client.replica(), "br0")->tag() == 5; }));

    // A server killed and restarted: the replica catches up whichever way the server resumes.
    ovs.killServer(SIGKILL);
    REQUIRE(runUntil([&] { return client.state() == ClientState::Connecting; }));
    ovs.startServer();
    ovs.vsctl({"set", "Port", "br0", "tag=7"});
    REQUIRE(waitReady(client));
    REQUIRE(runUntil([&] { return vs::Port::findByName(client.replica(), "br0")->tag() == 7; }));
    CHECK(client.stats().fastResyncs + client.stats().snapshots == 3);
    CHECK(client.lastTxnId() != txnId);
}

TEST_CASE("clustered: a follower is left for the leader when the leader is required", "[reconnect]")
{
    OvsSandboxOptions sandboxOptions{.clustered = true, .clusterSize = 3};
    if (auto why = OvsSandbox::unavailable(sandboxOptions)) {
        skip(*why);
        return;
    }
    OvsSandbox ovs(sandboxOptions);
    int leader = ovs.leaderIndex();
    REQUIRE(leader >= 0);
    int follower = (leader + 1) % ovs.serverCount();

    SECTION("a follower is fine without requireLeader, and writes go through it")
    {
        Client client(nullptr, vswitchClientOptions(ovs.unixRemote(follower)));
        client.start();
        REQUIRE(waitReady(client));
        auto status = client.databaseStatus();
        REQUIRE(status.has_value());
        CHECK(status->model == "clustered");
        CHECK(status->connected);
        CHECK_FALSE(status->leader);
        auto result = transactAndWait(client, "via follower", [](Transaction& txn) {
            auto root = vs::OpenVSwitch::all(txn.replica()).front();
            Ref br = txn.insert(vs::Bridge::Values().setName("brf"));
            txn.mutate(root.uuid(), {vs::OpenVSwitch::insertBridges({br})});
        });
        REQUIRE(result.ok());
        REQUIRE(runUntil([&] { return vs::Bridge::findByName(client.replica(), "brf"); }));
    }
    SECTION("requireLeader moves on from the follower to the leader")
    {
        auto options = vswitchClientOptions(ovs.unixRemote(follower));
        options.connection.remotes.push_back(ovs.unixRemote(leader));
        options.requireLeader = true;
        Client client(nullptr, options);
        std::vector<std::string> errors;
        client.addStateListener([&](ClientState, const dvs::Error* error) {
            if (error != nullptr) {
                errors.push_back(error->message());
            }
        });
        client.start();
        REQUIRE(waitReady(client));
        CHECK(client.connection().remote() == ovs.unixRemote(leader));
        REQUIRE(client.databaseStatus().has_value());
        CHECK(client.databaseStatus()->leader);
        REQUIRE_FALSE(errors.empty());
        CHECK(errors.front().find("not the leader") != std::string::npos);
    }
}
