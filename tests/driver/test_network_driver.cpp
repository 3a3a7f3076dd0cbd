// SPDX-License-Identifier: LGPL-2.1-or-later
// The network driver's libvirt semantics (libvirt's network/bridge_driver.c), on a private state
// root.
#include <filesystem>

#include <catch2/catch.hpp>

#include "conf/network_def.h"
#include "conf/network_port.h"
#include "driver_fixture.h"
#include "util/file.h"

namespace fs = std::filesystem;
using namespace dvs;
using namespace dvs::test;
using driver::LifecycleEvent;
namespace ListFlags = driver::ListFlags;
namespace PortCreateFlags = driver::PortCreateFlags;

namespace {

const std::string kOvsNet = R"(<network>
  <name>ovs</name>
  <uuid>11111111-2222-3333-4444-555555555555</uuid>
  <forward mode='bridge'/>
  <bridge name='ovsbr0'/>
  <virtualport type='openvswitch'/>
  <portgroup name='web' default='yes'>
    <vlan><tag id='10'/></vlan>
    <bandwidth><outbound average='1000'/></bandwidth>
  </portgroup>
  <portgroup name='db'>
    <vlan><tag id='20'/></vlan>
    <virtualport type='openvswitch'><parameters profileid='db-profile'/></virtualport>
  </portgroup>
  <portgroup name='trusted' trustGuestRxFilters='yes'/>
</network>)";

const std::string kVepaNet = R"(<network>
  <name>vepa</name>
  <forward mode='vepa'><interface dev='eth1'/><interface dev='eth2'/></forward>
</network>)";

const std::string kPassthroughNet = R"(<network>
  <name>pt</name>
  <forward mode='passthrough'><interface dev='eth3'/><interface dev='eth4'/></forward>
</network>)";

const std::string kLinuxBridgeNet = R"(<network>
  <name>host</name>
  <forward mode='bridge'/>
  <bridge name='br0'/>
</network>)";

conf::NetworkPort portOf(driver::NetworkDriver& drv, const driver::PortRef& ref)
{
    return conf::NetworkPort::parseString(drv.portGetXmlDesc(ref, 0));
}

std::string uuidN(int n)
{
    return fmt::format("00000000-0000-4000-8000-{:012d}", n);
}

} // namespace

TEST_CASE("networks are defined, listed, started, destroyed and undefined as in libvirt")
{
    DriverFixture f;
    auto net = f.drv->defineXml(kOvsNet, 0);
    CHECK(net.name == "ovs");
    CHECK(fs::exists(f.paths().configDir / "networks/ovs.xml"));
    CHECK(f.drv->lookupByName("ovs").uuid == net.uuid);
    CHECK(f.drv->lookupByUuid(net.uuid).name == "ovs");
    CHECK_FALSE(f.drv->isActive(net));
    CHECK(f.drv->isPersistent(net));
    CHECK(f.drv->listAllNetworks(ListFlags::Inactive).size() == 1);
    CHECK(f.drv->listAllNetworks(ListFlags::Active).empty());
    CHECK(f.drv->countNetworks(false) == 1);
    CHECK(f.drv->listNetworkNames(false, 10) == std::vector<std::string>{"ovs"});

    f.drv->start(net);
    CHECK(f.drv->isActive(net));
    CHECK(fs::exists(f.paths().runDir / "networks/ovs.xml"));
    CHECK(f.drv->getBridgeName(net) == "ovsbr0");
    CHECK(errorOf([&] { f.drv->start(net); }) == ErrorCode::OperationInvalid);

    f.drv->destroy(net);
    CHECK_FALSE(f.drv->isActive(net));
    CHECK_FALSE(fs::exists(f.paths().runDir / "networks/ovs.xml"));
    CHECK(errorOf([&] { f.drv->destroy(net); }) == ErrorCode::OperationInvalid);

    f.drv->undefine(net);
    CHECK(errorOf([&] { f.drv->lookupByName("ovs"); }) == ErrorCode::NoNetwork);
    CHECK_FALSE(fs::exists(f.paths().configDir / "networks/ovs.xml"));

    REQUIRE(f.events.size() == 4);
    CHECK(f.events[0].second == LifecycleEvent::Defined);
    CHECK(f.events[1].second == LifecycleEvent::Started);
    CHECK(f.events[2].second == LifecycleEvent::Stopped);
    CHECK(f.events[3].second == LifecycleEvent::Undefined);
}

TEST_CASE("refusals carry libvirt's codes and messages")
{
    DriverFixture f;
    auto net = f.drv->defineXml(kOvsNet, 0);
    CHECK_THROWS_WITH(f.drv->lookupByName("nosuchnet"),
                      "Network not found: no network with matching name 'nosuchnet'");
    // Same uuid, other name.
    std::string renamed = kOvsNet;
    renamed.replace(renamed.find("<name>ovs"), 9, "<name>ovs2");
    CHECK_THROWS_WITH(f.drv->defineXml(renamed, 0),
                      "operation failed: network 'ovs' is already defined with uuid "
                      "11111111-2222-3333-4444-555555555555");
    // Same name, other uuid.
    std::string otherUuid = kOvsNet;
    otherUuid.replace(otherUuid.find("11111111"), 8, "99999999");
    CHECK_THROWS_WITH(f.drv->defineXml(otherUuid, 0),
                      "operation failed: network 'ovs' already exists with uuid "
                      "11111111-2222-3333-4444-555555555555");
    driver::NetworkRef ghost{"ghost", util::Uuid::generate()};
    CHECK(errorOf([&] { f.drv->start(ghost); }) == ErrorCode::NoNetwork);
    CHECK(errorOf([&] { f.drv->listAllPorts(net, 0); }) == ErrorCode::OperationInvalid);
    CHECK(errorOf([&] { f.drv->getXmlDesc(net, 4); }) == ErrorCode::InvalidArg);
    CHECK(errorOf([&] { f.drv->defineXml("<network><name>x</name>", 0); }) == ErrorCode::XmlDetail);
}

