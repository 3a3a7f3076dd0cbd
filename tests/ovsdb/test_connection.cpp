// SPDX-License-Identifier: LGPL-2.1-or-later
// The JSON-RPC session against a real ovsdb-server.
#include <set>

#include <catch2/catch.hpp>

#include "ovs_sandbox.h"
#include "ovsdb/connection.h"
#include "test_support.h"

using namespace dvs::ovsdb;
using dvs::test::OvsSandbox;
using dvs::test::runUntil;

TEST_CASE("connect over unix and tcp, list_dbs, pipelined requests within the window",
          "[connection]")
{
    if (auto why = OvsSandbox::unavailable()) {
        dvs::test::skip(*why);
        return;
    }
    OvsSandbox ovs({.tcp = true});
    for (const std::string kind : {"unix", "tcp"}) {
        DYNAMIC_SECTION(kind)
        {
            std::string remote = kind == "unix" ? ovs.unixRemote() : ovs.tcpRemote();
            ConnectionOptions options;
            options.remotes = {remote};
            options.window = 4;
            Connection conn(nullptr, options);
            int states = 0;
            conn.setStateHandler([&](const dvs::Error* error) {
                CHECK(error == nullptr);
                ++states;
            });
            conn.start();
            REQUIRE(runUntil([&] { return conn.connected(); }));
            CHECK(states == 1);

            std::optional<Json> dbs;
            conn.call("list_dbs", Json::array(), [&](Result<Json> r) { dbs = r.value(); });
            REQUIRE(runUntil([&] { return dbs.has_value(); }));
            CHECK(dbs->is_array());
            CHECK(std::find(dbs->begin(), dbs->end(), "Open_vSwitch") != dbs->end());
            CHECK(std::find(dbs->begin(), dbs->end(), "_Server") != dbs->end());

            // 50 echo requests through a window of 4: all answered, in order, never more than
            // 4 outstanding.
            std::vector<int> answered;
            for (int i = 0; i < 50; ++i) {
                conn.call("echo", Json::array({i}), [&answered](Result<Json> r) {
                    answered.push_back(r.value()[0].get<int>());
                });
            }
            CHECK(conn.outstanding() <= 4);
            CHECK(conn.queued() >= 46);
            REQUIRE(runUntil([&] { return answered.size() == 50; }));
            for (int i = 0; i < 50; ++i) {
                CHECK(answered[i] == i);
            }
            CHECK(conn.stats().maxOutstanding == 4);

            // A JSON-RPC error from the server is an error value, and the session stays.
            std::optional<dvs::Error> error;
            conn.call("no_such_method", Json::array(), [&](Result<Json> r) {
                REQUIRE_FALSE(r.ok());
                error = r.error();
            });
            REQUIRE(runUntil([&] { return error.has_value(); }));
            CHECK(error->code() == dvs::ErrorCode::OperationFailed);
            CHECK(error->message().find("no_such_method") != std::string::npos);
            CHECK(conn.connected());
        }
    }
}

TEST_CASE("a request without a session fails from the main loop", "[connection]")
{
    ConnectionOptions options;
    options.remotes = {"unix:/nonexistent-dir-for-test/db.sock"};
    options.reconnect = false;
    Connection conn(nullptr, options);
    bool called = false;
    conn.call("list_dbs", Json::array(), [&](Result<Json> r) {
        CHECK_FALSE(r.ok());
        called = true;
    });
    CHECK_FALSE(called);
    REQUIRE(runUntil([&] { return called; }));
}

TEST_CASE("remotes are parsed as ovs-vsctl spells them", "[connection]")
{
    CHECK(Remote::parse("unix:/run/openvswitch/db.sock").path == "/run/openvswitch/db.sock");
    auto tcp = Remote::parse("tcp:127.0.0.1:6640");
    CHECK(tcp.kind == Remote::Kind::Tcp);
    CHECK(tcp.port == 6640);
    CHECK(Remote::parse("tcp:[::1]:6640").host == "::1");
    CHECK(Remote::parse("tcp:[::1]:6640").toString() == "tcp:[::1]:6640");
    CHECK_THROWS_AS(Remote::parse("tcp:127.0.0.1"), dvs::Error);
    CHECK_THROWS_AS(Remote::parse("tcp:example.org:6640"), dvs::Error);
    CHECK(Remote::parse("ssl:1.2.3.4:6640").kind == Remote::Kind::Ssl);
    CHECK_THROWS_AS(Remote::parse("ssl:1.2.3.4"), dvs::Error);
    CHECK_THROWS_AS(Remote::parse("pssl:6640"), dvs::Error);
    CHECK_THROWS_AS(Remote::parse("unix:"), dvs::Error);
}

TEST_CASE("shuffled remotes spread clients over a cluster's servers", "[connection]")
{
    // Before the first attempt, remote() names the last remote of the order in use.
    auto lastOf = [](bool shuffle) {
        ConnectionOptions options;
        options.remotes = {"unix:/a", "unix:/b", "unix:/c"};
        options.shuffleRemotes = shuffle;
        return Connection(nullptr, options).remote();
    };
    std::set<std::string> fixed;
    std::set<std::string> shuffled;
    for (int i = 0; i < 64; ++i) {
        fixed.insert(lastOf(false));
        shuffled.insert(lastOf(true));
    }
    CHECK(fixed == std::set<std::string>{"unix:/c"});
    CHECK(shuffled == std::set<std::string>{"unix:/a", "unix:/b", "unix:/c"});
}

TEST_CASE("the server's echo is answered and idle tcp sessions are probed", "[connection]")
{
    if (auto why = OvsSandbox::unavailable()) {
        dvs::test::skip(*why);
        return;
    }
    OvsSandbox ovs({.tcp = true});
    // A manager remote with a short server-side inactivity probe (ovsdb-server's minimum is
    // 1 s): the server sends us echo requests, and drops us if we do not answer.
    int port = OvsSandbox::freeTcpPort();
    std::string target = "ptcp:" + std::to_string(port) + ":127.0.0.1";
    ovs.vsctl({"--", "--id=@m", "create", "Manager", "target=\"" + target + "\"",
               "inactivity_probe=1000", "--", "set", "Open_vSwitch", ".", "manager_options=@m"});

    SECTION("server probes")
    {
        ConnectionOptions options;
        options.remotes = {"tcp:127.0.0.1:" + std::to_string(port)};
        options.probeInterval = std::chrono::milliseconds(0);
        options.backoffMin = std::chrono::milliseconds(20);
        Connection conn(nullptr, options);
        conn.start();
        // The manager remote is opened asynchronously after the transaction.
        REQUIRE(runUntil([&] { return conn.connected(); }));
        REQUIRE(
            runUntil([&] { return conn.stats().echoRepliesSent >= 2; }, std::chrono::seconds(6)));
        CHECK(conn.connected());
        CHECK(conn.stats().resets == 0);
    }
    SECTION("client probes")
    {
        ConnectionOptions options;
        options.remotes = {ovs.tcpRemote()};
        options.probeInterval = std::chrono::milliseconds(100);
        Connection conn(nullptr, options);
        conn.start();
        REQUIRE(runUntil([&] { return conn.connected(); }));
        // Idle: our probes go out, are answered, and the session stays.
        REQUIRE(runUntil([&] { return conn.stats().probesSent >= 3; }, std::chrono::seconds(5)));
        CHECK(conn.connected());
        CHECK(conn.stats().resets == 0);
    }
}
