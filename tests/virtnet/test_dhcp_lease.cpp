// SPDX-License-Identifier: LGPL-2.1-or-later
// What dnsmasq's --dhcp-script hands over, the lease records libvirt keeps, and what
// virNetworkGetDHCPLeases answers from them.
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "conf/network_def.h"
#include "test_support.h"
#include "util/error.h"
#include "util/file.h"
#include "virtnet/dhcp_lease.h"
#include "virtnet/lease_event.h"

using dvs::Error;
using dvs::ErrorCode;
using namespace dvs::virtnet;

namespace {

constexpr long long kNow = 1700000000;

Environment envOf(std::map<std::string, std::string> vars)
{
    return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
        auto it = vars.find(std::string(name));
        if (it == vars.end()) {
            return std::nullopt;
        }
        return it->second;
    };
}

LeaseEvent event(std::vector<std::string> args, std::map<std::string, std::string> vars)
{
    return parseLeaseEvent(args, envOf(std::move(vars)), kNow);
}

ErrorCode codeOf(const std::function<void()>& fn)
{
    try {
        fn();
    } catch (const Error& e) {
        return e.code();
    }
    return ErrorCode::Ok;
}

// Two IPv4 leases and one IPv6 lease, as dnsmasq reports them.
LeaseTable sampleTable()
{
    LeaseTable table;
    table.apply(event({"add", "52:54:00:aa:00:01", "192.168.122.10", "web"},
                      {{"DNSMASQ_INTERFACE", "virbr0"},
                       {"DNSMASQ_LEASE_EXPIRES", std::to_string(kNow + 3600)},
                       {"DNSMASQ_CLIENT_ID", "01:52:54:00:aa:00:01"}}));
    table.apply(event({"add", "52:54:00:AA:00:02", "192.168.122.11"},
                      {{"DNSMASQ_INTERFACE", "virbr0"}, {"DNSMASQ_LEASE_EXPIRES", "0"}}));
    table.apply(event({"add", "00:04:7e:7d:f0:7d", "2001:db8:ac10:fd01::1:20", "six"},
                      {{"DNSMASQ_INTERFACE", "virbr0"},
                       {"DNSMASQ_IAID", "1234"},
                       {"DNSMASQ_MAC", "52:54:00:aa:00:03"},
                       {"DNSMASQ_SERVER_DUID", "00:01:00:01:aa:bb"},
                       {"DNSMASQ_LEASE_EXPIRES", std::to_string(kNow + 7200)}}));
    return table;
}

} // namespace

TEST_CASE("the script's arguments and environment")
{
    SECTION("an IPv4 lease")
    {
        auto e = event({"add", "52:54:00:aa:00:01", "192.168.122.10", "web"},
                       {{"DNSMASQ_INTERFACE", "virbr0"},
                        {"DNSMASQ_LEASE_EXPIRES", "1700003600 "},
                        {"DNSMASQ_CLIENT_ID", "01:52:54:00:aa:00:01"},
                        {"DNSMASQ_SUPPLIED_HOSTNAME", "ignored"}});
        CHECK(e.action == LeaseAction::Add);
        CHECK(e.interface == "virbr0");
        CHECK(e.mac == "52:54:00:aa:00:01");
        CHECK(e.ip == "192.168.122.10");
        CHECK(e.hostname == "web");
        CHECK(e.clientId == "01:52:54:00:aa:00:01");
        CHECK_FALSE(e.ipv6());
        CHECK(e.expiryTime == 1700003600);
    }
    SECTION("an IPv6 lease: the DUID in place of the MAC address")
    {
        auto e = event({"old", "00:04:7e:7d", "fd00::20"}, {{"VIR_BRIDGE_NAME", "virbr1"},
                                                            {"DNSMASQ_IAID", "77"},
                                                            {"DNSMASQ_MAC", "52:54:00:aa:00:03"},
                                                            {"DNSMASQ_OLD_HOSTNAME", "before"},
                                                            {"DNSMASQ_LEASE_EXPIRES", "0"}});
        CHECK(e.ipv6());
        CHECK(e.interface == "virbr1");
        CHECK(e.clientId == "00:04:7e:7d");
        CHECK(e.mac == "52:54:00:aa:00:03");
        CHECK(e.hostname == "before");
        CHECK(e.expiryTime == 0);
    }
    SECTION("a dnsmasq without a real-time clock reports lengths")
    {
        auto e = event({"add", "52:54:00:aa:00:01", "192.168.122.10"},
                       {{"DNSMASQ_INTERFACE", "virbr0"}, {"DNSMASQ_LEASE_LENGTH", "3600"}});
        CHECK(e.expiryTime == kNow + 3600);
        CHECK_FALSE(e.hostname);
    }
    SECTION("init and del")
    {
        auto init = event({"init"}, {{"VIR_BRIDGE_NAME", "virbr0"}});
        CHECK(init.action == LeaseAction::Init);
        CHECK_FALSE(init.ip);
        auto del = event({"del", "52:54:00:aa:00:01", "192.168.122.10"},
                         {{"DNSMASQ_INTERFACE", "virbr0"}});
        CHECK(del.action == LeaseAction::Del);
        CHECK_FALSE(del.expiryTime);
    }
    SECTION("refusals")
    {
        std::map<std::string, std::string> env{{"DNSMASQ_INTERFACE", "virbr0"},
                                               {"DNSMASQ_LEASE_EXPIRES", "1"}};
        CHECK(codeOf([&] { event({}, env); }) == ErrorCode::InvalidArg);
        CHECK(codeOf([&] { event({"add", "m"}, env); }) == ErrorCode::InvalidArg);
        CHECK(codeOf([&] { event({"add"}, env); }) == ErrorCode::InvalidArg);
        try {
            event({"renew", "m", "1.2.3.4"}, env);
            FAIL("accepted");
        } catch (const Error& e) {
            CHECK(e.message() == "Unsupported action: renew");
        }
        try {
            event({"init"}, {});
            FAIL("accepted");
        } catch (const Error& e) {
            CHECK(e.message() == "interface not set");
        }
        try {
            event({"add", "52:54:00:aa:00:01", "1.2.3.4"},
                  {{"DNSMASQ_INTERFACE", "virbr0"}, {"DNSMASQ_LEASE_EXPIRES", "soon"}});
            FAIL("accepted");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::InternalError);
            CHECK(e.message() == "Unable to convert lease expiry time to long long: soon");
        }
    }
}

