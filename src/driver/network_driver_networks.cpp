// SPDX-License-Identifier: LGPL-2.1-or-later
// The networks of the driver: define, create, start, stop, update, libvirt's hooks and events,
// and what a network's files hold (libvirt's network/bridge_driver.c).
#include <ctime>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "conf/network_status.h"
#include "conf/network_update.h"
#include "driver/dhcp_leases.h"
#include "driver/network_driver_impl.h"
#include "driver/port_allocation.h"
#include "util/error.h"
#include "util/file.h"
#include "util/mac.h"
#include "util/xml.h"

namespace dvs::driver {

namespace {

constexpr const char* kConfigHeader =
    "<!--\n"
    "WARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\n"
    "OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:\n"
    "  virsh net-edit {}\n"
    "or other application using the libvirt API.\n"
    "-->\n\n";

// The longest line validateForDriver() may add to a definition: a generated bridge <mac>.
constexpr std::size_t kMacLine = 64;

std::unique_ptr<conf::NetworkDef> parseDefinition(std::string_view xml, unsigned flags)
{
    return std::make_unique<conf::NetworkDef>(conf::NetworkDef::parseString(
        xml, (flags & DefineFlags::Validate) != 0 ? conf::NetworkParseFlags::Validate : 0));
}

} // namespace

NetworkRef NetworkDriverImpl::define(std::string_view xml, unsigned flags, const Admit& admit)
{
    auto def = acceptDefinition(xml, flags, admit);
    bool existed = networks_.findByUuid(def->uuid) != nullptr;
    auto copy = *def;
    auto& obj = networks_.assignDef(std::move(def), false);
    try {
        saveConfig(copy);
    } catch (...) {
        if (!existed && !obj.active) {
            networks_.remove(obj);
        }
        throw;
    }
    emit(obj, LifecycleEvent::Defined);
    return obj.ref();
}

NetworkRef NetworkDriverImpl::create(std::string_view xml, unsigned flags, const Admit& admit)
{
    auto def = acceptDefinition(xml, flags, admit);
    auto* existing = networks_.findByUuid(def->uuid);
    std::unique_ptr<conf::NetworkDef> previous;
    if (existing != nullptr) {
        previous = std::make_unique<conf::NetworkDef>(*existing->def);
    }
    auto& obj = networks_.assignDef(std::move(def), true);
    try {
        startNetwork(obj);
    } catch (...) {
        if (existing == nullptr) {
            networks_.remove(obj);
        } else {
            obj.def = std::move(previous);
        }
        throw;
    }
    emit(obj, LifecycleEvent::Started);
    return obj.ref();
}

void NetworkDriverImpl::undefine(NetworkObj& obj)
{
    if (!obj.persistent) {
        throw Error(ErrorCode::OperationInvalid, "can't undefine transient network");
    }
    store_.deleteConfig(obj.def->name);
    emit(obj, LifecycleEvent::Undefined);
    obj.autostart = false;
    if (!obj.active) {
        removeInactive(obj);
    } else {
        obj.persistent = false;
        obj.newDef.reset();
    }
}

void NetworkDriverImpl::start(NetworkObj& obj)
{
    startNetwork(obj);
    emit(obj, LifecycleEvent::Started);
}

void NetworkDriverImpl::destroy(NetworkObj& obj)
{
    obj.checkActive();
    unplugAll(obj);
    shutdownNetwork(obj);
    // Ports go without port-deleted hooks, as in libvirt.
    obj.ports.clear();
    try {
        store_.deleteAllPorts(obj.def->name);
    } catch (const Error& e) {
        notices_.push_back(e.fullMessage());
    }
    emit(obj, LifecycleEvent::Stopped);
    if (!obj.persistent) {
        removeInactive(obj);
    }
}

void NetworkDriverImpl::update(NetworkObj& obj, unsigned command, unsigned section, int parentIndex,
                               std::string_view xml, unsigned flags)
{
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
        checkFitsMessage(*live);
    }
    if ((flags & UpdateFlags::Config) != 0) {
        config = std::make_unique<conf::NetworkDef>(obj.persistentDef());
        conf::updateNetworkDef(*config, cmd, sec, parentIndex, xml, flags);
        (void)conf::NetworkDef::parseString(config->format(conf::NetworkFormatFlags::Inactive));
        checkFitsMessage(*config);
        saveConfig(*config);
    }
    if (config) {
        if (obj.active) {
            obj.newDef = std::move(config);
        } else {
            obj.def = std::move(config);
        }
    }
    if (live) {
        replaceLive(obj, std::move(live));
    }
    runHook(obj, nullptr, HookOp::Updated, HookSubOp::Begin);
}