TEST_CASE("names that could escape the state folder are refused and change nothing")
{
    DriverFixture f;
    for (const std::string& bad : std::vector<std::string>{"..", ".", std::string(256, 'n'),
                                                           std::string("a\x01"
                                                                       "b")}) {
        std::string xml = "<network><name>" + bad +
                          "</name><forward mode='bridge'/><bridge name='br0'/></network>";
        CHECK(errorOf([&] { f.drv->defineXml(xml, 0); }) != ErrorCode::Ok);
    }
    CHECK(f.drv->listAllNetworks(0).empty());
    CHECK(fs::is_empty(f.paths().configDir / "networks/autostart"));
}

TEST_CASE("a network being redefined while active keeps its live definition")
{
    DriverFixture f;
    auto net = f.defineAndStart(kLinuxBridgeNet);
    std::string changed = kLinuxBridgeNet;
    changed.replace(changed.find("br0"), 3, "br1");
    auto uuid = f.drv->getXmlDesc(net, 0);
    auto withUuid = conf::NetworkDef::parseString(uuid);
    withUuid.bridge = "br1";
    f.drv->defineXml(withUuid.format(1), 0);
    CHECK(f.drv->getBridgeName(net) == "br0");
    CHECK_THAT(f.drv->getXmlDesc(net, driver::XmlFlags::Inactive),
               Catch::Matchers::Contains("br1"));
    f.drv->destroy(net);
    CHECK(f.drv->getBridgeName(net) == "br1");
}

TEST_CASE("transient networks live only while active")
{
    DriverFixture f;
    auto net = f.drv->createXml(kLinuxBridgeNet, 0);
    CHECK(f.drv->isActive(net));
    CHECK_FALSE(f.drv->isPersistent(net));
    CHECK(errorOf([&] { f.drv->setAutostart(net, true); }) == ErrorCode::OperationInvalid);
    CHECK(errorOf([&] { f.drv->undefine(net); }) == ErrorCode::OperationInvalid);
    f.drv->destroy(net);
    CHECK(errorOf([&] { f.drv->lookupByName("host"); }) == ErrorCode::NoNetwork);
}

TEST_CASE("undefining an active network makes it transient")
{
    DriverFixture f;
    auto net = f.defineAndStart(kLinuxBridgeNet);
    f.drv->undefine(net);
    CHECK(f.drv->isActive(net));
    CHECK_FALSE(f.drv->isPersistent(net));
    f.drv->destroy(net);
    CHECK(errorOf([&] { f.drv->lookupByName("host"); }) == ErrorCode::NoNetwork);
}

TEST_CASE("libvirt's virtual networks are defined but not started")
{
    DriverFixture f;
    auto net = f.drv->defineXml("<network><name>nat</name><forward mode='nat'/>"
                                "<ip address='192.168.200.1' netmask='255.255.255.0'/></network>",
                                0);
    // libvirt gives it a bridge name and a MAC address at define time.
    auto xml = f.drv->getXmlDesc(net, 0);
    CHECK_THAT(xml, Catch::Matchers::Contains("<bridge name='virbr"));
    CHECK_THAT(xml, Catch::Matchers::Contains("<mac address='52:54:00:"));
    try {
        f.drv->start(net);
        FAIL("starting a nat network should be refused");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::ConfigUnsupported);
        CHECK_THAT(e.message(), Catch::Matchers::Contains("forward mode 'nat'"));
    }
    CHECK_FALSE(f.drv->isActive(net));
}

TEST_CASE("networkValidate's rules apply at define")
{
    DriverFixture f;
    CHECK_THROWS_WITH(f.drv->defineXml("<network><name>v</name><forward mode='vepa'>"
                                       "<interface dev='eth0'/></forward>"
                                       "<ip address='10.0.0.1' prefix='24'/></network>",
                                       0),
                      "unsupported configuration: Unsupported <ip> element in network v with "
                      "forward mode='vepa'");
    CHECK_THROWS_WITH(f.drv->defineXml("<network><name>v</name><forward mode='bridge'/>"
                                       "<bridge name='br0'/><vlan><tag id='5'/></vlan></network>",
                                       0),
                      "unsupported configuration: <vlan> element specified for network v, whose "
                      "type doesn't support vlan configuration");
    CHECK(errorOf([&] {
              f.drv->defineXml("<network><name>v</name><forward mode='bridge'/><bridge "
                               "name='br0'/><portgroup name='a' default='yes'/><portgroup "
                               "name='b' default='yes'/></network>",
                               0);
          }) == ErrorCode::ConfigUnsupported);
    CHECK(errorOf([&] {
              f.drv->defineXml("<network><name>v</name><forward mode='vepa'>"
                               "<interface dev='eth0'/></forward>"
                               "<bandwidth><inbound average='10'/></bandwidth></network>",
                               0);
          }) == ErrorCode::ConfigUnsupported);
    CHECK(f.drv->listAllNetworks(0).empty());
}

