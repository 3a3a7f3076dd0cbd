// SPDX-License-Identifier: LGPL-2.1-or-later
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "conf/network_def.h"
#include "driver/dhcp_leases.h"
#include "test_support.h"

using dvs::driver::DhcpLeaseStore;
using dvs::driver::LeaseScriptCall;

namespace {

LeaseScriptCall call(std::vector<std::string> args, long long expires)
{
    LeaseScriptCall c;
    c.args = std::move(args);
    c.env = {{"DNSMASQ_INTERFACE", "virbr0"}, {"DNSMASQ_LEASE_EXPIRES", std::to_string(expires)}};
    return c;
}

} // namespace

TEST_CASE("lease changes are recorded in the bridge's lease file and survive a new store")
{
    dvs::test::TempDir dir;
    DhcpLeaseStore store(dir.path());
    store.apply("virbr0",
                call({"add", "52:54:00:aa:00:01", "192.168.122.10", "guest1"}, 2000).event(1000));
    store.apply("virbr0", call({"add", "52:54:00:aa:00:02", "192.168.122.11"}, 2000).event(1000));
    store.apply("virbr0", call({"old", "52:54:00:aa:00:01", "192.168.122.10"}, 3000).event(1000));
    auto table = DhcpLeaseStore(dir.path()).table("virbr0");
    REQUIRE(table.leases().size() == 2);
    CHECK(std::filesystem::exists(dir.path() / "virbr0.status"));
    store.apply("virbr0", call({"del", "52:54:00:aa:00:02", "192.168.122.11"}, 0).event(1000));
    CHECK(store.table("virbr0").leases().size() == 1);
    CHECK(store.table("virbr1").empty());
}

TEST_CASE("what the lease helper spooled while dvsd was away is folded in")
{
    dvs::test::TempDir dir;
    DhcpLeaseStore store(dir.path());
    store.apply("virbr0", call({"add", "52:54:00:aa:00:01", "192.168.122.10"}, 2000).event(1000));
    {
        std::ofstream pending(dir.path() / "virbr0.status.pending");
        pending << call({"add", "52:54:00:aa:00:03", "192.168.122.12"}, 5000).toJsonLine()
                << "not json\n"
                << call({"del", "52:54:00:aa:00:01", "192.168.122.10"}, 0).toJsonLine();
    }
    auto table = store.table("virbr0");
    REQUIRE(table.leases().size() == 1);
    CHECK(table.leases()[0].ipAddress == "192.168.122.12");
    // The next change writes the merged leases and empties the pending file.
    store.apply("virbr0", call({"add", "52:54:00:aa:00:04", "192.168.122.13"}, 6000).event(1000));
    CHECK(std::filesystem::file_size(dir.path() / "virbr0.status.pending") == 0);
    CHECK(store.table("virbr0").leases().size() == 2);
}

TEST_CASE("a query answers as libvirt's networkGetDHCPLeases, for the network's bridge")
{
    dvs::test::TempDir dir;
    DhcpLeaseStore store(dir.path());
    auto def = dvs::conf::NetworkDef::parseString(
        "<network><name>default</name><bridge name='virbr0'/><forward/>"
        "<ip address='192.168.122.1' netmask='255.255.255.0'/></network>");
    store.apply("virbr0",
                call({"add", "52:54:00:aa:00:01", "192.168.122.10", "guest1"}, 2000).event(1000));
    store.apply("virbr0", call({"add", "52:54:00:aa:00:02", "192.168.122.11"}, 500).event(1000));
    auto leases = store.query(def, std::nullopt, 1000);
    REQUIRE(leases.size() == 1); // the one that ended at 500 is left out
    CHECK(leases[0].iface == "virbr0");
    CHECK(leases[0].ipAddr == "192.168.122.10");
    CHECK(leases[0].prefix == 24);
    CHECK(leases[0].hostname == std::optional<std::string>("guest1"));
    CHECK(store.query(def, std::string("52:54:00:AA:00:01"), 1000).size() == 1);
    CHECK(store.query(def, std::string("52:54:00:aa:00:09"), 1000).empty());
}
