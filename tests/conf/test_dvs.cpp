// SPDX-License-Identifier: LGPL-2.1-or-later
// The dvs: extension of <network>: golden round-trips and the validation of uplinks and roles.
#include <algorithm>
#include <vector>

#include <catch2/catch.hpp>

#include "conf/dvs_extension.h"
#include "test_support.h"
#include "util/error.h"
#include "util/file.h"

using namespace dvs::conf;
using dvs::Error;
namespace fs = std::filesystem;

namespace {

fs::path dataDir()
{
    return dvs::test::sourceRoot() / "tests" / "data" / "dvs";
}

DvsExtension parseText(std::string_view xml)
{
    auto doc = dvs::util::XmlDocument::parse(xml, "(test)");
    auto ext = DvsExtension::parse(doc.root());
    ext.validate();
    return ext;
}

std::string formatted(const DvsExtension& ext)
{
    dvs::util::XmlWriter writer;
    ext.format(writer);
    return std::move(writer).take();
}

void checkRoundTrip(const fs::path& input, const fs::path& expected)
{
    auto actual = formatted(parseText(dvs::util::readFile(input)));
    if (dvs::test::regenerate() && input != expected) {
        dvs::util::writeFileAtomic(expected, actual);
    }
    CHECK(actual == dvs::util::readFile(expected));
    CHECK(formatted(parseText(actual)) == actual);
}

} // namespace

TEST_CASE("dvs: golden extensions round-trip")
{
    auto files = dvs::test::xmlFiles(dataDir() / "xml2xml");
    REQUIRE(files.size() >= 4);
    for (const auto& file : files) {
        DYNAMIC_SECTION(file.filename().string())
        {
            checkRoundTrip(file, file);
        }
    }
    for (const auto& file : dvs::test::xmlFiles(dataDir() / "in")) {
        DYNAMIC_SECTION("in/" + file.filename().string())
        {
            checkRoundTrip(file, dataDir() / "out" / file.filename());
        }
    }
}

TEST_CASE("dvs: invalid extensions give clear errors")
{
    auto files = dvs::test::xmlFiles(dataDir() / "invalid");
    REQUIRE(files.size() >= 15);
    for (const auto& file : files) {
        DYNAMIC_SECTION(file.filename().string())
        {
            std::string expected = dvs::util::readFile(fs::path(file).replace_extension(".err"));
            while (!expected.empty() && expected.back() == '\n') {
                expected.pop_back();
            }
            std::string actual;
            try {
                parseText(dvs::util::readFile(file));
            } catch (const Error& e) {
                actual = e.fullMessage();
            }
            CHECK(actual == expected);
        }
    }
}

TEST_CASE("dvs: parsed values are typed")
{
    auto ext = parseText(dvs::util::readFile(dataDir() / "xml2xml" / "ovs-balance-tcp.xml"));
    CHECK(ext.role == NetworkRole::Vm);
    REQUIRE(ext.uplink);
    CHECK(ext.uplink->type == UplinkType::OvsBond);
    CHECK(ext.uplink->mode == BondMode::BalanceTcp);
    CHECK(ext.uplink->updelay == 200u);
    CHECK(ext.uplink->downdelay == 100u);
    REQUIRE(ext.uplink->lacp);
    CHECK(ext.uplink->lacp->rate == LacpRate::Fast);
    CHECK(ext.uplink->interfaces == std::vector<std::string>{"eno1", "eno2"});
}

TEST_CASE("dvs: the element must be in our namespace")
{
    CHECK_THROWS_AS(parseText("<network role='vm'/>"), Error);
    CHECK_THROWS_AS(parseText("<dvs:network xmlns:dvs='urn:other'/>"), Error);
    CHECK_NOTHROW(parseText("<dvs:network xmlns:dvs='" + std::string(kDvsNamespace) + "'/>"));
}

