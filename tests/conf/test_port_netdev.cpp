// SPDX-License-Identifier: LGPL-2.1-or-later
// The shared netdev pieces: <vlan>, <bandwidth>, <virtualport> (parse, format, merge, checks).
#include <cstdlib>

#include <catch2/catch.hpp>

#include "conf/netdev_bandwidth.h"
#include "conf/netdev_vlan.h"
#include "conf/netdev_vport.h"
#include "conf/schema.h"
#include "test_support.h"
#include "util/error.h"

using namespace dvs::conf;
using dvs::Error;
using dvs::ErrorCode;
using dvs::util::XmlDocument;
using dvs::util::XmlWriter;

namespace {

template <typename Parse>
auto parseOne(std::string_view xml, Parse parse)
{
    auto doc = XmlDocument::parse(xml, "(test)");
    return parse(doc.root());
}

Vlan parseVlan(std::string_view xml)
{
    return parseOne(xml, [](const dvs::util::XmlNode& n) { return Vlan::parse(n); });
}

VirtualPort parseVport(std::string_view xml, unsigned flags = 0)
{
    return parseOne(xml,
                    [flags](const dvs::util::XmlNode& n) { return VirtualPort::parse(n, flags); });
}

Bandwidth parseBandwidth(std::string_view xml, bool allowFloor, unsigned* classId = nullptr)
{
    return parseOne(
        xml, [&](const dvs::util::XmlNode& n) { return Bandwidth::parse(n, allowFloor, classId); });
}

template <typename T, typename... Args>
std::string formatted(const T& object, Args... args)
{
    XmlWriter writer;
    object.format(writer, args...);
    return std::move(writer).take();
}

template <typename F>
std::pair<ErrorCode, std::string> failure(F f)
{
    try {
        f();
    } catch (const Error& e) {
        return {e.code(), e.message()};
    }
    return {ErrorCode::Ok, ""};
}

} // namespace

TEST_CASE("vlan: access, trunk and native modes round-trip")
{
    auto access = parseVlan("<vlan><tag id='42'/></vlan>");
    CHECK(access.tags == std::vector<unsigned>{42});
    CHECK_FALSE(access.trunk);
    CHECK(formatted(access) == "<vlan>\n  <tag id='42'/>\n</vlan>\n");

    auto trunk = parseVlan("<vlan><tag id='2'/><tag id='1729' nativeMode='untagged'/></vlan>");
    CHECK(trunk.trunk);
    CHECK(trunk.nativeMode == VlanNativeMode::Untagged);
    CHECK(trunk.nativeTag == 1729);
    CHECK(formatted(trunk) == "<vlan trunk='yes'>\n  <tag id='2'/>\n"
                              "  <tag id='1729' nativeMode='untagged'/>\n</vlan>\n");

    auto single = parseVlan("<vlan trunk='YES'><tag id='7' nativeMode='tagged'/></vlan>");
    CHECK(single.trunk);
    CHECK_FALSE(parseVlan("<vlan trunk='no'><tag id='7'/></vlan>").trunk);
    CHECK(formatted(Vlan{}).empty());
}

TEST_CASE("vlan: libvirt's errors")
{
    using P = std::pair<ErrorCode, std::string>;
    CHECK(failure([] { parseVlan("<vlan/>"); }) ==
          P{ErrorCode::XmlError,
            "missing tag id - each <vlan> must have at least one <tag id='n'/> subelement"});
    CHECK(failure([] { parseVlan("<vlan><tag/></vlan>"); }) ==
          P{ErrorCode::XmlError, "missing or invalid vlan tag id attribute"});
    CHECK(failure([] { parseVlan("<vlan><tag id='4x'/></vlan>"); }).first == ErrorCode::XmlError);
    CHECK(failure([] { parseVlan("<vlan><tag id='4096'/></vlan>"); }) ==
          P{ErrorCode::XmlError, "vlan tag id 4096 too large (maximum 4095)"});
    CHECK(failure([] {
              parseVlan("<vlan><tag id='1' nativeMode='tagged'/><tag id='2' "
                        "nativeMode='tagged'/></vlan>");
          }) == P{ErrorCode::XmlError, "duplicate native vlan setting"});
    CHECK(
        failure([] { parseVlan("<vlan><tag id='1' nativeMode='default'/></vlan>"); }) ==
        P{ErrorCode::ConfigUnsupported, "Invalid \"nativeMode='default'\" in vlan <tag> element"});
    CHECK(failure([] { parseVlan("<vlan trunk='no'><tag id='1'/><tag id='2'/></vlan>"); }) ==
          P{ErrorCode::XmlError, "invalid \"trunk='no'\" in <vlan> - trunk='yes' is required for "
                                 "more than one vlan tag"});
    CHECK(failure([] {
              parseVlan("<vlan trunk='no'><tag id='1' nativeMode='tagged'/></vlan>");
          }).second == "invalid configuration in <vlan> - \"trunk='no'\" is not allowed with a "
                       "native vlan id");
    CHECK(failure([] { parseVlan("<vlan trunk='maybe'><tag id='1'/></vlan>"); }).second ==
          "invalid \"trunk='maybe'\" in <vlan> - must be yes or no");
}

