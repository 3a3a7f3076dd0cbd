// SPDX-License-Identifier: LGPL-2.1-or-later
// The ports of the driver: creating (allocating or reclaiming), deleting, their bandwidth, and
// the devices dvsd plugs itself. What a port is allocated is port_allocation.cpp's.
#include <fmt/format.h>

#include "driver/network_driver_impl.h"
#include "driver/port_allocation.h"
#include "util/error.h"
#include "util/file.h"

namespace dvs::driver {

PortRef NetworkDriverImpl::portCreate(NetworkObj& obj, conf::NetworkPort port, bool reclaim)
{
    obj.checkActive();
    if (port.plug.type == conf::PlugType::None) {
        if (reclaim) {
            throw Error(ErrorCode::InvalidArg, "Port reclaim requested but plug type is none");
        }
    } else if (!reclaim) {
        throw Error(ErrorCode::InvalidArg, "Port reclaim not requested but plug type is not none");
    }

    // A refusal leaves the counts as they were (attachCounted rolls back); the only other change
    // allocation can make to the live definition is expanding a <pf> pool, which is kept, as in
    // libvirt.
    conf::ForwardInterface* dev =
        reclaim ? notifyPort(obj, port, *backends_) : allocatePort(obj, port, *backends_);
    attachCounted(obj, port, dev);

    if (obj.ports.count(port.uuid) != 0) {
        Error exists(ErrorCode::NetworkPortExist,
                     fmt::format("Network port with UUID {} already exists", port.uuid.toString()));
        releasePort(obj, port);
        throw exists;
    }
    try {
        store_.savePort(obj.def->name, port.uuid, port.format());
    } catch (...) {
        releasePort(obj, port);
        throw;
    }
    auto& stored = obj.ports.emplace(port.uuid, std::move(port)).first->second;
    if (auto* backend = backendOf(obj)) {
        try {
            backend->portAttached(*obj.def, stored);
        } catch (const Error& e) {
            notices_.push_back(fmt::format("port {} of network '{}' is not programmed yet: {}",
                                           stored.uuid.toString(), obj.def->name, e.fullMessage()));
        }
    }
    return {obj.ref(), stored.uuid};
}

void NetworkDriverImpl::portDelete(NetworkObj& obj, const util::Uuid& uuid)
{
    const auto& port = obj.activePort(uuid);
    if (obj.plugs.count(uuid) != 0) {
        portUnplug(obj, port);
    }
    releasePort(obj, port);
    if (auto* backend = backendOf(obj)) {
        backend->portDetached(*obj.def, port);
    }
    obj.ports.erase(uuid);
    store_.deletePort(obj.def->name, uuid);
}

void NetworkDriverImpl::portSetBandwidth(NetworkObj& obj, conf::NetworkPort& port,
                                         conf::Bandwidth bandwidth)
{
    conf::NetworkPort updated = port;
    updated.bandwidth = std::move(bandwidth);
    unsigned long long oldFloor = port.bandwidth.in ? port.bandwidth.in->floor : 0;
    unsigned long long newFloor = updated.bandwidth.in ? updated.bandwidth.in->floor : 0;
    if (oldFloor != newFloor) {
        checkBandwidth(obj, updated);
    }
    store_.savePort(obj.def->name, updated.uuid, updated.format());
    port = std::move(updated);
    if (auto* backend = backendOf(obj)) {
        backend->portAttached(*obj.def, port);
    }
}

std::string NetworkDriverImpl::portPlug(NetworkObj& obj, const conf::NetworkPort& port,
                                        std::string_view ifname)
{
    if (auto it = obj.plugs.find(port.uuid); it != obj.plugs.end()) {
        raise(ErrorCode::OperationInvalid, "network port {} is already plugged into '{}'",
              port.uuid.toString(), it->second);
    }
    if (!ifname.empty() && !util::isSafeFileName(ifname, 15)) {
        raise(ErrorCode::InvalidArg, "'{}' is not a valid network device name", ifname);
    }
    auto* backend = backendOf(obj);
    if (backend == nullptr) {
        raise(ErrorCode::ConfigUnsupported, "dvsd cannot plug ports of network '{}' itself",
              obj.def->name);
    }
    auto device = backend->plugPort(*obj.def, port, ifname);
    try {
        store_.savePlug(obj.def->name, port.uuid, device);
    } catch (...) {
        backend->unplugPort(*obj.def, port, device);
        throw;
    }
    obj.plugs[port.uuid] = device;
    return device;
}

void NetworkDriverImpl::portUnplug(NetworkObj& obj, const conf::NetworkPort& port)
{
    auto it = obj.plugs.find(port.uuid);
    if (it == obj.plugs.end()) {
        raise(ErrorCode::OperationInvalid, "network port {} was not plugged by dvsd",
              port.uuid.toString());
    }
    if (auto* backend = backendOf(obj)) {
        backend->unplugPort(*obj.def, port, it->second);
    }
    store_.deletePlug(obj.def->name, port.uuid);
    obj.plugs.erase(it);
}

// Counts a port in and runs its port-created hook; rolls the counts back when the hook fails.
void NetworkDriverImpl::attachCounted(NetworkObj& obj, const conf::NetworkPort& port,
                                      conf::ForwardInterface* dev)
{
    obj.def->connections++;
    if (dev != nullptr) {
        dev->connections++;
    }
    try {
        runHook(obj, &port, HookOp::PortCreated, HookSubOp::Begin);
    } catch (...) {
        obj.def->connections--;
        if (dev != nullptr) {
            dev->connections--;
        }
        throw;
    }
}

// networkReleasePort.
void NetworkDriverImpl::releasePort(NetworkObj& obj, const conf::NetworkPort& port)
{
    auto* dev = deviceOfPort(obj, port);
    if (obj.def->connections > 0) {
        obj.def->connections--;
    }
    if (dev != nullptr && dev->connections > 0) {
        dev->connections--;
    }
    try {
        runHook(obj, &port, HookOp::PortDeleted, HookSubOp::Begin);
    } catch (const Error&) {
        // libvirt ignores a failing 'port-deleted' hook.
    }
}

// Removes the devices of every port dvsd plugged on a network (destroy); problems become
// notices, as the network goes down anyway.
void NetworkDriverImpl::unplugAll(NetworkObj& obj)
{
    auto* backend = backendOf(obj);
    for (const auto& [uuid, device] : obj.plugs) {
        try {
            auto it = obj.ports.find(uuid);
            if (backend != nullptr && it != obj.ports.end()) {
                backend->unplugPort(*obj.def, it->second, device);
            }
        } catch (const Error& e) {
            notices_.push_back(fmt::format("cannot remove device '{}' of port {}: {}", device,
                                           uuid.toString(), e.fullMessage()));
        }
    }
    obj.plugs.clear();
}

} // namespace dvs::driver
