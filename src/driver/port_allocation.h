// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include "conf/network_def.h"
#include "conf/network_port.h"
#include "driver/backend.h"
#include "driver/network_obj.h"
#include "driver/typed_param.h"

namespace dvs::driver {

// Port allocation as libvirt's network driver does it (networkAllocatePort, networkNotifyPort,
// networkReleasePort, networkCheckBandwidth). These work on the network object only: counting a
// port in or out, its hooks and its files are the driver's (docs/architecture.md, "A port from
// `virsh start` to OVS", step 3).

// libvirt's networkCreateInterfacePool: a <pf> becomes its virtual functions (once).
void createInterfacePool(conf::NetworkDef& def, Backends& backends);

// A new port (networkAllocatePort): merges what the portgroup (or the default one) and the
// network give into the port, picks a pool device for direct and hostdev networks, checks the
// bandwidth floor and sets the <plug>. Returns the pool device the port takes, or null; counts
// nothing. Throws with libvirt's errors, and then changed only the pool of a <pf>.
conf::ForwardInterface* allocatePort(NetworkObj& obj, conf::NetworkPort& port, Backends& backends);

// A port a client reclaims with its <plug>, or one read back at start (networkNotifyPort):
// checks that its device is in the pool and free when it must be. Returns the pool device, or
// null; counts nothing.
conf::ForwardInterface* notifyPort(NetworkObj& obj, const conf::NetworkPort& port,
                                   Backends& backends);

// The pool device a port holds, for its release; libvirt's errors when it is not there. Null
// for ports that hold none.
conf::ForwardInterface* deviceOfPort(NetworkObj& obj, const conf::NetworkPort& port);

// networkCheckBandwidth: a floor is only for libvirt's virtual networks, and needs the network's
// inbound QoS. Error(OperationUnsupported) otherwise.
void checkBandwidth(const NetworkObj& obj, const conf::NetworkPort& port);

// What a live port becomes when the definition it was allocated from changes from `before` to
// `after` (a live net-update, or the host agent applying a new generation): the VLAN and the
// bandwidth it took from its portgroup or the network follow them (libvirt leaves them as
// allocated; a distributed switch moves them). What the port set itself stays.
conf::NetworkPort portFollowing(const conf::NetworkPort& port, const conf::NetworkDef& before,
                                const conf::NetworkDef& after);

// virNetworkPortGetParameters: the port's bandwidth as typed parameters.
TypedParams bandwidthParameters(const conf::Bandwidth& bandwidth);
// virNetworkPortSetParameters: the bandwidth the parameters give (an unset direction when its
// average, and for inbound its floor, is 0). Error(InvalidArg) for a parameter that is not a
// uint; unknown fields are ignored, as in libvirt.
conf::Bandwidth bandwidthFromParameters(const TypedParams& params);

} // namespace dvs::driver
