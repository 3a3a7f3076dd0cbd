// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <array>
#include <string_view>
#include <vector>

#include "util/enum_table.h"
#include "util/xml.h"

namespace dvs::conf {

// libvirt's virNativeVlanMode: how a trunk port treats untagged traffic.
enum class VlanNativeMode
{
    Default,
    Tagged,
    Untagged,
    Last
};

} // namespace dvs::conf

namespace dvs::util {
template <>
struct EnumNames<conf::VlanNativeMode>
{
    static constexpr std::array<std::string_view, 3> kNames{"default", "tagged", "untagged"};
};
} // namespace dvs::util

namespace dvs::conf {

// A <vlan> element (libvirt's virNetDevVlan): one access tag, or a trunk of tags with an optional
// native VLAN.
struct Vlan
{
    std::vector<unsigned> tags;
    bool trunk = false;
    VlanNativeMode nativeMode = VlanNativeMode::Default;
    unsigned nativeTag = 0;

    // Whether there is no tag at all (then nothing is formatted).
    bool empty() const { return tags.empty(); }

    // Parses a <vlan> element as virNetDevVlanParse does: at least one <tag id='0..4095'/>, at
    // most one nativeMode, trunk='yes' implied by several tags. Throws Error(XmlError), or
    // Error(ConfigUnsupported) for an unknown nativeMode, with libvirt's messages.
    static Vlan parse(const util::XmlNode& vlanElement);

    // Writes <vlan> with its tags; nothing when empty().
    void format(util::XmlWriter& writer) const;

    bool operator==(const Vlan&) const = default;
};

} // namespace dvs::conf
