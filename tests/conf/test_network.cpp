// SPDX-License-Identifier: LGPL-2.1-or-later
// <network>: golden files under tests/data/network (xml2xml, in/out, parse-error, invalid),
// live-only data, net-update beyond libvirt's corpus, and hostile input.
#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include <catch2/catch.hpp>

#include "conf/network_def.h"
#include "conf/network_update.h"
#include "test_support.h"
#include "util/error.h"
#include "util/file.h"
#include "util/xml.h"

using namespace dvs::conf;
using dvs::Error;
using dvs::ErrorCode;
namespace fs = std::filesystem;

namespace {

fs::path dataDir()
{
    return dvs::test::sourceRoot() / "tests" / "data" / "network";
}

// A file whose name ends in "-inactive.xml" is formatted with NetworkFormatFlags::Inactive.
unsigned flagsFor(const fs::path& file)
{
    std::string stem = file.stem().string();
    return stem.size() > 9 && stem.ends_with("-inactive") ? NetworkFormatFlags::Inactive : 0;
}

// Formats the network parsed from input and compares it with expected (or rewrites expected
// under DVS_TEST_REGENERATE=1).
// Canonical files must also match our RelaxNG (validate); inputs may use what only libvirt's
// parser tolerates (case-insensitive "YES", empty elements, ...).
void checkFormat(const fs::path& input, const fs::path& expected, bool validate)
{
    auto def = NetworkDef::parseString(dvs::util::readFile(input),
                                       validate ? NetworkParseFlags::Validate : 0);
    auto actual = def.format(flagsFor(input));
    if (dvs::test::regenerate() && input != expected) {
        dvs::util::writeFileAtomic(expected, actual);
    }
    CHECK(actual == dvs::util::readFile(expected));
    // What we print is a fixed point.
    CHECK(NetworkDef::parseString(actual).format(flagsFor(input)) == actual);
}

// An expected error: "CODE\nFULL MESSAGE\n".
std::string describe(const Error& e)
{
    return std::to_string(static_cast<int>(e.code())) + "\n" + e.fullMessage() + "\n";
}

// Runs action, which must throw; compares the error with the .err file next to input.
template <typename Action>
void checkError(const fs::path& input, Action action)
{
    fs::path errFile = input;
    errFile.replace_extension(".err");
    std::string actual;
    try {
        action();
        FAIL("no error for " << input.filename());
    } catch (const Error& e) {
        actual = describe(e);
    }
    if (dvs::test::regenerate()) {
        dvs::util::writeFileAtomic(errFile, actual);
    }
    CHECK(actual == dvs::util::readFile(errFile));
}

std::string errorOf(const std::function<void()>& action)
{
    try {
        action();
    } catch (const Error& e) {
        return describe(e);
    }
    return "no error";
}

const char* kNatNetwork = R"(<network>
  <name>default</name>
  <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>
  <forward dev='eth1' mode='nat'/>
  <bridge name='virbr0'/>
  <dns>
    <txt name='example' value='example value'/>
  </dns>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
      <host mac='00:16:3e:77:e2:ed' name='a.example.com' ip='192.168.122.10'/>
    </dhcp>
  </ip>
  <ip family='ipv4' address='192.168.123.1' netmask='255.255.255.0'/>
  <ip family='ipv6' address='2001:db8:ac10:fd01::1' prefix='64'/>
</network>
)";

} // namespace

TEST_CASE("network: canonical files format to themselves")
{
    auto files = dvs::test::xmlFiles(dataDir() / "xml2xml");
    REQUIRE(files.size() >= 5);
    for (const auto& file : files) {
        DYNAMIC_SECTION(file.filename().string())
        {
            checkFormat(file, file, true);
        }
    }
}

TEST_CASE("network: inputs are normalised as libvirt does")
{
    auto files = dvs::test::xmlFiles(dataDir() / "in");
    REQUIRE(files.size() >= 3);
    for (const auto& file : files) {
        DYNAMIC_SECTION(file.filename().string())
        {
            checkFormat(file, dataDir() / "out" / file.filename(), false);
        }
    }
}

