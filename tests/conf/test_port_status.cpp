// SPDX-License-Identifier: LGPL-2.1-or-later
// <networkstatus>: the live state file of an active network.
#include <algorithm>
#include <vector>

#include <catch2/catch.hpp>

#include "conf/network_status.h"
#include "test_support.h"
#include "util/error.h"
#include "util/file.h"

using namespace dvs::conf;
using dvs::Error;
using dvs::ErrorCode;
namespace fs = std::filesystem;

namespace {

fs::path statusDir()
{
    return dvs::test::sourceRoot() / "tests" / "data" / "networkport" / "status";
}

std::pair<ErrorCode, std::string> failure(std::string_view xml)
{
    try {
        NetworkStatus::parseString(xml);
    } catch (const Error& e) {
        return {e.code(), e.message()};
    }
    return {ErrorCode::Ok, ""};
}

const std::string kNetwork = "<network><name>n</name>"
                             "<uuid>81ff0d90-c91e-6742-64da-4a736edb9a9c</uuid></network>";

} // namespace

TEST_CASE("networkstatus: golden files round-trip, validated")
{
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(statusDir())) {
        files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    REQUIRE(files.size() >= 2);
    for (const auto& file : files) {
        DYNAMIC_SECTION(file.filename().string())
        {
            auto text = dvs::util::readFile(file);
            auto status = NetworkStatus::parseString(text, NetworkStatusParseFlags::Validate);
            CHECK(status.format() == text);
        }
    }
}

TEST_CASE("networkstatus: parsed values")
{
    auto status = NetworkStatus::parseString(dvs::util::readFile(statusDir() / "ovs-bridge.xml"));
    CHECK(status.classIds == std::set<unsigned>{0, 1, 2, 5, 7, 8});
    CHECK(status.floorSum == 3000);
    CHECK(status.taints == std::set<NetworkTaint>{NetworkTaint::HookScript});
    CHECK(status.def.name == "vm-net");
    // Like libvirt, the count is not read back (the driver recounts the ports), but a live
    // count is written.
    CHECK(status.def.connections == 0);
    status.def.connections = 3;
    CHECK(status.format().find("\n  <network connections='3'>\n") != std::string::npos);
}

TEST_CASE("networkstatus: a bare <network> (older status files) keeps the defaults")
{
    auto status = NetworkStatus::parseString(kNetwork);
    CHECK(status.def.name == "n");
    CHECK(status.classIds == std::set<unsigned>{0, 1, 2});
    CHECK(status.floorSum == 0);
    CHECK(status.taints.empty());
    CHECK(status.format().starts_with("<networkstatus>\n  <class_id bitmap='0-2'/>\n"
                                      "  <floor sum='0'/>\n  <network>\n"));
}

TEST_CASE("networkstatus: libvirt's errors")
{
    using P = std::pair<ErrorCode, std::string>;
    CHECK(failure("<networkstatus><floor sum='1'/></networkstatus>") ==
          P{ErrorCode::InternalError, "Could not find any 'network' element in status file"});
    CHECK(failure("<networkstatus><floor sum='x1'/>" + kNetwork + "</networkstatus>") ==
          P{ErrorCode::InternalError, "Malformed 'floor_sum' attribute: x1"});
    CHECK(failure("<networkstatus><class_id bitmap='0-'/>" + kNetwork + "</networkstatus>") ==
          P{ErrorCode::InvalidArg, "Failed to parse bitmap '0-'"});
    CHECK(failure("<networkstatus><taint flag='custom'/>" + kNetwork + "</networkstatus>") ==
          P{ErrorCode::ConfigUnsupported, "Unknown taint flag custom"});
}

TEST_CASE("bitmaps use libvirt's syntax")
{
    CHECK(formatBitmap({}) == "");
    CHECK(formatBitmap({3}) == "3");
    CHECK(formatBitmap({0, 1, 2, 4, 6, 7}) == "0-2,4,6-7");
    CHECK(parseBitmap("0-2,4,6-7") == std::set<unsigned>{0, 1, 2, 4, 6, 7});
    CHECK(parseBitmap(" 0-5 , ^2-3 ,9 ") == std::set<unsigned>{0, 1, 4, 5, 9});
    for (const char* bad : {"", ",", "1,", "a", "3-1", "1-2-3", "1 2", "-1"}) {
        INFO(bad);
        CHECK_THROWS_AS(parseBitmap(bad), Error);
    }
}
