// SPDX-License-Identifier: LGPL-2.1-or-later
// <networkport>: golden files under tests/data/networkport and libvirt's own round-trip corpus.
#include <algorithm>
#include <vector>

#include <catch2/catch.hpp>

#include "conf/network_port.h"
#include "test_support.h"
#include "util/error.h"
#include "util/file.h"

using namespace dvs::conf;
using dvs::Error;
namespace fs = std::filesystem;

namespace {

fs::path dataDir()
{
    return dvs::test::sourceRoot() / "tests" / "data" / "networkport";
}

// Formats the port parsed from input and compares it with expected (or rewrites expected).
void checkRoundTrip(const fs::path& input, const fs::path& expected)
{
    auto port = NetworkPort::parseString(dvs::util::readFile(input));
    auto actual = port.format();
    if (dvs::test::regenerate() && input != expected) {
        dvs::util::writeFileAtomic(expected, actual);
    }
    CHECK(actual == dvs::util::readFile(expected));
    // What we print is a fixed point: it parses and formats to itself.
    CHECK(NetworkPort::parseString(actual).format() == actual);
}

} // namespace

TEST_CASE("networkport: golden files round-trip")
{
    auto files = dvs::test::xmlFiles(dataDir() / "xml2xml");
    REQUIRE(files.size() >= 5);
    for (const auto& file : files) {
        DYNAMIC_SECTION(file.filename().string())
        {
            checkRoundTrip(file, file);
        }
    }
}

TEST_CASE("networkport: inputs are normalised as libvirt does")
{
    auto files = dvs::test::xmlFiles(dataDir() / "in");
    REQUIRE_FALSE(files.empty());
    for (const auto& file : files) {
        DYNAMIC_SECTION(file.filename().string())
        {
            checkRoundTrip(file, dataDir() / "out" / file.filename());
        }
    }
}

TEST_CASE("networkport: invalid ports give libvirt's errors")
{
    auto files = dvs::test::xmlFiles(dataDir() / "parse-error");
    REQUIRE(files.size() >= 10);
    for (const auto& file : files) {
        DYNAMIC_SECTION(file.filename().string())
        {
            auto errFile = fs::path(file).replace_extension(".err");
            std::string expected = dvs::util::readFile(errFile);
            while (!expected.empty() && expected.back() == '\n') {
                expected.pop_back();
            }
            std::string actual;
            try {
                NetworkPort::parseString(dvs::util::readFile(file));
            } catch (const Error& e) {
                actual = e.fullMessage();
            }
            CHECK(actual == expected);
        }
    }
}

TEST_CASE("networkport: a built port formats in schema order")
{
    NetworkPort port;
    port.uuid = *dvs::util::Uuid::parse("5d744f21-ba4a-4d6e-bdb2-30a35ff3207d");
    port.ownerName = "vm1";
    port.ownerUuid = *dvs::util::Uuid::parse("d54df46f-1ab5-4a22-8618-4560ef5fac2c");
    port.mac = *dvs::util::MacAddr::parse("52:54:00:aa:bb:cc");
    port.trustGuestRxFilters = Tristate::Yes;
    port.plug.type = PlugType::Bridge;
    port.plug.bridge = "br0test";
    CHECK(port.format() == "<networkport>\n"
                           "  <uuid>5d744f21-ba4a-4d6e-bdb2-30a35ff3207d</uuid>\n"
                           "  <owner>\n"
                           "    <name>vm1</name>\n"
                           "    <uuid>d54df46f-1ab5-4a22-8618-4560ef5fac2c</uuid>\n"
                           "  </owner>\n"
                           "  <mac address='52:54:00:aa:bb:cc'/>\n"
                           "  <rxfilters trustGuest='yes'/>\n"
                           "  <plug type='bridge' bridge='br0test'/>\n"
                           "</networkport>\n");
}

TEST_CASE("networkport: Validate checks the schema before parsing")
{
    // Well formed and accepted by the parser, but <owner> has an element the schema lacks.
    std::string xml = "<networkport><uuid>5d744f21-ba4a-4d6e-bdb2-30a35ff3207d</uuid>"
                      "<owner><name>vm</name><uuid>d54df46f-1ab5-4a22-8618-4560ef5fac2c</uuid>"
                      "<extra/></owner><mac address='52:54:00:aa:bb:cc'/></networkport>";
    CHECK_NOTHROW(NetworkPort::parseString(xml));
    try {
        NetworkPort::parseString(xml, NetworkPortParseFlags::Validate);
        FAIL("validation passed");
    } catch (const Error& e) {
        CHECK(e.code() == dvs::ErrorCode::XmlInvalidSchema);
    }
}