TEST_CASE("network: parse errors carry libvirt's codes and messages")
{
    auto files = dvs::test::xmlFiles(dataDir() / "parse-error");
    REQUIRE(files.size() >= 30);
    for (const auto& file : files) {
        DYNAMIC_SECTION(file.filename().string())
        {
            auto text = dvs::util::readFile(file);
            checkError(file, [&] { NetworkDef::parseString(text); });
        }
    }
}

TEST_CASE("network: definitions libvirt's driver refuses fail validateForDefine()")
{
    auto files = dvs::test::xmlFiles(dataDir() / "invalid");
    REQUIRE(files.size() >= 10);
    for (const auto& file : files) {
        DYNAMIC_SECTION(file.filename().string())
        {
            // Each one parses: only the semantic checks refuse it.
            auto def = NetworkDef::parseString(dvs::util::readFile(file));
            checkError(file, [&] { def.validateForDefine(); });
        }
    }
}

TEST_CASE("network: every canonical file passes validateForDefine()")
{
    for (const auto& file : dvs::test::xmlFiles(dataDir() / "xml2xml")) {
        DYNAMIC_SECTION(file.filename().string())
        {
            auto def = NetworkDef::parseString(dvs::util::readFile(file));
            CHECK_NOTHROW(def.validateForDefine());
        }
    }
}

TEST_CASE("network: live-only connections are formatted unless inactive")
{
    auto def = NetworkDef::parseString(R"(<network>
  <name>pool</name>
  <uuid>0b2f5a53-9d7e-4c41-9a43-5f6a6b3f0a10</uuid>
  <forward mode='passthrough'>
    <interface dev='eth2'/>
    <interface dev='eth3'/>
  </forward>
</network>
)");
    CHECK(def.format().find("connections") == std::string::npos);
    def.connections = 3;
    def.forward.interfaces[1].connections = 3;
    auto live = def.format();
    CHECK(live.find("<network connections='3'>") != std::string::npos);
    CHECK(live.find("<interface dev='eth3' connections='3'/>") != std::string::npos);
    CHECK(live.find("<interface dev='eth2'/>") != std::string::npos);
    auto inactive = def.format(NetworkFormatFlags::Inactive);
    CHECK(inactive.find("connections") == std::string::npos);
    // The parser ignores the attribute, as libvirt's does: it is recounted from the ports.
    CHECK(NetworkDef::parseString(live).connections == 0);
}

TEST_CASE("network: pf pools hide their interfaces when inactive")
{
    auto def = NetworkDef::parseString(R"(<network>
  <name>sriov</name>
  <uuid>0b2f5a53-9d7e-4c41-9a43-5f6a6b3f0a11</uuid>
  <forward mode='passthrough'>
    <pf dev='eth0'/>
  </forward>
</network>
)");
    // The driver fills the pool from the PF's virtual functions when the network starts.
    def.forward.interfaces.push_back({ForwardDeviceType::Netdev, "eth0v1", {}, 1});
    auto live = def.format();
    CHECK(live.find("<interface dev='eth0v1' connections='1'/>") != std::string::npos);
    // With a PF there is no dev= on <forward>.
    CHECK(live.find("<forward mode='passthrough'>") != std::string::npos);
    auto inactive = def.format(NetworkFormatFlags::Inactive);
    CHECK(inactive.find("eth0v1") == std::string::npos);
    CHECK(inactive.find("<pf dev='eth0'/>") != std::string::npos);
}

TEST_CASE("network: a missing uuid is generated, a given one is kept")
{
    const char* xml = "<network><name>n</name></network>";
    auto a = NetworkDef::parseString(xml);
    auto b = NetworkDef::parseString(xml);
    CHECK_FALSE(a.uuidSpecified);
    CHECK_FALSE(a.uuid.isNull());
    CHECK(a.uuid != b.uuid);
    auto again = NetworkDef::parseString(a.format());
    CHECK(again.uuidSpecified);
    CHECK(again.uuid == a.uuid);
}

