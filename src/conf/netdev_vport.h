// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "util/enum_table.h"
#include "util/uuid.h"
#include "util/xml.h"

namespace dvs::conf {

// libvirt's virNetDevVPortProfile type. None is the wildcard of a <virtualport> without type.
enum class VirtualPortType
{
    None,
    Qbg,
    Qbh,
    OpenVSwitch,
    Midonet,
    Last
};

} // namespace dvs::conf

namespace dvs::util {
template <>
struct EnumNames<conf::VirtualPortType>
{
    static constexpr std::array<std::string_view, 5> kNames{"none", "802.1Qbg", "802.1Qbh",
                                                            "openvswitch", "midonet"};
};
} // namespace dvs::util

namespace dvs::conf {

// Flags of VirtualPort::parse (libvirt's VIR_VPORT_XML_*).
namespace VirtualPortParseFlags {
// Generates a random instanceid (802.1Qbg or no type) and interfaceid (openvswitch or no type)
// when missing.
inline constexpr unsigned GenerateMissingDefaults = 1U << 0;
// Requires every attribute the type needs (checkComplete without generation).
inline constexpr unsigned RequireAllAttributes = 1U << 1;
// Refuses a <virtualport> without a type.
inline constexpr unsigned RequireType = 1U << 2;
} // namespace VirtualPortParseFlags

// A <virtualport> element with its <parameters> (libvirt's virNetDevVPortProfile).
struct VirtualPort
{
    // Longest profileid libvirt stores (its buffer holds 40 bytes with the terminator).
    static constexpr std::size_t kMaxProfileIdLength = 39;

    VirtualPortType type = VirtualPortType::None;
    std::optional<unsigned> managerId;     // 802.1Qbg, 0..255
    std::optional<unsigned> typeId;        // 802.1Qbg, 0..0xffffff
    std::optional<unsigned> typeIdVersion; // 802.1Qbg, 0..255
    std::optional<util::Uuid> instanceId;  // 802.1Qbg
    std::optional<util::Uuid> interfaceId; // openvswitch, midonet
    std::optional<std::string> profileId;  // 802.1Qbh, openvswitch; never empty

    // Whether no type and no parameter is set: such a virtualport formats to nothing.
    bool empty() const;

    // Parses <virtualport> as virNetDevVPortProfileParse does, with VirtualPortParseFlags. Throws
    // Error(ConfigUnsupported) for an unknown type and Error(XmlError) for bad or missing
    // parameters and for parameters the type does not take, with libvirt's messages.
    static VirtualPort parse(const util::XmlNode& virtualPortElement, unsigned flags);

    // Writes <virtualport> as virNetDevVPortProfileFormat does: only the parameters the type
    // takes; nothing when empty().
    void format(util::XmlWriter& writer) const;

    // libvirt's virNetDevVPortProfileMerge3: starts from the interface's virtualport, then merges
    // the network's and the portgroup's. Types must agree (None matches any); a parameter is taken
    // from whichever sets it, and two different values are an error. Any argument may be null.
    // Returns an empty() virtualport when none of them has a type. Throws Error(XmlError) with
    // libvirt's "attempt to merge virtualports with mismatched ..." messages.
    static VirtualPort merge3(const VirtualPort* fromInterface, const VirtualPort* fromNetwork,
                              const VirtualPort* fromPortgroup);

    // libvirt's virNetDevVPortProfileCheckComplete: every parameter the type requires is set.
    // With generateMissing, a missing instanceid (802.1Qbg) or interfaceid (openvswitch) is
    // generated instead. Throws Error(XmlError) "missing X in <virtualport type='T'>".
    void checkComplete(bool generateMissing);

    // libvirt's virNetDevVPortProfileCheckNoExtras: no parameter the type does not take. Throws
    // Error(XmlError) "extra X unsupported in <virtualport type='T'>".
    void checkValid() const;

    bool operator==(const VirtualPort&) const = default;
};

} // namespace dvs::conf