TEST_CASE("ports on an OVS network follow libvirt's merge rules")
{
    DriverFixture f;
    auto net = f.defineAndStart(kOvsNet);

    SECTION("no group: the default portgroup's vlan and bandwidth, a generated interfaceid")
    {
        auto ref = f.drv->portCreateXml(net, portXml(uuidN(1)), 0);
        auto port = portOf(*f.drv, ref);
        CHECK(port.plug.type == conf::PlugType::Bridge);
        CHECK(port.plug.bridge == "ovsbr0");
        CHECK(port.vlan.tags == std::vector<unsigned>{10});
        REQUIRE(port.bandwidth.out);
        CHECK(port.bandwidth.out->average == 1000);
        REQUIRE(port.virtualPort);
        CHECK(port.virtualPort->type == conf::VirtualPortType::OpenVSwitch);
        REQUIRE(port.virtualPort->interfaceId);
        CHECK_FALSE(port.virtualPort->interfaceId->isNull());
        CHECK(port.group.empty());
    }
    SECTION("a named group: its vlan and virtualport profile")
    {
        auto ref = f.drv->portCreateXml(net, portXml(uuidN(2), "db"), 0);
        auto port = portOf(*f.drv, ref);
        CHECK(port.vlan.tags == std::vector<unsigned>{20});
        CHECK(port.bandwidth.empty());
        REQUIRE(port.virtualPort);
        CHECK(port.virtualPort->profileId == "db-profile");
    }
    SECTION("the port's own values win")
    {
        auto ref = f.drv->portCreateXml(
            net,
            portXml(uuidN(3), "web",
                    "<bandwidth><outbound average='5'/></bandwidth><vlan><tag id='99'/></vlan>"
                    "<rxfilters trustGuest='no'/>"),
            0);
        auto port = portOf(*f.drv, ref);
        CHECK(port.vlan.tags == std::vector<unsigned>{99});
        CHECK(port.bandwidth.out->average == 5);
        CHECK(port.trustGuestRxFilters == conf::Tristate::No);
    }
    SECTION("trustGuestRxFilters comes from the portgroup")
    {
        auto ref = f.drv->portCreateXml(net, portXml(uuidN(4), "trusted"), 0);
        CHECK(portOf(*f.drv, ref).trustGuestRxFilters == conf::Tristate::Yes);
    }
    SECTION("a virtualport whose type differs from the network's is refused")
    {
        CHECK_THROWS_WITH(
            f.drv->portCreateXml(
                net,
                portXml(uuidN(5), "",
                        "<virtualport type='802.1Qbh'><parameters profileid='p'/></virtualport>"),
                0),
            Catch::Matchers::Contains("attempt to merge virtualports with mismatched types"));
        CHECK(f.drv->listAllPorts(net, 0).empty());
    }
    SECTION("a conflicting virtualport parameter is refused")
    {
        CHECK(errorOf([&] {
                  f.drv->portCreateXml(net,
                                       portXml(uuidN(6), "db",
                                               "<virtualport type='openvswitch'><parameters "
                                               "profileid='other'/></virtualport>"),
                                       0);
              }) != ErrorCode::Ok);
    }
    SECTION("an unknown portgroup gives no portgroup values")
    {
        auto ref = f.drv->portCreateXml(net, portXml(uuidN(7), "nosuch"), 0);
        CHECK(portOf(*f.drv, ref).vlan.empty());
    }
    SECTION("a floor is refused on a bridge network")
    {
        CHECK(errorOf([&] {
                  f.drv->portCreateXml(
                      net,
                      portXml(uuidN(8), "",
                              "<bandwidth><inbound average='10' floor='5'/></bandwidth>"),
                      0);
              }) == ErrorCode::OperationUnsupported);
    }
}

TEST_CASE("port creation checks the network, the plug and the uuid")
{
    DriverFixture f;
    auto net = f.drv->defineXml(kOvsNet, 0);
    CHECK_THROWS_WITH(f.drv->portCreateXml(net, portXml(uuidN(1)), 0),
                      "Requested operation is not valid: network 'ovs' is not active");
    f.drv->start(net);
    CHECK_THROWS_WITH(f.drv->portCreateXml(net, portXml(uuidN(1)), PortCreateFlags::Reclaim),
                      "invalid argument: Port reclaim requested but plug type is none");
    CHECK_THROWS_WITH(f.drv->portCreateXml(
                          net, portXml(uuidN(1), "", "<plug type='bridge' bridge='ovsbr0'/>"), 0),
                      "invalid argument: Port reclaim not requested but plug type is not none");
    auto ref = f.drv->portCreateXml(net, portXml(uuidN(1)), 0);
    CHECK(errorOf([&] { f.drv->portCreateXml(net, portXml(uuidN(1)), 0); }) ==
          ErrorCode::NetworkPortExist);
    CHECK(f.drv->listAllPorts(net, 0).size() == 1);
    CHECK_THAT(f.drv->getXmlDesc(net, 0), Catch::Matchers::Contains("connections='1'"));
    CHECK(errorOf([&] { f.drv->portLookupByUuid(net, *util::Uuid::parse(uuidN(2))); }) ==
          ErrorCode::NoNetworkPort);
    f.drv->portDelete(ref, 0);
    CHECK(f.drv->listAllPorts(net, 0).empty());
    CHECK(errorOf([&] { f.drv->portDelete(ref, 0); }) == ErrorCode::NoNetworkPort);
    CHECK_THAT(f.drv->getXmlDesc(net, 0), !Catch::Matchers::Contains("connections="));
}

