// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <array>
#include <set>
#include <string>
#include <string_view>

#include "conf/network_def.h"
#include "util/enum_table.h"
#include "util/xml.h"

namespace dvs::conf {

// Why a network's behaviour may differ from its definition (libvirt's virNetworkTaintFlags).
enum class NetworkTaint
{
    // A hook script ran for the network and may have changed it.
    HookScript,
    Last
};

} // namespace dvs::conf

namespace dvs::util {
template <>
struct EnumNames<conf::NetworkTaint>
{
    static constexpr std::array<std::string_view, 1> kNames{"hook-script"};
};
} // namespace dvs::util

namespace dvs::conf {

// Flags of NetworkStatus::parseString.
namespace NetworkStatusParseFlags {
// Validates against networkstatus.rng (network.rng for a bare <network>) first.
inline constexpr unsigned Validate = 1U << 0;
} // namespace NetworkStatusParseFlags

// A <networkstatus>: the live state of an active network as libvirt's network driver keeps it
// in its state folder (virNetworkObjFormat / virNetworkLoadState).
struct NetworkStatus
{
    // Class IDs taken on the network's bridge for QoS; 0, 1 and 2 are always reserved.
    std::set<unsigned> classIds{0, 1, 2};
    // Sum of the inbound floors of the network's ports.
    unsigned long long floorSum = 0;
    std::set<NetworkTaint> taints;
    // The live definition (with connections).
    NetworkDef def;

    // Parses a status document: a <networkstatus>, or a bare <network> as older status files
    // hold (then the status part keeps its defaults). The definition is parsed as
    // NetworkDef::parse does. Throws Error with libvirt's messages: InternalError "Could not find
    // any 'network' element in status file" and "Malformed 'floor_sum' attribute: ...",
    // InvalidArg "Failed to parse bitmap '...'", ConfigUnsupported "Unknown taint flag ...".
    static NetworkStatus parse(const util::XmlNode& root);
    // Parses text (URL "(network status)"), validating it first with
    // NetworkStatusParseFlags::Validate (Error(XmlInvalidSchema)).
    static NetworkStatus parseString(std::string_view xml, unsigned flags = 0);

    // Writes <networkstatus> with the class ID bitmap, the floor sum, the taints and the live
    // definition, in libvirt's layout.
    void format(util::XmlWriter& writer) const;
    std::string format() const;
};

// A set of small numbers as libvirt's virBitmapFormat writes it: "0-2,5,7-9"; "" when empty.
std::string formatBitmap(const std::set<unsigned>& bits);

// Parses libvirt's bitmap syntax (virBitmapParseUnlimited): comma-separated numbers and
// ranges "N-M", "^N" or "^N-M" removing bits, blanks around items allowed. Throws
// Error(InvalidArg) "Failed to parse bitmap '...'".
std::set<unsigned> parseBitmap(std::string_view text);

} // namespace dvs::conf
