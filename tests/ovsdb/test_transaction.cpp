// SPDX-License-Identifier: LGPL-2.1-or-later
// Transactions against a real ovsdb-server: named-uuid inserts, map mutations that keep other
// owners' keys, wait prerequisites with TRY_AGAIN retries against a real other writer.
#include <catch2/catch.hpp>

#include "client_fixture.h"
#include "util/file.h"

using namespace dvs::ovsdb;
using namespace dvs::test;

namespace {

// Adds a port (Interface + Port) to a bridge the way a port programmer does: new non-root rows
// referenced in the same transaction, the bridge's port set mutated (not rewritten).
void addPort(Transaction& txn, const std::string& bridge, const std::string& name, std::int64_t tag)
{
    auto br = vs::Bridge::findByName(txn.replica(), bridge);
    if (!br) {
        dvs::raise(dvs::ErrorCode::InternalError, "no bridge '{}'", bridge);
    }
    Ref iface = txn.insert(vs::Interface::Values().setName(name).setExternalIds(
        {{"iface-id", name + "-id"}, {"attached-mac", "52:54:00:00:00:01"}}));
    Ref port = txn.insert(vs::Port::Values().setName(name).setInterfaces({iface}).setTag(tag));
    txn.mutate(br->uuid(), {vs::Bridge::insertPorts({port})});
}

struct Sandbox
{
    OvsSandbox ovs;
    Client client;

    Sandbox() : client(nullptr, vswitchClientOptions(ovs.unixRemote()))
    {
        ovs.vsctl({"add-br", "br0"});
        client.start();
        REQUIRE(waitReady(client));
        REQUIRE(runUntil([&] { return vs::Bridge::findByName(client.replica(), "br0"); }));
    }
};

} // namespace

TEST_CASE("new rows are referenced by uuid-name in one transaction", "[transaction]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    Sandbox s;
    auto result = transactAndWait(s.client, "test: add-port vnet0",
                                  [](Transaction& txn) { addPort(txn, "br0", "vnet0", 10); });
    REQUIRE(result.ok());
    CHECK(result.value().status == TxnResult::Status::Success);
    CHECK(result.value().attempts == 1);
    REQUIRE(result.value().inserted.size() == 2);
    // The replica has our own write by the time the reply arrives (the update comes first).
    auto port = vs::Port::findByName(s.client.replica(), "vnet0");
    REQUIRE(port.has_value());
    CHECK(result.value().uuidOf(Ref::named("row2")) == port->uuid());
    CHECK(port->tag() == 10);
    // A real other reader agrees.
    CHECK(s.ovs.vsctl({"get", "Port", "vnet0", "tag"}) == "10");
    CHECK(s.ovs.vsctl({"get", "Interface", "vnet0", "external_ids:iface-id"}) == "vnet0-id");
    CHECK(s.ovs.vsctl({"list-ports", "br0"}) == "vnet0");
    // The comment names the operation in the database log.
    CHECK(dvs::util::readFile(s.ovs.dir() / "conf.db", 64 << 20).find("test: add-port vnet0") !=
          std::string::npos);
}

TEST_CASE("map mutations keep keys owned by others", "[transaction]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    Sandbox s;
    REQUIRE(transactAndWait(s.client, "add", [](Transaction& txn) {
                addPort(txn, "br0", "vnet1", 20);
            }).ok());
    s.ovs.vsctl({"set", "Interface", "vnet1", "external_ids:owner=other", "external_ids:stale=x"});
    REQUIRE(runUntil([&] {
        return vs::Interface::findByName(s.client.replica(), "vnet1")->externalIds().count("stale");
    }));
    auto result = transactAndWait(s.client, "retag", [](Transaction& txn) {
        auto iface = vs::Interface::findByName(txn.replica(), "vnet1");
        // Replace the value of a key we own: delete then insert, in one mutate.
        txn.mutate(iface->uuid(), {vs::Interface::deleteExternalIdsKeys({"iface-id", "stale"}),
                                   vs::Interface::insertExternalIds(
                                       {{"iface-id", "new-id"}, {"dvs-owned", "yes"}})});
    });
    REQUIRE(result.ok());
    auto ids = vs::Interface::findByName(s.client.replica(), "vnet1")->externalIds();
    CHECK(ids["owner"] == "other");
    CHECK(ids["iface-id"] == "new-id");
    CHECK(ids["dvs-owned"] == "yes");
    CHECK(ids.count("stale") == 0);
    CHECK(ids["attached-mac"] == "52:54:00:00:00:01");
    CHECK(s.ovs.vsctl({"get", "Interface", "vnet1", "external_ids:owner"}) == "other");
}

