// SPDX-License-Identifier: LGPL-2.1-or-later
#include "driver/network_obj.h"

#include <algorithm>
#include <utility>

#include "util/error.h"

namespace dvs::driver {

void NetworkObj::setDefTransient()
{
    if (persistent && !newDef) {
        newDef = std::make_unique<conf::NetworkDef>(*def);
    }
}

void NetworkObj::unsetDefTransient()
{
    if (newDef) {
        def = std::move(newDef);
    }
    def->connections = 0;
    for (auto& iface : def->forward.interfaces) {
        iface.connections = 0;
    }
}

conf::NetworkStatus NetworkObj::status() const
{
    conf::NetworkStatus status;
    status.classIds = classIds;
    status.floorSum = floorSum;
    status.taints = taints;
    status.def = *def;
    return status;
}

void NetworkObj::checkActive() const
{
    if (!active) {
        raise(ErrorCode::OperationInvalid, "network '{}' is not active", def->name);
    }
}

conf::NetworkPort& NetworkObj::activePort(const util::Uuid& uuid)
{
    return const_cast<conf::NetworkPort&>(std::as_const(*this).activePort(uuid));
}

const conf::NetworkPort& NetworkObj::activePort(const util::Uuid& uuid) const
{
    auto it = ports.find(uuid);
    if (it == ports.end()) {
        raise(ErrorCode::NoNetworkPort, "Network port with UUID {} does not exist",
              uuid.toString());
    }
    checkActive();
    return it->second;
}

NetworkObj* NetworkObjList::findByName(std::string_view name) const
{
    auto it = byName_.find(name);
    return it == byName_.end() ? nullptr : it->second;
}

NetworkObj* NetworkObjList::findByUuid(const util::Uuid& uuid) const
{
    auto it = byUuid_.find(uuid);
    return it == byUuid_.end() ? nullptr : it->second;
}

NetworkObj& NetworkObjList::get(const NetworkRef& ref) const
{
    auto* obj = findByUuid(ref.uuid);
    if (obj == nullptr) {
        raise(ErrorCode::NoNetwork, "no network with matching uuid '{}' ({})", ref.uuid.toString(),
              ref.name);
    }
    return *obj;
}

std::vector<NetworkObj*> NetworkObjList::sorted() const
{
    std::vector<NetworkObj*> out;
    out.reserve(byName_.size());
    for (const auto& [name, obj] : byName_) {
        out.push_back(obj);
    }
    return out;
}

std::vector<NetworkRef> NetworkObjList::list(unsigned flags) const
{
    // Each pair of flags filters only when one of them is given.
    auto passes = [flags](bool has, unsigned yes, unsigned no) {
        return (flags & (yes | no)) == 0 || (has && (flags & yes) != 0) ||
               (!has && (flags & no) != 0);
    };
    std::vector<NetworkRef> out;
    for (const auto* obj : sorted()) {
        if (passes(obj->active, ListFlags::Active, ListFlags::Inactive) &&
            passes(obj->persistent, ListFlags::Persistent, ListFlags::Transient) &&
            passes(obj->autostart, ListFlags::Autostart, ListFlags::NoAutostart)) {
            out.push_back(obj->ref());
        }
    }
    return out;
}

std::vector<std::string> NetworkObjList::names(bool active, int maxNames) const
{
    std::vector<std::string> out;
    for (const auto* obj : sorted()) {
        if (static_cast<int>(out.size()) >= maxNames) {
            break;
        }
        if (obj->active == active) {
            out.push_back(obj->def->name);
        }
    }
    return out;
}

int NetworkObjList::count(bool active) const
{
    return static_cast<int>(
        std::count_if(byName_.begin(), byName_.end(),
                      [active](const auto& entry) { return entry.second->active == active; }));
}

NetworkObj& NetworkObjList::add(std::unique_ptr<conf::NetworkDef> def)
{
    auto obj = std::make_unique<NetworkObj>();
    obj->def = std::move(def);
    auto* raw = obj.get();
    byName_[raw->def->name] = raw;
    byUuid_[raw->def->uuid] = raw;
    objects_.push_back(std::move(obj));
    return *raw;
}

void NetworkObjList::remove(NetworkObj& obj)
{
    byName_.erase(obj.def->name);
    byUuid_.erase(obj.def->uuid);
    std::erase_if(objects_, [&](const auto& p) { return p.get() == &obj; });
}

NetworkObj& NetworkObjList::assignDef(std::unique_ptr<conf::NetworkDef> def, bool live)
{
    if (auto* obj = findByUuid(def->uuid)) {
        if (obj->def->name != def->name) {
            raise(ErrorCode::OperationFailed, "network '{}' is already defined with uuid {}",
                  obj->def->name, obj->def->uuid.toString());
        }
        if (live) {
            if (obj->active) {
                raise(ErrorCode::OperationInvalid, "network is already active as '{}'",
                      obj->def->name);
            }
            obj->def = std::move(def);
        } else {
            if (obj->active) {
                // The new persistent definition waits for the next start.
                obj->newDef = std::move(def);
            } else {
                obj->def = std::move(def);
            }
            obj->persistent = true;
        }
        return *obj;
    }
    if (auto* other = findByName(def->name)) {
        raise(ErrorCode::OperationFailed, "network '{}' already exists with uuid {}", def->name,
              other->def->uuid.toString());
    }
    auto& obj = add(std::move(def));
    obj.persistent = !live;
    return obj;
}

bool NetworkObjList::bridgeInUse(std::string_view bridge, std::string_view except) const
{
    for (const auto& [name, obj] : byName_) {
        if (name == except) {
            continue;
        }
        if ((obj->def->bridge && *obj->def->bridge == bridge) ||
            (obj->newDef && obj->newDef->bridge && *obj->newDef->bridge == bridge)) {
            return true;
        }
    }
    return false;
}

} // namespace dvs::driver