TEST_CASE("direct pools: least-used device for shared modes")
{
    DriverFixture f;
    auto net = f.defineAndStart(kVepaNet);
    std::vector<std::string> devs;
    std::vector<driver::PortRef> refs;
    for (int i = 1; i <= 4; ++i) {
        refs.push_back(f.drv->portCreateXml(net, portXml(uuidN(i)), 0));
        auto port = portOf(*f.drv, refs.back());
        CHECK(port.plug.type == conf::PlugType::Direct);
        CHECK(port.plug.mode == conf::MacvlanMode::Vepa);
        devs.push_back(port.plug.dev);
    }
    CHECK(devs == std::vector<std::string>{"eth1", "eth2", "eth1", "eth2"});
    auto xml = f.drv->getXmlDesc(net, 0);
    CHECK_THAT(xml, Catch::Matchers::Contains("<interface dev='eth1' connections='2'/>"));
    f.drv->portDelete(refs[0], 0);
    f.drv->portDelete(refs[2], 0);
    auto next = portOf(*f.drv, f.drv->portCreateXml(net, portXml(uuidN(9)), 0));
    CHECK(next.plug.dev == "eth1");
    CHECK(errorOf([&] {
              f.drv->portCreateXml(net, portXml(uuidN(10), "", "<virtualport type='openvswitch'/>"),
                                   0);
          }) == ErrorCode::ConfigUnsupported);
}

TEST_CASE("passthrough devices are exclusive")
{
    DriverFixture f;
    auto net = f.defineAndStart(kPassthroughNet);
    auto a = f.drv->portCreateXml(net, portXml(uuidN(1)), 0);
    auto b = f.drv->portCreateXml(net, portXml(uuidN(2)), 0);
    CHECK(portOf(*f.drv, a).plug.dev == "eth3");
    CHECK(portOf(*f.drv, b).plug.dev == "eth4");
    CHECK_THROWS_WITH(f.drv->portCreateXml(net, portXml(uuidN(3)), 0),
                      "internal error: network 'pt' requires exclusive access to interfaces, but "
                      "none are available");
    // Reclaiming a port on a device that is taken is refused too.
    CHECK_THROWS_WITH(
        f.drv->portCreateXml(
            net, portXml(uuidN(4), "", "<plug type='direct' dev='eth3' mode='passthrough'/>"),
            PortCreateFlags::Reclaim),
        "internal error: network 'pt' claims dev='eth3' is already in use by a different port");
    f.drv->portDelete(a, 0);
    auto c = f.drv->portCreateXml(net, portXml(uuidN(3)), 0);
    CHECK(portOf(*f.drv, c).plug.dev == "eth3");
}

TEST_CASE("private mode with an 802.1Qbh virtualport is exclusive")
{
    DriverFixture f;
    auto net = f.defineAndStart(R"(<network><name>priv</name>
      <forward mode='private'><interface dev='eth5'/></forward>
      <virtualport type='802.1Qbh'><parameters profileid='prof'/></virtualport></network>)");
    f.drv->portCreateXml(net, portXml(uuidN(1)), 0);
    CHECK(errorOf([&] { f.drv->portCreateXml(net, portXml(uuidN(2)), 0); }) ==
          ErrorCode::InternalError);
}

TEST_CASE("a direct network without a pool fails at allocation as libvirt does")
{
    DriverFixture f;
    auto net = f.defineAndStart("<network><name>bare</name><forward mode='vepa'/></network>");
    CHECK_THROWS_WITH(f.drv->portCreateXml(net, portXml(uuidN(1)), 0),
                      "internal error: network 'bare' uses a direct mode, but has no forward dev "
                      "and no interface pool");
}