TEST_CASE("bandwidth: parse, classID and format")
{
    unsigned classId = 0;
    auto bw = parseBandwidth("<bandwidth classID='7'><inbound average='1000' peak='4000' "
                             "floor='2000' burst='1024'/><outbound average='128'/><x/></bandwidth>",
                             true, &classId);
    CHECK(classId == 7);
    REQUIRE(bw.in);
    CHECK(bw.in->floor == 2000);
    CHECK(bw.hasFloor());
    CHECK(formatted(bw, 7u) == "<bandwidth classID='7'>\n"
                               "  <inbound average='1000' peak='4000' floor='2000' burst='1024'/>\n"
                               "  <outbound average='128'/>\n"
                               "</bandwidth>\n");
    CHECK(formatted(bw).starts_with("<bandwidth>\n"));
    CHECK(parseBandwidth("<bandwidth/>", false).empty());
    CHECK(formatted(Bandwidth{}).empty());
}

TEST_CASE("bandwidth: libvirt's errors")
{
    using P = std::pair<ErrorCode, std::string>;
    CHECK(failure([] { parseBandwidth("<bandwidth><inbound peak='1'/></bandwidth>", true); }) ==
          P{ErrorCode::XmlDetail, "Missing mandatory average or floor attributes"});
    CHECK(failure([] {
              parseBandwidth("<bandwidth><inbound floor='1' peak='2'/></bandwidth>", true);
          }) == P{ErrorCode::ConfigUnsupported, "'peak' and 'burst' require 'average' attribute"});
    CHECK(failure([] { parseBandwidth("<bandwidth><inbound average='-1'/></bandwidth>", true); }) ==
          P{ErrorCode::ConfigUnsupported, "could not convert bandwidth average value '-1'"});
    CHECK(failure([] { parseBandwidth("<bandwidth><inbound floor='5'/></bandwidth>", false); }) ==
          P{ErrorCode::ConfigUnsupported, "floor attribute is not supported for this config"});
    CHECK(failure([] {
              parseBandwidth("<bandwidth><outbound average='1' floor='5'/></bandwidth>", true);
          }) ==
          P{ErrorCode::ConfigUnsupported, "'floor' attribute allowed only in <inbound> element"});
    CHECK(failure([] {
              parseBandwidth("<bandwidth><inbound average='1'/><inbound average='2'/></bandwidth>",
                             true);
          }) == P{ErrorCode::XmlDetail, "Only one child <inbound> element allowed"});
    CHECK(failure([] { parseBandwidth("<bandwidth classID='3'/>", true); }) ==
          P{ErrorCode::XmlDetail,
            "classID attribute not supported on <bandwidth> in this usage context"});
    unsigned classId = 0;
    CHECK(failure([&] { parseBandwidth("<bandwidth classID='x'/>", true, &classId); }) ==
          P{ErrorCode::InternalError, "Unable to parse class id 'x'"});
}

TEST_CASE("virtualport: parse and format per type")
{
    auto qbg = parseVport("<virtualport type='802.1Qbg'><parameters managerid='11' "
                          "typeid='0x123456' typeidversion='2'/></virtualport>");
    CHECK(qbg.type == VirtualPortType::Qbg);
    CHECK(qbg.typeId == 0x123456u);
    CHECK(formatted(qbg) == "<virtualport type='802.1Qbg'>\n"
                            "  <parameters managerid='11' typeid='1193046' typeidversion='2'/>\n"
                            "</virtualport>\n");

    auto ovs = parseVport("<virtualport type='openvswitch'><parameters "
                          "interfaceid='09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f' profileid='p'/>"
                          "</virtualport>");
    CHECK(formatted(ovs) == "<virtualport type='openvswitch'>\n"
                            "  <parameters interfaceid='09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f' "
                            "profileid='p'/>\n</virtualport>\n");
    CHECK(formatted(parseVport("<virtualport type='openvswitch'/>")) ==
          "<virtualport type='openvswitch'/>\n");
    CHECK(formatted(parseVport("<virtualport/>")).empty());

    auto generated = parseVport("<virtualport/>", VirtualPortParseFlags::GenerateMissingDefaults);
    CHECK(generated.instanceId);
    CHECK(generated.interfaceId);
    CHECK(generated.instanceId != generated.interfaceId);
}

