// SPDX-License-Identifier: LGPL-2.1-or-later
// The driver's public API: checks a call's flags and whether a distributed switch manages the
// network, looks up what the call names, and hands the work to NetworkDriverImpl
// (network_driver_impl.h).
#include "driver/network_driver.h"

#include <utility>

#include "conf/network_port.h"
#include "driver/network_driver_impl.h"
#include "driver/port_allocation.h"
#include "util/error.h"

namespace dvs::driver {

namespace {

// libvirt's virCheckFlags.
void checkFlags(unsigned flags, unsigned allowed, const char* function)
{
    if ((flags & ~allowed) != 0) {
        raise(ErrorCode::InvalidArg, "unsupported flags (0x{:x}) in function {}", flags & ~allowed,
              function);
    }
}

} // namespace

NetworkDriver::NetworkDriver(DriverPaths paths, std::unique_ptr<Backends> backends)
    : marks_(std::make_unique<ManagedMarks>(paths.configDir / "networks" / "managed")),
      impl_(std::make_unique<NetworkDriverImpl>(std::move(paths), std::move(backends)))
{
    std::vector<std::string> notices;
    marks_->load(notices);
    for (auto& text : notices) {
        impl_->notice(std::move(text));
    }
}

NetworkDriver::~NetworkDriver() = default;

std::vector<NetworkRef> NetworkDriver::listAllNetworks(unsigned flags) const
{
    checkFlags(flags, 0x3f, "virConnectListAllNetworks");
    return impl_->networks().list(flags);
}

std::vector<std::string> NetworkDriver::listNetworkNames(bool active, int maxNames) const
{
    return impl_->networks().names(active, maxNames);
}

int NetworkDriver::countNetworks(bool active) const
{
    return impl_->networks().count(active);
}

NetworkRef NetworkDriver::lookupByName(std::string_view name) const
{
    auto* obj = impl_->networks().findByName(name);
    if (obj == nullptr) {
        raise(ErrorCode::NoNetwork, "no network with matching name '{}'", name);
    }
    return obj->ref();
}

NetworkRef NetworkDriver::lookupByUuid(const util::Uuid& uuid) const
{
    auto* obj = impl_->networks().findByUuid(uuid);
    if (obj == nullptr) {
        raise(ErrorCode::NoNetwork, "no network with matching uuid '{}'", uuid.toString());
    }
    return obj->ref();
}

NetworkRef NetworkDriver::defineXml(std::string_view xml, unsigned flags)
{
    checkFlags(flags, DefineFlags::Validate, "virNetworkDefineXMLFlags");
    return impl_->define(xml, flags, [this](const conf::NetworkDef& def) {
        checkManagedDefinition(def, ManagedOp::Define);
    });
}

NetworkRef NetworkDriver::createXml(std::string_view xml, unsigned flags)
{
    checkFlags(flags, DefineFlags::Validate, "virNetworkCreateXMLFlags");
    return impl_->create(xml, flags, [this](const conf::NetworkDef& def) {
        checkManagedDefinition(def, ManagedOp::Create);
    });
}

void NetworkDriver::undefine(const NetworkRef& net)
{
    auto& obj = impl_->networks().get(net);
    checkManaged(obj.def->name, ManagedOp::Undefine);
    impl_->undefine(obj);
}

void NetworkDriver::start(const NetworkRef& net)
{
    impl_->start(impl_->networks().get(net));
}

void NetworkDriver::destroy(const NetworkRef& net)
{
    auto& obj = impl_->networks().get(net);
    checkManaged(obj.def->name, ManagedOp::Destroy);
    impl_->destroy(obj);
}

void NetworkDriver::update(const NetworkRef& net, unsigned command, unsigned section,
                           int parentIndex, std::string_view xml, unsigned flags)
{
    checkFlags(flags, UpdateFlags::Live | UpdateFlags::Config, "virNetworkUpdate");
    auto& obj = impl_->networks().get(net);
    checkManaged(obj.def->name, ManagedOp::Update);
    if ((flags & (UpdateFlags::Live | UpdateFlags::Config)) == UpdateFlags::Current) {
        flags |= obj.active ? UpdateFlags::Live : UpdateFlags::Config;
    }
    impl_->update(obj, command, section, parentIndex, xml, flags);
}

void NetworkDriver::checkManagedDefinition(const conf::NetworkDef& def, ManagedOp op) const
{
    checkManaged(def.name, op);
    if (auto* existing = impl_->networks().findByUuid(def.uuid)) {
        checkManaged(existing->def->name, op);
    }
}

bool NetworkDriver::managedApplyLive(const NetworkRef& net)
{
    return impl_->applyPersistentLive(impl_->networks().get(net));
}

std::string NetworkDriver::getXmlDesc(const NetworkRef& net, unsigned flags) const
{
    checkFlags(flags, XmlFlags::Inactive, "virNetworkGetXMLDesc");
    const auto& obj = impl_->networks().get(net);
    const auto& def = ((flags & XmlFlags::Inactive) != 0 && obj.newDef) ? *obj.newDef : *obj.def;
    return def.format(flags);
}

std::string NetworkDriver::getBridgeName(const NetworkRef& net) const
{
    const auto& obj = impl_->networks().get(net);
    if (!obj.def->bridge) {
        raise(ErrorCode::InternalError, "network '{}' does not have a bridge name.", obj.def->name);
    }
    return *obj.def->bridge;
}

bool NetworkDriver::getAutostart(const NetworkRef& net) const
{
    return impl_->networks().get(net).autostart;
}

void NetworkDriver::setAutostart(const NetworkRef& net, bool autostart)
{
    auto& obj = impl_->networks().get(net);
    checkManaged(obj.def->name, ManagedOp::Autostart);
    impl_->setAutostart(obj, autostart);
}

bool NetworkDriver::isActive(const NetworkRef& net) const
{
    return impl_->networks().get(net).active;
}

bool NetworkDriver::isPersistent(const NetworkRef& net) const
{
    return impl_->networks().get(net).persistent;
}

std::vector<PortRef> NetworkDriver::listAllPorts(const NetworkRef& net, unsigned flags) const
{
    checkFlags(flags, 0, "virNetworkListAllPorts");
    const auto& obj = impl_->networks().get(net);
    obj.checkActive();
    std::vector<PortRef> out;
    out.reserve(obj.ports.size());
    for (const auto& [uuid, port] : obj.ports) {
        out.push_back({obj.ref(), uuid});
    }
    return out;
}

PortRef NetworkDriver::portLookupByUuid(const NetworkRef& net, const util::Uuid& uuid) const
{
    const auto& obj = impl_->networks().get(net);
    obj.activePort(uuid);
    return {obj.ref(), uuid};
}

PortRef NetworkDriver::portCreateXml(const NetworkRef& net, std::string_view xml, unsigned flags)
{
    checkFlags(flags, PortCreateFlags::Reclaim | PortCreateFlags::Validate,
               "virNetworkPortCreateXML");
    auto& obj = impl_->networks().get(net);
    auto port = conf::NetworkPort::parseString(
        xml, (flags & PortCreateFlags::Validate) != 0 ? conf::NetworkPortParseFlags::Validate : 0);
    return impl_->portCreate(obj, std::move(port), (flags & PortCreateFlags::Reclaim) != 0);
}

std::string NetworkDriver::portGetXmlDesc(const PortRef& ref, unsigned flags) const
{
    checkFlags(flags, 0, "virNetworkPortGetXMLDesc");
    return impl_->networks().get(ref.network).activePort(ref.uuid).format();
}

void NetworkDriver::portDelete(const PortRef& ref, unsigned flags)
{
    checkFlags(flags, 0, "virNetworkPortDelete");
    impl_->portDelete(impl_->networks().get(ref.network), ref.uuid);
}

TypedParams NetworkDriver::portGetParameters(const PortRef& ref, unsigned flags) const
{
    checkFlags(flags, 0, "virNetworkPortGetParameters");
    return bandwidthParameters(impl_->networks().get(ref.network).activePort(ref.uuid).bandwidth);
}

void NetworkDriver::portSetParameters(const PortRef& ref, const TypedParams& params, unsigned flags)
{
    checkFlags(flags, 0, "virNetworkPortSetParameters");
    auto& obj = impl_->networks().get(ref.network);
    auto& port = obj.activePort(ref.uuid);
    impl_->portSetBandwidth(obj, port, bandwidthFromParameters(params));
}

std::string NetworkDriver::portPlug(const PortRef& ref, std::string_view ifname)
{
    auto& obj = impl_->networks().get(ref.network);
    return impl_->portPlug(obj, obj.activePort(ref.uuid), ifname);
}

void NetworkDriver::portUnplug(const PortRef& ref)
{
    auto& obj = impl_->networks().get(ref.network);
    impl_->portUnplug(obj, obj.activePort(ref.uuid));
}

std::vector<virtnet::DhcpLeaseInfo>
NetworkDriver::getDhcpLeases(const NetworkRef& net, const std::optional<std::string>& mac) const
{
    return impl_->dhcpLeases(impl_->networks().get(net), mac);
}

void NetworkDriver::dhcpLeaseChanged(std::string_view network, const virtnet::LeaseEvent& event)
{
    auto* obj = impl_->networks().findByName(network);
    if (obj == nullptr) {
        raise(ErrorCode::NoNetwork, "no network with matching name '{}'", network);
    }
    impl_->dhcpLeaseChanged(*obj, event);
}

int NetworkDriver::subscribe(LifecycleCallback callback)
{
    return impl_->subscribe(std::move(callback));
}

void NetworkDriver::unsubscribe(int id)
{
    impl_->unsubscribe(id);
}

void NetworkDriver::reloadHooks()
{
    impl_->reloadHooks();
}

std::vector<NetworkDriver::NetworkStatus> NetworkDriver::status() const
{
    return impl_->status();
}

std::vector<std::string> NetworkDriver::takeNotices()
{
    return impl_->takeNotices();
}

std::shared_ptr<NetworkDriver::PreparedDefinition> NetworkDriver::prepareDefinition(std::string xml,
                                                                                    unsigned flags)
{
    return NetworkDriverImpl::prepare(std::move(xml), flags);
}

void NetworkDriver::adoptPrepared(std::shared_ptr<PreparedDefinition> prepared)
{
    impl_->adoptPrepared(std::move(prepared));
}

} // namespace dvs::driver