TEST_CASE("hostdev pools: PCI addresses and a PF expanded to its VFs")
{
    DriverFixture f;
    f.sysfs.addPhysicalFunction("0000:01:00.0", "enp1s0");
    f.sysfs.addVirtualFunction("enp1s0", 0, "0000:01:10.0", "");
    f.sysfs.addVirtualFunction("enp1s0", 1, "0000:01:10.1", "enp1s0v1");

    SECTION("a pf")
    {
        auto net = f.defineAndStart(R"(<network><name>sriov</name>
          <forward mode='hostdev' managed='yes'><driver name='vfio'/><pf dev='enp1s0'/></forward>
          </network>)");
        auto a = portOf(*f.drv, f.drv->portCreateXml(net, portXml(uuidN(1)), 0));
        auto b = portOf(*f.drv, f.drv->portCreateXml(net, portXml(uuidN(2)), 0));
        CHECK(a.plug.type == conf::PlugType::HostdevPci);
        CHECK(a.plug.address.toString() == "0000:01:10.0");
        CHECK(b.plug.address.toString() == "0000:01:10.1");
        CHECK(a.plug.driver == conf::ForwardDriverName::Vfio);
        CHECK(a.plug.managed == conf::Tristate::Yes);
        CHECK(errorOf([&] { f.drv->portCreateXml(net, portXml(uuidN(3)), 0); }) ==
              ErrorCode::InternalError);
        auto xml = f.drv->getXmlDesc(net, 0);
        CHECK_THAT(xml, Catch::Matchers::Contains("slot='0x10' function='0x1'"));
    }
    SECTION("PCI addresses, which must be VFs")
    {
        auto net = f.defineAndStart(R"(<network><name>sriov</name>
          <forward mode='hostdev'>
            <address type='pci' domain='0' bus='1' slot='0x10' function='1'/></forward>
          </network>)");
        auto a = portOf(*f.drv, f.drv->portCreateXml(net, portXml(uuidN(1)), 0));
        CHECK(a.plug.address.toString() == "0000:01:10.1");
        CHECK_THROWS_WITH(f.drv->defineXml(R"(<network><name>bad</name>
          <forward mode='hostdev'>
            <address type='pci' domain='0' bus='1' slot='0' function='0'/></forward>
          </network>)",
                                           0),
                          Catch::Matchers::Contains("is not an SR-IOV Virtual Function"));
    }
    SECTION("a direct network over a pf takes the VFs with a netdev")
    {
        auto net = f.defineAndStart(R"(<network><name>vfs</name>
          <forward mode='passthrough'><pf dev='enp1s0'/></forward></network>)");
        auto a = portOf(*f.drv, f.drv->portCreateXml(net, portXml(uuidN(1)), 0));
        CHECK(a.plug.dev == "enp1s0v1");
    }
    SECTION("a pf without VFs fails the start")
    {
        f.sysfs.addPhysicalFunction("0000:02:00.0", "eno9");
        auto net = f.drv->defineXml("<network><name>novf</name><forward mode='hostdev'><pf "
                                    "dev='eno9'/></forward></network>",
                                    0);
        CHECK_THROWS_WITH(f.drv->start(net),
                          "internal error: No usable Vf's present on SRIOV PF eno9");
        CHECK_FALSE(f.drv->isActive(net));
    }
}

TEST_CASE("reclaimed ports are counted and survive a restart")
{
    DriverFixture f;
    auto net = f.defineAndStart(kVepaNet);
    auto ref = f.drv->portCreateXml(
        net, portXml(uuidN(1), "", "<plug type='direct' dev='eth2' mode='vepa'/>"),
        PortCreateFlags::Reclaim);
    CHECK(portOf(*f.drv, ref).plug.dev == "eth2");
    CHECK_THROWS_WITH(
        f.drv->portCreateXml(net,
                             portXml(uuidN(2), "", "<plug type='direct' dev='eth9' mode='vepa'/>"),
                             PortCreateFlags::Reclaim),
        Catch::Matchers::Contains("doesn't have dev='eth9' in use by network port"));
    f.restart();
    auto again = f.drv->lookupByName("vepa");
    CHECK(f.drv->isActive(again));
    auto ports = f.drv->listAllPorts(again, 0);
    REQUIRE(ports.size() == 1);
    CHECK(ports[0].uuid == ref.uuid);
    CHECK_THAT(f.drv->getXmlDesc(again, 0),
               Catch::Matchers::Contains("<interface dev='eth2' connections='1'/>"));
    // The next allocation sees eth2 as used.
    CHECK(portOf(*f.drv, f.drv->portCreateXml(again, portXml(uuidN(3)), 0)).plug.dev == "eth1");
    CHECK(f.drv->takeNotices().empty());
}

TEST_CASE("restart recovery: corrupt files moved aside, orphan ports dropped")
{
    DriverFixture f;
    auto net = f.defineAndStart(kOvsNet);
    auto keep = f.drv->portCreateXml(net, portXml(uuidN(1)), 0);
    f.drv->portCreateXml(net, portXml(uuidN(2)), 0);
    f.drv->defineXml(kLinuxBridgeNet, 0);
    auto paths = f.paths();
    f.drv.reset();

    util::writeFileAtomic(paths.runDir / "networks/ovs/ports" / (uuidN(2) + ".xml"), "<broken");
    util::writeFileAtomic(paths.configDir / "networks/junk.xml", "not xml at all");
    fs::create_directories(paths.runDir / "networks/gone/ports");
    util::writeFileAtomic(paths.runDir / "networks/gone/ports" / (uuidN(3) + ".xml"),
                          portXml(uuidN(3)));

    f.drv = f.open();
    auto notices = f.drv->takeNotices();
    CHECK(notices.size() == 3);
    CHECK(fs::exists(paths.runDir / "networks/ovs/ports" / (uuidN(2) + ".xml.corrupt")));
    CHECK(fs::exists(paths.configDir / "networks/junk.xml.corrupt"));
    CHECK_FALSE(fs::exists(paths.runDir / "networks/gone"));
    auto ovs = f.drv->lookupByName("ovs");
    auto ports = f.drv->listAllPorts(ovs, 0);
    REQUIRE(ports.size() == 1);
    CHECK(ports[0].uuid == keep.uuid);
    CHECK_THAT(f.drv->getXmlDesc(ovs, 0), Catch::Matchers::Contains("connections='1'"));
    CHECK(f.drv->listAllNetworks(0).size() == 2);
}

