// SPDX-License-Identifier: LGPL-2.1-or-later
// dvsctl, run as a user runs it: xml-format on the examples, the port data and bad input.
#include <algorithm>
#include <cstdlib>
#include <sys/wait.h>
#include <vector>

#include <catch2/catch.hpp>

#include "conf/dvs_extension.h"
#include "conf/network_def.h"
#include "conf/network_port.h"
#include "test_support.h"
#include "util/file.h"

namespace fs = std::filesystem;

namespace {

struct Result
{
    int status = -1;
    std::string out;
    std::string err;
};

std::string quote(const std::string& arg)
{
    std::string quoted = "'";
    for (char c : arg) {
        if (c == '\'') {
            quoted += "'\\''";
        } else {
            quoted += c;
        }
    }
    return quoted + "'";
}

// Runs dvsctl with args (and stdin from input when given), capturing both streams.
Result dvsctl(const std::vector<std::string>& args, const std::string* input = nullptr)
{
    dvs::test::TempDir dir;
    std::string command = quote((dvs::test::buildRoot() / "src" / "cli" / "dvsctl").string());
    for (const auto& arg : args) {
        command += " " + quote(arg);
    }
    if (input != nullptr) {
        dvs::util::writeFileAtomic(dir.path() / "in", *input);
        command += " <" + quote((dir.path() / "in").string());
    }
    command +=
        " >" + quote((dir.path() / "out").string()) + " 2>" + quote((dir.path() / "err").string());
    int raw = std::system(command.c_str());
    Result result;
    result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    result.out = dvs::util::readFile(dir.path() / "out");
    result.err = dvs::util::readFile(dir.path() / "err");
    return result;
}

} // namespace

TEST_CASE("dvsctl: every example formats, validated, to a fixed point")
{
    dvs::test::TempDir dir;
    auto files = dvs::test::xmlFiles(dvs::test::sourceRoot() / "examples");
    REQUIRE(files.size() >= 6);
    for (const auto& file : files) {
        INFO(file.filename().string());
        auto result = dvsctl({"xml-format", "network", "--validate", file.string()});
        CHECK(result.err == "");
        REQUIRE(result.status == 0);
        // What dvsctl prints is itself valid and already canonical.
        auto again = dvsctl({"xml-format", "network", "--validate", "-"}, &result.out);
        CHECK(again.status == 0);
        CHECK(again.out == result.out);
        // The dvs: extension survives the round trip.
        bool hasExtension = dvs::util::readFile(file).find("dvs:network") != std::string::npos;
        CHECK((result.out.find("dvs:network") != std::string::npos) == hasExtension);
    }
}

TEST_CASE("dvsctl: ports format canonically, also from standard input")
{
    auto dir = dvs::test::sourceRoot() / "tests" / "data" / "networkport";
    for (const auto& file : dvs::test::xmlFiles(dir / "in")) {
        INFO(file.filename().string());
        auto result = dvsctl({"xml-format", "networkport", file.string()});
        CHECK(result.status == 0);
        CHECK(result.out == dvs::util::readFile(dir / "out" / file.filename()));
    }
    auto text = dvs::util::readFile(dir / "xml2xml" / "ovs-trunk.xml");
    auto piped = dvsctl({"xml-format", "networkport", "--validate", "-"}, &text);
    CHECK(piped.status == 0);
    CHECK(piped.out == text);
}

TEST_CASE("dvsctl: xml-format leaves the driver's checks to net-define, as libvirt's xml2xml does")
{
    // libvirt's parser formats both; its network driver refuses them when they are defined.
    std::string vlanOnDirect = "<network><name>direct</name><forward mode='bridge'>"
                               "<interface dev='eth0'/></forward><vlan><tag id='42'/></vlan>"
                               "</network>";
    auto vlan = dvsctl({"xml-format", "network", "-"}, &vlanOnDirect);
    CHECK(vlan.status == 0);
    CHECK(vlan.err == "");
    CHECK(vlan.out.find("<tag id='42'/>") != std::string::npos);
    CHECK_THROWS_WITH(dvs::conf::NetworkDef::parseString(vlanOnDirect).validateForDefine(),
                      Catch::Matchers::Contains("doesn't support vlan configuration"));

    std::string pciOnPassthrough =
        "<network><name>pt</name><forward mode='passthrough'>"
        "<address type='pci' domain='0x0000' bus='0x04' slot='0x10' function='0x1'/>"
        "</forward></network>";
    auto pci = dvsctl({"xml-format", "network", "-"}, &pciOnPassthrough);
    CHECK(pci.status == 0);
    CHECK(pci.err == "");
    CHECK(pci.out.find("bus='0x04'") != std::string::npos);
    CHECK_THROWS_WITH(dvs::conf::NetworkDef::parseString(pciOnPassthrough).validateForDefine(),
                      Catch::Matchers::Contains("lists a device by PCI address"));
}

TEST_CASE("dvsctl: errors go to stderr as 'error: MESSAGE' with status 1")
{
    auto dir = dvs::test::sourceRoot() / "tests" / "data" / "networkport" / "parse-error";
    auto bad = dvsctl({"xml-format", "networkport", (dir / "no-mac.xml").string()});
    CHECK(bad.status == 1);
    CHECK(bad.out == "");
    CHECK(bad.err == "error: " + dvs::util::readFile(dir / "no-mac.err"));

    std::string invalidDvs = "<network><name>n</name><metadata><dvs:network xmlns:dvs='" +
                             std::string(dvs::conf::kDvsNamespace) +
                             "'><dvs:uplink type='ovs-bond' name='bond0' mode='balance-tcp'>"
                             "<dvs:interface name='a'/><dvs:interface name='b'/></dvs:uplink>"
                             "</dvs:network></metadata></network>";
    auto unsupported = dvsctl({"xml-format", "network", "-"}, &invalidDvs);
    CHECK(unsupported.status == 1);
    CHECK(unsupported.err == "error: unsupported configuration: bond mode 'balance-tcp' "
                             "requires LACP mode 'active' or 'passive'\n");

    std::string schemaBad = "<network><name>n</name><forward mode='tunnel'/></network>";
    auto rejected = dvsctl({"xml-format", "network", "--validate", "-"}, &schemaBad);
    CHECK(rejected.status == 1);
    CHECK(rejected.err.starts_with("error: "));

    auto missing = dvsctl({"xml-format", "network", "/nonexistent/dir/net.xml"});
    CHECK(missing.status == 1);
    CHECK(missing.err.starts_with("error: "));
    CHECK(missing.err.find("/nonexistent/dir/net.xml") != std::string::npos);
}

TEST_CASE("dvsctl: usage errors exit 1 with a message")
{
    for (const auto& args : std::vector<std::vector<std::string>>{
             {},
             {"frobnicate"},
             {"xml-format"},
             {"xml-format", "network"},
             {"xml-format", "domain", "x.xml"},
             {"xml-format", "network", "--pretty", "x.xml"},
             {"xml-format", "network", "a.xml", "b.xml"},
             {"xml-format", "networkport", "--inactive", "x.xml"},
         }) {
        std::string joined;
        for (const auto& a : args) {
            joined += a + " ";
        }
        INFO(joined);
        auto result = dvsctl(args);
        CHECK(result.status == 1);
        CHECK(result.out == "");
        CHECK(result.err.starts_with("error: "));
        CHECK(result.err.ends_with("\n"));
    }
    auto help = dvsctl({"help"});
    CHECK(help.status == 0);
    CHECK(help.out.find("xml-format") != std::string::npos);
}
