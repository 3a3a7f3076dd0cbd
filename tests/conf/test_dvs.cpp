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

std::vector<fs::path> xmlFiles(const fs::path& dir)
{
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() == ".xml") {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

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
    auto files = xmlFiles(dataDir() / "xml2xml");
    REQUIRE(files.size() >= 4);
    for (const auto& file : files) {
        DYNAMIC_SECTION(file.filename().string())
        {
            checkRoundTrip(file, file);
        }
    }
    for (const auto& file : xmlFiles(dataDir() / "in")) {
        DYNAMIC_SECTION("in/" + file.filename().string())
        {
            checkRoundTrip(file, dataDir() / "out" / file.filename());
        }
    }
}

TEST_CASE("dvs: invalid extensions give clear errors")
{
    auto files = xmlFiles(dataDir() / "invalid");
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
