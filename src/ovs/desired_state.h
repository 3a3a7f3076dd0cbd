// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "conf/dvs_extension.h"
#include "conf/netdev_bandwidth.h"
#include "conf/netdev_vlan.h"
#include "conf/network_def.h"
#include "conf/network_port.h"
#include "util/mac.h"
#include "util/uuid.h"

// What dvsd wants Open vSwitch to look like, as plain data. The planner (planner.h) compares it
// with the database and writes the difference.
namespace dvs::ovs {

// The bridge of one OVS-backed network.
struct BridgeSpec
{
    std::string network;
    // <bridge name=>.
    std::string name;
    // Bridge.datapath_type: "system" or "netdev".
    std::string datapathType = "system";
    // The dvs: uplink's mtu (or <mtu size=>), 0 = unset: Interface.mtu_request of the bridge's
    // own and uplink interfaces.
    unsigned mtu = 0;
    // The dvs: extension's uplink: an OVS bond or a single interface.
    std::optional<conf::Uplink> uplink;

    bool operator==(const BridgeSpec&) const = default;
};

// One port of a network, as the driver resolved it (vlan, bandwidth and virtualport merged).
struct PortSpec
{
    util::Uuid port;
    std::string network;
    std::string bridge;
    // <virtualport type='openvswitch'><parameters interfaceid=>: matched against the
    // Interface's external_ids:iface-id. Without one, the port uuid is used.
    util::Uuid interfaceId;
    util::MacAddr mac;
    // The domain's uuid (external_ids:vm-id); the null uuid when unknown.
    util::Uuid owner;
    conf::Vlan vlan;
    conf::Bandwidth bandwidth;
    // Non-empty when dvsd plugs the port itself: the host device to add to the bridge.
    std::string plugIfname;

    bool operator==(const PortSpec&) const = default;
};

// The desired state of the whole switch.
struct DesiredState
{
    // By network name.
    std::map<std::string, BridgeSpec> bridges;
    // By port uuid.
    std::map<util::Uuid, PortSpec> ports;
    // Networks stopped: what dvsd created for them goes (value: the request's generation).
    std::map<std::string, std::uint64_t> teardowns;
    // Ports dvsd plugged and must unplug (value: the request's generation).
    std::map<util::Uuid, std::uint64_t> unplugs;
};

// The bridge a network wants. Throws Error(InternalError) when the network has no bridge name.
BridgeSpec bridgeSpecFor(const conf::NetworkDef& def, const std::string& datapathType);

// What a port wants of OVS.
PortSpec portSpecFor(const conf::NetworkDef& def, const conf::NetworkPort& port);

// libvirt's units (virNetDevOpenvswitchInterfaceSetQos): the domain's inbound becomes the
// linux-htb QoS of the Port (rates in bit/s, burst in bits), its outbound the ingress policing
// of the Interface (kbit/s, kbit).
std::int64_t qosMinRate(const conf::BandwidthRate& rate);    // average * 8000
std::int64_t qosMaxRate(const conf::BandwidthRate& rate);    // peak * 8000
std::int64_t qosBurst(const conf::BandwidthRate& rate);      // burst * 8192
std::int64_t policingRate(const conf::BandwidthRate& rate);  // average * 8
std::int64_t policingBurst(const conf::BandwidthRate& rate); // burst * 8

} // namespace dvs::ovs
