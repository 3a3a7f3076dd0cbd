// SPDX-License-Identifier: LGPL-2.1-or-later
// The replica follows a real ovsdb-server while ovs-vsctl (a real other writer) changes it.
#include <catch2/catch.hpp>

#include "client_fixture.h"

using namespace dvs::ovsdb;
using namespace dvs::test;

namespace {

std::optional<std::int64_t> portTag(const Client& client, const std::string& name)
{
    auto port = vs::Port::findByName(client.replica(), name);
    return port ? port->tag() : std::nullopt;
}

} // namespace

TEST_CASE("the replica sees inserts, updates and deletes by another writer", "[monitor]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    OvsSandbox ovs;
    for (auto method : {MonitorMethod::CondSince, MonitorMethod::Cond, MonitorMethod::Plain}) {
        DYNAMIC_SECTION(dvs::util::toString(method))
        {
            auto options = vswitchClientOptions(ovs.unixRemote());
            options.monitorMethod = method;
            Client client(nullptr, options);
            std::vector<RowChange> changes;
            client.replica().addListener([&](const std::vector<RowChange>& batch) {
                changes.insert(changes.end(), batch.begin(), batch.end());
            });
            client.start();
            REQUIRE(waitReady(client));
            CHECK(client.monitorMethod() == method);
            // The Open_vSwitch row from "ovs-vsctl init" came with the initial snapshot.
            CHECK(vs::OpenVSwitch::all(client.replica()).size() == 1);
            CHECK(client.databaseStatus().has_value());
            CHECK(client.databaseStatus()->model == "standalone");
            changes.clear();

            std::string br = "br" + std::to_string(static_cast<int>(method));
            ovs.vsctl({"add-br", br});
            REQUIRE(
                runUntil([&] { return vs::Bridge::findByName(client.replica(), br).has_value(); }));
            auto bridge = *vs::Bridge::findByName(client.replica(), br);
            // The bridge, its local port and interface, and the Open_vSwitch.bridges change.
            std::map<std::string, ChangeKind> seen;
            for (const auto& c : changes) {
                seen[c.table] = c.kind;
            }
            CHECK(seen["Bridge"] == ChangeKind::Insert);
            CHECK(seen["Port"] == ChangeKind::Insert);
            CHECK(seen["Interface"] == ChangeKind::Insert);
            CHECK(seen["Open_vSwitch"] == ChangeKind::Modify);
            REQUIRE(bridge.ports().size() == 1);
            auto port = vs::Port::get(client.replica(), bridge.ports().front());
            REQUIRE(port.has_value());
            CHECK(port->name() == br);
            CHECK_FALSE(port->tag().has_value());
            // Only the columns asked for are replicated.
            CHECK(bridge.row().find("datapath_type") == nullptr);
            CHECK_THROWS_AS(bridge.datapathType(), dvs::Error);

            changes.clear();
            auto seq = client.replica().seqno();
            ovs.vsctl({"set", "Port", br, "tag=10"});
            REQUIRE(runUntil([&] { return portTag(client, br) == 10; }));
            CHECK(client.replica().seqno() > seq);
            REQUIRE(changes.size() == 1);
            CHECK(changes[0].kind == ChangeKind::Modify);
            CHECK(changes[0].columns == std::set<std::string>{"tag"});

            // Optional values are replaced, sets are diffed: the replica must match the server.
            ovs.vsctl({"set", "Port", br, "tag=20", "trunks=1,2"});
            ovs.vsctl({"set", "Port", br, "trunks=2,3"});
            REQUIRE(runUntil([&] {
                return vs::Port::findByName(client.replica(), br)->trunks() ==
                       std::vector<std::int64_t>{2, 3};
            }));
            CHECK(portTag(client, br) == 20);
            ovs.vsctl({"clear", "Port", br, "tag"});
            REQUIRE(runUntil([&] { return !portTag(client, br).has_value(); }));

            ovs.vsctl({"br-set-external-id", br, "owner", "someone"});
            REQUIRE(runUntil([&] {
                return vs::Bridge::findByName(client.replica(), br)->externalIds().count("owner") ==
                       1;
            }));

            changes.clear();
            ovs.vsctl({"del-br", br});
            REQUIRE(runUntil([&] { return !vs::Bridge::findByName(client.replica(), br); }));
            CHECK(vs::Port::all(client.replica()).empty());
            std::size_t deletes = 0;
            for (const auto& c : changes) {
                if (c.kind == ChangeKind::Delete) {
                    ++deletes;
                    REQUIRE(c.old.has_value());
                }
            }
            CHECK(deletes == 3);
            // Tracked changes since the start include the bridge's whole life: nothing left.
            bool bridgeTracked = false;
            for (const auto& c : client.replica().trackedChanges()) {
                bridgeTracked = bridgeTracked || c.table == "Bridge";
            }
            CHECK_FALSE(bridgeTracked);
            client.stop();
            CHECK(client.state() == ClientState::Idle);
        }
    }
}

TEST_CASE("get_schema and list_dbs through the client's session", "[monitor]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    OvsSandbox ovs;
    Client client(nullptr, vswitchClientOptions(ovs.unixRemote()));
    client.start();
    REQUIRE(waitReady(client));
    REQUIRE(client.schema() != nullptr);
    CHECK(client.schema()->name() == "Open_vSwitch");
    CHECK(client.schema()->version() == std::string(vs::kSchemaVersion));
    const TableSchema* port = client.schema()->table("Port");
    REQUIRE(port != nullptr);
    CHECK_FALSE(port->isRoot);
    CHECK(client.schema()->table("QoS")->isRoot);

    std::optional<Json> dbs;
    client.call("list_dbs", Json::array(), [&](Result<Json> r) { dbs = r.value(); });
    REQUIRE(runUntil([&] { return dbs.has_value(); }));
    CHECK(std::find(dbs->begin(), dbs->end(), ovs.database()) != dbs->end());
}

TEST_CASE("a missing database is reported and retried", "[monitor]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    OvsSandbox ovs;
    auto options = vswitchClientOptions(ovs.unixRemote());
    options.database = "No_Such_DB";
    Client client(nullptr, options);
    std::vector<std::string> errors;
    client.addStateListener([&](ClientState, const dvs::Error* error) {
        if (error != nullptr) {
            errors.push_back(error->message());
        }
    });
    client.start();
    REQUIRE(runUntil([&] { return errors.size() >= 2; }));
    CHECK(client.state() != ClientState::Ready);
    CHECK(errors[0].find("No_Such_DB") != std::string::npos);
}