TEST_CASE("dvs: interface names follow the kernel's rules")
{
    CHECK(isValidInterfaceName("eth0"));
    CHECK(isValidInterfaceName("bond0.100"));
    CHECK(isValidInterfaceName(std::string(15, 'a')));
    CHECK_FALSE(isValidInterfaceName(std::string(16, 'a')));
    CHECK_FALSE(isValidInterfaceName(""));
    CHECK_FALSE(isValidInterfaceName(".."));
    CHECK_FALSE(isValidInterfaceName("eth0:1"));
    CHECK_FALSE(isValidInterfaceName("a/b"));
    CHECK_FALSE(isValidInterfaceName("a b"));
}

TEST_CASE("dvs: the uplink must suit the network")
{
    auto ext = [](const std::string& uplink) {
        return parseText("<dvs:network xmlns:dvs='" + std::string(kDvsNamespace) + "'>" + uplink +
                         "</dvs:network>");
    };
    auto message = [](const DvsExtension& e, UplinkHost host, std::string_view mode,
                      const std::vector<std::string>& pool) {
        try {
            e.validateUplink(host, mode, pool);
        } catch (const Error& err) {
            CHECK(err.code() == dvs::ErrorCode::ConfigUnsupported);
            return err.message();
        }
        return std::string();
    };
    auto ovsBond = ext("<dvs:uplink type='ovs-bond' name='bond0'><dvs:interface name='a'/>"
                       "<dvs:interface name='b'/></dvs:uplink>");
    auto linuxBond = ext("<dvs:uplink type='linux-bond' name='bond1'><dvs:interface name='a'/>"
                         "<dvs:interface name='b'/></dvs:uplink>");
    auto single = ext("<dvs:uplink type='interface'><dvs:interface name='eth0'/></dvs:uplink>");
    auto none = ext("");

    CHECK(message(ovsBond, UplinkHost::OvsBridge, "bridge", {}) == "");
    CHECK(message(single, UplinkHost::OvsBridge, "bridge", {}) == "");
    CHECK(message(linuxBond, UplinkHost::OvsBridge, "bridge", {}) ==
          "uplink of type 'linux-bond' is not supported on an Open vSwitch network, use "
          "'ovs-bond'");
    CHECK(message(ovsBond, UplinkHost::LinuxBridge, "bridge", {})
              .starts_with("uplink of type 'ovs-bond' requires an Open vSwitch network"));
    CHECK(message(linuxBond, UplinkHost::Macvtap, "vepa", {"bond1"}) == "");
    CHECK(message(single, UplinkHost::Macvtap, "private", {"eth1", "eth0"}) == "");
    CHECK(message(linuxBond, UplinkHost::Macvtap, "vepa", {"eth0"}) ==
          "uplink 'bond1' is not one of the forward interfaces of the network");
    CHECK(message(ovsBond, UplinkHost::Macvtap, "passthrough", {"bond0"}) ==
          "uplink of type 'ovs-bond' is not supported with forward mode 'passthrough', use "
          "'linux-bond'");
    CHECK(message(single, UplinkHost::Hostdev, "hostdev", {}) == "");
    CHECK(message(linuxBond, UplinkHost::Hostdev, "hostdev", {}) ==
          "uplink of type 'linux-bond' is not supported with forward mode 'hostdev'");
    CHECK(message(single, UplinkHost::Routed, "nat", {}) ==
          "an uplink is not supported with forward mode 'nat', the network routes through the "
          "host");
    CHECK(message(none, UplinkHost::Routed, "nat", {}) == "");

    auto withMtu = ext("<dvs:uplink type='interface' mtu='9000'><dvs:interface name='eth0'/>"
                       "</dvs:uplink>");
    CHECK(message(withMtu, UplinkHost::OvsBridge, "bridge", {}) == "");
    CHECK(message(withMtu, UplinkHost::Macvtap, "private", {"eth0"}) ==
          "an uplink MTU is supported on Open vSwitch networks only, not with forward mode "
          "'private'");
}
