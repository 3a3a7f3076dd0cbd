// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "conf/device_types.h"
#include "conf/netdev_bandwidth.h"
#include "conf/netdev_vlan.h"
#include "conf/netdev_vport.h"
#include "conf/tristate.h"
#include "util/enum_table.h"
#include "util/mac.h"
#include "util/uuid.h"
#include "util/xml.h"

namespace dvs::conf {

// How a port is attached (libvirt's virNetworkPortPlugType).
enum class PlugType
{
    None,
    Network,
    Bridge,
    Direct,
    HostdevPci,
    Last
};

// macvtap mode of a direct attachment (libvirt's virNetDevMacVLanMode).
enum class MacvlanMode
{
    Vepa,
    Private,
    Bridge,
    Passthrough,
    Last
};

} // namespace dvs::conf

namespace dvs::util {
template <>
struct EnumNames<conf::PlugType>
{
    static constexpr std::array<std::string_view, 5> kNames{"none", "network", "bridge", "direct",
                                                            "hostdev-pci"};
};
template <>
struct EnumNames<conf::MacvlanMode>
{
    static constexpr std::array<std::string_view, 4> kNames{"vepa", "private", "bridge",
                                                            "passthrough"};
};
} // namespace dvs::util

namespace dvs::conf {

// The <plug> of a port: where it was attached. Only the fields of the type are meaningful.
struct Plug
{
    PlugType type = PlugType::None;
    // Network, Bridge.
    std::string bridge;
    MacTableManager macTableManager = MacTableManager::Default;
    // Direct.
    std::string dev;
    MacvlanMode mode = MacvlanMode::Vepa;
    // HostdevPci.
    Tristate managed = Tristate::Absent;
    ForwardDriverName driver = ForwardDriverName::Default;
    PciAddress address;

    bool operator==(const Plug&) const = default;
};

// Flags of NetworkPort::parseString, with libvirt's values (VIR_NETWORK_PORT_CREATE_*).
namespace NetworkPortParseFlags {
// Validates against the networkport.rng schema first.
inline constexpr unsigned Validate = 1U << 1;
} // namespace NetworkPortParseFlags

// A <networkport> (libvirt's virNetworkPortDef): one guest interface's attachment to a network.
struct NetworkPort
{
    util::Uuid uuid;
    std::string ownerName;
    util::Uuid ownerUuid;
    // Portgroup name; empty when none.
    std::string group;
    util::MacAddr mac;
    std::optional<VirtualPort> virtualPort;
    Bandwidth bandwidth;
    unsigned classId = 0;
    Vlan vlan;
    Tristate isolatedPort = Tristate::Absent;
    Tristate trustGuestRxFilters = Tristate::Absent;
    Plug plug;

    // Parses a <networkport> element as virNetworkPortDefParseXML does, with its messages and
    // codes (InternalError for a missing or bad uuid, owner or mac; XmlError for plug problems).
    static NetworkPort parse(const util::XmlNode& root);
    // Parses a document (URL "(networkport_definition)"); with NetworkPortParseFlags::Validate it
    // is first checked against networkport.rng (Error(XmlInvalidSchema)).
    static NetworkPort parseString(std::string_view xml, unsigned flags = 0);

    // Writes the port in libvirt's layout (virNetworkPortDefFormatBuf).
    void format(util::XmlWriter& writer) const;
    std::string format() const;

    bool operator==(const NetworkPort&) const = default;
};

// Parses an optional yes/no attribute as libvirt's virXMLPropTristateBool: Absent when missing,
// Error(XmlError) "Invalid value for attribute ..." for anything but yes and no.
Tristate parseTristateAttr(const util::XmlNode& element, const char* name);

} // namespace dvs::conf
