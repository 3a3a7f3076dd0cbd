// SPDX-License-Identifier: LGPL-2.1-or-later
#include "driver/network_driver.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>
#include <sys/socket.h>
#include <utility>

#include <fmt/format.h>

#include "conf/network_def.h"
#include "conf/network_port.h"
#include "conf/network_status.h"
#include "conf/network_update.h"
#include "driver/backend.h"
#include "driver/hooks.h"
#include "driver/interface_pool.h"
#include "util/error.h"
#include "util/file.h"
#include "util/mac.h"
#include "util/xml.h"

namespace fs = std::filesystem;

namespace dvs::driver {

namespace {

constexpr const char* kConfigHeader =
    "<!--\n"
    "WARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\n"
    "OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:\n"
    "  virsh net-edit {}\n"
    "or other application using the libvirt API.\n"
    "-->\n\n";

// libvirt's virCheckFlags.
void checkFlags(unsigned flags, unsigned allowed, const char* function)
{
    if ((flags & ~allowed) != 0) {
        raise(ErrorCode::InvalidArg, "unsupported flags (0x{:x}) in function {}", flags & ~allowed,
              function);
    }
}

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

// One network: libvirt's virNetworkObj.
struct NetworkObj
{
    // The current definition: the live one while active.
    std::unique_ptr<conf::NetworkDef> def;
    // The persistent definition while active (libvirt's newDef), null otherwise.
    std::unique_ptr<conf::NetworkDef> newDef;
    bool active = false;
    bool persistent = false;
    bool autostart = false;
    // What libvirt's <networkstatus> keeps beside the live definition.
    std::set<unsigned> classIds{0, 1, 2};
    unsigned long long floorSum = 0;
    std::set<conf::NetworkTaint> taints;
    std::map<util::Uuid, conf::NetworkPort> ports;
    // Devices dvsd created for ports it plugged itself.
    std::map<util::Uuid, std::string> plugs;

    const conf::NetworkDef& persistentDef() const { return newDef ? *newDef : *def; }
    NetworkRef ref() const { return {def->name, def->uuid}; }
};

class NetworkDriverImpl
{
public:
    NetworkDriverImpl(DriverPaths paths, std::unique_ptr<Backends> backends)
        : store_(std::move(paths)), hooks_(store_.paths().hookDir),
          backends_(backends ? std::move(backends)
                             : makeRecordingBackends(sysfsRootFor(store_.paths())))
    {
        loadState();
        autostartNetworks();
    }

    static std::string sysfsRootFor(const DriverPaths& paths)
    {
        // The sysfs tree lives beside etc/ under the same root.
        return (paths.configDir.parent_path().parent_path() / "sys").string();
    }

    // Lookup.
    NetworkObj* findByName(std::string_view name) const
    {
        auto it = byName_.find(name);
        return it == byName_.end() ? nullptr : it->second;
    }
    NetworkObj* findByUuid(const util::Uuid& uuid) const
    {
        auto it = byUuid_.find(uuid);
        return it == byUuid_.end() ? nullptr : it->second;
    }
    NetworkObj& objFromRef(const NetworkRef& ref) const
    {
        auto* obj = findByUuid(ref.uuid);
        if (obj == nullptr) {
            raise(ErrorCode::NoNetwork, "no network with matching uuid '{}' ({})",
                  ref.uuid.toString(), ref.name);
        }
        return *obj;
    }
    std::vector<NetworkObj*> sortedNetworks() const
    {
        std::vector<NetworkObj*> out;
        for (const auto& [name, obj] : byName_) {
            out.push_back(obj);
        }
        return out;
    }

    NetworkObj& addObj(std::unique_ptr<conf::NetworkDef> def)
    {
        auto obj = std::make_unique<NetworkObj>();
        obj->def = std::move(def);
        auto* raw = obj.get();
        byName_[raw->def->name] = raw;
        byUuid_[raw->def->uuid] = raw;
        objects_.push_back(std::move(obj));
        return *raw;
    }
    void removeObj(NetworkObj& obj)
    {
        byName_.erase(obj.def->name);
        byUuid_.erase(obj.def->uuid);
        std::erase_if(objects_, [&](const auto& p) { return p.get() == &obj; });
    }

    // libvirt's virNetworkObjAssignDef.
    NetworkObj& assignDef(std::unique_ptr<conf::NetworkDef> def, bool live)
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
        auto& obj = addObj(std::move(def));
        obj.persistent = !live;
        return obj;
    }

    // Events.
    void emit(const NetworkObj& obj, LifecycleEvent event)
    {
        auto ref = obj.ref();
        auto callbacks = callbacks_;
        for (const auto& [id, callback] : callbacks) {
            try {
                callback(ref, event, 0);
            } catch (...) {
                // A subscriber's failure must not undo a completed operation.
            }
        }
    }

    // Hooks (libvirt's networkRunHook): the live definition, then the port.
    void runHook(NetworkObj& obj, const conf::NetworkPort* port, HookOp op, HookSubOp subOp)
    {
        if (!hooks_.present()) {
            return;
        }
        util::XmlWriter writer;
        writer.start("hookData");
        obj.def->format(writer, 0);
        if (port != nullptr) {
            port->format(writer);
        }
        writer.end();
        auto data = std::move(writer).take();
        if (!data.empty() && data.back() == '\n') {
            data.pop_back();
        }
        hooks_.run(obj.def->name, op, subOp, data);
        obj.taints.insert(conf::NetworkTaint::HookScript);
    }

    void saveConfig(const conf::NetworkDef& def)
    {
        std::string xml = fmt::format(fmt::runtime(kConfigHeader), def.name) +
                          def.format(conf::NetworkFormatFlags::Inactive);
        store_.saveConfig(def.name, xml);
    }
    void saveStatus(const NetworkObj& obj)
    {
        conf::NetworkStatus status;
        status.classIds = obj.classIds;
        status.floorSum = obj.floorSum;
        status.taints = obj.taints;
        status.def = *obj.def;
        store_.saveStatus(obj.def->name, fmt::format(fmt::runtime(kConfigHeader), obj.def->name) +
                                             status.format());
    }

