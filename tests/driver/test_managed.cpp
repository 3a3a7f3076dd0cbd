// SPDX-License-Identifier: LGPL-2.1-or-later
// Networks a distributed switch manages: read-only for clients, changed by the host agent only.
#include <filesystem>

#include <catch2/catch.hpp>

#include "conf/network_def.h"
#include "conf/network_port.h"
#include "conf/network_update.h"
#include "driver_fixture.h"
#include "util/file.h"

namespace fs = std::filesystem;
using namespace dvs;
using namespace dvs::test;

namespace {

const std::string kSwitchNet = R"(<network>
  <name>sw1</name>
  <uuid>22222222-2222-3333-4444-555555555555</uuid>
  <forward mode='bridge'/>
  <bridge name='dvs-sw1'/>
  <virtualport type='openvswitch'/>
  <portgroup name='web' default='yes'>
    <vlan><tag id='10'/></vlan>
  </portgroup>
  <portgroup name='db'>
    <vlan><tag id='20'/></vlan>
  </portgroup>
</network>)";

const driver::ManagedBy kBy{"sw1", "host-a"};

std::string uuidN(int n)
{
    return fmt::format("00000000-0000-4000-8000-{:012d}", n);
}

std::string with(std::string xml, const std::string& from, const std::string& to)
{
    xml.replace(xml.find(from), from.size(), to);
    return xml;
}

// The Error a call throws; fails the test when it throws none.
template <typename F>
Error refusalOf(F&& f)
{
    try {
        f();
    } catch (const Error& e) {
        return e;
    }
    FAIL("the call was not refused");
    return Error(ErrorCode::Ok, "");
}

unsigned vlanOf(driver::NetworkDriver& drv, const driver::PortRef& ref)
{
    auto port = conf::NetworkPort::parseString(drv.portGetXmlDesc(ref, 0));
    REQUIRE(port.vlan.tags.size() == 1);
    return port.vlan.tags.front();
}

} // namespace

TEST_CASE("a managed network refuses clients' changes and names the switch and the command")
{
    DriverFixture f;
    auto net = f.drv->managedDefine(kSwitchNet, kBy);
    f.drv->start(net);
    f.drv->managedSetAutostart(net, true);
    REQUIRE(f.drv->managedBy("sw1") == kBy);
    CHECK_FALSE(f.drv->managedBy("other"));
    auto before = f.drv->getXmlDesc(net, 0);

    auto update = refusalOf([&] {
        f.drv->update(net, 1, 9, -1,
                      "<portgroup name='web'><vlan><tag id='30'/></vlan></portgroup>",
                      driver::UpdateFlags::Live | driver::UpdateFlags::Config);
    });
    CHECK(update.code() == ErrorCode::OperationDenied);
    CHECK(update.fullMessage() ==
          "operation forbidden: network 'sw1' is managed by distributed switch 'sw1': change it "
          "with 'dvsctl switch-update sw1 COMMAND SECTION XML' instead");

    auto undefine = refusalOf([&] { f.drv->undefine(net); });
    CHECK(undefine.code() == ErrorCode::OperationDenied);
    CHECK_THAT(undefine.message(), Catch::Matchers::Contains("dvsctl host-remove sw1 host-a"));
    auto destroy = refusalOf([&] { f.drv->destroy(net); });
    CHECK(destroy.code() == ErrorCode::OperationDenied);
    CHECK_THAT(destroy.message(), Catch::Matchers::Contains("dvsctl host-remove sw1 host-a"));
    CHECK(refusalOf([&] { f.drv->setAutostart(net, false); }).code() == ErrorCode::OperationDenied);
    // A define over it, by name or by uuid, and a create of the same name.
    auto define = refusalOf([&] { f.drv->defineXml(with(kSwitchNet, "10", "11"), 0); });
    CHECK(define.code() == ErrorCode::OperationDenied);
    CHECK_THAT(define.message(), Catch::Matchers::Contains("'sw1'"));
    CHECK(refusalOf([&] {
              f.drv->defineXml(with(kSwitchNet, "<name>sw1", "<name>sw2"), 0);
          }).code() == ErrorCode::OperationDenied);
    CHECK(refusalOf([&] { f.drv->createXml(with(kSwitchNet, "10", "11"), 0); }).code() ==
          ErrorCode::OperationDenied);

    // Nothing changed.
    CHECK(f.drv->isActive(net));
    CHECK(f.drv->getAutostart(net));
    CHECK(f.drv->getXmlDesc(net, 0) == before);
    CHECK_THAT(util::readFile(f.paths().configDir / "networks/sw1.xml"),
               Catch::Matchers::Contains("<tag id='10'/>"));
}

