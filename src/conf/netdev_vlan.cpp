// SPDX-License-Identifier: LGPL-2.1-or-later
#include "conf/netdev_vlan.h"

#include <algorithm>
#include <strings.h>

#include "util/error.h"
#include "util/number.h"

namespace dvs::conf {

namespace {

constexpr unsigned long kMaxVlanTag = 4095;

bool equalsIgnoringCase(const std::string& a, const char* b)
{
    return ::strcasecmp(a.c_str(), b) == 0;
}

} // namespace

Vlan Vlan::parse(const util::XmlNode& vlanElement)
{
    auto tagNodes = vlanElement.children("tag");
    if (tagNodes.empty()) {
        raise(ErrorCode::XmlError,
              "missing tag id - each <vlan> must have at least one <tag id='n'/> subelement");
    }

    Vlan vlan;
    bool nativeSeen = false;
    for (const auto& tagNode : tagNodes) {
        auto idText = tagNode.attr("id");
        auto id = idText ? util::parseNumber<unsigned long>(*idText) : std::nullopt;
        if (!id) {
            raise(ErrorCode::XmlError, "missing or invalid vlan tag id attribute");
        }
        if (*id > kMaxVlanTag) {
            raise(ErrorCode::XmlError, "vlan tag id {} too large (maximum 4095)", *id);
        }
        if (auto mode = tagNode.attr("nativeMode")) {
            if (nativeSeen) {
                raise(ErrorCode::XmlError, "duplicate native vlan setting");
            }
            auto parsed = util::fromString<VlanNativeMode>(*mode);
            if (!parsed || *parsed == VlanNativeMode::Default) {
                raise(ErrorCode::ConfigUnsupported,
                      "Invalid \"nativeMode='{}'\" in vlan <tag> element", *mode);
            }
            nativeSeen = true;
            vlan.nativeMode = *parsed;
            vlan.nativeTag = static_cast<unsigned>(*id);
        }
        vlan.tags.push_back(static_cast<unsigned>(*id));
    }
    // The native mode is written on every tag with the native id: a repeated native id would
    // read back as two native settings, so it is refused as that.
    if (nativeSeen && std::count(vlan.tags.begin(), vlan.tags.end(), vlan.nativeTag) > 1) {
        raise(ErrorCode::XmlError, "duplicate native vlan setting");
    }

    vlan.trunk = vlan.tags.size() > 1;
    if (auto trunk = vlanElement.attr("trunk")) {
        vlan.trunk = equalsIgnoringCase(*trunk, "yes");
        if (!vlan.trunk) {
            if (vlan.tags.size() > 1) {
                raise(ErrorCode::XmlError,
                      "invalid \"trunk='{}'\" in <vlan> - trunk='yes' is required for more than "
                      "one vlan tag",
                      *trunk);
            }
            if (vlan.nativeMode != VlanNativeMode::Default) {
                raise(ErrorCode::XmlError, "invalid configuration in <vlan> - \"trunk='no'\" is "
                                           "not allowed with a native vlan id");
            }
            // trunk='no' with a single tag is accepted and dropped.
            if (!equalsIgnoringCase(*trunk, "no")) {
                raise(ErrorCode::XmlError, "invalid \"trunk='{}'\" in <vlan> - must be yes or no",
                      *trunk);
            }
        }
    }
    return vlan;
}

void Vlan::format(util::XmlWriter& writer) const
{
    if (empty()) {
        return;
    }
    writer.start("vlan");
    if (trunk) {
        writer.attr("trunk", "yes");
    }
    for (unsigned tag : tags) {
        writer.start("tag");
        writer.attr("id", tag);
        if (nativeMode != VlanNativeMode::Default && nativeTag == tag) {
            writer.attr("nativeMode", util::toString(nativeMode));
        }
        writer.end();
    }
    writer.end();
}

} // namespace dvs::conf
