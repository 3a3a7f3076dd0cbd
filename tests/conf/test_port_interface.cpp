// SPDX-License-Identifier: LGPL-2.1-or-later
// The domain <interface type='network'> subset with <actual>, and the conversions between
// interfaces and network ports that libvirt's hypervisor drivers make.
#include <algorithm>
#include <vector>

#include <catch2/catch.hpp>

#include "conf/domain_interface.h"
#include "test_support.h"
#include "util/error.h"
#include "util/file.h"

using namespace dvs::conf;
using dvs::Error;
namespace fs = std::filesystem;

namespace {

fs::path dataDir(const char* sub)
{
    return dvs::test::sourceRoot() / "tests" / "data" / sub;
}

const dvs::util::Uuid kOwner = *dvs::util::Uuid::parse("b1680f2a-3c1a-4e38-9f5e-8c5d4d3a2b10");

} // namespace

TEST_CASE("interface: status files round-trip with <actual>")
{
    auto files = dvs::test::xmlFiles(dataDir("interface") / "status");
    REQUIRE(files.size() >= 5);
    for (const auto& file : files) {
        DYNAMIC_SECTION(file.filename().string())
        {
            auto text = dvs::util::readFile(file);
            auto iface = DomainInterface::parseString(text, DomainInterfaceFlags::Status);
            REQUIRE(iface.actual);
            CHECK(iface.format(DomainInterfaceFlags::Status) == text);
            // Without the status flag, <actual> is neither read nor written.
            auto config = DomainInterface::parseString(text);
            CHECK_FALSE(config.actual);
            CHECK(iface.format().find("<actual") == std::string::npos);
        }
    }
}

TEST_CASE("interface: configuration files round-trip")
{
    for (const auto& file : dvs::test::xmlFiles(dataDir("interface") / "config")) {
        DYNAMIC_SECTION(file.filename().string())
        {
            auto text = dvs::util::readFile(file);
            CHECK(DomainInterface::parseString(text).format() == text);
        }
    }
}

TEST_CASE("interface: invalid interfaces give libvirt's errors")
{
    auto files = dvs::test::xmlFiles(dataDir("interface") / "parse-error");
    REQUIRE(files.size() >= 10);
    for (const auto& file : files) {
        DYNAMIC_SECTION(file.filename().string())
        {
            std::string expected = dvs::util::readFile(fs::path(file).replace_extension(".err"));
            while (!expected.empty() && expected.back() == '\n') {
                expected.pop_back();
            }
            std::string actual;
            try {
                DomainInterface::parseString(dvs::util::readFile(file),
                                             DomainInterfaceFlags::Status);
            } catch (const Error& e) {
                actual = e.fullMessage();
            }
            CHECK(actual == expected);
        }
    }
}

TEST_CASE("interface: a missing mac is generated with the KVM prefix")
{
    auto a = DomainInterface::parseString("<interface type='network'><source network='n'/>"
                                          "</interface>");
    auto b = DomainInterface::parseString("<interface type='network'><source network='n'/>"
                                          "</interface>");
    CHECK(a.mac.toString().starts_with("52:54:00:"));
    CHECK_FALSE(a.mac.isMulticast());
    CHECK(a.mac != b.mac);
}

TEST_CASE("interface: a virtualport gets its missing ids, as libvirt does for type network")
{
    auto iface = DomainInterface::parseString(
        "<interface type='network'><mac address='52:54:00:00:00:01'/><source network='n'/>"
        "<virtualport type='openvswitch'/></interface>");
    REQUIRE(iface.virtualPort);
    CHECK(iface.virtualPort->interfaceId);
    CHECK_FALSE(iface.virtualPort->instanceId);
}