TEST_CASE("ports work on a managed network as on any other")
{
    DriverFixture f;
    auto net = f.drv->managedDefine(kSwitchNet, kBy);
    f.drv->start(net);
    auto port = f.drv->portCreateXml(net, portXml(uuidN(1), "db"), 0);
    CHECK(vlanOf(*f.drv, port) == 20);
    CHECK(f.drv->listAllPorts(net, 0).size() == 1);
    f.drv->portDelete(port, 0);
    CHECK(f.drv->listAllPorts(net, 0).empty());
}

TEST_CASE("the mark survives a restart and goes with the agent's undefine")
{
    DriverFixture f;
    auto net = f.drv->managedDefine(kSwitchNet, kBy);
    f.drv->start(net);
    CHECK(fs::exists(f.paths().configDir / "networks/managed/sw1"));
    f.restart();
    REQUIRE(f.drv->managedBy("sw1") == kBy);
    CHECK(f.drv->takeNotices().empty());
    CHECK(refusalOf([&] { f.drv->destroy(net); }).code() == ErrorCode::OperationDenied);

    f.drv->managedDestroy(net);
    f.drv->managedUndefine(net);
    CHECK_FALSE(f.drv->managedBy("sw1"));
    CHECK_FALSE(fs::exists(f.paths().configDir / "networks/managed/sw1"));
    // An ordinary network of the same name is an ordinary network again.
    auto plain = f.drv->defineXml(kSwitchNet, 0);
    f.drv->undefine(plain);
}

TEST_CASE("unmanage makes it an ordinary network; an unreadable mark is reported")
{
    DriverFixture f;
    auto net = f.drv->managedDefine(kSwitchNet, kBy);
    f.drv->unmanage("sw1");
    CHECK_FALSE(f.drv->managedBy("sw1"));
    f.drv->setAutostart(net, true);

    util::writeFileAtomic(f.paths().configDir / "networks/managed/sw1", "garbage\n");
    f.restart();
    CHECK_FALSE(f.drv->managedBy("sw1"));
    auto notices = f.drv->takeNotices();
    REQUIRE(notices.size() == 1);
    CHECK_THAT(notices.front(), Catch::Matchers::Contains("names no switch"));
}

TEST_CASE("the agent updates a managed network live and running ports follow")
{
    DriverFixture f;
    auto net = f.drv->managedDefine(kSwitchNet, kBy);
    f.drv->start(net);
    auto web = f.drv->portCreateXml(net, portXml(uuidN(1), "web"), 0);
    auto db = f.drv->portCreateXml(net, portXml(uuidN(2), "db", "", "52:54:00:aa:bb:cd"), 0);

    f.drv->managedUpdate(net, static_cast<unsigned>(conf::UpdateCommand::Modify),
                         static_cast<unsigned>(conf::UpdateSection::Portgroup), -1,
                         "<portgroup name='web' default='yes'><vlan><tag id='30'/></vlan>"
                         "</portgroup>",
                         driver::UpdateFlags::Live | driver::UpdateFlags::Config);
    CHECK(vlanOf(*f.drv, web) == 30);
    CHECK(vlanOf(*f.drv, db) == 20);
    CHECK_THAT(util::readFile(f.paths().configDir / "networks/sw1.xml"),
               Catch::Matchers::Contains("<tag id='30'/>"));
}

TEST_CASE("a redefinition is made live when the bridge and forward mode stay")
{
    DriverFixture f;
    auto net = f.drv->managedDefine(kSwitchNet, kBy);
    f.drv->start(net);
    auto db = f.drv->portCreateXml(net, portXml(uuidN(2), "db"), 0);

    f.drv->managedDefine(with(kSwitchNet, "<tag id='20'/>", "<tag id='21'/>"), kBy);
    CHECK(vlanOf(*f.drv, db) == 20); // a define alone waits
    REQUIRE(f.drv->managedApplyLive(net));
    CHECK(vlanOf(*f.drv, db) == 21);
    CHECK_THAT(f.drv->getXmlDesc(net, 0), Catch::Matchers::Contains("<tag id='21'/>"));
    CHECK_THAT(f.drv->getXmlDesc(net, 0), Catch::Matchers::Contains("connections='1'"));
    // The port survives a restart with its new VLAN.
    f.restart();
    CHECK(vlanOf(*f.drv, db) == 21);

    // Another bridge cannot be made live: it waits for a restart of the network.
    f.drv->managedDefine(with(kSwitchNet, "dvs-sw1", "dvs-other"), kBy);
    CHECK_FALSE(f.drv->managedApplyLive(net));
    CHECK(f.drv->getBridgeName(net) == "dvs-sw1");
}
