// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <memory>

#include "driver/backend.h"

namespace dvs::driver {

// Networks on an existing host Linux bridge (<forward mode='bridge'/> with <bridge name=> and no
// openvswitch <virtualport>), as libvirt's networkStartNetworkBridge runs them: the bridge is
// the host's (created and removed by the administrator, never by dvsd) and must exist at start;
// with macTableManager='libvirt' its VLAN filtering is turned on, so that libvirt (which plugs
// each tap with learning and unicast flooding off and the guest's MAC in the FDB) manages its
// MAC table. The network's <bandwidth> is set on the bridge with tc, as libvirt sets it. Taps,
// their bandwidth and their FDB entries are virtqemud's, as with libvirt.
std::unique_ptr<NetworkBackend> makeLinuxBridgeBackend();

} // namespace dvs::driver
