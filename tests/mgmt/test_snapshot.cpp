// SPDX-License-Identifier: LGPL-2.1-or-later
// Switch snapshots: golden round-trips of the document, its grammar, clear errors for bad
// documents, and the differences between two snapshots.
#include <algorithm>
#include <vector>

#include <catch2/catch.hpp>

#include "conf/schema.h"
#include "mgmt/snapshot.h"
#include "test_support.h"
#include "util/error.h"
#include "util/file.h"
#include "util/xml.h"

using dvs::Error;
using dvs::ErrorCode;
using dvs::mgmt::diffSnapshots;
using dvs::mgmt::formatSnapshotDiff;
using dvs::mgmt::Snapshot;
using dvs::mgmt::SnapshotChange;
using Kind = dvs::mgmt::SnapshotChange::Kind;
using dvs::test::xmlFiles;
namespace fs = std::filesystem;

namespace {

fs::path dataDir()
{
    return dvs::test::sourceRoot() / "tests" / "data" / "snapshot";
}

Snapshot load(const fs::path& file)
{
    auto snap = Snapshot::parse(dvs::util::readFile(file));
    snap.validate();
    return snap;
}

void schemaValid(const std::string& text)
{
    auto doc = dvs::util::XmlDocument::parse(text, "(test)");
    dvs::conf::validateSchema(doc, "snapshot.rng");
}

void checkGolden(const std::string& actual, const fs::path& expected)
{
    if (dvs::test::regenerate()) {
        dvs::util::writeFileAtomic(expected, actual);
    }
    CHECK(actual == dvs::util::readFile(expected));
}

void checkRoundTrip(const fs::path& input, const fs::path& expected)
{
    auto actual = load(input).format();
    if (input != expected) {
        checkGolden(actual, expected);
    }
    CHECK(actual == dvs::util::readFile(expected));
    // Stable: what we print parses back to the same document, and the grammar accepts it.
    CHECK(load(expected).format() == actual);
    schemaValid(actual);
}

ErrorCode codeOf(const std::string& text)
{
    try {
        Snapshot::parse(text).validate();
    } catch (const Error& e) {
        return e.code();
    }
    return ErrorCode::Ok;
}

} // namespace

TEST_CASE("snapshot: golden documents round-trip")
{
    auto files = xmlFiles(dataDir() / "xml2xml");
    REQUIRE(files.size() >= 2);
    for (const auto& file : files) {
        DYNAMIC_SECTION(file.filename().string())
        {
            checkRoundTrip(file, file);
        }
    }
    auto inputs = xmlFiles(dataDir() / "in");
    REQUIRE(!inputs.empty());
    for (const auto& file : inputs) {
        DYNAMIC_SECTION("in/" + file.filename().string())
        {
            checkRoundTrip(file, dataDir() / "out" / file.filename());
        }
    }
}

TEST_CASE("snapshot: parsed values are typed")
{
    auto snap = load(dataDir() / "xml2xml" / "bond-two-hosts.xml");
    CHECK(snap.name == "before-vlan-change");
    CHECK(snap.created == 1764876000);
    CHECK(snap.generation == 7);
    CHECK(snap.keepGenerations == 10);
    CHECK(snap.network.name == "dvs-vm");
    REQUIRE(snap.network.portgroups.size() == 2);
    CHECK(snap.network.portgroups[0].name == "db");
    REQUIRE(snap.members.size() == 2);
    CHECK(snap.members[1].host == "host2");
    CHECK(snap.members[1].uplink == std::vector<std::string>{"ens1f0", "ens1f1"});
    CHECK(snap.policy.canary == std::vector<std::string>{"host1"});
    CHECK(snap.policy.batch == 1);
    CHECK(snap.policy.soak == 30);
    CHECK(!snap.policy.batchPercent);
}

