// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ovs/desired_state.h"

#include "util/error.h"

namespace dvs::ovs {

BridgeSpec bridgeSpecFor(const conf::NetworkDef& def, const std::string& datapathType)
{
    if (!def.bridge || def.bridge->empty()) {
        raise(ErrorCode::InternalError, "network '{}' has no bridge name", def.name);
    }
    BridgeSpec spec;
    spec.network = def.name;
    spec.name = *def.bridge;
    spec.datapathType = datapathType;
    spec.mtu = def.mtu;
    if (def.dvs && def.dvs->uplink) {
        spec.uplink = def.dvs->uplink;
        // libvirt refuses <mtu> on bridge-mode networks: the switch's MTU is the uplink's.
        if (def.dvs->uplink->mtu) {
            spec.mtu = *def.dvs->uplink->mtu;
        }
    }
    return spec;
}

PortSpec portSpecFor(const conf::NetworkDef& def, const conf::NetworkPort& port)
{
    PortSpec spec;
    spec.port = port.uuid;
    spec.network = def.name;
    spec.bridge = def.bridge.value_or("");
    spec.interfaceId = port.uuid;
    if (port.virtualPort && port.virtualPort->interfaceId) {
        spec.interfaceId = *port.virtualPort->interfaceId;
    }
    spec.mac = port.mac;
    spec.owner = port.ownerUuid;
    spec.vlan = port.vlan;
    spec.bandwidth = port.bandwidth;
    return spec;
}

std::int64_t qosMinRate(const conf::BandwidthRate& rate)
{
    return static_cast<std::int64_t>(rate.average * 8000);
}
std::int64_t qosMaxRate(const conf::BandwidthRate& rate)
{
    return static_cast<std::int64_t>(rate.peak * 8000);
}
std::int64_t qosBurst(const conf::BandwidthRate& rate)
{
    return static_cast<std::int64_t>(rate.burst * 8192);
}
std::int64_t policingRate(const conf::BandwidthRate& rate)
{
    return static_cast<std::int64_t>(rate.average * 8);
}
std::int64_t policingBurst(const conf::BandwidthRate& rate)
{
    return static_cast<std::int64_t>(rate.burst * 8);
}

} // namespace dvs::ovs
