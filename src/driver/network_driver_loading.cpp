// SPDX-License-Identifier: LGPL-2.1-or-later
// The driver's start: the state folders read back (definitions, then status, then ports, then
// the devices dvsd plugged), the host brought in line with them, and autostart
// (docs/architecture.md, "Files on a host").
#include <fmt/format.h>

#include "conf/network_status.h"
#include "driver/network_driver_impl.h"
#include "driver/port_allocation.h"
#include "util/error.h"
#include "util/file.h"

namespace fs = std::filesystem;

namespace dvs::driver {

namespace {

std::string sysfsRootFor(const DriverPaths& paths)
{
    // The sysfs tree lives beside etc/ under the same root.
    return (paths.configDir.parent_path().parent_path() / "sys").string();
}

} // namespace

NetworkDriverImpl::NetworkDriverImpl(DriverPaths paths, std::unique_ptr<Backends> backends)
    : store_(std::move(paths)), hooks_(store_.paths().hookDir),
      backends_(backends ? std::move(backends)
                         : makeRecordingBackends(sysfsRootFor(store_.paths())))
{
    loadState();
    autostartNetworks();
}

void NetworkDriverImpl::setAside(const fs::path& path, const std::string& why)
{
    try {
        auto moved = store_.quarantine(path);
        notices_.push_back(fmt::format("cannot use '{}': {}; moved it to '{}'", path.string(), why,
                                       moved.string()));
    } catch (const Error& e) {
        notices_.push_back(
            fmt::format("cannot use '{}': {}; {}", path.string(), why, e.fullMessage()));
    }
}

void NetworkDriverImpl::loadState()
{
    auto stored = store_.load();
    for (const auto& path : stored.removedTemporaries) {
        notices_.push_back(
            fmt::format("removed '{}', left by a write that a crash interrupted", path.string()));
    }
    loadConfigs(stored);
    loadStatuses(stored);
    for (const auto& [network, files] : stored.ports) {
        loadPorts(network, files);
    }
    loadPlugs(stored);
    resumeBackends();
}

void NetworkDriverImpl::loadConfigs(const state::StoredState& stored)
{
    for (const auto& file : stored.configs) {
        try {
            auto def =
                std::make_unique<conf::NetworkDef>(conf::NetworkDef::parseString(file.contents));
            if (file.path.stem().string() != def->name) {
                notices_.push_back(fmt::format(
                    "Network config filename '{}' does not match network name '{}', ignoring",
                    file.path.string(), def->name));
                continue;
            }
            if (networks_.findByUuid(def->uuid) != nullptr ||
                networks_.findByName(def->name) != nullptr) {
                notices_.push_back(fmt::format("network '{}' in '{}' duplicates another, ignoring",
                                               def->name, file.path.string()));
                continue;
            }
            auto& obj = networks_.add(std::move(def));
            obj.persistent = true;
        } catch (const Error& e) {
            setAside(file.path, e.fullMessage());
        }
    }
    for (const auto& name : stored.autostart) {
        if (auto* obj = networks_.findByName(name)) {
            obj->autostart = true;
        }
    }
}

void NetworkDriverImpl::loadStatuses(const state::StoredState& stored)
{
    for (const auto& file : stored.statuses) {
        try {
            auto status = conf::NetworkStatus::parseString(file.contents);
            auto& live = status.def;
            if (file.path.stem().string() != live.name) {
                notices_.push_back(fmt::format(
                    "Network status filename '{}' does not match network name '{}', ignoring",
                    file.path.string(), live.name));
                continue;
            }
            // Counts are rebuilt from the ports.
            live.connections = 0;
            for (auto& iface : live.forward.interfaces) {
                iface.connections = 0;
            }
            auto* obj = networks_.findByUuid(live.uuid);
            if (obj == nullptr && networks_.findByName(live.name) != nullptr) {
                notices_.push_back(fmt::format(
                    "network '{}' in '{}' has another uuid than its definition, ignoring",
                    live.name, file.path.string()));
                continue;
            }
            if (obj == nullptr) {
                obj = &networks_.add(std::make_unique<conf::NetworkDef>(std::move(live)));
            } else {
                obj->newDef = std::move(obj->def);
                obj->def = std::make_unique<conf::NetworkDef>(std::move(live));
            }
            obj->classIds = status.classIds;
            obj->floorSum = status.floorSum;
            obj->taints = status.taints;
            obj->active = true;
        } catch (const Error& e) {
            setAside(file.path, e.fullMessage());
        }
    }
}

void NetworkDriverImpl::loadPorts(const std::string& network,
                                  const std::vector<state::StoredFile>& files)
{
    auto* obj = networks_.findByName(network);
    if (obj == nullptr || !obj->active) {
        notices_.push_back(fmt::format("dropping {} port(s) of network '{}', which is not active",
                                       files.size(), network));
        try {
            store_.deleteAllPorts(network);
        } catch (const Error& e) {
            notices_.push_back(e.fullMessage());
        }
        return;
    }
    for (const auto& file : files) {
        try {
            auto port = conf::NetworkPort::parseString(file.contents);
            if (file.path.stem().string() != port.uuid.toString()) {
                throw Error(
                    ErrorCode::InternalError,
                    fmt::format("file name does not match port uuid {}", port.uuid.toString()));
            }
            if (obj->ports.count(port.uuid) != 0) {
                throw Error(ErrorCode::NetworkPortExist, port.uuid.toString());
            }
            auto* dev = notifyPort(*obj, port, *backends_);
            obj->def->connections++;
            if (dev != nullptr) {
                dev->connections++;
            }
            auto& stored = obj->ports.emplace(port.uuid, std::move(port)).first->second;
            // libvirt re-runs port-created for every port at restart; a refusal now cannot undo
            // a port the guest is already using.
            try {
                runHook(*obj, &stored, HookOp::PortCreated, HookSubOp::Begin);
            } catch (const Error& e) {
                notices_.push_back(fmt::format("port-created hook for port {} of network '{}' "
                                               "failed at start: {}, ignoring",
                                               stored.uuid.toString(), network, e.fullMessage()));
            }
        } catch (const Error& e) {
            setAside(file.path, e.fullMessage());
        }
    }
}

void NetworkDriverImpl::loadPlugs(const state::StoredState& stored)
{
    for (const auto& [network, plugs] : stored.plugs) {
        auto* obj = networks_.findByName(network);
        for (const auto& [uuid, device] : plugs) {
            auto parsed = util::Uuid::parse(uuid);
            if (obj != nullptr && parsed && obj->ports.count(*parsed) != 0) {
                obj->plugs[*parsed] = device;
            } else {
                notices_.push_back(fmt::format(
                    "device '{}' was plugged for port {} of network '{}', which is gone, ignoring",
                    device, uuid, network));
            }
        }
    }
}

// Converges the host with what was loaded; a backend that finds everything in place changes
// nothing.
void NetworkDriverImpl::resumeBackends()
{
    for (auto* obj : networks_.sorted()) {
        if (!obj->active) {
            continue;
        }
        auto* backend = backendOf(*obj);
        if (backend == nullptr) {
            continue;
        }
        try {
            backend->resume(*obj->def);
            for (const auto& [uuid, port] : obj->ports) {
                if (auto plug = obj->plugs.find(uuid); plug != obj->plugs.end()) {
                    backend->plugRecovered(*obj->def, port, plug->second);
                }
                backend->portAttached(*obj->def, port);
            }
        } catch (const Error& e) {
            notices_.push_back(fmt::format("network '{}' could not be brought back in line: {}",
                                           obj->def->name, e.fullMessage()));
        }
    }
}

void NetworkDriverImpl::autostartNetworks()
{
    // Like libvirt, autostart runs once per boot: the marker lives in the run folder.
    auto marker = store_.paths().runDir / "autostarted";
    std::error_code ec;
    if (fs::exists(marker, ec)) {
        return;
    }
    for (auto* obj : networks_.sorted()) {
        if (!obj->autostart || obj->active) {
            continue;
        }
        try {
            start(*obj);
        } catch (const Error& e) {
            notices_.push_back(fmt::format("Failed to autostart network '{}': {}", obj->def->name,
                                           e.fullMessage()));
        }
    }
    try {
        util::writeFileAtomic(marker, "");
    } catch (const Error& e) {
        notices_.push_back(e.fullMessage());
    }
}

} // namespace dvs::driver