    // Refuses a definition that could not be returned or read back: the largest document it
    // becomes, its status file (the live definition inside <networkstatus>, two spaces deeper a
    // line), must fit both libvirt's largest string on the wire (REMOTE_STRING_MAX, what
    // net-dumpxml returns) and what we parse (the same size). Linear in the definition.
    // extra: bytes the definition may still gain before it is stored (a <mac> line).
    static void checkFitsMessage(const conf::NetworkDef& def, std::size_t extra = 0)
    {
        conf::NetworkStatus status;
        status.def = def;
        std::size_t size = std::char_traits<char>::length(kConfigHeader) + def.name.size() +
                           status.format().size() + extra;
        if (size > util::kXmlMaxSize) {
            raise(ErrorCode::ConfigUnsupported,
                  "network '{}' is too large: its XML takes {} bytes, more than the {} bytes "
                  "libvirt's remote protocol can return in one string",
                  util::abbreviateForMessage(def.name), size, util::kXmlMaxSize);
        }
    }

    // libvirt's networkValidate: the model's rules (conf::NetworkDef::validateForDefine), our own
    // rule for names used as file names, and what needs the driver's state or the host: the
    // bridge name of a virtual network not in use by another network (and a bridge MAC when
    // none is given), devices listed by PCI address being SR-IOV virtual functions.
    void validateForDriver(conf::NetworkDef& def)
    {
        def.validateForDefine();
        if (def.name.size() > state::kMaxNetworkNameLength) {
            raise(ErrorCode::XmlError,
                  "network name '{}' is too long: {} bytes, at most {} fit in the names of its "
                  "state files",
                  util::abbreviateForMessage(def.name), def.name.size(),
                  state::kMaxNetworkNameLength);
        }
        if (!util::isSafeFileName(def.name)) {
            raise(ErrorCode::XmlError,
                  "network name '{}' cannot be used as a file name: it must not be empty, '.' or "
                  "'..', or contain '/' or control characters",
                  util::abbreviateForMessage(def.name));
        }
        switch (def.forward.mode) {
        case conf::ForwardMode::None:
        case conf::ForwardMode::Nat:
        case conf::ForwardMode::Route:
        case conf::ForwardMode::Open:
            validateBridgeName(def);
            if (!def.mac) {
                // virNetworkSetBridgeMacAddr.
                def.mac = util::MacAddr::generate();
            }
            break;
        default:
            break;
        }
        for (const auto& iface : def.forward.interfaces) {
            if (iface.type == conf::ForwardDeviceType::Pci &&
                !backends_->isVirtualFunction(iface.pci)) {
                raise(ErrorCode::ConfigUnsupported,
                      "device '/sys/bus/pci/devices/{}/config' in network '{}' is not an SR-IOV "
                      "Virtual Function",
                      iface.pci.toString(), def.name);
            }
        }
    }

    // libvirt's networkBridgeNameValidate.
    void validateBridgeName(conf::NetworkDef& def)
    {
        auto inUse = [&](const std::string& bridge) {
            for (const auto& [name, obj] : byName_) {
                if (name == def.name) {
                    continue;
                }
                if ((obj->def->bridge && *obj->def->bridge == bridge) ||
                    (obj->newDef && obj->newDef->bridge && *obj->newDef->bridge == bridge)) {
                    return true;
                }
            }
            return false;
        };
        if (def.bridge && def.bridge->find("%d") == std::string::npos) {
            if (inUse(*def.bridge)) {
                raise(ErrorCode::InternalError, "bridge name '{}' already in use.", *def.bridge);
            }
            return;
        }
        std::string templ = "virbr%d";
        if (def.bridge) {
            auto first = def.bridge->find('%');
            if (first == def.bridge->rfind('%') && def.bridge->compare(first, 2, "%d") == 0) {
                templ = *def.bridge;
            }
        }
        auto pos = templ.find("%d");
        for (int id = 0; id <= 256; ++id) {
            std::string name = templ.substr(0, pos) + std::to_string(id) + templ.substr(pos + 2);
            if (!inUse(name) && !backends_->linkExists(name)) {
                def.bridge = name;
                return;
            }
        }
        raise(ErrorCode::InternalError, "Bridge generation exceeded max id {}", 256);
    }