TEST_CASE("network: the dvs: extension is parsed, formatted and can be changed")
{
    auto def = NetworkDef::parseString(R"(<network>
  <name>web</name>
  <uuid>0b2f5a53-9d7e-4c41-9a43-5f6a6b3f0a12</uuid>
  <metadata>
    <app:x xmlns:app="http://app.example/">keep</app:x>
    <d:network xmlns:d="https://libvirt-dvs.org/xmlns/network/1.0" role="vm"/>
  </metadata>
  <forward mode='bridge'/>
  <bridge name='br0'/>
  <virtualport type='openvswitch'/>
</network>
)");
    REQUIRE(def.dvs);
    CHECK(def.dvs->role == NetworkRole::Vm);
    auto text = def.format();
    CHECK(text.find("<app:x xmlns:app=\"http://app.example/\">keep</app:x>") != std::string::npos);
    CHECK(text.find("role=\"vm\"") != std::string::npos);

    def.dvs->role = NetworkRole::Management;
    text = def.format();
    CHECK(text.find("role=\"management\"") != std::string::npos);
    CHECK(text.find("role=\"vm\"") == std::string::npos);
    CHECK(NetworkDef::parseString(text).dvs->role == NetworkRole::Management);

    def.dvs.reset();
    text = def.format();
    CHECK(text.find("libvirt-dvs.org") == std::string::npos);
    CHECK(text.find("<app:x") != std::string::npos);

    // Added to a network without metadata.
    auto plain = NetworkDef::parseString("<network><name>n</name></network>");
    plain.dvs = DvsExtension{};
    plain.dvs->role = NetworkRole::Storage;
    auto withDvs = NetworkDef::parseString(plain.format());
    REQUIRE(withDvs.dvs);
    CHECK(withDvs.dvs->role == NetworkRole::Storage);
}

TEST_CASE("network: net-update sections libvirt cannot change")
{
    auto def = NetworkDef::parseString(kNatNetwork);
    auto before = def.format();
    struct Case
    {
        UpdateSection section;
        const char* xml;
        const char* name;
    };
    const Case cases[] = {
        {UpdateSection::Bridge, "<bridge name='x'/>", "bridge"},
        {UpdateSection::Domain, "<domain name='x'/>", "domain"},
        {UpdateSection::Ip, "<ip address='10.0.0.1'/>", "ip"},
        {UpdateSection::Forward, "<forward mode='route'/>", "forward"},
        {UpdateSection::ForwardPf, "<pf dev='eth9'/>", "forward pf"},
    };
    for (const auto& c : cases) {
        DYNAMIC_SECTION(c.name)
        {
            auto error = errorOf(
                [&] { updateNetworkDef(def, UpdateCommand::Modify, c.section, -1, c.xml, 0); });
            CHECK(error == "84\nOperation not supported: can't update '" + std::string(c.name) +
                               "' section of network 'default'\n");
            CHECK(def.format() == before);
        }
    }
    CHECK(errorOf([&] {
              updateNetworkDef(def, UpdateCommand::Modify, static_cast<UpdateSection>(42), -1,
                               "<x/>", 0);
          }) == "84\nOperation not supported: can't update unrecognized section of network\n");
}