TEST_CASE("start deletes stale ports, destroy drops ports without hooks")
{
    DriverFixture f;
    auto net = f.defineAndStart(kOvsNet);
    f.drv->portCreateXml(net, portXml(uuidN(1)), 0);
    auto log = f.dir.path() / "hook.log";
    f.writeHook("network", "echo \"$2\" >> " + log.string() + "\n");
    f.drv->destroy(net);
    CHECK_FALSE(fs::exists(f.paths().runDir / "networks/ovs/ports"));
    f.drv->start(net);
    CHECK(f.drv->listAllPorts(net, 0).empty());
    CHECK(util::readFile(log) == "stopped\nstart\nstarted\n");
}

TEST_CASE("hooks: libvirt's events, data and refusals")
{
    DriverFixture f;
    auto log = f.dir.path() / "hook.log";
    auto data = f.dir.path() / "data";
    f.writeHook("network",
                "echo \"$1 $2 $3 $4\" >> " + log.string() + "\ncat > " + data.string() + "\n");
    auto net = f.defineAndStart(kOvsNet);
    auto ref = f.drv->portCreateXml(net, portXml(uuidN(1)), 0);
    auto hookData = util::readFile(data);
    CHECK_THAT(hookData, Catch::Matchers::StartsWith("<hookData>\n  <network connections='1'>"));
    CHECK_THAT(hookData, Catch::Matchers::Contains("  <networkport>\n    <uuid>" + uuidN(1)));
    CHECK_THAT(hookData, Catch::Matchers::EndsWith("</networkport>\n</hookData>"));
    f.drv->update(net, 3, 9, -1, "<portgroup name='extra'/>", driver::UpdateFlags::Live);
    f.drv->portDelete(ref, 0);
    f.drv->destroy(net);
    CHECK(util::readFile(log) == "ovs start begin -\novs started begin -\n"
                                 "ovs port-created begin -\novs updated begin -\n"
                                 "ovs port-deleted begin -\novs stopped end -\n");
    // The status file records that a hook ran (taint).
    f.drv->start(net);
    CHECK_THAT(util::readFile(f.paths().runDir / "networks/ovs.xml"),
               Catch::Matchers::Contains("<taint flag='hook-script'/>"));
}

TEST_CASE("a failing port-created hook rolls the allocation back")
{
    DriverFixture f;
    auto net = f.defineAndStart(kPassthroughNet);
    f.writeHook("network.d/10-policy",
                "[ \"$2\" = port-created ] && { echo 'denied by policy' >&2; exit 1; }\nexit 0\n");
    try {
        f.drv->portCreateXml(net, portXml(uuidN(1)), 0);
        FAIL("the hook should refuse the port");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::HookScriptFailed);
        CHECK_THAT(e.message(), Catch::Matchers::Contains("denied by policy"));
    }
    CHECK(f.drv->listAllPorts(net, 0).empty());
    auto xml = f.drv->getXmlDesc(net, 0);
    CHECK_THAT(xml, !Catch::Matchers::Contains("connections="));
    auto portsDir = f.paths().runDir / "networks/pt/ports";
    CHECK((!fs::exists(portsDir) || fs::is_empty(portsDir)));
}

TEST_CASE("a failing start hook aborts the start")
{
    DriverFixture f;
    f.writeHook("network", "[ \"$2\" = start ] && exit 1\nexit 0\n");
    auto net = f.drv->defineXml(kOvsNet, 0);
    CHECK(errorOf([&] { f.drv->start(net); }) == ErrorCode::HookScriptFailed);
    CHECK_FALSE(f.drv->isActive(net));
    CHECK_FALSE(fs::exists(f.paths().runDir / "networks/ovs.xml"));
}

TEST_CASE("autostart runs once per boot")
{
    DriverFixture f;
    auto net = f.drv->defineXml(kOvsNet, 0);
    f.drv->setAutostart(net, true);
    CHECK(f.drv->getAutostart(net));
    CHECK(f.drv->listAllNetworks(ListFlags::Autostart).size() == 1);
    f.restart();
    CHECK_FALSE(f.drv->isActive(f.drv->lookupByName("ovs")));
    f.reboot();
    CHECK(f.drv->isActive(f.drv->lookupByName("ovs")));
    f.drv->setAutostart(net, false);
    CHECK(f.drv->listAllNetworks(ListFlags::NoAutostart).size() == 1);
}

