// SPDX-License-Identifier: LGPL-2.1-or-later
#include <catch2/catch.hpp>

#include "conf/network_def.h"
#include "firewall/firewall.h"
#include "netns.h"
#include "test_support.h"
#include "util/error.h"

using Catch::Matchers::Contains;
using dvs::conf::NetworkDef;
using dvs::firewall::Firewall;
using dvs::firewall::runNft;

namespace {

NetworkDef network(const std::string& xml)
{
    return NetworkDef::parseString(xml);
}

const char* kDefault = "<network><name>default</name><forward mode='nat'/>"
                       "<bridge name='virbr0' stp='on' delay='0'/>"
                       "<ip address='192.168.122.1' netmask='255.255.255.0'>"
                       "<dhcp><range start='192.168.122.2' end='192.168.122.254'/></dhcp>"
                       "</ip></network>";

} // namespace

TEST_CASE("a nat network masquerades its subnet with libvirt's rules")
{
    auto def = network(kDefault);
    Firewall fw("dvstest");
    auto text = fw.render({&def});
    // One transaction that replaces the table as a whole.
    CHECK(text.rfind("add table inet dvstest\ndelete table inet dvstest\ntable inet dvstest {",
                     0) == 0);
    CHECK_THAT(text, Contains("ip saddr 192.168.122.0/24 ip daddr 224.0.0.0/24 counter return"));
    CHECK_THAT(text,
               Contains("ip saddr 192.168.122.0/24 ip daddr 255.255.255.255/32 counter return"));
    CHECK_THAT(text, Contains("meta l4proto tcp ip saddr 192.168.122.0/24 ip daddr != "
                              "192.168.122.0/24 counter masquerade to :1024-65535"));
    CHECK_THAT(text, Contains("meta l4proto udp ip saddr 192.168.122.0/24 ip daddr != "
                              "192.168.122.0/24 counter masquerade to :1024-65535"));
    CHECK_THAT(text, Contains("ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24 counter "
                              "masquerade\n"));
    CHECK_THAT(text, Contains("ip daddr 192.168.122.0/24 oifname \"virbr0\" ct state "
                              "related,established counter accept"));
    CHECK_THAT(text, Contains("ip saddr 192.168.122.0/24 iifname \"virbr0\" counter accept"));
    CHECK_THAT(text, Contains("iifname \"virbr0\" oifname \"virbr0\" counter accept"));
    // IPv6 is not touched by a network without IPv6.
    CHECK(text.find("nfproto ipv6") == std::string::npos);
}

TEST_CASE("nat address and port ranges, routed and isolated networks, open networks")
{
    auto nat = network("<network><name>n</name><forward mode='nat' dev='eth0'><nat>"
                       "<address start='10.0.0.5' end='10.0.0.9'/><port start='2000' end='3000'/>"
                       "</nat></forward><bridge name='virbr1'/>"
                       "<ip address='192.168.100.1' prefix='24'/>"
                       "<ip family='ipv6' address='2001:db8::1' prefix='64'/></network>");
    Firewall fw("dvstest");
    auto text = fw.render({&nat});
    CHECK_THAT(text, Contains("meta l4proto tcp ip saddr 192.168.100.0/24 ip daddr != "
                              "192.168.100.0/24 oifname \"eth0\" counter snat ip to "
                              "10.0.0.5-10.0.0.9:2000-3000"));
    // Without <nat ipv6='yes'> the IPv6 subnet is routed.
    CHECK_THAT(text, Contains("ip6 daddr 2001:db8::/64 iifname \"eth0\" oifname \"virbr1\" "
                              "counter accept"));
    CHECK(text.find("ip6 saddr 2001:db8::/64 ip6 daddr != 2001:db8::/64") == std::string::npos);

    auto nat6 = network("<network ipv6='yes'><name>n6</name><forward mode='nat'><nat ipv6='yes'/>"
                        "</forward><bridge name='virbr2'/>"
                        "<ip family='ipv6' address='fd00:1::1' prefix='64'/></network>");
    text = fw.render({&nat6});
    CHECK_THAT(text, Contains("ip6 saddr fd00:1::/64 ip6 daddr != fd00:1::/64 counter masquerade"));
    CHECK_THAT(text, Contains("ip6 saddr fd00:1::/64 ip6 daddr ff02::/16 counter return"));

    auto route = network("<network><name>r</name><forward mode='route'/><bridge name='virbr3'/>"
                         "<ip address='192.168.50.1' prefix='24'/></network>");
    text = fw.render({&route});
    CHECK_THAT(text, Contains("ip daddr 192.168.50.0/24 oifname \"virbr3\" counter accept"));
    CHECK(text.find("masquerade") == std::string::npos);

    auto isolated = network("<network><name>i</name><bridge name='virbr4'/>"
                            "<ip address='192.168.60.1' prefix='24'/></network>");
    text = fw.render({&isolated});
    CHECK_THAT(text, Contains("meta nfproto ipv4 oifname \"virbr4\" counter reject"));
    CHECK_THAT(text, Contains("meta nfproto ipv4 iifname \"virbr4\" counter reject"));
    CHECK(text.find("saddr 192.168.60.0/24") == std::string::npos);

    auto open = network("<network><name>o</name><forward mode='open'/><bridge name='virbr5'/>"
                        "<ip address='192.168.70.1' prefix='24'/></network>");
    // No rules: the table goes.
    CHECK(fw.render({&open}) == "add table inet dvstest\ndelete table inet dvstest\n");
}

TEST_CASE("the table is created, compared and replaced atomically, and other tables survive")
{
    if (!dvs::test::enterFreshNetworkNamespaceOrSkip()) {
        return;
    }
    auto def = network(kDefault);
    auto route = network("<network><name>r</name><forward mode='route'/><bridge name='virbr3'/>"
                         "<ip address='192.168.50.1' prefix='24'/></network>");
    try {
        runNft("add table inet other\nadd chain inet other c { type filter hook forward priority "
               "0; policy accept; }\nadd rule inet other c counter accept\n");
    } catch (const dvs::Error& e) {
        dvs::test::skip("nftables is not usable here: " + e.fullMessage());
        return;
    }
    Firewall fw("dvstest");
    CHECK_FALSE(fw.present());
    CHECK(fw.matches({}));
    CHECK_FALSE(fw.matches({&def}));
    fw.apply({&def});
    CHECK(fw.present());
    CHECK(fw.matches({&def}));
    CHECK_FALSE(fw.matches({&def, &route}));
    auto listed = runNft("list table inet dvstest");
    CHECK_THAT(listed, Contains("masquerade"));
    CHECK_THAT(listed, Contains("192.168.122.0/24"));

    fw.apply({&def, &route});
    CHECK(fw.matches({&def, &route}));
    listed = runNft("list table inet dvstest");
    CHECK_THAT(listed, Contains("192.168.50.0/24"));

    fw.apply({});
    CHECK_FALSE(fw.present());
    fw.remove(); // gone: nothing to do
    // Another program's table is untouched throughout.
    CHECK_THAT(runNft("list table inet other"), Contains("counter"));
}