TEST_CASE("network: net-update errors and edits beyond libvirt's corpus")
{
    auto def = NetworkDef::parseString(kNatNetwork);
    auto before = def.format();
    auto update = [&](UpdateCommand command, UpdateSection section, int index, const char* xml) {
        return errorOf([&] { updateNetworkDef(def, command, section, index, xml, 0); });
    };

    SECTION("malformed update XML is an XML error and changes nothing")
    {
        auto error =
            update(UpdateCommand::AddLast, UpdateSection::DnsTxt, -1, "<txt name='a' value='b'");
        CHECK(error.rfind("35\nnetwork_update_xml:", 0) == 0);
        CHECK(def.format() == before);
    }
    SECTION("the element must be the section's")
    {
        CHECK(update(UpdateCommand::AddLast, UpdateSection::IpDhcpHost, -1,
                     "<range start='192.168.122.3' end='192.168.122.4'/>") ==
              "27\nXML error: unexpected element <range>, expecting <host>, while updating "
              "network 'default'\n");
    }
    SECTION("dhcp ranges, forward interfaces and srv records cannot be modified")
    {
        CHECK(update(UpdateCommand::Modify, UpdateSection::IpDhcpRange, -1,
                     "<range start='192.168.122.3' end='192.168.122.4'/>") ==
              "84\nOperation not supported: dhcp ranges cannot be modified, only added or "
              "deleted\n");
        CHECK(update(UpdateCommand::Modify, UpdateSection::ForwardInterface, -1,
                     "<interface dev='eth1'/>") ==
              "84\nOperation not supported: forward interface entries cannot be modified, only "
              "added or deleted\n");
        CHECK(update(UpdateCommand::Modify, UpdateSection::DnsSrv, -1,
                     "<srv service='a' protocol='tcp'/>") ==
              "84\nOperation not supported: DNS SRV records cannot be modified, only added or "
              "deleted\n");
    }
    SECTION("an unknown command")
    {
        CHECK(update(UpdateCommand::None, UpdateSection::DnsTxt, -1, "<txt name='a' value='b'/>") ==
              "84\nOperation not supported: unrecognized network update command code 0\n");
    }
    SECTION("parentIndex selects the ip; a missing one is an error")
    {
        CHECK(update(UpdateCommand::AddLast, UpdateSection::IpDhcpHost, 7,
                     "<host mac='00:16:3e:00:00:01' ip='192.168.122.20'/>") ==
              "55\nRequested operation is not valid: couldn't update dhcp host entry - no <ip> "
              "element found at index 7 in network 'default'\n");
        // DHCP goes on one address per family only.
        CHECK(update(UpdateCommand::AddLast, UpdateSection::IpDhcpHost, 1,
                     "<host mac='00:16:3e:00:00:01' ip='192.168.123.20'/>") ==
              "55\nRequested operation is not valid: dhcp is supported only for a single IPv4 "
              "address on each network\n");
        CHECK(def.format() == before);
        // -1 picks the ip that has DHCP.
        updateNetworkDef(def, UpdateCommand::AddFirst, UpdateSection::IpDhcpHost, -1,
                         "<host mac='00:16:3e:00:00:01' name='first' ip='192.168.122.20'/>", 0);
        REQUIRE(def.ips[0].hosts.size() == 2);
        CHECK(def.ips[0].hosts[0].name == "first");
    }
    SECTION("host families must match their ip")
    {
        CHECK(update(UpdateCommand::AddLast, UpdateSection::IpDhcpHost, 0,
                     "<host name='v6' ip='2001:db8:ac10:fd01::20'/>") ==
              "55\nRequested operation is not valid: the address family of a host entry IP must "
              "match the address family of the dhcp element's parent\n");
    }
    SECTION("txt records are modified in place")
    {
        updateNetworkDef(def, UpdateCommand::Modify, UpdateSection::DnsTxt, -1,
                         "<txt name='example' value='new value'/>", 0);
        REQUIRE(def.dns.txts.size() == 1);
        CHECK(def.dns.txts[0].value == "new value");
        CHECK(update(UpdateCommand::Modify, UpdateSection::DnsTxt, -1, "<txt name='example'/>") ==
              "55\nRequested operation is not valid: missing value of modifying DNS TXT record "
              "in network default\n");
    }
    SECTION("dns hosts are modified by address")
    {
        updateNetworkDef(def, UpdateCommand::AddLast, UpdateSection::DnsHost, -1,
                         "<host ip='192.168.122.5'><hostname>one</hostname></host>", 0);
        updateNetworkDef(def, UpdateCommand::Modify, UpdateSection::DnsHost, -1,
                         "<host ip='192.168.122.5'><hostname>two</hostname></host>", 0);
        REQUIRE(def.dns.hosts.size() == 1);
        CHECK(def.dns.hosts[0].names == std::vector<std::string>{"two"});
    }
    SECTION("a forward interface in use cannot be deleted")
    {
        def.forward.interfaces[0].connections = 2;
        CHECK(update(UpdateCommand::Delete, UpdateSection::ForwardInterface, -1,
                     "<interface dev='eth1'/>") ==
              "55\nRequested operation is not valid: unable to delete interface 'eth1' in "
              "network 'default'. It is currently being used by 2 domains.\n");
        updateNetworkDef(def, UpdateCommand::AddLast, UpdateSection::ForwardInterface, -1,
                         "<interface dev='eth2'/>", 0);
        CHECK(def.forward.interfaces.size() == 2);
    }
    SECTION("only one default portgroup")
    {
        updateNetworkDef(def, UpdateCommand::AddLast, UpdateSection::Portgroup, -1,
                         "<portgroup name='a' default='yes'/>", 0);
        CHECK(update(UpdateCommand::AddLast, UpdateSection::Portgroup, -1,
                     "<portgroup name='b' default='yes'/>") ==
              "55\nRequested operation is not valid: a different portgroup entry in network "
              "'default' is already set as the default. Only one default is allowed.\n");
        // Modifying the default itself keeps it the default.
        updateNetworkDef(def, UpdateCommand::Modify, UpdateSection::Portgroup, -1,
                         "<portgroup name='a' default='yes' trustGuestRxFilters='yes'/>", 0);
        REQUIRE(def.portgroups.size() == 1);
        CHECK(def.portgroups[0].trustGuestRxFilters == Tristate::Yes);
    }
}