TEST_CASE("interface -> port: what virtqemud asks the network for")
{
    auto iface = DomainInterface::parseString(
        dvs::util::readFile(dataDir("interface") / "config" / "portgroup-virtualport.xml"));
    auto port = interfaceToNetworkPort(iface, "vm1", kOwner);
    CHECK(port.ownerName == "vm1");
    CHECK(port.ownerUuid == kOwner);
    CHECK(port.group == "web");
    CHECK(port.mac == iface.mac);
    CHECK(port.virtualPort == iface.virtualPort);
    CHECK(port.bandwidth == iface.bandwidth);
    CHECK(port.vlan == iface.vlan);
    CHECK(port.isolatedPort == Tristate::No);
    CHECK(port.trustGuestRxFilters == Tristate::Yes);
    CHECK(port.plug.type == PlugType::None);
    CHECK_FALSE(port.uuid.isNull());

    // With a portid the port keeps it; without, each call makes a new one.
    iface.portId = *dvs::util::Uuid::parse("afe70d05-9d6c-4c10-a894-7f63a25e4e73");
    CHECK(interfaceToNetworkPort(iface, "vm1", kOwner).uuid == *iface.portId);
    iface.portId.reset();
    CHECK(interfaceToNetworkPort(iface, "vm1", kOwner).uuid !=
          interfaceToNetworkPort(iface, "vm1", kOwner).uuid);
}

TEST_CASE("port -> actual: the observed bridge port gives libvirt's status XML")
{
    auto port = NetworkPort::parseString(
        "<networkport><uuid>afe70d05-9d6c-4c10-a894-7f63a25e4e73</uuid><owner><name>vm1</name>"
        "<uuid>b1680f2a-3c1a-4e38-9f5e-8c5d4d3a2b10</uuid></owner>"
        "<mac address='52:54:00:aa:bb:cc'/><rxfilters trustGuest='yes'/>"
        "<plug type='bridge' bridge='br0test'/></networkport>");
    DomainInterface iface;
    iface.mac = port.mac;
    iface.network = "hostbr";
    iface.portId = port.uuid;
    iface.actual = actualFromNetworkPort(port);
    CHECK(iface.actual->trustGuestRxFilters == Tristate::Yes);
    // The attribute on <actual> shows the interface's own setting, so it is absent here.
    CHECK(iface.format(DomainInterfaceFlags::Status) ==
          dvs::util::readFile(dataDir("interface") / "status" / "bridge.xml"));
}

TEST_CASE("port -> actual -> port keeps every plug type (RECLAIM after a restart)")
{
    std::vector<fs::path> files = dvs::test::xmlFiles(dataDir("networkport") / "xml2xml");
    REQUIRE(files.size() >= 5);
    for (const auto& file : files) {
        DYNAMIC_SECTION(file.filename().string())
        {
            auto port = NetworkPort::parseString(dvs::util::readFile(file));
            REQUIRE(port.plug.type != PlugType::None);
            DomainInterface iface;
            iface.mac = port.mac;
            iface.network = "net";
            iface.portgroup = port.group;
            iface.portId = port.uuid;
            iface.actual = actualFromNetworkPort(port);

            // What virtqemud writes and reads back in its status file.
            auto reread = DomainInterface::parseString(iface.format(DomainInterfaceFlags::Status),
                                                       DomainInterfaceFlags::Status);
            auto back = actualToNetworkPort(reread, port.ownerName, port.ownerUuid);
            if (port.plug.type == PlugType::HostdevPci && port.plug.managed == Tristate::Absent) {
                // libvirt keeps managed as a bool in the domain: absent comes back as "no".
                port.plug.managed = Tristate::No;
            }
            // trustGuestRxFilters on <actual> is the interface's own, which is absent here.
            port.trustGuestRxFilters = Tristate::Absent;
            CHECK(back.format() == port.format());
        }
    }
}

TEST_CASE("actual conversions refuse what libvirt refuses")
{
    NetworkPort unplugged;
    CHECK_THROWS_AS(actualFromNetworkPort(unplugged), Error);
    DomainInterface iface;
    iface.network = "n";
    try {
        actualToNetworkPort(iface, "vm", kOwner);
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == dvs::ErrorCode::InternalError);
        CHECK(e.message().starts_with("Missing actual data for interface"));
    }
}
