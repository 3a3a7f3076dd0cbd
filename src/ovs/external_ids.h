// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string_view>

// The external_ids keys dvsd writes into the Open vSwitch database. Rows carrying one of the
// dvs-* keys are dvsd's: only those are ever deleted; rows without them are left alone, except
// the per-port columns of a Port/Interface that libvirt plugged for one of dvsd's ports.
namespace dvs::ovs::keys {

// Bridge created by dvsd for a network: dvs-network=NETWORK. Removed on net-destroy; a bridge
// of the same name without the key is used but never removed. Also on Ports dvsd plugged.
inline constexpr std::string_view kNetwork = "dvs-network";
// Uplink Port (an OVS bond or a single interface) created by dvsd: dvs-uplink=NETWORK.
inline constexpr std::string_view kUplink = "dvs-uplink";
// Port and Interface rows dvsd inserted itself (dvsctl port-plug): dvs-plugged=PORT-UUID.
inline constexpr std::string_view kPlugged = "dvs-plugged";
// A Port programmed for one of dvsd's ports, and the QoS/Queue rows dvsd created or adopted for
// it: dvs-port=PORT-UUID.
inline constexpr std::string_view kPort = "dvs-port";

// libvirt's keys (virnetdevopenvswitch.c), kept byte for byte.
inline constexpr std::string_view kIfaceId = "iface-id";
inline constexpr std::string_view kAttachedMac = "attached-mac";
inline constexpr std::string_view kVmId = "vm-id";
inline constexpr std::string_view kIfaceStatus = "iface-status";
inline constexpr std::string_view kIfname = "ifname";

} // namespace dvs::ovs::keys