bool NetworkDriverImpl::applyPersistentLive(NetworkObj& obj)
{
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
    replaceLive(obj, std::move(live));
    runHook(obj, nullptr, HookOp::Updated, HookSubOp::Begin);
    return true;
}

void NetworkDriverImpl::setAutostart(NetworkObj& obj, bool autostart)
{
    if (!obj.persistent) {
        throw Error(ErrorCode::OperationInvalid, "cannot set autostart for transient network");
    }
    if (obj.autostart != autostart) {
        store_.setAutostart(obj.def->name, autostart);
        obj.autostart = autostart;
    }
}

std::vector<NetworkDriver::NetworkStatus> NetworkDriverImpl::status() const
{
    std::vector<NetworkDriver::NetworkStatus> out;
    for (const auto* obj : networks_.sorted()) {
        NetworkDriver::NetworkStatus s;
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
                splitDescription(backendOf(*obj)->describe(*obj->def));
        }
        s.backendState =
            s.dataplane.empty() ? s.dataplaneState : s.dataplaneState + ": " + s.dataplane;
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<virtnet::DhcpLeaseInfo>
NetworkDriverImpl::dhcpLeases(const NetworkObj& obj, const std::optional<std::string>& mac) const
{
    auto* store = backends_->dhcpLeases();
    if (store == nullptr || backendKindFor(*obj.def) != BackendKind::Virtual) {
        return {};
    }
    return store->query(*obj.def, mac, static_cast<long long>(::time(nullptr)));
}

void NetworkDriverImpl::dhcpLeaseChanged(const NetworkObj& obj, const virtnet::LeaseEvent& event)
{
    auto* store = backends_->dhcpLeases();
    if (store == nullptr || backendKindFor(*obj.def) != BackendKind::Virtual || !obj.def->bridge) {
        raise(ErrorCode::OperationInvalid, "network '{}' runs no dnsmasq", obj.def->name);
    }
    store->apply(*obj.def->bridge, event);
}

int NetworkDriverImpl::subscribe(LifecycleCallback callback)
{
    int id = nextCallbackId_++;
    callbacks_.emplace(id, std::move(callback));
    return id;
}

void NetworkDriverImpl::unsubscribe(int id)
{
    if (callbacks_.erase(id) == 0) {
        raise(ErrorCode::InvalidArg, "could not find event callback {} for deletion", id);
    }
}

std::shared_ptr<NetworkDriver::PreparedDefinition> NetworkDriverImpl::prepare(std::string xml,
                                                                              unsigned flags)
{
    auto prepared = std::make_shared<NetworkDriver::PreparedDefinition>();
    try {
        prepared->def = parseDefinition(xml, flags);
        checkFitsMessage(*prepared->def, kMacLine);
    } catch (const Error&) {
        prepared->def.reset(); // the call parses again and reports it
    }
    prepared->xml = std::move(xml);
    prepared->flags = flags;
    return prepared;
}

void NetworkDriverImpl::adoptPrepared(std::shared_ptr<NetworkDriver::PreparedDefinition> prepared)
{
    prepared_ = prepared && prepared->def ? std::move(prepared) : nullptr;
}

std::unique_ptr<conf::NetworkDef>
NetworkDriverImpl::acceptDefinition(std::string_view xml, unsigned flags, const Admit& admit)
{
    bool checked = false;
    auto def = parseOrTakePrepared(xml, flags, checked);
    validateForDriver(*def);
    admit(*def);
    if (!checked) {
        checkFitsMessage(*def);
    }
    return def;
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

void NetworkDriverImpl::emit(const NetworkObj& obj, LifecycleEvent event)
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
void NetworkDriverImpl::runHook(NetworkObj& obj, const conf::NetworkPort* port, HookOp op,
                                HookSubOp subOp)
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

void NetworkDriverImpl::saveConfig(const conf::NetworkDef& def)
{
    std::string xml = fmt::format(fmt::runtime(kConfigHeader), def.name) +
                      def.format(conf::NetworkFormatFlags::Inactive);
    store_.saveConfig(def.name, xml);
}
void NetworkDriverImpl::saveStatus(const NetworkObj& obj)
{
    store_.saveStatus(obj.def->name, fmt::format(fmt::runtime(kConfigHeader), obj.def->name) +
                                         obj.status().format());
}

// Refuses a definition that could not be returned or read back: the largest document it
// becomes, its status file (the live definition inside <networkstatus>, two spaces deeper a
// line), must fit both libvirt's largest string on the wire (REMOTE_STRING_MAX, what
// net-dumpxml returns) and what we parse (the same size). Linear in the definition.
// extra: bytes the definition may still gain before it is stored (a <mac> line).
void NetworkDriverImpl::checkFitsMessage(const conf::NetworkDef& def, std::size_t extra)
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
void NetworkDriverImpl::validateForDriver(conf::NetworkDef& def)
{
    def.validateForDefine();
    if (def.name.size() > state::kMaxNetworkNameLength) {
        raise(ErrorCode::XmlError,
              "network name '{}' is too long: {} bytes, at most {} fit in the names of its "
              "state files",
              util::abbreviateForMessage(def.name), def.name.size(), state::kMaxNetworkNameLength);
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
void NetworkDriverImpl::validateBridgeName(conf::NetworkDef& def)
{
    auto inUse = [&](const std::string& bridge) { return networks_.bridgeInUse(bridge, def.name); };
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

// networkStartNetwork.
void NetworkDriverImpl::startNetwork(NetworkObj& obj)
{
    if (obj.active) {
        throw Error(ErrorCode::OperationInvalid, "network is already active");
    }
    auto kind = backendKindFor(*obj.def);
    store_.deleteAllPorts(obj.def->name);
    obj.ports.clear();
    obj.setDefTransient();
    auto& backend = backends_->backend(kind);
    bool started = false;
    try {
        runHook(obj, nullptr, HookOp::Start, HookSubOp::Begin);
        if (kind == BackendKind::Direct || kind == BackendKind::Hostdev) {
            createInterfacePool(*obj.def, *backends_);
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
        obj.unsetDefTransient();
        throw;
    }
    obj.active = true;
}

// networkShutdownNetwork.
void NetworkDriverImpl::shutdownNetwork(NetworkObj& obj)
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
    obj.unsetDefTransient();
}

void NetworkDriverImpl::removeInactive(NetworkObj& obj)
{
    try {
        store_.deleteStatus(obj.def->name);
        store_.deleteAllPorts(obj.def->name);
    } catch (const Error& e) {
        notices_.push_back(e.fullMessage());
    }
    networks_.remove(obj);
}

NetworkBackend* NetworkDriverImpl::backendOf(const NetworkObj& obj) const
{
    return &backends_->backend(backendKindFor(*obj.def));
}

// Makes live a new definition of the active network (a live net-update, or the host agent
// applying a new generation): live ports that took their VLAN or bandwidth from the
// definition follow it (libvirt leaves them as allocated; a distributed switch moves them),
// and the backend brings every live port in line.
void NetworkDriverImpl::replaceLive(NetworkObj& obj, std::unique_ptr<conf::NetworkDef> live)
{
    for (auto& [uuid, port] : obj.ports) {
        auto moved = portFollowing(port, *obj.def, *live);
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

} // namespace dvs::driver