    // libvirt's networkCreateInterfacePool: a <pf> becomes its virtual functions.
    void createInterfacePool(conf::NetworkDef& def)
    {
        if (def.forward.pfs.empty() || !def.forward.interfaces.empty()) {
            return;
        }
        const auto& pf = def.forward.pfs.front().dev;
        std::vector<VirtualFunctionInfo> vfs;
        try {
            vfs = backends_->virtualFunctions(pf);
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

    // networkStartNetwork.
    void startNetwork(NetworkObj& obj)
    {
        if (obj.active) {
            throw Error(ErrorCode::OperationInvalid, "network is already active");
        }
        auto kind = backendKindFor(*obj.def);
        store_.deleteAllPorts(obj.def->name);
        obj.ports.clear();
        // virNetworkObjSetDefTransient: the live definition is a copy; the persistent one waits.
        if (obj.persistent && !obj.newDef) {
            obj.newDef = std::make_unique<conf::NetworkDef>(*obj.def);
        }
        auto& backend = backends_->backend(kind);
        bool started = false;
        try {
            runHook(obj, nullptr, HookOp::Start, HookSubOp::Begin);
            if (kind == BackendKind::Direct || kind == BackendKind::Hostdev) {
                createInterfacePool(*obj.def);
            }
            backend.start(*obj.def);
            started = true;
            obj.floorSum = 0;
            runHook(obj, nullptr, HookOp::Started, HookSubOp::Begin);
            saveStatus(obj);
        } catch (...) {
            if (started) {
                backend.stop(*obj.def);
            }
            unsetDefTransient(obj);
            throw;
        }
        obj.active = true;
    }

    void unsetDefTransient(NetworkObj& obj)
    {
        if (obj.newDef) {
            obj.def = std::move(obj.newDef);
        }
        obj.def->connections = 0;
        for (auto& iface : obj.def->forward.interfaces) {
            iface.connections = 0;
        }
    }

    // networkShutdownNetwork.
    void shutdownNetwork(NetworkObj& obj)
    {
        if (!obj.active) {
            return;
        }
        try {
            store_.deleteStatus(obj.def->name);
        } catch (const Error& e) {
            notices_.push_back(e.fullMessage());
        }
        backends_->backend(backendKindFor(*obj.def)).stop(*obj.def);
        try {
            runHook(obj, nullptr, HookOp::Stopped, HookSubOp::End);
        } catch (const Error&) {
            // libvirt ignores a failing 'stopped' hook.
        }
        obj.active = false;
        unsetDefTransient(obj);
    }

    void removeInactive(NetworkObj& obj)
    {
        try {
            store_.deleteStatus(obj.def->name);
            store_.deleteAllPorts(obj.def->name);
        } catch (const Error& e) {
            notices_.push_back(e.fullMessage());
        }
        removeObj(obj);
    }

    // Port allocation: libvirt's networkAllocatePort.
    conf::ForwardInterface* allocatePort(NetworkObj& obj, conf::NetworkPort& port)
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
        auto vportType = [&]() { return util::toString(port.virtualPort->type); };

        conf::ForwardInterface* dev = nullptr;
        switch (def.forward.mode) {
        case conf::ForwardMode::None:
        case conf::ForwardMode::Nat:
        case conf::ForwardMode::Route:
        case conf::ForwardMode::Open:
            port.plug.type = conf::PlugType::Network;
            port.plug.bridge = def.bridge.value_or("");
            port.plug.macTableManager = def.macTableManager;
            if (port.virtualPort) {
                raise(ErrorCode::ConfigUnsupported,
                      "<virtualport type='{}'> not supported for network '{}' which uses IP "
                      "forwarding",
                      vportType(), def.name);
            }
            break;
        case conf::ForwardMode::Hostdev:
            port.plug.type = conf::PlugType::HostdevPci;
            createInterfacePool(def);
            dev = InterfacePool(def.forward.interfaces).firstFree();
            if (dev == nullptr) {
                raise(ErrorCode::InternalError,
                      "network '{}' requires exclusive access to interfaces, but none are "
                      "available",
                      def.name);
            }
            port.plug.address = dev->pci;
            port.plug.driver = def.forward.driverName;
            port.plug.managed = def.forward.managed ? conf::Tristate::Yes : conf::Tristate::Absent;
            if (port.virtualPort && port.virtualPort->type != conf::VirtualPortType::Qbg &&
                port.virtualPort->type != conf::VirtualPortType::Qbh) {
                raise(ErrorCode::ConfigUnsupported,
                      "<virtualport type='{}'> not supported for network '{}' which uses an "
                      "SR-IOV Virtual Function via PCI passthrough",
                      vportType(), def.name);
            }
            break;
        case conf::ForwardMode::Bridge:
            if (def.bridge) {
                port.plug.type = conf::PlugType::Bridge;
                port.plug.bridge = *def.bridge;
                port.plug.macTableManager = def.macTableManager;
                if (port.virtualPort &&
                    port.virtualPort->type != conf::VirtualPortType::OpenVSwitch) {
                    raise(ErrorCode::ConfigUnsupported,
                          "<virtualport type='{}'> not supported for network '{}' which uses a "
                          "bridge device",
                          vportType(), def.name);
                }
                break;
            }
            [[fallthrough]];
        case conf::ForwardMode::Private:
        case conf::ForwardMode::Vepa:
        case conf::ForwardMode::Passthrough:
            port.plug.type = conf::PlugType::Direct;
            port.plug.mode = macvlanModeFor(def.forward.mode);
            if (port.virtualPort && port.virtualPort->type != conf::VirtualPortType::Qbg &&
                port.virtualPort->type != conf::VirtualPortType::Qbh) {
                raise(ErrorCode::ConfigUnsupported,
                      "<virtualport type='{}'> not supported for network '{}' which uses a "
                      "macvtap device",
                      vportType(), def.name);
            }
            if (def.forward.interfaces.empty() && def.forward.pfs.empty()) {
                raise(ErrorCode::InternalError,
                      "network '{}' uses a direct mode, but has no forward dev and no interface "
                      "pool",
                      def.name);
            }
            createInterfacePool(def);
            if (needsExclusiveDevice(def, port)) {
                dev = InterfacePool(def.forward.interfaces).firstFree();
            } else {
                dev = InterfacePool(def.forward.interfaces).leastUsed();
            }
            if (dev == nullptr) {
                raise(ErrorCode::InternalError,
                      "network '{}' requires exclusive access to interfaces, but none are "
                      "available",
                      def.name);
            }
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

    // networkCheckBandwidth for a new port: floor is only for libvirt's virtual networks, and
    // needs the network's inbound QoS.
    void checkBandwidth(const NetworkObj& obj, const conf::NetworkPort& port) const
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

    // Port reclaim: libvirt's networkNotifyPort. Returns the pool device the port holds.
    conf::ForwardInterface* notifyPort(NetworkObj& obj, const conf::NetworkPort& port)
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
            createInterfacePool(def);
            dev = InterfacePool(def.forward.interfaces).findByDev(port.plug.dev);
            if (dev == nullptr) {
                raise(ErrorCode::InternalError,
                      "network '{}' doesn't have dev='{}' in use by network port '{}'", def.name,
                      port.plug.dev, port.uuid.toString());
            }
            if (dev->connections > 0 && needsExclusiveDevice(def, port)) {
                raise(ErrorCode::InternalError,
                      "network '{}' claims dev='{}' is already in use by a different port",
                      def.name, port.plug.dev);
            }
            break;
        case conf::PlugType::HostdevPci:
            createInterfacePool(def);
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

    // Finds the pool device a port holds (for release); libvirt's errors when it is not there.
    conf::ForwardInterface* deviceOfPort(NetworkObj& obj, const conf::NetworkPort& port)
    {
        auto& def = *obj.def;
        if (port.plug.type == conf::PlugType::Direct) {
            if (def.forward.interfaces.empty()) {
                raise(ErrorCode::InternalError,
                      "network '{}' uses a direct mode, but has no forward dev and no interface "
                      "pool",
                      def.name);
            }
            if (auto* dev = InterfacePool(def.forward.interfaces).findByDev(port.plug.dev)) {
                return dev;
            }
            raise(ErrorCode::InternalError, "network '{}' doesn't have dev='{}' in use by domain",
                  def.name, port.plug.dev);
        }
        if (port.plug.type == conf::PlugType::HostdevPci) {
            if (def.forward.interfaces.empty()) {
                raise(ErrorCode::InternalError,
                      "network '{}' uses a hostdev mode, but has no forward dev and no interface "
                      "pool",
                      def.name);
            }
            if (auto* dev = InterfacePool(def.forward.interfaces).findByPci(port.plug.address)) {
                return dev;
            }
            raise(ErrorCode::InternalError,
                  "network '{}' doesn't have PCI device {} in use by domain", def.name,
                  port.plug.address.toString());
        }
        return nullptr;
    }

    // Counts a port in and runs its port-created hook; rolls the counts back when the hook fails.
    void attachCounted(NetworkObj& obj, const conf::NetworkPort& port, conf::ForwardInterface* dev)
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
    void releasePort(NetworkObj& obj, const conf::NetworkPort& port)
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
    void unplugAll(NetworkObj& obj)
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

    NetworkBackend* backendOf(const NetworkObj& obj)
    {
        return &backends_->backend(backendKindFor(*obj.def));
    }

    // Makes live a new definition of the active network (a live net-update, or the host agent
    // applying a new generation): live ports that took their VLAN or bandwidth from the
    // definition follow it (libvirt leaves them as allocated; a distributed switch moves them),
    // and the backend brings every live port in line.
    void replaceLive(NetworkObj& obj, std::unique_ptr<conf::NetworkDef> live)
    {
        for (auto& [uuid, port] : obj.ports) {
            auto before = inheritedBy(*obj.def, port.group);
            auto after = inheritedBy(*live, port.group);
            conf::NetworkPort moved = port;
            if (port.vlan == before.vlan) {
                moved.vlan = after.vlan;
            }
            if (port.bandwidth == before.bandwidth && !before.bandwidth.hasFloor() &&
                !after.bandwidth.hasFloor()) {
                moved.bandwidth = after.bandwidth;
            }
            if (!(moved == port)) {
                store_.savePort(live->name, uuid, moved.format());
                port = std::move(moved);
            }
        }
        obj.def = std::move(live);
        saveStatus(obj);
        if (auto* backend = backendOf(obj)) {
            std::vector<const conf::NetworkPort*> ports;
            for (const auto& [uuid, port] : obj.ports) {
                ports.push_back(&port);
            }
            backend->networkUpdated(*obj.def, ports);
        }
    }

    // Start-up: definitions, then status, then ports (docs/architecture.md, "Files on a host").
    void loadState();
    // Moves a stored file dvsd cannot use aside (StateStore::quarantine) and says so in a notice.
    void setAside(const fs::path& path, const std::string& why);
    void loadPorts(const std::string& network, const std::vector<state::StoredFile>& files);
    void autostartNetworks();

    state::StateStore store_;
    HookRunner hooks_;
    std::unique_ptr<Backends> backends_;
    std::vector<std::unique_ptr<NetworkObj>> objects_;
    std::map<std::string, NetworkObj*, std::less<>> byName_;
    std::map<util::Uuid, NetworkObj*> byUuid_;
    std::map<int, LifecycleCallback> callbacks_;
    int nextCallbackId_ = 1;
    std::vector<std::string> notices_;

public:
    // The definition prepareDefinition() parsed ahead, for the next define or create of it.
    std::shared_ptr<NetworkDriver::PreparedDefinition> prepared_;

    // The prepared definition of xml and flags, when that is what was prepared; else parses.
    // checked: whether checkFitsMessage() already ran (on the prepared one).
    std::unique_ptr<conf::NetworkDef> parseOrTakePrepared(std::string_view xml, unsigned flags,
                                                          bool& checked);
};

struct NetworkDriver::PreparedDefinition
{
    std::string xml;
    unsigned flags = 0;
    std::unique_ptr<conf::NetworkDef> def;
};

namespace {

// The longest line validateForDriver() may add to a definition: a generated bridge <mac>.
constexpr std::size_t kMacLine = 64;

std::unique_ptr<conf::NetworkDef> parseDefinition(std::string_view xml, unsigned flags)
{
    return std::make_unique<conf::NetworkDef>(conf::NetworkDef::parseString(
        xml, (flags & DefineFlags::Validate) != 0 ? conf::NetworkParseFlags::Validate : 0));
}

} // namespace

std::shared_ptr<NetworkDriver::PreparedDefinition> NetworkDriver::prepareDefinition(std::string xml,
                                                                                    unsigned flags)
{
    auto prepared = std::make_shared<PreparedDefinition>();
    try {
        prepared->def = parseDefinition(xml, flags);
        NetworkDriverImpl::checkFitsMessage(*prepared->def, kMacLine);
    } catch (const Error&) {
        prepared->def.reset(); // the call parses again and reports it
    }
    prepared->xml = std::move(xml);
    prepared->flags = flags;
    return prepared;
}

void NetworkDriver::adoptPrepared(std::shared_ptr<PreparedDefinition> prepared)
{
    impl_->prepared_ = prepared && prepared->def ? std::move(prepared) : nullptr;
}

std::unique_ptr<conf::NetworkDef>
NetworkDriverImpl::parseOrTakePrepared(std::string_view xml, unsigned flags, bool& checked)
{
    auto prepared = std::move(prepared_);
    if (prepared && prepared->flags == flags && prepared->xml == xml) {
        checked = true;
        return std::move(prepared->def);
    }
    checked = false;
    return parseDefinition(xml, flags);
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
            if (findByUuid(def->uuid) != nullptr || findByName(def->name) != nullptr) {
                notices_.push_back(fmt::format("network '{}' in '{}' duplicates another, ignoring",
                                               def->name, file.path.string()));
                continue;
            }
            auto& obj = addObj(std::move(def));
            obj.persistent = true;
        } catch (const Error& e) {
            setAside(file.path, e.fullMessage());
        }
    }
    for (const auto& name : stored.autostart) {
        if (auto* obj = findByName(name)) {
            obj->autostart = true;
        }
    }

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
            // Counts are rebuilt from the ports below.
            live.connections = 0;
            for (auto& iface : live.forward.interfaces) {
                iface.connections = 0;
            }
            auto* obj = findByUuid(live.uuid);
            if (obj == nullptr && findByName(live.name) != nullptr) {
                notices_.push_back(fmt::format(
                    "network '{}' in '{}' has another uuid than its definition, ignoring",
                    live.name, file.path.string()));
                continue;
            }
            if (obj == nullptr) {
                obj = &addObj(std::make_unique<conf::NetworkDef>(std::move(live)));
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

    for (const auto& [network, files] : stored.ports) {
        loadPorts(network, files);
    }
    for (const auto& [network, plugs] : stored.plugs) {
        auto* obj = findByName(network);
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

    // Converge the host with what was loaded; a backend that finds everything in place changes
    // nothing.
    for (auto* obj : sortedNetworks()) {
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

void NetworkDriverImpl::loadPorts(const std::string& network,
                                  const std::vector<state::StoredFile>& files)
{
    auto* obj = findByName(network);
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
            auto* dev = notifyPort(*obj, port);
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

void NetworkDriverImpl::autostartNetworks()
{
    // Like libvirt, autostart runs once per boot: the marker lives in the run folder.
    auto marker = store_.paths().runDir / "autostarted";
    std::error_code ec;
    if (fs::exists(marker, ec)) {
        return;
    }
    for (auto* obj : sortedNetworks()) {
        if (!obj->autostart || obj->active) {
            continue;
        }
        try {
            startNetwork(*obj);
            emit(*obj, LifecycleEvent::Started);
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

NetworkDriver::NetworkDriver(DriverPaths paths, std::unique_ptr<Backends> backends)
    : marks_(std::make_unique<ManagedMarks>(paths.configDir / "networks" / "managed")),
      impl_(std::make_unique<NetworkDriverImpl>(std::move(paths), std::move(backends)))
{
    marks_->load(impl_->notices_);
}

NetworkDriver::~NetworkDriver() = default;

std::vector<NetworkRef> NetworkDriver::listAllNetworks(unsigned flags) const
{
    checkFlags(flags, 0x3f, "virConnectListAllNetworks");
    std::vector<NetworkRef> out;
    for (auto* obj : impl_->sortedNetworks()) {
        if ((flags & (ListFlags::Active | ListFlags::Inactive)) != 0 &&
            !((obj->active && (flags & ListFlags::Active)) ||
              (!obj->active && (flags & ListFlags::Inactive)))) {
            continue;
        }
        if ((flags & (ListFlags::Persistent | ListFlags::Transient)) != 0 &&
            !((obj->persistent && (flags & ListFlags::Persistent)) ||
              (!obj->persistent && (flags & ListFlags::Transient)))) {
            continue;
        }
        if ((flags & (ListFlags::Autostart | ListFlags::NoAutostart)) != 0 &&
            !((obj->autostart && (flags & ListFlags::Autostart)) ||
              (!obj->autostart && (flags & ListFlags::NoAutostart)))) {
            continue;
        }
        out.push_back(obj->ref());
    }
    return out;
}

std::vector<std::string> NetworkDriver::listNetworkNames(bool active, int maxNames) const
{
    std::vector<std::string> out;
    for (auto* obj : impl_->sortedNetworks()) {
        if (static_cast<int>(out.size()) >= maxNames) {
            break;
        }
        if (obj->active == active) {
            out.push_back(obj->def->name);
        }
    }
    return out;
}

int NetworkDriver::countNetworks(bool active) const
{
    int n = 0;
    for (auto* obj : impl_->sortedNetworks()) {
        n += obj->active == active ? 1 : 0;
    }
    return n;
}

NetworkRef NetworkDriver::lookupByName(std::string_view name) const
{
    auto* obj = impl_->findByName(name);
    if (obj == nullptr) {
        raise(ErrorCode::NoNetwork, "no network with matching name '{}'", name);
    }
    return obj->ref();
}

NetworkRef NetworkDriver::lookupByUuid(const util::Uuid& uuid) const
{
    auto* obj = impl_->findByUuid(uuid);
    if (obj == nullptr) {
        raise(ErrorCode::NoNetwork, "no network with matching uuid '{}'", uuid.toString());
    }
    return obj->ref();
}

NetworkRef NetworkDriver::defineXml(std::string_view xml, unsigned flags)
{
    checkFlags(flags, DefineFlags::Validate, "virNetworkDefineXMLFlags");
    bool checked = false;
    auto def = impl_->parseOrTakePrepared(xml, flags, checked);
    impl_->validateForDriver(*def);
    checkManagedDefinition(*def, ManagedOp::Define);
    if (!checked) {
        NetworkDriverImpl::checkFitsMessage(*def);
    }
    bool existed = impl_->findByUuid(def->uuid) != nullptr;
    auto copy = *def;
    auto& obj = impl_->assignDef(std::move(def), false);
    try {
        impl_->saveConfig(copy);
    } catch (...) {
        if (!existed && !obj.active) {
            impl_->removeObj(obj);
        }
        throw;
    }
    impl_->emit(obj, LifecycleEvent::Defined);
    return obj.ref();
}

NetworkRef NetworkDriver::createXml(std::string_view xml, unsigned flags)
{
    checkFlags(flags, DefineFlags::Validate, "virNetworkCreateXMLFlags");
    bool checked = false;
    auto def = impl_->parseOrTakePrepared(xml, flags, checked);
    impl_->validateForDriver(*def);
    checkManagedDefinition(*def, ManagedOp::Create);
    if (!checked) {
        NetworkDriverImpl::checkFitsMessage(*def);
    }
    bool existed = impl_->findByUuid(def->uuid) != nullptr;
    std::unique_ptr<conf::NetworkDef> previous;
    if (existed) {
        previous = std::make_unique<conf::NetworkDef>(*impl_->findByUuid(def->uuid)->def);
    }
    auto& obj = impl_->assignDef(std::move(def), true);
    try {
        impl_->startNetwork(obj);
    } catch (...) {
        if (!existed) {
            impl_->removeObj(obj);
        } else if (previous) {
            obj.def = std::move(previous);
        }
        throw;
    }
    impl_->emit(obj, LifecycleEvent::Started);
    return obj.ref();
}

void NetworkDriver::undefine(const NetworkRef& net)
{
    auto& obj = impl_->objFromRef(net);
    checkManaged(obj.def->name, ManagedOp::Undefine);
    if (!obj.persistent) {
        throw Error(ErrorCode::OperationInvalid, "can't undefine transient network");
    }
    impl_->store_.deleteConfig(obj.def->name);
    impl_->emit(obj, LifecycleEvent::Undefined);
    obj.autostart = false;
    if (!obj.active) {
        impl_->removeInactive(obj);
    } else {
        obj.persistent = false;
        obj.newDef.reset();
    }
}

void NetworkDriver::start(const NetworkRef& net)
{
    auto& obj = impl_->objFromRef(net);
    impl_->startNetwork(obj);
    impl_->emit(obj, LifecycleEvent::Started);
}

void NetworkDriver::destroy(const NetworkRef& net)
{
    auto& obj = impl_->objFromRef(net);
    checkManaged(obj.def->name, ManagedOp::Destroy);
    if (!obj.active) {
        raise(ErrorCode::OperationInvalid, "network '{}' is not active", obj.def->name);
    }
    impl_->unplugAll(obj);
    impl_->shutdownNetwork(obj);
    // Ports go without port-deleted hooks, as in libvirt.
    obj.ports.clear();
    try {
        impl_->store_.deleteAllPorts(obj.def->name);
    } catch (const Error& e) {
        impl_->notices_.push_back(e.fullMessage());
    }
    impl_->emit(obj, LifecycleEvent::Stopped);
    if (!obj.persistent) {
        impl_->removeInactive(obj);
    }
}

void NetworkDriver::update(const NetworkRef& net, unsigned command, unsigned section,
                           int parentIndex, std::string_view xml, unsigned flags)
{
    checkFlags(flags, UpdateFlags::Live | UpdateFlags::Config, "virNetworkUpdate");
    auto& obj = impl_->objFromRef(net);
    checkManaged(obj.def->name, ManagedOp::Update);
    if ((flags & (UpdateFlags::Live | UpdateFlags::Config)) == UpdateFlags::Current) {
        flags |= obj.active ? UpdateFlags::Live : UpdateFlags::Config;
    }
    // virNetworkObjConfigChangeSetup.
    if (!obj.active && (flags & UpdateFlags::Live) != 0) {
        throw Error(ErrorCode::OperationInvalid, "network is not running");
    }
    if ((flags & UpdateFlags::Config) != 0 && !obj.persistent) {
        throw Error(ErrorCode::OperationInvalid,
                    "cannot change persistent config of a transient network");
    }
    auto cmd = static_cast<conf::UpdateCommand>(command);
    auto sec = static_cast<conf::UpdateSection>(section);

    std::unique_ptr<conf::NetworkDef> live;
    std::unique_ptr<conf::NetworkDef> config;
    if ((flags & UpdateFlags::Live) != 0) {
        live = std::make_unique<conf::NetworkDef>(*obj.def);
        conf::updateNetworkDef(*live, cmd, sec, parentIndex, xml, flags);
        // A final format/parse cycle, as libvirt does, so nothing illegal gets in.
        (void)conf::NetworkDef::parseString(live->format(0));
        NetworkDriverImpl::checkFitsMessage(*live);
    }
    if ((flags & UpdateFlags::Config) != 0) {
        config = std::make_unique<conf::NetworkDef>(obj.persistentDef());
        conf::updateNetworkDef(*config, cmd, sec, parentIndex, xml, flags);
        (void)conf::NetworkDef::parseString(config->format(conf::NetworkFormatFlags::Inactive));
        NetworkDriverImpl::checkFitsMessage(*config);
        impl_->saveConfig(*config);
    }
    if (config) {
        if (obj.active) {
            obj.newDef = std::move(config);
        } else {
            obj.def = std::move(config);
        }
    }
    if (live) {
        impl_->replaceLive(obj, std::move(live));
    }
    impl_->runHook(obj, nullptr, HookOp::Updated, HookSubOp::Begin);
}

void NetworkDriver::checkManagedDefinition(const conf::NetworkDef& def, ManagedOp op) const
{
    checkManaged(def.name, op);
    if (auto* existing = impl_->findByUuid(def.uuid)) {
        checkManaged(existing->def->name, op);
    }
}

bool NetworkDriver::managedApplyLive(const NetworkRef& net)
{
    auto& obj = impl_->objFromRef(net);
    if (!obj.active || !obj.newDef) {
        return false;
    }
    const auto& next = *obj.newDef;
    auto kind = backendKindFor(next);
    if (kind != backendKindFor(*obj.def) || next.forward.mode != obj.def->forward.mode ||
        next.bridge != obj.def->bridge ||
        (kind != BackendKind::OvsBridge && kind != BackendKind::LinuxBridge)) {
        return false;
    }
    auto live = std::make_unique<conf::NetworkDef>(next);
    live->connections = obj.def->connections;
    impl_->replaceLive(obj, std::move(live));
    impl_->runHook(obj, nullptr, HookOp::Updated, HookSubOp::Begin);
    return true;
}

std::string NetworkDriver::getXmlDesc(const NetworkRef& net, unsigned flags) const
{
    checkFlags(flags, XmlFlags::Inactive, "virNetworkGetXMLDesc");
    auto& obj = impl_->objFromRef(net);
    const auto& def = ((flags & XmlFlags::Inactive) != 0 && obj.newDef) ? *obj.newDef : *obj.def;
    return def.format(flags);
}

std::string NetworkDriver::getBridgeName(const NetworkRef& net) const
{
    auto& obj = impl_->objFromRef(net);
    if (!obj.def->bridge) {
        raise(ErrorCode::InternalError, "network '{}' does not have a bridge name.", obj.def->name);
    }
    return *obj.def->bridge;
}

bool NetworkDriver::getAutostart(const NetworkRef& net) const
{
    return impl_->objFromRef(net).autostart;
}

void NetworkDriver::setAutostart(const NetworkRef& net, bool autostart)
{
    auto& obj = impl_->objFromRef(net);
    checkManaged(obj.def->name, ManagedOp::Autostart);
    if (!obj.persistent) {
        throw Error(ErrorCode::OperationInvalid, "cannot set autostart for transient network");
    }
    if (obj.autostart != autostart) {
        impl_->store_.setAutostart(obj.def->name, autostart);
        obj.autostart = autostart;
    }
}

bool NetworkDriver::isActive(const NetworkRef& net) const
{
    return impl_->objFromRef(net).active;
}

bool NetworkDriver::isPersistent(const NetworkRef& net) const
{
    return impl_->objFromRef(net).persistent;
}

std::vector<PortRef> NetworkDriver::listAllPorts(const NetworkRef& net, unsigned flags) const
{
    checkFlags(flags, 0, "virNetworkListAllPorts");
    auto& obj = impl_->objFromRef(net);
    if (!obj.active) {
        raise(ErrorCode::OperationInvalid, "network '{}' is not active", obj.def->name);
    }
    std::vector<PortRef> out;
    out.reserve(obj.ports.size());
    for (const auto& [uuid, port] : obj.ports) {
        out.push_back({obj.ref(), uuid});
    }
    return out;
}

namespace {

// libvirt's order of checks: the port must exist, then the network be active.
template <typename Obj>
auto& lookupPort(Obj& obj, const util::Uuid& uuid)
{
    auto it = obj.ports.find(uuid);
    if (it == obj.ports.end()) {
        raise(ErrorCode::NoNetworkPort, "Network port with UUID {} does not exist",
              uuid.toString());
    }
    if (!obj.active) {
        raise(ErrorCode::OperationInvalid, "network '{}' is not active", obj.def->name);
    }
    return it->second;
}

} // namespace

PortRef NetworkDriver::portLookupByUuid(const NetworkRef& net, const util::Uuid& uuid) const
{
    auto& obj = impl_->objFromRef(net);
    lookupPort(obj, uuid);
    return {obj.ref(), uuid};
}

PortRef NetworkDriver::portCreateXml(const NetworkRef& net, std::string_view xml, unsigned flags)
{
    checkFlags(flags, PortCreateFlags::Reclaim | PortCreateFlags::Validate,
               "virNetworkPortCreateXML");
    auto& obj = impl_->objFromRef(net);
    auto port = conf::NetworkPort::parseString(
        xml, (flags & PortCreateFlags::Validate) != 0 ? conf::NetworkPortParseFlags::Validate : 0);
    if (!obj.active) {
        raise(ErrorCode::OperationInvalid, "network '{}' is not active", obj.def->name);
    }
    bool reclaim = (flags & PortCreateFlags::Reclaim) != 0;
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
        reclaim ? impl_->notifyPort(obj, port) : impl_->allocatePort(obj, port);
    impl_->attachCounted(obj, port, dev);

    if (obj.ports.count(port.uuid) != 0) {
        Error exists(ErrorCode::NetworkPortExist,
                     fmt::format("Network port with UUID {} already exists", port.uuid.toString()));
        impl_->releasePort(obj, port);
        throw exists;
    }
    try {
        impl_->store_.savePort(obj.def->name, port.uuid, port.format());
    } catch (...) {
        impl_->releasePort(obj, port);
        throw;
    }
    auto& stored = obj.ports.emplace(port.uuid, std::move(port)).first->second;
    if (auto* backend = impl_->backendOf(obj)) {
        try {
            backend->portAttached(*obj.def, stored);
        } catch (const Error& e) {
            impl_->notices_.push_back(
                fmt::format("port {} of network '{}' is not programmed yet: {}",
                            stored.uuid.toString(), obj.def->name, e.fullMessage()));
        }
    }
    return {obj.ref(), stored.uuid};
}

std::string NetworkDriver::portGetXmlDesc(const PortRef& ref, unsigned flags) const
{
    checkFlags(flags, 0, "virNetworkPortGetXMLDesc");
    auto& obj = impl_->objFromRef(ref.network);
    return lookupPort(obj, ref.uuid).format();
}

void NetworkDriver::portDelete(const PortRef& ref, unsigned flags)
{
    checkFlags(flags, 0, "virNetworkPortDelete");
    auto& obj = impl_->objFromRef(ref.network);
    const auto& port = lookupPort(obj, ref.uuid);
    if (obj.plugs.count(ref.uuid) != 0) {
        portUnplug(ref);
    }
    impl_->releasePort(obj, port);
    if (auto* backend = impl_->backendOf(obj)) {
        backend->portDetached(*obj.def, port);
    }
    obj.ports.erase(ref.uuid);
    impl_->store_.deletePort(obj.def->name, ref.uuid);
}

TypedParams NetworkDriver::portGetParameters(const PortRef& ref, unsigned flags) const
{
    checkFlags(flags, 0, "virNetworkPortGetParameters");
    auto& obj = impl_->objFromRef(ref.network);
    const auto& port = lookupPort(obj, ref.uuid);
    TypedParams params;
    auto add = [&](const char* name, unsigned long long v) {
        params.push_back({name, static_cast<unsigned>(v)});
    };
    if (port.bandwidth.in) {
        add(kPortInboundAverage, port.bandwidth.in->average);
        add(kPortInboundPeak, port.bandwidth.in->peak);
        add(kPortInboundFloor, port.bandwidth.in->floor);
        add(kPortInboundBurst, port.bandwidth.in->burst);
    }
    if (port.bandwidth.out) {
        add(kPortOutboundAverage, port.bandwidth.out->average);
        add(kPortOutboundPeak, port.bandwidth.out->peak);
        add(kPortOutboundBurst, port.bandwidth.out->burst);
    }
    return params;
}

void NetworkDriver::portSetParameters(const PortRef& ref, const TypedParams& params, unsigned flags)
{
    checkFlags(flags, 0, "virNetworkPortSetParameters");
    auto& obj = impl_->objFromRef(ref.network);
    auto& port = lookupPort(obj, ref.uuid);
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
    conf::NetworkPort updated = port;
    updated.bandwidth = {};
    if (in.average != 0 || in.floor != 0) {
        updated.bandwidth.in = in;
    }
    if (out.average != 0) {
        updated.bandwidth.out = out;
    }
    unsigned long long oldFloor = port.bandwidth.in ? port.bandwidth.in->floor : 0;
    unsigned long long newFloor = updated.bandwidth.in ? updated.bandwidth.in->floor : 0;
    if (oldFloor != newFloor) {
        impl_->checkBandwidth(obj, updated);
    }
    impl_->store_.savePort(obj.def->name, updated.uuid, updated.format());
    port = std::move(updated);
    if (auto* backend = impl_->backendOf(obj)) {
        backend->portAttached(*obj.def, port);
    }
}

std::string NetworkDriver::portPlug(const PortRef& ref, std::string_view ifname)
{
    auto& obj = impl_->objFromRef(ref.network);
    const auto& port = lookupPort(obj, ref.uuid);
    if (auto it = obj.plugs.find(ref.uuid); it != obj.plugs.end()) {
        raise(ErrorCode::OperationInvalid, "network port {} is already plugged into '{}'",
              ref.uuid.toString(), it->second);
    }
    if (!ifname.empty() && !util::isSafeFileName(ifname, 15)) {
        raise(ErrorCode::InvalidArg, "'{}' is not a valid network device name", ifname);
    }
    auto* backend = impl_->backendOf(obj);
    if (backend == nullptr) {
        raise(ErrorCode::ConfigUnsupported, "dvsd cannot plug ports of network '{}' itself",
              obj.def->name);
    }
    auto device = backend->plugPort(*obj.def, port, ifname);
    try {
        impl_->store_.savePlug(obj.def->name, ref.uuid, device);
    } catch (...) {
        backend->unplugPort(*obj.def, port, device);
        throw;
    }
    obj.plugs[ref.uuid] = device;
    return device;
}

void NetworkDriver::portUnplug(const PortRef& ref)
{
    auto& obj = impl_->objFromRef(ref.network);
    const auto& port = lookupPort(obj, ref.uuid);
    auto it = obj.plugs.find(ref.uuid);
    if (it == obj.plugs.end()) {
        raise(ErrorCode::OperationInvalid, "network port {} was not plugged by dvsd",
              ref.uuid.toString());
    }
    if (auto* backend = impl_->backendOf(obj)) {
        backend->unplugPort(*obj.def, port, it->second);
    }
    impl_->store_.deletePlug(obj.def->name, ref.uuid);
    obj.plugs.erase(it);
}

int NetworkDriver::subscribe(LifecycleCallback callback)
{
    int id = impl_->nextCallbackId_++;
    impl_->callbacks_.emplace(id, std::move(callback));
    return id;
}

void NetworkDriver::unsubscribe(int id)
{
    if (impl_->callbacks_.erase(id) == 0) {
        raise(ErrorCode::InvalidArg, "could not find event callback {} for deletion", id);
    }
}

void NetworkDriver::reloadHooks()
{
    impl_->hooks_.reload();
}

std::vector<NetworkDriver::NetworkStatus> NetworkDriver::status() const
{
    std::vector<NetworkStatus> out;
    for (auto* obj : impl_->sortedNetworks()) {
        NetworkStatus s;
        s.name = obj->def->name;
        s.active = obj->active;
        s.persistent = obj->persistent;
        s.autostart = obj->autostart;
        s.forwardMode = std::string(util::toString(obj->def->forward.mode));
        s.connections = obj->def->connections;
        s.ports = obj->ports.size();
        auto kind = backendKindFor(*obj->def);
        s.dataplaneKind = std::string(dataplaneKindName(kind));
        if (!obj->active) {
            s.dataplaneState = "inactive";
        } else {
            std::tie(s.dataplaneState, s.dataplane) =
                splitDescription(impl_->backendOf(*obj)->describe(*obj->def));
        }
        s.backendState =
            s.dataplane.empty() ? s.dataplaneState : s.dataplaneState + ": " + s.dataplane;
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<virtnet::DhcpLeaseInfo>
NetworkDriver::getDhcpLeases(const NetworkRef& net, const std::optional<std::string>& mac) const
{
    auto& obj = impl_->objFromRef(net);
    auto* store = impl_->backends_->dhcpLeases();
    if (store == nullptr || backendKindFor(*obj.def) != BackendKind::Virtual) {
        return {};
    }
    return store->query(*obj.def, mac, static_cast<long long>(::time(nullptr)));
}

void NetworkDriver::dhcpLeaseChanged(std::string_view network, const virtnet::LeaseEvent& event)
{
    auto* obj = impl_->findByName(network);
    if (obj == nullptr) {
        raise(ErrorCode::NoNetwork, "no network with matching name '{}'", network);
    }
    auto* store = impl_->backends_->dhcpLeases();
    if (store == nullptr || backendKindFor(*obj->def) != BackendKind::Virtual ||
        !obj->def->bridge) {
        raise(ErrorCode::OperationInvalid, "network '{}' runs no dnsmasq", network);
    }
    store->apply(*obj->def->bridge, event);
}

std::vector<std::string> NetworkDriver::takeNotices()
{
    return std::exchange(impl_->notices_, {});
}

} // namespace dvs::driver