TEST_CASE("snapshot: the format is deterministic whatever the order of the model")
{
    auto snap = load(dataDir() / "xml2xml" / "bond-two-hosts.xml");
    auto expected = snap.format();
    std::reverse(snap.members.begin(), snap.members.end());
    snap.policy.canary = {"host2", "host1"};
    auto reordered = snap.format();
    CHECK(reordered != expected); // the canaries differ, the order does not
    snap.policy.canary = {"host1"};
    CHECK(snap.format() == expected);
    // Portgroups keep the order the administrator gave them, as libvirt keeps it.
    std::reverse(snap.network.portgroups.begin(), snap.network.portgroups.end());
    auto swapped = snap.format();
    CHECK(swapped != expected);
    CHECK(swapped.find("<portgroup name='web'") < swapped.find("<portgroup name='db'"));
    CHECK(Snapshot::parse(swapped).format() == swapped);
}

TEST_CASE("snapshot: bad documents give clear errors and codes")
{
    auto files = xmlFiles(dataDir() / "invalid");
    REQUIRE(files.size() >= 20);
    for (const auto& file : files) {
        DYNAMIC_SECTION(file.filename().string())
        {
            auto errFile = fs::path(file).replace_extension(".err");
            std::string actual;
            try {
                load(file);
            } catch (const Error& e) {
                actual = e.fullMessage() + "\n";
            }
            CHECK(actual != "");
            checkGolden(actual, errFile);
        }
    }
    auto text = [](const char* name) {
        return dvs::util::readFile(dataDir() / "invalid" / (std::string(name) + ".xml"));
    };
    CHECK(codeOf(text("version-newer")) == ErrorCode::ConfigUnsupported);
    CHECK(codeOf(text("version-missing")) == ErrorCode::XmlError);
    CHECK(codeOf(text("version-garbage")) == ErrorCode::XmlDetail);
    CHECK(codeOf(text("no-network")) == ErrorCode::XmlError);
    CHECK(codeOf(text("no-generation")) == ErrorCode::XmlError);
    CHECK(codeOf(text("out-of-order")) == ErrorCode::XmlError);
    CHECK(codeOf(text("unknown-element")) == ErrorCode::XmlError);
    CHECK(codeOf(text("generation-zero")) == ErrorCode::XmlDetail);
    CHECK(codeOf(text("rollout-percent")) == ErrorCode::XmlDetail);
    CHECK(codeOf(text("two-nics-no-bond")) == ErrorCode::ConfigUnsupported);
    CHECK(codeOf(text("bad-nic")) == ErrorCode::InvalidArg);
    CHECK(codeOf(text("not-xml")) == ErrorCode::XmlDetail);
}

TEST_CASE("snapshot: the grammar refuses what the parser refuses in shape")
{
    for (const char* name :
         {"version-newer", "version-missing", "no-name", "no-generation", "no-network",
          "generation-zero", "out-of-order", "repeated-network", "unknown-element",
          "member-no-host", "uplink-no-dev", "rollout-percent", "rollout-batch-zero", "name-slash",
          "bad-nic", "revert-probe-kind", "revert-timeout-big"}) {
        INFO(name);
        auto text = dvs::util::readFile(dataDir() / "invalid" / (std::string(name) + ".xml"));
        bool refused = false;
        try {
            schemaValid(text);
        } catch (const Error& e) {
            refused = e.code() == ErrorCode::XmlInvalidSchema;
        }
        CHECK(refused);
    }
}

