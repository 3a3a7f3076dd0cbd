// SPDX-License-Identifier: LGPL-2.1-or-later
// The driver's network objects (libvirt's virnetworkobj.c) and port allocation
// (networkAllocatePort, networkNotifyPort, networkReleasePort), without the driver around them.
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "conf/network_def.h"
#include "conf/network_port.h"
#include "driver/backend.h"
#include "driver/network_obj.h"
#include "driver/port_allocation.h"
#include "util/error.h"

using namespace dvs;
using driver::NetworkObj;
using driver::NetworkObjList;
namespace ListFlags = driver::ListFlags;

namespace {

std::unique_ptr<conf::NetworkDef> def(const std::string& xml)
{
    return std::make_unique<conf::NetworkDef>(conf::NetworkDef::parseString(xml));
}

std::unique_ptr<conf::NetworkDef> bridgeNet(const std::string& name, const std::string& uuid,
                                            const std::string& bridge)
{
    return def("<network><name>" + name + "</name><uuid>" + uuid +
               "</uuid><forward mode='bridge'/><bridge name='" + bridge + "'/></network>");
}

const std::string kUuidA = "11111111-0000-0000-0000-00000000000a";
const std::string kUuidB = "11111111-0000-0000-0000-00000000000b";

template <typename Call>
ErrorCode codeOf(Call call)
{
    try {
        call();
    } catch (const Error& e) {
        return e.code();
    }
    FAIL("no error thrown");
    return ErrorCode::InternalError;
}

conf::NetworkPort newPort(const std::string& group = "")
{
    conf::NetworkPort port;
    port.uuid = util::Uuid::generate();
    port.mac = util::MacAddr::generate();
    port.group = group;
    return port;
}

} // namespace

TEST_CASE("the network list keeps its indexes by name and uuid, and lists by flags")
{
    NetworkObjList list;
    auto& a = list.assignDef(bridgeNet("a", kUuidA, "bra"), false);
    auto& b = list.assignDef(bridgeNet("b", kUuidB, "brb"), true);
    CHECK(a.persistent);
    CHECK_FALSE(b.persistent);
    b.active = true;

    CHECK(list.findByName("a") == &a);
    CHECK(list.findByUuid(*util::Uuid::parse(kUuidB)) == &b);
    CHECK(&list.get({"stale name", *util::Uuid::parse(kUuidA)}) == &a);
    CHECK(codeOf([&] { list.get({"c", util::Uuid::generate()}); }) == ErrorCode::NoNetwork);

    CHECK(list.list(0).size() == 2);
    auto active = list.list(ListFlags::Active);
    REQUIRE(active.size() == 1);
    CHECK(active[0].name == "b");
    auto persistentInactive = list.list(ListFlags::Persistent | ListFlags::Inactive);
    REQUIRE(persistentInactive.size() == 1);
    CHECK(persistentInactive[0].name == "a");
    CHECK(list.list(ListFlags::Transient | ListFlags::Inactive).empty());
    CHECK(list.names(false, 10) == std::vector<std::string>{"a"});
    CHECK(list.names(true, 0).empty());
    CHECK(list.count(true) == 1);

    CHECK(list.bridgeInUse("brb", "a"));
    CHECK_FALSE(list.bridgeInUse("brb", "b"));

    list.remove(a);
    CHECK(list.findByName("a") == nullptr);
    CHECK(list.findByUuid(*util::Uuid::parse(kUuidA)) == nullptr);
    CHECK(list.count(false) == 0);
}

TEST_CASE("assigning a definition refuses another network's name or uuid, and waits while active")
{
    NetworkObjList list;
    auto& a = list.assignDef(bridgeNet("a", kUuidA, "bra"), false);
    CHECK(codeOf([&] { list.assignDef(bridgeNet("other", kUuidA, "bra"), false); }) ==
          ErrorCode::OperationFailed);
    CHECK(codeOf([&] { list.assignDef(bridgeNet("a", kUuidB, "bra"), false); }) ==
          ErrorCode::OperationFailed);

    a.active = true;
    a.setDefTransient();
    CHECK(codeOf([&] { list.assignDef(bridgeNet("a", kUuidA, "bra"), true); }) ==
          ErrorCode::OperationInvalid);
    // A new persistent definition of an active network waits for its next start.
    list.assignDef(bridgeNet("a", kUuidA, "bra2"), false);
    CHECK(*a.def->bridge == "bra");
    CHECK(*a.persistentDef().bridge == "bra2");
    a.active = false;
    a.unsetDefTransient();
    CHECK(*a.def->bridge == "bra2");
    CHECK(a.newDef == nullptr);
}

