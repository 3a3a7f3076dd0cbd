// SPDX-License-Identifier: LGPL-2.1-or-later
#include "driver/port_allocation.h"

#include <variant>

#include "driver/interface_pool.h"
#include "util/error.h"

namespace dvs::driver {

namespace {

// Whether the direct-mode port needs its device for itself (passthrough, or private with an
// 802.1Qbh virtualport).
bool needsExclusiveDevice(const conf::NetworkDef& def, const conf::NetworkPort& port)
{
    if (def.forward.mode == conf::ForwardMode::Passthrough) {
        return true;
    }
    return def.forward.mode == conf::ForwardMode::Private && port.virtualPort &&
           port.virtualPort->type == conf::VirtualPortType::Qbh;
}

conf::MacvlanMode macvlanModeFor(conf::ForwardMode mode)
{
    switch (mode) {
    case conf::ForwardMode::Private:
        return conf::MacvlanMode::Private;
    case conf::ForwardMode::Vepa:
        return conf::MacvlanMode::Vepa;
    case conf::ForwardMode::Passthrough:
        return conf::MacvlanMode::Passthrough;
    default:
        return conf::MacvlanMode::Bridge;
    }
}

bool supportsFloor(conf::ForwardMode mode)
{
    return mode == conf::ForwardMode::None || mode == conf::ForwardMode::Nat ||
           mode == conf::ForwardMode::Route || mode == conf::ForwardMode::Open;
}

// libvirt's refusal of a port's <virtualport> that the network cannot use (`allowed` false);
// `uses` says what the network uses.
void refuseVirtualPort(const conf::NetworkPort& port, const conf::NetworkDef& def, bool allowed,
                       std::string_view uses)
{
    if (port.virtualPort && !allowed) {
        raise(ErrorCode::ConfigUnsupported,
              "<virtualport type='{}'> not supported for network '{}' which uses {}",
              util::toString(port.virtualPort->type), def.name, uses);
    }
}

// The pool device a new port takes: the first free one when it needs it for itself, else the
// least used one.
conf::ForwardInterface& pickDevice(conf::NetworkDef& def, bool exclusive)
{
    InterfacePool pool(def.forward.interfaces);
    auto* dev = exclusive ? pool.firstFree() : pool.leastUsed();
    if (dev == nullptr) {
        raise(ErrorCode::InternalError,
              "network '{}' requires exclusive access to interfaces, but none are available",
              def.name);
    }
    return *dev;
}

// What a port of the portgroup (or of the default portgroup, when group is empty) takes from
// the definition when its own interface sets nothing (allocatePort's merge).
struct Inherited
{
    conf::Vlan vlan;
    conf::Bandwidth bandwidth;
};

Inherited inheritedBy(const conf::NetworkDef& def, const std::string& group)
{
    // The port's portgroup, or the default one when it names none.
    const conf::Portgroup* portgroup = def.findPortgroup(group);
    Inherited inherited;
    if (portgroup != nullptr) {
        inherited.bandwidth = portgroup->bandwidth;
    }
    if (portgroup != nullptr && !portgroup->vlan.empty()) {
        inherited.vlan = portgroup->vlan;
    } else {
        inherited.vlan = def.vlan;
    }
    return inherited;
}

} // namespace

void createInterfacePool(conf::NetworkDef& def, Backends& backends)
{
    if (def.forward.pfs.empty() || !def.forward.interfaces.empty()) {
        return;
    }
    const auto& pf = def.forward.pfs.front().dev;
    std::vector<VirtualFunctionInfo> vfs;
    try {
        vfs = backends.virtualFunctions(pf);
    } catch (const Error&) {
        raise(ErrorCode::InternalError, "Could not get Virtual functions on {}", pf);
    }
    std::vector<conf::ForwardInterface> pool;
    for (const auto& vf : vfs) {
        if (def.forward.mode == conf::ForwardMode::Hostdev) {
            pool.push_back({conf::ForwardDeviceType::Pci, {}, vf.address, 0});
        } else if (!vf.netdev.empty()) {
            pool.push_back({conf::ForwardDeviceType::Netdev, vf.netdev, {}, 0});
        }
    }
    if (pool.empty()) {
        raise(ErrorCode::InternalError, "No usable Vf's present on SRIOV PF {}", pf);
    }
    def.forward.interfaces = std::move(pool);
}

conf::ForwardInterface* allocatePort(NetworkObj& obj, conf::NetworkPort& port, Backends& backends)
{
    auto& def = *obj.def;
    if (!obj.active) {
        raise(ErrorCode::OperationInvalid, "network '{}' is not active", def.name);
    }
    // The port's portgroup, or the default one when it names none.
    const conf::Portgroup* portgroup = def.findPortgroup(port.group);
    if (port.bandwidth.empty() && portgroup != nullptr) {
        port.bandwidth = portgroup->bandwidth;
    }
    if (port.vlan.empty()) {
        if (portgroup != nullptr && !portgroup->vlan.empty()) {
            port.vlan = portgroup->vlan;
        } else if (!def.vlan.empty()) {
            port.vlan = def.vlan;
        }
    }
    if (port.trustGuestRxFilters == conf::Tristate::Absent) {
        if (portgroup != nullptr && portgroup->trustGuestRxFilters != conf::Tristate::Absent) {
            port.trustGuestRxFilters = portgroup->trustGuestRxFilters;
        } else if (def.trustGuestRxFilters != conf::Tristate::Absent) {
            port.trustGuestRxFilters = def.trustGuestRxFilters;
        }
    }
    if (port.isolatedPort == conf::Tristate::Absent) {
        port.isolatedPort = def.portIsolated;
    }
    auto merged = conf::VirtualPort::merge3(
        port.virtualPort ? &*port.virtualPort : nullptr,
        def.virtualPort ? &*def.virtualPort : nullptr,
        portgroup != nullptr && portgroup->virtualPort ? &*portgroup->virtualPort : nullptr);
    if (!merged.empty()) {
        port.virtualPort = merged;
    }
    // Whether the port's <virtualport> is 802.1Qbg or 802.1Qbh (what macvtap and PCI passthrough
    // take).
    bool vportQbgOrQbh =
        port.virtualPort && (port.virtualPort->type == conf::VirtualPortType::Qbg ||
                             port.virtualPort->type == conf::VirtualPortType::Qbh);

    conf::ForwardInterface* dev = nullptr;
    switch (def.forward.mode) {
    case conf::ForwardMode::None:
    case conf::ForwardMode::Nat:
    case conf::ForwardMode::Route:
    case conf::ForwardMode::Open:
        port.plug.type = conf::PlugType::Network;
        port.plug.bridge = def.bridge.value_or("");
        port.plug.macTableManager = def.macTableManager;
        refuseVirtualPort(port, def, false, "IP forwarding");
        break;
    case conf::ForwardMode::Hostdev:
        port.plug.type = conf::PlugType::HostdevPci;
        createInterfacePool(def, backends);
        dev = &pickDevice(def, true);
        port.plug.address = dev->pci;
        port.plug.driver = def.forward.driverName;
        port.plug.managed = def.forward.managed ? conf::Tristate::Yes : conf::Tristate::Absent;
        refuseVirtualPort(port, def, vportQbgOrQbh,
                          "an SR-IOV Virtual Function via PCI passthrough");
        break;
    case conf::ForwardMode::Bridge:
        if (def.bridge) {
            port.plug.type = conf::PlugType::Bridge;
            port.plug.bridge = *def.bridge;
            port.plug.macTableManager = def.macTableManager;
            refuseVirtualPort(port, def,
                              port.virtualPort &&
                                  port.virtualPort->type == conf::VirtualPortType::OpenVSwitch,
                              "a bridge device");
            break;
        }
        [[fallthrough]];
    case conf::ForwardMode::Private:
    case conf::ForwardMode::Vepa:
    case conf::ForwardMode::Passthrough:
        port.plug.type = conf::PlugType::Direct;
        port.plug.mode = macvlanModeFor(def.forward.mode);
        refuseVirtualPort(port, def, vportQbgOrQbh, "a macvtap device");
        if (def.forward.interfaces.empty() && def.forward.pfs.empty()) {
            raise(ErrorCode::InternalError,
                  "network '{}' uses a direct mode, but has no forward dev and no interface "
                  "pool",
                  def.name);
        }
        createInterfacePool(def, backends);
        dev = &pickDevice(def, needsExclusiveDevice(def, port));
        port.plug.dev = dev->dev;
        break;
    case conf::ForwardMode::Last:
        throw Error(ErrorCode::InternalError, "unexpected forward mode");
    }

    checkBandwidth(obj, port);
    if (port.virtualPort) {
        port.virtualPort->checkComplete(true);
    }
    return dev;
}

void checkBandwidth(const NetworkObj& obj, const conf::NetworkPort& port)
{
    const auto& def = *obj.def;
    if (!port.bandwidth.hasFloor()) {
        return;
    }
    if (!supportsFloor(def.forward.mode)) {
        raise(ErrorCode::OperationUnsupported,
              "Invalid use of 'floor' on interface with MAC address {} - 'floor' is only "
              "supported for interface type 'network' with forward type 'nat', 'route', "
              "'open' or none",
              port.mac.toString());
    }
    if (!def.bandwidth.in) {
        raise(ErrorCode::OperationUnsupported,
              "Invalid use of 'floor' on interface with MAC address {} - network '{}' has no "
              "inbound QoS set",
              port.mac.toString(), def.name);
    }
}

conf::ForwardInterface* notifyPort(NetworkObj& obj, const conf::NetworkPort& port,
                                   Backends& backends)
{
    auto& def = *obj.def;
    if (!obj.active) {
        raise(ErrorCode::OperationInvalid, "network '{}' is not active", def.name);
    }
    conf::ForwardInterface* dev = nullptr;
    switch (port.plug.type) {
    case conf::PlugType::None:
        throw Error(ErrorCode::InternalError, "Unexpectedly got a network port without a plug");
    case conf::PlugType::Network:
    case conf::PlugType::Bridge:
        if (!def.bridge) {
            throw Error(ErrorCode::InternalError,
                        "Unexpectedly got a network port without a network bridge");
        }
        break;
    case conf::PlugType::Direct:
        createInterfacePool(def, backends);
        dev = InterfacePool(def.forward.interfaces).findByDev(port.plug.dev);
        if (dev == nullptr) {
            raise(ErrorCode::InternalError,
                  "network '{}' doesn't have dev='{}' in use by network port '{}'", def.name,
                  port.plug.dev, port.uuid.toString());
        }
        if (dev->connections > 0 && needsExclusiveDevice(def, port)) {
            raise(ErrorCode::InternalError,
                  "network '{}' claims dev='{}' is already in use by a different port", def.name,
                  port.plug.dev);
        }
        break;
    case conf::PlugType::HostdevPci:
        createInterfacePool(def, backends);
        dev = InterfacePool(def.forward.interfaces).findByPci(port.plug.address);
        if (dev == nullptr) {
            raise(ErrorCode::InternalError,
                  "network '{}' doesn't have PCI device {} in use by network port", def.name,
                  port.plug.address.toString());
        }
        if (dev->connections > 0 && def.forward.mode == conf::ForwardMode::Hostdev) {
            raise(ErrorCode::InternalError,
                  "network '{}' claims the PCI device at domain={} bus={} slot={} "
                  "function={} is already in use by a different network port",
                  def.name, dev->pci.domain, dev->pci.bus, dev->pci.slot, dev->pci.function);
        }
        break;
    case conf::PlugType::Last:
        throw Error(ErrorCode::InternalError, "unexpected plug type");
    }
    return dev;
}

conf::ForwardInterface* deviceOfPort(NetworkObj& obj, const conf::NetworkPort& port)
{
    auto& def = *obj.def;
    bool direct = port.plug.type == conf::PlugType::Direct;
    if (!direct && port.plug.type != conf::PlugType::HostdevPci) {
        return nullptr;
    }
    if (def.forward.interfaces.empty()) {
        raise(ErrorCode::InternalError,
              "network '{}' uses a {} mode, but has no forward dev and no interface pool", def.name,
              direct ? "direct" : "hostdev");
    }
    InterfacePool pool(def.forward.interfaces);
    auto* dev = direct ? pool.findByDev(port.plug.dev) : pool.findByPci(port.plug.address);
    if (dev == nullptr && direct) {
        raise(ErrorCode::InternalError, "network '{}' doesn't have dev='{}' in use by domain",
              def.name, port.plug.dev);
    }
    if (dev == nullptr) {
        raise(ErrorCode::InternalError, "network '{}' doesn't have PCI device {} in use by domain",
              def.name, port.plug.address.toString());
    }
    return dev;
}

conf::NetworkPort portFollowing(const conf::NetworkPort& port, const conf::NetworkDef& before,
                                const conf::NetworkDef& after)
{
    auto was = inheritedBy(before, port.group);
    auto now = inheritedBy(after, port.group);
    conf::NetworkPort moved = port;
    if (port.vlan == was.vlan) {
        moved.vlan = now.vlan;
    }
    if (port.bandwidth == was.bandwidth && !was.bandwidth.hasFloor() && !now.bandwidth.hasFloor()) {
        moved.bandwidth = now.bandwidth;
    }
    return moved;
}

TypedParams bandwidthParameters(const conf::Bandwidth& bandwidth)
{
    TypedParams params;
    auto add = [&](const char* name, unsigned long long v) {
        params.push_back({name, static_cast<unsigned>(v)});
    };
    if (bandwidth.in) {
        add(kPortInboundAverage, bandwidth.in->average);
        add(kPortInboundPeak, bandwidth.in->peak);
        add(kPortInboundFloor, bandwidth.in->floor);
        add(kPortInboundBurst, bandwidth.in->burst);
    }
    if (bandwidth.out) {
        add(kPortOutboundAverage, bandwidth.out->average);
        add(kPortOutboundPeak, bandwidth.out->peak);
        add(kPortOutboundBurst, bandwidth.out->burst);
    }
    return params;
}

conf::Bandwidth bandwidthFromParameters(const TypedParams& params)
{
    conf::BandwidthRate in;
    conf::BandwidthRate out;
    for (const auto& param : params) {
        const auto* value = std::get_if<unsigned>(&param.value);
        if (value == nullptr) {
            raise(ErrorCode::InvalidArg, "invalid type for parameter '{}', expected 'uint'",
                  param.field);
        }
        const auto& f = param.field;
        if (f == kPortInboundAverage) {
            in.average = *value;
        } else if (f == kPortInboundPeak) {
            in.peak = *value;
        } else if (f == kPortInboundBurst) {
            in.burst = *value;
        } else if (f == kPortInboundFloor) {
            in.floor = *value;
        } else if (f == kPortOutboundAverage) {
            out.average = *value;
        } else if (f == kPortOutboundPeak) {
            out.peak = *value;
        } else if (f == kPortOutboundBurst) {
            out.burst = *value;
        }
    }
    conf::Bandwidth bandwidth;
    if (in.average != 0 || in.floor != 0) {
        bandwidth.in = in;
    }
    if (out.average != 0) {
        bandwidth.out = out;
    }
    return bandwidth;
}

} // namespace dvs::driver
