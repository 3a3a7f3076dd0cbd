// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>
#include <vector>

#include "conf/netdev_bandwidth.h"

namespace dvs::driver {

// The tc commands libvirt's virNetDevBandwidthSet runs for a network's <bandwidth> on its bridge
// (hierarchical classes, directions swapped: the network's inbound is what leaves the bridge
// towards the guests): an htb root qdisc with classes 1:1 (the network's limit) and 1:2 (traffic
// without a floor) and an sfq below it, and an ingress policer for the outbound limit. Each
// command is tc's argument list, after "tc". Empty when the bandwidth sets nothing.
std::vector<std::vector<std::string>> bridgeBandwidthCommands(const std::string& bridge,
                                                              const conf::Bandwidth& bandwidth);

// Runs them (after removing what was there, as libvirt does). Throws Error(SystemError) with
// tc's message when one fails, after removing what it had added.
void setBridgeBandwidth(const std::string& bridge, const conf::Bandwidth& bandwidth);
// Removes the root and ingress qdiscs (virNetDevBandwidthClear). Never fails.
void clearBridgeBandwidth(const std::string& bridge) noexcept;

} // namespace dvs::driver