TEST_CASE("virtualport: libvirt's errors")
{
    using P = std::pair<ErrorCode, std::string>;
    CHECK(failure([] { parseVport("<virtualport type='vmware'/>"); }) ==
          P{ErrorCode::ConfigUnsupported, "unknown virtualport type vmware"});
    CHECK(failure([] { parseVport("<virtualport/>", VirtualPortParseFlags::RequireType); }) ==
          P{ErrorCode::XmlError, "missing required virtualport type"});
    CHECK(failure([] { parseVport("<virtualport><parameters managerid='256'/></virtualport>"); }) ==
          P{ErrorCode::XmlError, "value of managerid out of range"});
    CHECK(failure([] { parseVport("<virtualport><parameters typeid='z'/></virtualport>"); }) ==
          P{ErrorCode::XmlError, "cannot parse value of typeid parameter"});
    CHECK(failure([] { parseVport("<virtualport><parameters instanceid='z'/></virtualport>"); }) ==
          P{ErrorCode::XmlError, "cannot parse instanceid parameter as a uuid"});
    CHECK(failure([] {
              parseVport("<virtualport><parameters profileid='" + std::string(40, 'a') +
                         "'/></virtualport>");
          }) == P{ErrorCode::XmlError, "profileid parameter too long"});
    CHECK(failure([] {
              parseVport("<virtualport type='802.1Qbh'><parameters managerid='1'/></virtualport>");
          }) ==
          P{ErrorCode::XmlError, "extra managerid unsupported in <virtualport type='802.1Qbh'>"});
    CHECK(failure([] {
              parseVport("<virtualport type='802.1Qbg'><parameters managerid='1'/></virtualport>",
                         VirtualPortParseFlags::RequireAllAttributes);
          }) == P{ErrorCode::XmlError, "missing typeid in <virtualport type='802.1Qbg'>"});
}

TEST_CASE("virtualport: merge3 and checkComplete")
{
    auto iface = parseVport("<virtualport><parameters profileid='web'/></virtualport>");
    auto net = parseVport("<virtualport type='openvswitch'/>");
    auto pg = parseVport("<virtualport type='openvswitch'><parameters "
                         "interfaceid='09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f'/></virtualport>");
    auto merged = VirtualPort::merge3(&iface, &net, &pg);
    CHECK(merged.type == VirtualPortType::OpenVSwitch);
    CHECK(merged.profileId == "web");
    CHECK(merged.interfaceId == pg.interfaceId);

    CHECK(VirtualPort::merge3(&iface, nullptr, nullptr).empty());
    CHECK(VirtualPort::merge3(nullptr, nullptr, nullptr).empty());

    auto qbh = parseVport("<virtualport type='802.1Qbh'/>");
    CHECK(failure([&] { VirtualPort::merge3(&qbh, &net, nullptr); }).second ==
          "attempt to merge virtualports with mismatched types (802.1Qbh and openvswitch)");
    auto otherPg = parseVport("<virtualport><parameters profileid='db'/></virtualport>");
    CHECK(failure([&] { VirtualPort::merge3(&iface, &net, &otherPg); }).second ==
          "attempt to merge virtualports with mismatched profileids ('web' and 'db')");

    auto incomplete = net;
    CHECK(failure([&] { incomplete.checkComplete(false); }).second ==
          "missing interfaceid in <virtualport type='openvswitch'>");
    incomplete.checkComplete(true);
    CHECK(incomplete.interfaceId);
    CHECK(failure([&] { qbh.checkComplete(true); }).second ==
          "missing profileid in <virtualport type='802.1Qbh'>");
}

TEST_CASE("schema lookup follows DVS_SCHEMA_DIR")
{
    const char* saved = std::getenv("DVS_SCHEMA_DIR");
    std::string keep = saved != nullptr ? saved : "";
    ::setenv("DVS_SCHEMA_DIR", "/nonexistent-schemas", 1);
    CHECK(schemaPath("network.rng") == std::filesystem::path("/nonexistent-schemas/network.rng"));
    ::unsetenv("DVS_SCHEMA_DIR");
    CHECK(schemaPath("network.rng").filename() == "network.rng");
    CHECK(schemaPath("network.rng") != std::filesystem::path("/nonexistent-schemas/network.rng"));
    if (saved != nullptr) {
        ::setenv("DVS_SCHEMA_DIR", keep.c_str(), 1);
    }
}
