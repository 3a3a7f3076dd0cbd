// SPDX-License-Identifier: LGPL-2.1-or-later
// The replica cache file (ClientOptions::replicaCache): a client restarted over a clustered
// database starts from the replica it saved and asks monitor_cond_since only for what changed
// since; a cache that does not fit the database is ignored; nothing is saved for a standalone
// database, whose transaction ids are all zero.
#include <catch2/catch.hpp>

#include "client_fixture.h"
#include "util/file.h"
#include "util/notice.h"

using namespace dvs::ovsdb;
using namespace dvs::test;
namespace fs = std::filesystem;

namespace {

// Gives a clustered database some bulk: ovsdb-server keeps no more transaction history than
// the database has atoms, so the small changes the tests make stay in the history.
void addBulk(OvsSandbox& ovs, int ports)
{
    std::vector<std::string> bulk{"add-br", "br0"};
    for (int i = 0; i < ports; ++i) {
        std::string name = "bulk" + std::to_string(i);
        bulk.insert(bulk.end(), {"--", "add-port", "br0", name, "--", "set", "Interface", name,
                                 "external_ids:iface-id=" + name + "-id"});
    }
    ovs.vsctl(bulk);
}

ClientOptions cachedOptions(const OvsSandbox& ovs, const fs::path& cache)
{
    auto options = vswitchClientOptions(ovs.unixRemote());
    options.replicaCache = cache;
    options.cacheInterval = std::chrono::hours(1); // saved on stop only, unless a test says
    return options;
}

// Whether two replicas hold the same rows in the same tables.
bool sameRows(const Replica& a, const Replica& b, const ClientOptions& options)
{
    for (const auto& [table, columns] : options.monitor) {
        if (a.rows(table) != b.rows(table)) {
            return false;
        }
    }
    return true;
}

// The replica of a fresh client without a cache, for comparison.
bool matchesServer(const Client& client, const OvsSandbox& ovs)
{
    auto options = vswitchClientOptions(ovs.unixRemote());
    Client fresh(nullptr, options);
    fresh.start();
    if (!waitReady(fresh)) {
        return false;
    }
    return sameRows(client.replica(), fresh.replica(), options);
}

// A one-server cluster with some bulk, and the path of a cache file in a folder of its own.
struct CachedCluster
{
    OvsSandbox ovs{{.clustered = true}};
    TempDir dir;
    fs::path cache = dir.path() / "replica.json";

    CachedCluster() { addBulk(ovs, 40); }
};

// Runs a client with the cache until a small change has reached it, then stops it, which saves
// the cache. (The server drops the bulk transaction from its history when the next one comes;
// the cache then keeps the id of a later, small one.) Returns the client's counters and whether
// the file existed before the stop.
std::pair<ClientStats, bool> runAndStop(OvsSandbox& ovs, const fs::path& cache)
{
    Client client(nullptr, cachedOptions(ovs, cache));
    client.start();
    REQUIRE(waitReady(client));
    ovs.vsctl({"set", "Port", "br0", "tag=3"});
    REQUIRE(runUntil([&] { return vs::Port::findByName(client.replica(), "br0")->tag() == 3; }));
    bool existed = fs::exists(cache);
    client.stop();
    return {client.stats(), existed};
}

} // namespace

TEST_CASE("clustered: a restarted client starts from its cache and gets only what changed",
          "[replica-cache]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    CachedCluster cluster;
    auto& [ovs, dir, cache] = cluster;
    auto [first, existed] = runAndStop(ovs, cache);
    CHECK(first.cacheLoads == 0);
    CHECK(first.snapshots + first.fastResyncs == 1);
    CHECK_FALSE(existed);
    CHECK(first.cacheSaves == 1);
    REQUIRE(fs::exists(cache));
    CHECK((fs::status(cache).permissions() & fs::perms::others_read) == fs::perms::none);

    // Changes made while no client runs.
    ovs.vsctl({"set", "Port", "bulk3", "tag=9"});
    ovs.vsctl({"add-port", "br0", "late", "--", "set", "Interface", "late",
               "external_ids:iface-id=late-id"});
    ovs.vsctl({"del-port", "br0", "bulk7"});

    Client second(nullptr, cachedOptions(ovs, cache));
    std::vector<RowChange> batches;
    second.replica().addListener([&](const std::vector<RowChange>& changes) {
        batches.insert(batches.end(), changes.begin(), changes.end());
    });
    second.start();
    REQUIRE(waitReady(second));
    CHECK(second.stats().cacheLoads == 1);
    CHECK(second.stats().fastResyncs == 1);
    CHECK(second.stats().snapshots == 0);
    CHECK(second.monitorMethod() == MonitorMethod::CondSince);
    REQUIRE(vs::Port::findByName(second.replica(), "bulk3").has_value());
    CHECK(vs::Port::findByName(second.replica(), "bulk3")->tag() == 9);
    CHECK(vs::Port::findByName(second.replica(), "late").has_value());
    CHECK_FALSE(vs::Port::findByName(second.replica(), "bulk7").has_value());
    CHECK(vs::Port::all(second.replica()).size() == 41);
    CHECK(matchesServer(second, ovs));
    // Listeners heard the cached rows, then the changes on top of them.
    CHECK(std::count_if(batches.begin(), batches.end(), [](const RowChange& c) {
              return c.table == "Port" && c.kind == ChangeKind::Delete;
          }) == 1);
}