TEST_CASE("net-update: live, config and both")
{
    DriverFixture f;
    auto net = f.drv->defineXml(kOvsNet, 0);
    // Inactive: current means config.
    f.drv->update(net, 3, 9, -1, "<portgroup name='cfg'/>", 0);
    CHECK_THAT(f.drv->getXmlDesc(net, 0), Catch::Matchers::Contains("portgroup name='cfg'"));
    CHECK(errorOf([&] {
              f.drv->update(net, 3, 9, -1, "<portgroup name='x'/>", driver::UpdateFlags::Live);
          }) == ErrorCode::OperationInvalid);
    f.drv->start(net);
    f.drv->update(net, 3, 9, -1, "<portgroup name='live'/>", driver::UpdateFlags::Live);
    CHECK_THAT(f.drv->getXmlDesc(net, 0), Catch::Matchers::Contains("portgroup name='live'"));
    CHECK_THAT(f.drv->getXmlDesc(net, driver::XmlFlags::Inactive),
               !Catch::Matchers::Contains("portgroup name='live'"));
    f.drv->update(net, 1, 9, -1, "<portgroup name='web'><vlan><tag id='30'/></vlan></portgroup>",
                  driver::UpdateFlags::Live | driver::UpdateFlags::Config);
    CHECK_THAT(f.drv->getXmlDesc(net, 0), Catch::Matchers::Contains("<tag id='30'/>"));
    CHECK_THAT(util::readFile(f.paths().configDir / "networks/ovs.xml"),
               Catch::Matchers::Contains("<tag id='30'/>"));
    // A refused update changes nothing.
    auto before = f.drv->getXmlDesc(net, 0);
    CHECK(errorOf([&] {
              f.drv->update(net, 3, 9, -1, "<portgroup name='web'/>", driver::UpdateFlags::Live);
          }) != ErrorCode::Ok);
    CHECK(f.drv->getXmlDesc(net, 0) == before);
    f.restart();
    CHECK_THAT(f.drv->getXmlDesc(net, 0), Catch::Matchers::Contains("portgroup name='live'"));
}

TEST_CASE("port bandwidth parameters are read and set")
{
    DriverFixture f;
    auto net = f.defineAndStart(kOvsNet);
    auto ref = f.drv->portCreateXml(net, portXml(uuidN(1)), 0);
    auto params = f.drv->portGetParameters(ref, 0);
    REQUIRE(params.size() == 3);
    CHECK(params[0].field == "outbound.average");
    CHECK(std::get<unsigned>(params[0].value) == 1000);
    f.drv->portSetParameters(
        ref, {{"inbound.average", 200u}, {"inbound.burst", 64u}, {"outbound.average", 300u}}, 0);
    auto port = portOf(*f.drv, ref);
    REQUIRE(port.bandwidth.in);
    CHECK(port.bandwidth.in->average == 200);
    CHECK(port.bandwidth.in->burst == 64);
    CHECK(port.bandwidth.out->average == 300);
    CHECK(errorOf([&] {
              f.drv->portSetParameters(ref, {{"inbound.average", 5}}, 0);
          }) == ErrorCode::InvalidArg);
    f.restart();
    CHECK(portOf(*f.drv, ref).bandwidth.in->average == 200);
}

TEST_CASE("status summarises networks and says the dataplane is not connected")
{
    DriverFixture f;
    auto net = f.defineAndStart(kOvsNet);
    f.drv->portCreateXml(net, portXml(uuidN(1)), 0);
    auto status = f.drv->status();
    REQUIRE(status.size() == 1);
    CHECK(status[0].name == "ovs");
    CHECK(status[0].active);
    CHECK(status[0].ports == 1);
    CHECK(status[0].connections == 1);
    CHECK(status[0].forwardMode == "bridge");
    CHECK(status[0].dataplaneKind == "ovs-bridge");
    CHECK(status[0].dataplaneState == "unknown");
    CHECK_THAT(status[0].dataplane, Catch::Matchers::Contains("not connected"));
    CHECK(status[0].backendState == "unknown: " + status[0].dataplane);
    f.drv->destroy(net);
    status = f.drv->status();
    CHECK(status[0].dataplaneState == "inactive");
    CHECK(status[0].dataplane.empty());
    CHECK(status[0].backendState == "inactive");
}

TEST_CASE("every forward mode resolves to libvirt's plug")
{
    DriverFixture f;
    SECTION("bridge without a bridge name is macvtap bridge mode")
    {
        auto net = f.defineAndStart("<network><name>mb</name><forward mode='bridge'>"
                                    "<interface dev='eth7'/></forward></network>");
        auto port = portOf(*f.drv, f.drv->portCreateXml(net, portXml(uuidN(1)), 0));
        CHECK(port.plug.type == conf::PlugType::Direct);
        CHECK(port.plug.mode == conf::MacvlanMode::Bridge);
        CHECK(port.plug.dev == "eth7");
    }
    SECTION("a host Linux bridge, where only openvswitch virtualports are allowed")
    {
        auto net = f.defineAndStart(kLinuxBridgeNet);
        auto port = portOf(*f.drv, f.drv->portCreateXml(net, portXml(uuidN(1)), 0));
        CHECK(port.plug.type == conf::PlugType::Bridge);
        CHECK(port.plug.bridge == "br0");
        CHECK_FALSE(port.virtualPort);
        CHECK_THROWS_WITH(
            f.drv->portCreateXml(net,
                                 portXml(uuidN(2), "",
                                         "<virtualport type='802.1Qbg'><parameters managerid='1' "
                                         "typeid='2' typeidversion='3'/></virtualport>"),
                                 0),
            "unsupported configuration: <virtualport type='802.1Qbg'> not supported for network "
            "'host' which uses a bridge device");
    }
    SECTION("private without 802.1Qbh shares its devices")
    {
        auto net = f.defineAndStart("<network><name>p</name><forward mode='private'>"
                                    "<interface dev='eth8'/></forward></network>");
        auto a = portOf(*f.drv, f.drv->portCreateXml(net, portXml(uuidN(1)), 0));
        auto b = portOf(*f.drv, f.drv->portCreateXml(net, portXml(uuidN(2)), 0));
        CHECK(a.plug.mode == conf::MacvlanMode::Private);
        CHECK(a.plug.dev == b.plug.dev);
    }
    SECTION("isolated, route and open networks are refused at start with their mode named")
    {
        for (const auto& [name, mode] : std::vector<std::pair<std::string, std::string>>{
                 {"iso", ""}, {"rt", "route"}, {"op", "open"}}) {
            std::string forward = mode.empty() ? "" : "<forward mode='" + mode + "'/>";
            auto net = f.drv->defineXml("<network><name>" + name + "</name>" + forward +
                                            "<ip address='10.9.9.1' prefix='24'/></network>",
                                        0);
            try {
                f.drv->start(net);
                FAIL("start should be refused");
            } catch (const Error& e) {
                CHECK(e.code() == ErrorCode::ConfigUnsupported);
                CHECK_THAT(e.message(),
                           Catch::Matchers::Contains("forward mode '" +
                                                     (mode.empty() ? "none" : mode) + "'"));
            }
        }
    }
}

