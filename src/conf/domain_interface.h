// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "conf/netdev_bandwidth.h"
#include "conf/netdev_vlan.h"
#include "conf/netdev_vport.h"
#include "conf/network_port.h"
#include "conf/tristate.h"
#include "util/enum_table.h"
#include "util/mac.h"
#include "util/uuid.h"
#include "util/xml.h"

namespace dvs::conf {

// What a domain interface of type 'network' really became (the subset of libvirt's
// virDomainNetType an <actual> can carry).
enum class ActualType
{
    Network,
    Bridge,
    Direct,
    Hostdev,
    Last
};

} // namespace dvs::conf

namespace dvs::util {
template <>
struct EnumNames<conf::ActualType>
{
    static constexpr std::array<std::string_view, 4> kNames{"network", "bridge", "direct",
                                                            "hostdev"};
};
} // namespace dvs::util

namespace dvs::conf {

// Flags of DomainInterface parse and format.
namespace DomainInterfaceFlags {
// Status XML (libvirt's VIR_DOMAIN_DEF_PARSE/FORMAT_ACTUAL_NET and _STATUS): <actual> is read
// and written, with its <class id=>. Without it <actual> is ignored and not printed.
inline constexpr unsigned Status = 1U << 0;
} // namespace DomainInterfaceFlags

// The <actual> of a domain interface (libvirt's virDomainActualNetDef): the resolved attachment,
// as virtqemud stores it in the domain's status.
struct ActualInterface
{
    ActualType type = ActualType::Network;
    // Network, Bridge.
    std::string bridge;
    MacTableManager macTableManager = MacTableManager::Default;
    // Direct.
    std::string dev;
    MacvlanMode mode = MacvlanMode::Vepa;
    // Hostdev: a PCI device given to the guest.
    bool managed = false;
    ForwardDriverName driver = ForwardDriverName::Default;
    PciAddress address;

    std::optional<VirtualPort> virtualPort;
    Bandwidth bandwidth;
    Vlan vlan;
    unsigned classId = 0;
    Tristate trustGuestRxFilters = Tristate::Absent;
    Tristate isolatedPort = Tristate::Absent;

    bool operator==(const ActualInterface&) const = default;
};

// A domain <interface type='network'> with what the network driver deals with: the source
// network, portgroup and port, mac, virtualport, bandwidth, vlan, trustGuestRxFilters, port
// isolation and the <actual> attachment. Other children of a real domain interface are not kept.
struct DomainInterface
{
    util::MacAddr mac;
    std::string network;
    std::string portgroup;
    // The network port allocated for the interface; nullopt before allocation.
    std::optional<util::Uuid> portId;
    std::optional<VirtualPort> virtualPort;
    Bandwidth bandwidth;
    Vlan vlan;
    Tristate trustGuestRxFilters = Tristate::Absent;
    Tristate isolatedPort = Tristate::Absent;
    std::optional<ActualInterface> actual;

    // Parses <interface type='network'> as libvirt's virDomainNetDefParseXML does for that
    // subset (a missing mac is generated in 52:54:00:xx:xx:xx, a virtualport gets its missing
    // instanceid/interfaceid). With DomainInterfaceFlags::Status, <actual> is parsed too.
    // Throws Error with libvirt's codes and messages.
    static DomainInterface parse(const util::XmlNode& interfaceElement, unsigned flags = 0);
    static DomainInterface parseString(std::string_view xml, unsigned flags = 0);

    // Writes the interface in libvirt's order; <actual> only with DomainInterfaceFlags::Status.
    void format(util::XmlWriter& writer, unsigned flags = 0) const;
    std::string format(unsigned flags = 0) const;

    bool operator==(const DomainInterface&) const = default;
};

// libvirt's virDomainNetDefToNetworkPort: the port to ask the network for when the domain
// starts. The port uuid is the interface's portid, or a new random one. No plug.
NetworkPort interfaceToNetworkPort(const DomainInterface& iface, std::string_view ownerName,
                                   const util::Uuid& ownerUuid);

// libvirt's virDomainNetDefActualFromNetworkPort: the <actual> for an allocated port. Throws
// Error(InternalError) for a port without a plug.
ActualInterface actualFromNetworkPort(const NetworkPort& port);

// libvirt's virDomainNetDefActualToNetworkPort: the port (with its plug) to reclaim for an
// interface that already has an <actual>, e.g. when virtqemud restarts. Throws
// Error(InternalError) "Missing actual data for interface ..." without one.
NetworkPort actualToNetworkPort(const DomainInterface& iface, std::string_view ownerName,
                                const util::Uuid& ownerUuid);

} // namespace dvs::conf