TEST_CASE("clustered: a cache saved while running is a consistent point to resume from",
          "[replica-cache]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    CachedCluster cluster;
    auto& [ovs, dir, cache] = cluster;
    fs::path crashed = dir.path() / "as-left-by-a-crash.json";
    {
        auto options = cachedOptions(ovs, cache);
        options.cacheInterval = std::chrono::milliseconds(20);
        Client client(nullptr, options);
        client.start();
        REQUIRE(waitReady(client));
        ovs.vsctl({"set", "Port", "bulk1", "tag=11"});
        REQUIRE(runUntil([&] {
            auto port = vs::Port::findByName(client.replica(), "bulk1");
            return port && port->tag() == 11 && client.stats().cacheSaves >= 1 &&
                   fs::exists(cache) &&
                   dvs::ovsdb::Json::parse(dvs::util::readFile(cache))["txn-id"] ==
                       client.lastTxnId();
        }));
        // What a crash at this point would leave behind.
        fs::copy_file(cache, crashed);
        ovs.vsctl({"set", "Port", "bulk2", "tag=12"});
        REQUIRE(
            runUntil([&] { return vs::Port::findByName(client.replica(), "bulk2")->tag() == 12; }));
    }
    ovs.vsctl({"set", "Port", "bulk3", "tag=13"});

    Client resumed(nullptr, cachedOptions(ovs, crashed));
    resumed.start();
    REQUIRE(waitReady(resumed));
    CHECK(resumed.stats().cacheLoads == 1);
    CHECK(resumed.stats().fastResyncs == 1);
    CHECK(vs::Port::findByName(resumed.replica(), "bulk1")->tag() == 11);
    CHECK(vs::Port::findByName(resumed.replica(), "bulk2")->tag() == 12);
    CHECK(vs::Port::findByName(resumed.replica(), "bulk3")->tag() == 13);
    CHECK(matchesServer(resumed, ovs));
}

TEST_CASE("clustered: a cache that does not fit is ignored", "[replica-cache]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    CachedCluster cluster;
    auto& [ovs, dir, cache] = cluster;
    runAndStop(ovs, cache);
    REQUIRE(fs::exists(cache));
    std::string saved = dvs::util::readFile(cache);
    // A client started over what the section left in the file; ignored() says it went without.
    auto started = [&](const ClientOptions& options) {
        auto client = std::make_unique<Client>(nullptr, options);
        client->start();
        REQUIRE(waitReady(*client));
        return client;
    };
    auto ignored = [](const Client& client) {
        return client.stats().cacheLoads == 0 && client.stats().snapshots == 1;
    };

    SECTION("not JSON")
    {
        dvs::util::writeFileAtomic(cache, saved.substr(0, saved.size() / 2));
        // The client logs nothing itself: it says why it went without the cache in a notice.
        std::vector<dvs::util::Notice> notices;
        auto options = cachedOptions(ovs, cache);
        options.notices =
            dvs::util::NoticeSink([&notices](dvs::util::Notice n) { notices.push_back(n); });
        auto client = started(options);
        CHECK(ignored(*client));
        REQUIRE(notices.size() == 1);
        CHECK(notices[0].level == dvs::util::NoticeLevel::Warning);
        CHECK(notices[0].text.starts_with("Ignoring the OVSDB replica cache '" + cache.string()));
        CHECK(matchesServer(*client, ovs));
        // It is replaced by a good one when the client stops.
        client->stop();
        CHECK(client->stats().cacheSaves == 1);
        CHECK_NOTHROW(dvs::ovsdb::Json::parse(dvs::util::readFile(cache)));
    }
    SECTION("rows that do not fit the schema")
    {
        auto json = dvs::ovsdb::Json::parse(saved);
        auto& rows = json["tables"]["Port"];
        rows.begin().value()["initial"]["tag"] = "not a number";
        dvs::util::writeFileAtomic(cache, json.dump());
        auto client = started(cachedOptions(ovs, cache));
        CHECK(ignored(*client));
        CHECK(matchesServer(*client, ovs));
    }
    SECTION("another column set")
    {
        auto options = cachedOptions(ovs, cache);
        options.monitor.erase(std::string(vs::Interface::kTable));
        auto client = started(options);
        CHECK(ignored(*client));
        CHECK(client->replica().rows(vs::Interface::kTable).empty());
    }
    SECTION("a transaction the server does not know, with rows it no longer has")
    {
        auto json = dvs::ovsdb::Json::parse(saved);
        json["txn-id"] = dvs::util::Uuid::generate().toString();
        std::string ghost = dvs::util::Uuid::generate().toString();
        json["tables"]["Port"][ghost] = {{"initial", {{"name", "ghost"}}}};
        dvs::util::writeFileAtomic(cache, json.dump());
        auto client = started(cachedOptions(ovs, cache));
        // The cache was taken, the server did not find its transaction and sent everything,
        // which was diffed against the cached rows.
        CHECK(client->stats().cacheLoads == 1);
        CHECK(client->stats().snapshots == 1);
        CHECK(client->stats().fastResyncs == 0);
        CHECK_FALSE(vs::Port::findByName(client->replica(), "ghost").has_value());
        CHECK(matchesServer(*client, ovs));
    }
}

TEST_CASE("standalone: no replica cache is written", "[replica-cache]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    OvsSandbox ovs;
    ovs.vsctl({"add-br", "br0"});
    TempDir dir;
    fs::path cache = dir.path() / "replica.json";
    auto options = cachedOptions(ovs, cache);
    options.cacheInterval = std::chrono::milliseconds(10);
    Client client(nullptr, options);
    client.start();
    REQUIRE(waitReady(client));
    ovs.vsctl({"set", "Port", "br0", "tag=4"});
    REQUIRE(runUntil([&] { return vs::Port::findByName(client.replica(), "br0")->tag() == 4; }));
    // stop() saves whatever a timer has not saved yet: no wait is needed for a save to show.
    client.stop();
    CHECK(client.stats().cacheSaves == 0);
    CHECK_FALSE(fs::exists(cache));
}