TEST_CASE("the remaining merge rules of libvirt's port allocation")
{
    DriverFixture f;
    SECTION("vlan: the portgroup's over the network's; the network's when the group has none")
    {
        auto net = f.defineAndStart(R"(<network><name>v</name><forward mode='bridge'/>
          <bridge name='ovsbr1'/><virtualport type='openvswitch'/>
          <vlan trunk='yes'><tag id='100'/><tag id='200'/></vlan>
          <portgroup name='a'><vlan><tag id='7'/></vlan></portgroup>
          <portgroup name='b'/></network>)");
        CHECK(portOf(*f.drv, f.drv->portCreateXml(net, portXml(uuidN(1), "a"), 0)).vlan.tags ==
              std::vector<unsigned>{7});
        auto b = portOf(*f.drv, f.drv->portCreateXml(net, portXml(uuidN(2), "b"), 0));
        CHECK(b.vlan.tags == std::vector<unsigned>{100, 200});
        CHECK(b.vlan.trunk);
    }
    SECTION("isolated: the port's own, else the network's")
    {
        auto net = f.defineAndStart("<network><name>i</name><forward mode='bridge'/>"
                                    "<bridge name='br2'/><port isolated='yes'/></network>");
        CHECK(portOf(*f.drv, f.drv->portCreateXml(net, portXml(uuidN(1)), 0)).isolatedPort ==
              conf::Tristate::Yes);
        CHECK(portOf(*f.drv,
                     f.drv->portCreateXml(net, portXml(uuidN(2), "", "<port isolated='no'/>"), 0))
                  .isolatedPort == conf::Tristate::No);
    }
    SECTION("trustGuestRxFilters: the network's when neither port nor group sets it")
    {
        auto net = f.defineAndStart("<network trustGuestRxFilters='yes'><name>t</name>"
                                    "<forward mode='bridge'/><bridge name='br3'/></network>");
        CHECK(portOf(*f.drv, f.drv->portCreateXml(net, portXml(uuidN(1)), 0)).trustGuestRxFilters ==
              conf::Tristate::Yes);
    }
    SECTION("802.1Qbg gets a generated instanceid, 802.1Qbh needs a profileid")
    {
        auto net = f.defineAndStart(R"(<network><name>q</name><forward mode='vepa'>
          <interface dev='eth1'/></forward>
          <virtualport type='802.1Qbg'>
            <parameters managerid='11' typeid='1193047' typeidversion='2'/></virtualport>
          </network>)");
        auto port = portOf(*f.drv, f.drv->portCreateXml(net, portXml(uuidN(1)), 0));
        REQUIRE(port.virtualPort);
        CHECK(port.virtualPort->type == conf::VirtualPortType::Qbg);
        CHECK(port.virtualPort->managerId == 11u);
        REQUIRE(port.virtualPort->instanceId);
        CHECK_FALSE(port.virtualPort->instanceId->isNull());

        auto qbh = f.defineAndStart("<network><name>h</name><forward mode='vepa'>"
                                    "<interface dev='eth2'/></forward></network>");
        CHECK_THROWS_WITH(
            f.drv->portCreateXml(qbh, portXml(uuidN(2), "", "<virtualport type='802.1Qbh'/>"), 0),
            Catch::Matchers::Contains("missing profileid"));
        CHECK(f.drv->listAllPorts(qbh, 0).empty());
    }
}

TEST_CASE("ports of networks libvirt plugs are not plugged by dvsd")
{
    DriverFixture f;
    auto net = f.defineAndStart(kOvsNet);
    auto ref = f.drv->portCreateXml(net, portXml(uuidN(1)), 0);
    CHECK_THROWS_WITH(f.drv->portPlug(ref, ""),
                      "unsupported configuration: dvsd cannot plug ports of network 'ovs' itself: "
                      "its 'bridge' ports are plugged by libvirt");
    CHECK(errorOf([&] { f.drv->portUnplug(ref); }) == ErrorCode::OperationInvalid);
}