TEST_CASE("snapshot: the differences, section by section")
{
    auto before = load(dataDir() / "xml2xml" / "bond-two-hosts.xml");
    auto after = load(dataDir() / "diff" / "after-vlan-change.xml");

    CHECK(diffSnapshots(before, before).empty());
    CHECK(formatSnapshotDiff({}) == "");

    auto changes = diffSnapshots(before, after);
    auto find = [&](std::string_view section, std::string_view subject) -> const SnapshotChange* {
        for (const auto& change : changes) {
            if (change.section == section && change.subject == subject) {
                return &change;
            }
        }
        return nullptr;
    };
    REQUIRE(find("generation", "generation"));
    CHECK(find("generation", "generation")->before == "7");
    CHECK(find("generation", "generation")->after == "10");
    CHECK(!find("generation", "keep-generations"));
    REQUIRE(find("definition", "metadata"));
    CHECK(find("definition", "metadata")->kind == Kind::Changed);
    REQUIRE(find("definition", "vlan"));
    CHECK(find("definition", "vlan")->kind == Kind::Added);
    CHECK(!find("definition", "bridge"));
    REQUIRE(find("portgroup", "db"));
    CHECK(find("portgroup", "db")->kind == Kind::Removed);
    REQUIRE(find("portgroup", "storage"));
    CHECK(find("portgroup", "storage")->kind == Kind::Added);
    REQUIRE(find("portgroup", "web"));
    CHECK(find("portgroup", "web")->kind == Kind::Changed);
    CHECK(find("portgroup", "web")->after.find("101") != std::string::npos);
    REQUIRE(find("member", "host1"));
    CHECK(find("member", "host1")->kind == Kind::Removed);
    REQUIRE(find("member", "host2"));
    CHECK(find("member", "host2")->before == "ens1f0,ens1f1");
    CHECK(find("member", "host2")->after == "ens1f0,ens2f0");
    REQUIRE(find("member", "host3"));
    CHECK(find("member", "host3")->kind == Kind::Added);
    REQUIRE(find("rollout", "batch"));
    CHECK(find("rollout", "canary")->after == "host2");
    CHECK(!find("rollout", "soak"));
    // The snapshots' own name and time are not configuration.
    CHECK(!find("snapshot", "name"));
    CHECK(changes.size() == 11);

    // Reversed, additions become removals.
    auto back = diffSnapshots(after, before);
    CHECK(back.size() == changes.size());
    auto reversed =
        std::find_if(back.begin(), back.end(), [](const auto& c) { return c.subject == "host3"; });
    REQUIRE(reversed != back.end());
    CHECK(reversed->kind == Kind::Removed);

    checkGolden(formatSnapshotDiff(changes), dataDir() / "diff" / "after-vlan-change.diff");
}

TEST_CASE("snapshot: a member without uplink differs from no member")
{
    auto a = load(dataDir() / "xml2xml" / "minimal.xml");
    auto b = a;
    b.members.push_back({"host9", {}});
    auto changes = diffSnapshots(a, b);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].section == "member");
    CHECK(changes[0].kind == Kind::Added);
    CHECK(formatSnapshotDiff(changes) == "member 'host9': added\n  + (no uplink)\n");
}

TEST_CASE("snapshot: repeated elements and the network's attributes are told apart")
{
    auto snapshot = [](const std::string& attrs, const std::string& second) {
        return Snapshot::parse("<snapshot version='1'><name>s</name><generation>1</generation>"
                               "<network" +
                               attrs +
                               "><name>iso</name>"
                               "<uuid>0f1e2d3c-4b5a-4678-9a0b-1c2d3e4f5a6b</uuid>"
                               "<ip address='192.168.10.1' prefix='24'/>"
                               "<ip address='" +
                               second + "' prefix='24'/></network></snapshot>");
    };
    auto changes =
        diffSnapshots(snapshot("", "192.168.20.1"), snapshot(" ipv6='yes'", "192.168.30.1"));
    REQUIRE(changes.size() == 2);
    CHECK(changes[0].section == "definition");
    CHECK(changes[0].subject == "network");
    CHECK(changes[0].kind == Kind::Added);
    CHECK(changes[0].after == "ipv6='yes'");
    CHECK(changes[1].subject == "ip[2]");
    CHECK(changes[1].before == "<ip address='192.168.20.1' prefix='24'>\n</ip>");
}