TEST_CASE("a port is looked up before the network's state is checked, as in libvirt")
{
    NetworkObjList list;
    auto& a = list.assignDef(bridgeNet("a", kUuidA, "bra"), false);
    auto port = newPort();
    a.ports.emplace(port.uuid, port);
    CHECK(codeOf([&] { a.activePort(util::Uuid::generate()); }) == ErrorCode::NoNetworkPort);
    CHECK(codeOf([&] { a.activePort(port.uuid); }) == ErrorCode::OperationInvalid);
    a.active = true;
    CHECK(a.activePort(port.uuid).mac == port.mac);
}

TEST_CASE("allocation merges the portgroup and picks pool devices by mode")
{
    auto backends = driver::makeRecordingBackends("/nonexistent");
    NetworkObjList list;
    auto& vepa = list.add(def(R"(<network><name>vepa</name>
      <forward mode='vepa'><interface dev='eth1'/><interface dev='eth2'/></forward>
      <portgroup name='web' default='yes'><vlan><tag id='10'/></vlan>
        <bandwidth><outbound average='1000'/></bandwidth></portgroup>
      <portgroup name='db'><vlan><tag id='20'/></vlan></portgroup>
    </network>)"));
    vepa.active = true;

    auto first = newPort();
    auto* dev1 = driver::allocatePort(vepa, first, *backends);
    REQUIRE(dev1 != nullptr);
    CHECK(first.plug.type == conf::PlugType::Direct);
    CHECK(first.plug.dev == "eth1");
    CHECK(first.vlan.tags == std::vector<unsigned>{10});
    REQUIRE(first.bandwidth.out);
    CHECK(first.bandwidth.out->average == 1000);
    dev1->connections++;

    // Shared modes take the least used device.
    auto second = newPort("db");
    auto* dev2 = driver::allocatePort(vepa, second, *backends);
    CHECK(second.plug.dev == "eth2");
    CHECK(second.vlan.tags == std::vector<unsigned>{20});
    CHECK(driver::deviceOfPort(vepa, second) == dev2);

    auto stranger = newPort();
    stranger.plug.type = conf::PlugType::Direct;
    stranger.plug.dev = "eth9";
    CHECK(codeOf([&] { driver::notifyPort(vepa, stranger, *backends); }) ==
          ErrorCode::InternalError);
    CHECK(codeOf([&] { driver::deviceOfPort(vepa, stranger); }) == ErrorCode::InternalError);

    // Passthrough needs a device of its own.
    auto& pt = list.add(def(R"(<network><name>pt</name>
      <forward mode='passthrough'><interface dev='eth3'/></forward></network>)"));
    pt.active = true;
    auto only = newPort();
    driver::allocatePort(pt, only, *backends)->connections++;
    auto more = newPort();
    CHECK(codeOf([&] { driver::allocatePort(pt, more, *backends); }) == ErrorCode::InternalError);
    CHECK(codeOf([&] { driver::notifyPort(pt, only, *backends); }) == ErrorCode::InternalError);

    // A bandwidth floor is only for libvirt's virtual networks.
    auto floored = newPort();
    floored.bandwidth.in = conf::BandwidthRate{};
    floored.bandwidth.in->average = 100;
    floored.bandwidth.in->floor = 10;
    CHECK(codeOf([&] { driver::checkBandwidth(vepa, floored); }) ==
          ErrorCode::OperationUnsupported);
}

TEST_CASE("a live port follows what it took from the definition, and keeps what it set")
{
    auto before = def(R"(<network><name>n</name><forward mode='bridge'/><bridge name='b'/>
      <portgroup name='g' default='yes'><vlan><tag id='10'/></vlan></portgroup></network>)");
    auto after = def(R"(<network><name>n</name><forward mode='bridge'/><bridge name='b'/>
      <portgroup name='g' default='yes'><vlan><tag id='11'/></vlan></portgroup></network>)");
    auto inherited = newPort();
    inherited.vlan.tags = {10};
    auto own = newPort();
    own.vlan.tags = {30};
    CHECK(driver::portFollowing(inherited, *before, *after).vlan.tags == std::vector<unsigned>{11});
    CHECK(driver::portFollowing(own, *before, *after).vlan.tags == std::vector<unsigned>{30});
}

TEST_CASE("bandwidth goes to typed parameters and back")
{
    conf::Bandwidth bandwidth;
    bandwidth.in = conf::BandwidthRate{};
    bandwidth.in->average = 100;
    bandwidth.in->peak = 200;
    bandwidth.in->burst = 300;
    bandwidth.out = conf::BandwidthRate{};
    bandwidth.out->average = 50;
    auto params = driver::bandwidthParameters(bandwidth);
    CHECK(params.size() == 7);
    CHECK(driver::bandwidthFromParameters(params) == bandwidth);

    // Zero averages unset a direction; a value that is not a uint is refused.
    CHECK(driver::bandwidthFromParameters({{driver::kPortInboundAverage, 0u}}).empty());
    CHECK(codeOf([] {
              driver::bandwidthFromParameters({{driver::kPortInboundAverage, std::string("x")}});
          }) == ErrorCode::InvalidArg);
}