TEST_CASE("the lease table follows add, old, del and init")
{
    LeaseTable table = sampleTable();
    REQUIRE(table.leases().size() == 3);
    CHECK(table.leases()[0].hostname == "web");
    CHECK(table.leases()[1].expiryTime == 0);
    CHECK(table.leases()[2].iaid == "1234");
    CHECK(table.leases()[2].macAddress == "52:54:00:aa:00:03");

    // A renewal replaces the record of the address (and moves it last).
    CHECK(table.apply(event({"old", "52:54:00:aa:00:01", "192.168.122.10"},
                            {{"DNSMASQ_INTERFACE", "virbr0"},
                             {"DNSMASQ_LEASE_EXPIRES", std::to_string(kNow + 9000)}})));
    REQUIRE(table.leases().size() == 3);
    CHECK(table.leases()[2].ipAddress == "192.168.122.10");
    CHECK(table.leases()[2].expiryTime == kNow + 9000);
    CHECK_FALSE(table.leases()[2].hostname);

    // An IPv6 client dnsmasq has no MAC address for leaves the table alone.
    CHECK_FALSE(table.apply(event({"add", "00:01", "2001:db8:ac10:fd01::1:30"},
                                  {{"DNSMASQ_INTERFACE", "virbr0"}, {"DNSMASQ_IAID", "9"}})));

    CHECK(table.apply(
        event({"del", "52:54:00:aa:00:01", "192.168.122.10"}, {{"DNSMASQ_INTERFACE", "virbr0"}})));
    CHECK(table.leases().size() == 2);
    CHECK_FALSE(table.apply(event({"init"}, {{"VIR_BRIDGE_NAME", "virbr0"}})));
}

TEST_CASE("what init prints for dnsmasq")
{
    LeaseTable table = sampleTable();
    CHECK(table.dnsmasqLeases() ==
          "1700003600 52:54:00:aa:00:01 192.168.122.10 web 01:52:54:00:aa:00:01\n"
          "0 52:54:00:AA:00:02 192.168.122.11 * *\n"
          "duid 00:01:00:01:aa:bb\n"
          "1700007200 1234 2001:db8:ac10:fd01::1:20 six 00:04:7e:7d:f0:7d\n");
    LeaseTable v4only(std::vector<Lease>{table.leases()[0]});
    CHECK(v4only.dnsmasqLeases() ==
          "1700003600 52:54:00:aa:00:01 192.168.122.10 web 01:52:54:00:aa:00:01\n");
}

