// SPDX-License-Identifier: LGPL-2.1-or-later
// Limits of what the driver accepts: name lengths that fit the state files, definitions that fit
// libvirt's message limit, definitions with very many portgroups, and temporary files a crash
// left behind.
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "driver_fixture.h"
#include "state/state_store.h"
#include "util/file.h"

namespace fs = std::filesystem;
using namespace dvs;
using namespace dvs::test;

namespace {

std::string bridgeNetwork(const std::string& name)
{
    return "<network><name>" + name +
           "</name><forward mode='bridge'/><bridge name='br0'/></network>";
}

// An Open vSwitch network with count portgroups named pg0, pg1, ...
std::string manyPortgroups(std::size_t count, std::size_t nameLength = 0)
{
    std::string xml = "<network><name>big</name><forward mode='bridge'/><bridge name='br0'/>"
                      "<virtualport type='openvswitch'/>";
    xml.reserve(count * (40 + nameLength));
    for (std::size_t i = 0; i < count; ++i) {
        std::string name = "pg" + std::to_string(i);
        if (name.size() < nameLength) {
            name.append(nameLength - name.size(), 'x');
        }
        xml += "<portgroup name='" + name + "'><vlan><tag id='" + std::to_string(i % 4000 + 1) +
               "'/></vlan></portgroup>";
    }
    return xml + "</network>";
}

std::string messageOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const Error& e) {
        return e.fullMessage();
    }
    return {};
}

} // namespace

TEST_CASE("a network name is as long as its files can be: longer ones are refused, echoed short")
{
    DriverFixture f;
    // The longest name is written, read back after a restart, and started.
    std::string longest(state::kMaxNetworkNameLength, 'n');
    auto net = f.drv->defineXml(bridgeNetwork(longest), 0);
    f.drv->setAutostart(net, true);
    f.restart();
    CHECK(f.drv->lookupByName(longest).name == longest);
    CHECK(f.drv->getAutostart(net));

    std::string tooLong(state::kMaxNetworkNameLength + 1, 'n');
    auto message = messageOf([&] { f.drv->defineXml(bridgeNetwork(tooLong), 0); });
    CHECK(message.find(fmt::format("is too long: {} bytes, at most {}", tooLong.size(),
                                   state::kMaxNetworkNameLength)) != std::string::npos);
    // The refused name is echoed only in part.
    CHECK(message.find(tooLong) == std::string::npos);
    CHECK(message.find(std::string(64, 'n') + "... (" + std::to_string(tooLong.size()) +
                       " bytes)") != std::string::npos);
    CHECK(f.drv->listAllNetworks(0).size() == 1);
}

TEST_CASE("invalid characters in a name are reported as libvirt 9.0 prints them")
{
    DriverFixture f;
    CHECK(messageOf([&] { f.drv->defineXml(bridgeNetwork("a/b"), 0); }) ==
          "invalid char in name: /");
    CHECK(messageOf([&] { f.drv->defineXml(bridgeNetwork("a\nb"), 0); }) ==
          "invalid char in name: \n");
    CHECK(f.drv->listAllNetworks(0).empty());
}

TEST_CASE("a definition whose XML could not be returned over libvirt's protocol is refused")
{
    DriverFixture f;
    // About 5 MB once formatted (the input itself is within the 4 MiB parse limit).
    std::string xml = manyPortgroups(40000, 40);
    REQUIRE(xml.size() < util::kXmlMaxSize);
    auto message = messageOf([&] { f.drv->defineXml(xml, 0); });
    CHECK(message.find("network 'big' is too large: its XML takes") != std::string::npos);
    CHECK(message.find("more than the 4194304 bytes libvirt's remote protocol can return") !=
          std::string::npos);
    CHECK(f.drv->listAllNetworks(0).empty());
    CHECK(!fs::exists(f.paths().configDir / "networks" / "big.xml"));

    // Just below the limit: defined, returned, started, and read back after a restart.
    auto net = f.drv->defineXml(manyPortgroups(15000, 40), 0);
    CHECK(f.drv->getXmlDesc(net, 0).size() < util::kXmlMaxSize);
    f.drv->start(net);
    f.restart();
    CHECK(f.drv->isActive(f.drv->lookupByName("big")));
}

TEST_CASE("many portgroups: duplicates are found wherever they are, updates keep working")
{
    DriverFixture f;
    std::string xml = manyPortgroups(5000);
    auto net = f.drv->defineXml(xml, 0);
    f.drv->start(net);
    f.drv->update(net, 3 /* add-last */, 9 /* portgroup */, -1, "<portgroup name='last'/>",
                  driver::UpdateFlags::Live | driver::UpdateFlags::Config);
    CHECK(f.drv->getXmlDesc(net, 0).find("<portgroup name='last'") != std::string::npos);
    CHECK(errorOf([&] {
              f.drv->update(net, 3, 9, -1, "<portgroup name='pg4999'/>", driver::UpdateFlags::Live);
          }) == ErrorCode::OperationInvalid);

    // Duplicates far apart: pg3 (index 3) has a twin at the end, pg4997 one at index 5. As in
    // libvirt, the first portgroup that has a later twin is named.
    std::string twins = manyPortgroups(5000);
    twins.replace(twins.find("name='pg4998'"), 13, "name='pg3'");
    twins.replace(twins.find("name='pg5'"), 10, "name='pg4997'");
    CHECK(messageOf([&] { f.drv->defineXml(twins, 0); }) ==
          "unsupported configuration: multiple <portgroup> elements with the same name (pg3) in "
          "network 'big'");
}

TEST_CASE("temporary files left by a crash mid-write are removed at the next start")
{
    DriverFixture f;
    auto net = f.drv->defineXml(bridgeNetwork("kept"), 0);
    f.drv->start(net);
    auto configDir = f.paths().configDir / "networks";
    auto runDir = f.paths().runDir / "networks";
    std::vector<fs::path> leftovers = {configDir / ".kept.xml.Ab12Cd", runDir / ".kept.xml.x9Y8z7",
                                       runDir / "kept" / "ports" /
                                           ".00000000-0000-4000-8000-000000000001.xml.tmp"};
    fs::create_directories(runDir / "kept" / "ports");
    for (const auto& path : leftovers) {
        std::ofstream(path) << "<network><name>half";
    }
    // Files that are not ours stay.
    std::ofstream(configDir / ".hidden") << "x";
    f.restart();
    for (const auto& path : leftovers) {
        CHECK(!fs::exists(path));
    }
    CHECK(fs::exists(configDir / ".hidden"));
    auto notices = f.drv->takeNotices();
    CHECK(std::count_if(notices.begin(), notices.end(), [](const std::string& n) {
              return n.find("left by a write that a crash interrupted") != std::string::npos;
          }) == 3);
    CHECK(f.drv->isActive(f.drv->lookupByName("kept")));
}