TEST_CASE("network: hostile and broken input is an error and reads nothing")
{
    dvs::test::TempDir dir;
    auto secret = dir.path() / "secret.txt";
    dvs::util::writeFileAtomic(secret, "TOP-SECRET-MARKER");

    struct Case
    {
        const char* name;
        std::string xml;
        ErrorCode code;
    };
    std::string big = "<network><name>n</name><description>" +
                      std::string(dvs::util::kXmlMaxSize, 'x') + "</description></network>";
    const Case cases[] = {
        {"truncated", "<network><name>n</name><forward mode='nat'", ErrorCode::XmlDetail},
        {"not well-formed", "<network><name>n</nam></network>", ErrorCode::XmlDetail},
        {"empty", "", ErrorCode::XmlDetail},
        {"wrong root", "<domain><name>n</name></domain>", ErrorCode::XmlError},
        {"namespaced root", "<n:network xmlns:n='urn:x'><name>n</name></n:network>",
         ErrorCode::XmlError},
        {"oversized", big, ErrorCode::XmlError},
        {"external entity",
         "<!DOCTYPE network [<!ENTITY x SYSTEM 'file://" + secret.string() +
             "'>]><network><name>&x;</name></network>",
         ErrorCode::XmlError},
        {"network entity",
         "<!DOCTYPE network [<!ENTITY x SYSTEM 'http://127.0.0.1:9/x'>]>"
         "<network><name>&x;</name></network>",
         ErrorCode::XmlError},
        {"parameter entity",
         "<!DOCTYPE network [<!ENTITY % p SYSTEM 'file://" + secret.string() +
             "'>%p;]><network><name>n</name></network>",
         ErrorCode::XmlError},
    };
    for (const auto& c : cases) {
        DYNAMIC_SECTION(c.name)
        {
            try {
                NetworkDef::parseString(c.xml);
                FAIL("accepted");
            } catch (const Error& e) {
                CHECK(e.code() == c.code);
                CHECK(e.fullMessage().find("TOP-SECRET-MARKER") == std::string::npos);
            }
        }
    }
}