TEST_CASE("the lease file: libvirt's JSON")
{
    LeaseTable table = sampleTable();
    std::string json = table.format();
    CHECK(json.starts_with("[\n  {\n    \"ip-address\": \"192.168.122.10\",\n"
                           "    \"mac-address\": \"52:54:00:aa:00:01\",\n"
                           "    \"hostname\": \"web\",\n"
                           "    \"client-id\": \"01:52:54:00:aa:00:01\",\n"
                           "    \"expiry-time\": 1700003600\n  },\n"));
    CHECK(json.find("\"iaid\": \"1234\",\n    \"ip-address\": \"2001:db8:ac10:fd01::1:20\"") !=
          std::string::npos);
    CHECK(LeaseTable::parse(json).leases() == table.leases());

    // As libvirt's helper writes them: no expiry-time for an infinite lease, other spacing.
    auto libvirt =
        LeaseTable::parse(R"([{"ip-address":"10.0.0.5","mac-address":"52:54:00:00:00:05"},
      {"ip-address":"10.0.0.6","mac-address":"52:54:00:00:00:06","expiry-time":1700000100,
       "hostname":"h"}])");
    REQUIRE(libvirt.leases().size() == 2);
    CHECK(libvirt.leases()[0].expiryTime == 0);
    CHECK(libvirt.leases()[1].hostname == "h");
    CHECK(LeaseTable::parse("").empty());

    // A client's name that is not UTF-8 does not make the file unwritable.
    LeaseTable odd(std::vector<Lease>{Lease{"10.0.0.7", "52:54:00:00:00:07", std::string("a\xff"),
                                            std::nullopt, std::nullopt, std::nullopt, 5}});
    CHECK(LeaseTable::parse(odd.format()).leases()[0].hostname == "a\xef\xbf\xbd");

    CHECK(codeOf([] { LeaseTable::parse("[{"); }) == ErrorCode::InternalError);
    CHECK(codeOf([] { LeaseTable::parse("{}"); }) == ErrorCode::InternalError);
    CHECK(codeOf([] { LeaseTable::parse(R"([{"mac-address":"x"}])"); }) ==
          ErrorCode::InternalError);
    CHECK(codeOf([] { LeaseTable::parse(R"([{"ip-address":"1.2.3.4","expiry-time":"x"}])"); }) ==
          ErrorCode::InternalError);

    dvs::test::TempDir tmp;
    auto path = leaseFilePath(tmp.path(), "virbr0");
    CHECK(path == tmp.path() / "virbr0.status");
    CHECK(readLeaseFile(path).empty());
    writeLeaseFile(path, table);
    CHECK(readLeaseFile(path).leases() == table.leases());
    dvs::util::writeFileAtomic(path, "not json");
    try {
        readLeaseFile(path);
        FAIL("accepted");
    } catch (const Error& e) {
        CHECK(e.message().find("virbr0.status") != std::string::npos);
    }
    CHECK(codeOf([&] { leaseFilePath(tmp.path(), "../x"); }) == ErrorCode::InvalidArg);
}

TEST_CASE("expiry")
{
    LeaseTable table = sampleTable();
    CHECK(table.removeExpired(kNow) == 0);
    CHECK(table.removeExpired(kNow + 5000) == 1);  // the one-hour lease
    CHECK(table.removeExpired(kNow + 99999) == 1); // the IPv6 one; the infinite one stays
    REQUIRE(table.leases().size() == 1);
    CHECK(table.leases()[0].ipAddress == "192.168.122.11");
}

TEST_CASE("what virNetworkGetDHCPLeases returns")
{
    auto def = dvs::conf::NetworkDef::parseString(R"(<network>
  <name>default</name>
  <forward mode='nat'/>
  <bridge name='virbr0'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'/>
  <ip family='ipv6' address='2001:db8:ac10:fd01::1' prefix='64'/>
</network>)");
    LeaseTable table = sampleTable();

    auto all = networkDhcpLeases(table, def, std::nullopt, kNow);
    REQUIRE(all.size() == 3);
    CHECK(all[0] == DhcpLeaseInfo{"virbr0", kNow + 3600, IpAddrType::Ipv4, "52:54:00:aa:00:01",
                                  std::nullopt, "192.168.122.10", 24, "web",
                                  "01:52:54:00:aa:00:01"});
    CHECK(all[1].expiryTime == 0);
    CHECK_FALSE(all[1].hostname);
    CHECK(all[2].type == IpAddrType::Ipv6);
    CHECK(all[2].prefix == 64);
    CHECK(all[2].iaid == "1234");
    CHECK(all[2].clientId == "00:04:7e:7d:f0:7d");

    // A MAC address matches however it is written.
    auto one = networkDhcpLeases(table, def, std::string("52:54:00:aa:00:02"), kNow);
    REQUIRE(one.size() == 1);
    CHECK(one[0].ipAddr == "192.168.122.11");
    CHECK(networkDhcpLeases(table, def, std::string("52:54:00:aa:00:09"), kNow).empty());

    // Ended leases are left out; infinite ones never end.
    auto later = networkDhcpLeases(table, def, std::nullopt, kNow + 99999);
    REQUIRE(later.size() == 1);
    CHECK(later[0].ipAddr == "192.168.122.11");

    try {
        networkDhcpLeases(table, def, std::string("nope"), kNow);
        FAIL("accepted");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::InvalidMac);
        CHECK(e.message() == "nope");
    }
    LeaseTable noMac(std::vector<Lease>{Lease{"10.0.0.1", std::nullopt, std::nullopt, std::nullopt,
                                              std::nullopt, std::nullopt, 0}});
    CHECK(codeOf([&] { networkDhcpLeases(noMac, def, std::nullopt, kNow); }) ==
          ErrorCode::InternalError);
}
