// SPDX-License-Identifier: LGPL-2.1-or-later
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "conf/network_def.h"
#include "driver/dhcp_leases.h"
#include "test_support.h"

using dvs::driver::DhcpLease;
using dvs::driver::DhcpLeaseStore;

namespace {

DhcpLease lease(const std::string& mac, const std::string& ip, std::int64_t expiry,
                const std::string& hostname = "")
{
    DhcpLease l;
    l.mac = mac;
    l.ip = ip;
    l.expiryTime = expiry;
    l.hostname = hostname;
    return l;
}

} // namespace

TEST_CASE("leases are recorded, replaced, removed and survive a new store")
{
    dvs::test::TempDir dir;
    DhcpLeaseStore store(dir.path());
    store.add("default", lease("52:54:00:aa:00:01", "192.168.122.10", 2000, "guest1"));
    store.add("default", lease("52:54:00:aa:00:02", "192.168.122.11", 2000));
    store.add("default", lease("52:54:00:aa:00:01", "192.168.122.10", 3000, "guest1"));
    auto all = DhcpLeaseStore(dir.path()).leases("default");
    REQUIRE(all.size() == 2);
    CHECK(all[0].expiryTime == 3000);
    CHECK(all[0].hostname == "guest1");
    store.remove("default", "192.168.122.11");
    CHECK(store.leases("default").size() == 1);
    CHECK(store.leases("other").empty());
    CHECK_THROWS(store.add("../x", lease("52:54:00:aa:00:01", "10.0.0.1", 0)));
}

TEST_CASE("what the lease helper spooled while dvsd was away is folded in")
{
    dvs::test::TempDir dir;
    DhcpLeaseStore store(dir.path());
    store.add("default", lease("52:54:00:aa:00:01", "192.168.122.10", 2000));
    {
        std::ofstream pending(store.fileOf("default").string() + ".pending");
        pending
            << R"({"action":"add","mac-address":"52:54:00:aa:00:03","ip-address":"192.168.122.12","expiry-time":5000})"
            << "\n"
            << R"({"action":"del","mac-address":"52:54:00:aa:00:01","ip-address":"192.168.122.10"})"
            << "\n";
    }
    auto all = store.leases("default");
    REQUIRE(all.size() == 1);
    CHECK(all[0].ip == "192.168.122.12");
    // The next change writes the merged leases and empties the pending file.
    store.add("default", lease("52:54:00:aa:00:04", "192.168.122.13", 6000));
    CHECK(std::filesystem::file_size(store.fileOf("default").string() + ".pending") == 0);
    CHECK(store.leases("default").size() == 2);
}

TEST_CASE("a query answers as libvirt's networkGetDHCPLeases")
{
    dvs::test::TempDir dir;
    DhcpLeaseStore store(dir.path());
    auto def = dvs::conf::NetworkDef::parseString(
        "<network><name>default</name><bridge name='virbr0'/><forward/>"
        "<ip address='192.168.122.1' netmask='255.255.255.0'/>"
        "<ip family='ipv6' address='2001:db8::1' prefix='64'/></network>");
    store.add("default", lease("52:54:00:aa:00:01", "192.168.122.10", 2000, "guest1"));
    store.add("default", lease("52:54:00:aa:00:02", "192.168.122.11", 500));
    store.add("default", lease("52:54:00:aa:00:03", "2001:db8::10", 0));
    auto leases = store.query(def, std::nullopt, 1000);
    REQUIRE(leases.size() == 2); // the one that expired at 500 is left out
    CHECK(leases[0].iface == "virbr0");
    CHECK(leases[0].ipaddr == "192.168.122.10");
    CHECK(leases[0].prefix == 24);
    CHECK(leases[0].type == 0);
    CHECK(leases[0].hostname == std::optional<std::string>("guest1"));
    CHECK_FALSE(leases[0].clientId.has_value());
    CHECK(leases[1].type == 1);
    CHECK(leases[1].prefix == 64);
    CHECK(leases[1].expiryTime == 0);
    auto one = store.query(def, std::string("52:54:00:AA:00:01"), 1000);
    REQUIRE(one.size() == 1);
    CHECK(one[0].mac == "52:54:00:aa:00:01");
}