TEST_CASE("a failed wait is retried after the replica has the other writer's change",
          "[transaction]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    Sandbox s;
    REQUIRE(transactAndWait(s.client, "add", [](Transaction& txn) {
                addPort(txn, "br0", "mine", 30);
            }).ok());
    int builds = 0;
    // Read-modify-write of Bridge.ports as a whole (as NetworkManager does): the prerequisite
    // protects against overwriting a port added by someone else meanwhile.
    auto result = transactAndWait(s.client, "drop mine", [&](Transaction& txn) {
        ++builds;
        auto br = vs::Bridge::findByName(txn.replica(), "br0");
        auto mine = vs::Port::findByName(txn.replica(), "mine");
        if (builds == 1) {
            // Another writer adds a port after we read the bridge, before we commit.
            s.ovs.vsctl({"add-port", "br0", "theirs"});
        }
        txn.verify(vs::Bridge::kTable, br->uuid(), {vs::Bridge::Col::kPorts});
        std::vector<Ref> ports;
        for (const auto& uuid : br->ports()) {
            if (uuid != mine->uuid()) {
                ports.emplace_back(uuid);
            }
        }
        txn.update(br->uuid(), vs::Bridge::Values().setPorts(ports));
    });
    REQUIRE(result.ok());
    CHECK(builds == 2);
    CHECK(result.value().attempts == 2);
    CHECK(s.client.stats().tryAgains == 1);
    // Without the retry, "theirs" would have been dropped with the whole-set write.
    CHECK(s.ovs.vsctl({"list-ports", "br0"}) == "theirs");
    CHECK_FALSE(vs::Port::findByName(s.client.replica(), "mine").has_value());
}

TEST_CASE("verifyAbsent guards an insert by name", "[transaction]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    Sandbox s;
    int builds = 0;
    auto result = transactAndWait(s.client, "create br1", [&](Transaction& txn) {
        ++builds;
        if (vs::Bridge::findByName(txn.replica(), "br1")) {
            return; // someone else made it: nothing to do
        }
        if (builds == 1) {
            s.ovs.vsctl({"add-br", "br1"});
        }
        txn.verifyAbsent(vs::Bridge::kTable, vs::Bridge::Col::kName, "br1");
        Ref br = txn.insert(vs::Bridge::Values().setName("br1"));
        auto root = vs::OpenVSwitch::all(txn.replica()).front();
        txn.mutate(root.uuid(), {vs::OpenVSwitch::insertBridges({br})});
    });
    REQUIRE(result.ok());
    CHECK(builds == 2);
    CHECK(result.value().status == TxnResult::Status::Unchanged);
}

TEST_CASE("server-side failures and builder errors are error values", "[transaction]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    Sandbox s;
    auto txnsBefore = s.client.stats().transactionsSent;
    SECTION("a reference to a row that does not exist")
    {
        auto result = transactAndWait(s.client, "dangling", [](Transaction& txn) {
            auto br = vs::Bridge::findByName(txn.replica(), "br0");
            auto missing = *dvs::util::Uuid::parse("12345678-1234-4234-8234-123456789abc");
            txn.update(br->uuid(), vs::Bridge::Values().setPorts({Ref(missing)}));
        });
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().code() == dvs::ErrorCode::OperationFailed);
        CHECK(result.error().message().find("referential integrity violation") !=
              std::string::npos);
        CHECK(result.error().message().find("'dangling'") != std::string::npos);
    }
    SECTION("a builder that throws")
    {
        auto result = transactAndWait(s.client, "throws", [](Transaction&) {
            dvs::raise(dvs::ErrorCode::InvalidArg, "bridge '{}' is not ours", "br0");
        });
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().code() == dvs::ErrorCode::InvalidArg);
        CHECK(s.client.stats().transactionsSent == txnsBefore);
    }
    SECTION("verify of a row that is not replicated")
    {
        auto result = transactAndWait(s.client, "verify", [](Transaction& txn) {
            txn.verify(vs::Bridge::kTable, dvs::util::Uuid::generate(), {vs::Bridge::Col::kPorts});
        });
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().code() == dvs::ErrorCode::OperationInvalid);
    }
    SECTION("nothing to write: no request at all")
    {
        auto result = transactAndWait(s.client, "noop", [](Transaction& txn) {
            auto br = vs::Bridge::findByName(txn.replica(), "br0");
            txn.verify(vs::Bridge::kTable, br->uuid(), {vs::Bridge::Col::kName});
        });
        REQUIRE(result.ok());
        CHECK(result.value().status == TxnResult::Status::Unchanged);
        CHECK(s.client.stats().transactionsSent == txnsBefore);
    }
}

TEST_CASE("many transactions pipeline within the window", "[transaction]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    OvsSandbox ovs;
    ovs.vsctl({"add-br", "br0"});
    auto options = vswitchClientOptions(ovs.unixRemote());
    options.connection.window = 16;
    Client client(nullptr, options);
    // Queued before the client is even started: sent once the replica is ready.
    constexpr int kPorts = 300;
    int done = 0;
    int failed = 0;
    for (int i = 0; i < kPorts; ++i) {
        client.transact(
            "add-port p" + std::to_string(i),
            [i](Transaction& txn) { addPort(txn, "br0", "p" + std::to_string(i), 1 + i % 4000); },
            [&](Result<TxnResult> r) {
                ++done;
                failed += r.ok() ? 0 : 1;
            });
    }
    client.start();
    REQUIRE(runUntil([&] { return done == kPorts; }, std::chrono::seconds(20)));
    CHECK(failed == 0);
    CHECK(vs::Port::all(client.replica()).size() == kPorts + 1);
    CHECK(client.connection().stats().maxOutstanding <= 16);
    CHECK(client.connection().stats().maxOutstanding > 1);
}
