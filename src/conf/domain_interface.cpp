// SPDX-License-Identifier: LGPL-2.1-or-later
#include "conf/domain_interface.h"

#include "conf/network_attrs.h"
#include "util/error.h"
#include "util/number.h"

namespace dvs::conf {

namespace {

constexpr std::string_view kInterfaceUrl = "(interface_definition)";

void parseActualHostdev(const util::XmlNode& actualNode, ActualInterface& actual)
{
    // libvirt sets managed only for the exact value "yes".
    actual.managed = actualNode.attr("managed") == std::optional<std::string>("yes");
    if (auto driver = actualNode.child("driver")) {
        auto name = detail::propEnum<ForwardDriverName>(*driver, "name");
        actual.driver = name.value_or(ForwardDriverName::Default);
    }
    auto source = actualNode.child("source");
    auto address = source ? source->child("address") : std::nullopt;
    auto addressType = address ? address->attr("type") : std::nullopt;
    if (!addressType) {
        raise(ErrorCode::XmlError, "missing source address type");
    }
    if (*addressType != "pci") {
        raise(ErrorCode::ConfigUnsupported,
              "unsupported host device source address type '{}' in interface's <actual> element",
              *addressType);
    }
    actual.address = PciAddress::parse(*address);
}

ActualInterface parseActual(const util::XmlNode& node)
{
    ActualInterface actual;
    auto typeText = node.attr("type");
    if (!typeText) {
        raise(ErrorCode::InternalError, "missing type attribute in interface's <actual> element");
    }
    auto type = util::fromString<ActualType>(*typeText);
    if (!type) {
        raise(ErrorCode::InternalError, "unsupported type '{}' in interface's <actual> element",
              *typeText);
    }
    actual.type = *type;
    actual.trustGuestRxFilters = parseTristateAttr(node, "trustGuestRxFilters");

    if (auto virtualPort = node.child("virtualport")) {
        if (actual.type == ActualType::Network) {
            raise(ErrorCode::InternalError,
                  "<virtualport> element unsupported for type='{}' in interface's <actual> "
                  "element",
                  *typeText);
        }
        // The virtualport of an <actual> is complete already; nothing is generated.
        actual.virtualPort =
            VirtualPort::parse(*virtualPort, VirtualPortParseFlags::RequireAllAttributes |
                                                 VirtualPortParseFlags::RequireType);
    }

    switch (actual.type) {
    case ActualType::Network:
    case ActualType::Bridge:
        if (auto source = node.child("source")) {
            actual.bridge = source->attr("bridge").value_or("");
            auto manager = detail::propEnum<MacTableManager>(*source, "macTableManager");
            actual.macTableManager = manager.value_or(MacTableManager::Default);
        }
        break;
    case ActualType::Direct:
        if (auto source = node.child("source")) {
            actual.dev = source->attr("dev").value_or("");
            actual.mode =
                detail::propEnum<MacvlanMode>(*source, "mode").value_or(MacvlanMode::Vepa);
        }
        break;
    case ActualType::Hostdev:
        parseActualHostdev(node, actual);
        break;
    case ActualType::Last:
        break;
    }

    if (auto bandwidth = node.child("bandwidth")) {
        actual.bandwidth = Bandwidth::parse(*bandwidth, actual.type == ActualType::Network);
    }
    if (auto vlan = node.child("vlan")) {
        actual.vlan = Vlan::parse(*vlan);
    }
    if (auto options = node.child("port")) {
        actual.isolatedPort = parseTristateAttr(*options, "isolated");
    }
    if (auto classNode = node.child("class")) {
        if (auto id = classNode->attr("id")) {
            auto value = util::parseNumber<unsigned>(*id, 10, util::Sign::Refuse);
            if (!value) {
                raise(ErrorCode::XmlError,
                      "Invalid value for attribute 'id' in element 'class': '{}'. Expected "
                      "non-negative integer value",
                      *id);
            }
            actual.classId = *value;
        }
    }
    return actual;
}

void formatPortOptions(util::XmlWriter& writer, Tristate isolated)
{
    if (isolated != Tristate::Absent) {
        writer.start("port");
        writer.attr("isolated", util::toString(isolated));
        writer.end();
    }
}

// The interface's trustGuestRxFilters goes on <actual>, as libvirt does.
void formatActual(util::XmlWriter& writer, const ActualInterface& actual, Tristate interfaceTrust)
{
    writer.start("actual");
    writer.attr("type", util::toString(actual.type));
    if (actual.type == ActualType::Hostdev && actual.managed) {
        writer.attr("managed", "yes");
    }
    if (interfaceTrust != Tristate::Absent) {
        writer.attr("trustGuestRxFilters", util::toString(interfaceTrust));
    }
    writer.forceOpen();
    switch (actual.type) {
    case ActualType::Network:
    case ActualType::Bridge:
        writer.start("source");
        writer.attr("bridge", actual.bridge);
        if (actual.macTableManager != MacTableManager::Default) {
            writer.attr("macTableManager", util::toString(actual.macTableManager));
        }
        writer.end();
        break;
    case ActualType::Direct:
        writer.start("source");
        writer.attr("dev", actual.dev);
        writer.attr("mode", util::toString(actual.mode));
        writer.end();
        break;
    case ActualType::Hostdev:
        if (actual.driver != ForwardDriverName::Default) {
            writer.start("driver");
            writer.attr("name", util::toString(actual.driver));
            writer.end();
        }
        writer.start("source");
        actual.address.format(writer, true);
        writer.end();
        break;
    case ActualType::Last:
        break;
    }
    if (actual.classId != 0) {
        writer.start("class");
        writer.attr("id", actual.classId);
        writer.end();
    }
    actual.vlan.format(writer);
    if (actual.virtualPort) {
        actual.virtualPort->format(writer);
    }
    actual.bandwidth.format(writer);
    formatPortOptions(writer, actual.isolatedPort);
    writer.end();
}

void requirePortUuid(NetworkPort& port, const DomainInterface& iface)
{
    port.uuid = iface.portId && !iface.portId->isNull() ? *iface.portId : util::Uuid::generate();
}

} // namespace

DomainInterface DomainInterface::parse(const util::XmlNode& node, unsigned flags)
{
    if (node.name() != "interface") {
        raise(ErrorCode::XmlError, "expecting root element of 'interface', not '{}'", node.name());
    }
    auto type = node.attr("type");
    if (!type) {
        raise(ErrorCode::InternalError, "missing type attribute in interface element");
    }
    if (*type != "network") {
        raise(ErrorCode::ConfigUnsupported,
              "interface type '{}' is not supported here, only 'network'", *type);
    }

    DomainInterface iface;
    iface.trustGuestRxFilters = parseTristateAttr(node, "trustGuestRxFilters");

    auto macNode = node.child("mac");
    auto macText = macNode ? macNode->attr("address") : std::nullopt;
    if (macText) {
        auto mac = util::MacAddr::parse(*macText);
        if (!mac) {
            raise(ErrorCode::InternalError, "unable to parse mac address '{}'", *macText);
        }
        if (mac->isMulticast()) {
            raise(ErrorCode::XmlError, "expected unicast mac address, found multicast '{}'",
                  *macText);
        }
        iface.mac = *mac;
    } else {
        iface.mac = util::MacAddr::generate();
    }

    auto source = node.child("source");
    auto network = source ? source->attr("network") : std::nullopt;
    if (!network) {
        raise(ErrorCode::InternalError,
              "No <source> 'network' attribute specified with <interface type='network'/>");
    }
    iface.network = *network;
    iface.portgroup = source->attr("portgroup").value_or("");
    if (auto portId = source->attr("portid")) {
        auto uuid = util::Uuid::parse(*portId);
        if (!uuid) {
            raise(ErrorCode::InternalError, "Unable to parse port id '{}'", *portId);
        }
        iface.portId = *uuid;
    }

    if (auto virtualPort = node.child("virtualport")) {
        iface.virtualPort =
            VirtualPort::parse(*virtualPort, VirtualPortParseFlags::GenerateMissingDefaults);
    }
    if (auto bandwidth = node.child("bandwidth")) {
        iface.bandwidth = Bandwidth::parse(*bandwidth, true);
    }
    if (auto vlan = node.child("vlan")) {
        iface.vlan = Vlan::parse(*vlan);
    }
    if (auto options = node.child("port")) {
        iface.isolatedPort = parseTristateAttr(*options, "isolated");
    }
    if ((flags & DomainInterfaceFlags::Status) != 0) {
        if (auto actual = node.child("actual")) {
            iface.actual = parseActual(*actual);
        }
    }
    return iface;
}

DomainInterface DomainInterface::parseString(std::string_view xml, unsigned flags)
{
    auto doc = util::XmlDocument::parse(xml, kInterfaceUrl, "interface");
    return parse(doc.root(), flags);
}

void DomainInterface::format(util::XmlWriter& writer, unsigned flags) const
{
    writer.start("interface");
    writer.attr("type", "network");
    if (trustGuestRxFilters != Tristate::Absent) {
        writer.attr("trustGuestRxFilters", util::toString(trustGuestRxFilters));
    }
    writer.start("mac");
    writer.attr("address", mac.toString());
    writer.end();
    writer.start("source");
    writer.attr("network", network);
    if (!portgroup.empty()) {
        writer.attr("portgroup", portgroup);
    }
    if (portId && !portId->isNull()) {
        writer.attr("portid", portId->toString());
    }
    writer.end();
    if ((flags & DomainInterfaceFlags::Status) != 0 && actual) {
        formatActual(writer, *actual, trustGuestRxFilters);
    }
    vlan.format(writer);
    if (virtualPort) {
        virtualPort->format(writer);
    }
    bandwidth.format(writer);
    formatPortOptions(writer, isolatedPort);
    writer.end();
}

std::string DomainInterface::format(unsigned flags) const
{
    util::XmlWriter writer;
    format(writer, flags);
    return std::move(writer).take();
}

namespace {

// What a <networkport>, an interface and its <actual> hold besides the plug, copied either way
// (libvirt's virDomainActualNetDefFromNetworkPort and ...ToNetworkPort copy the same); the
// class id where both have one.
template <typename From, typename To>
void copyPortSettings(const From& from, To& to)
{
    to.virtualPort = from.virtualPort;
    to.bandwidth = from.bandwidth;
    to.vlan = from.vlan;
    to.isolatedPort = from.isolatedPort;
    to.trustGuestRxFilters = from.trustGuestRxFilters;
    if constexpr (requires { from.classId; }) {
        to.classId = from.classId;
    }
}

// A port for the interface of the owner (a domain), with what the interface names: its uuid,
// portgroup and MAC.
NetworkPort portOwnedBy(const DomainInterface& iface, std::string_view ownerName,
                        const util::Uuid& ownerUuid)
{
    NetworkPort port;
    requirePortUuid(port, iface);
    port.ownerName = std::string(ownerName);
    port.ownerUuid = ownerUuid;
    port.group = iface.portgroup;
    port.mac = iface.mac;
    return port;
}

} // namespace

NetworkPort interfaceToNetworkPort(const DomainInterface& iface, std::string_view ownerName,
                                   const util::Uuid& ownerUuid)
{
    NetworkPort port = portOwnedBy(iface, ownerName, ownerUuid);
    copyPortSettings(iface, port);
    return port;
}

ActualInterface actualFromNetworkPort(const NetworkPort& port)
{
    ActualInterface actual;
    const Plug& plug = port.plug;
    switch (plug.type) {
    case PlugType::None:
    case PlugType::Last:
        raise(ErrorCode::InternalError, "network port '{}' has no plug", port.uuid.toString());
    case PlugType::Network:
    case PlugType::Bridge:
        actual.type = plug.type == PlugType::Network ? ActualType::Network : ActualType::Bridge;
        actual.bridge = plug.bridge;
        actual.macTableManager = plug.macTableManager;
        break;
    case PlugType::Direct:
        actual.type = ActualType::Direct;
        actual.dev = plug.dev;
        actual.mode = plug.mode;
        break;
    case PlugType::HostdevPci:
        actual.type = ActualType::Hostdev;
        actual.managed = plug.managed == Tristate::Yes;
        actual.driver = plug.driver;
        actual.address = plug.address;
        break;
    }
    copyPortSettings(port, actual);
    return actual;
}

NetworkPort actualToNetworkPort(const DomainInterface& iface, std::string_view ownerName,
                                const util::Uuid& ownerUuid)
{
    if (!iface.actual) {
        raise(ErrorCode::InternalError, "Missing actual data for interface '{}'",
              iface.mac.toString());
    }
    const ActualInterface& actual = *iface.actual;
    NetworkPort port = portOwnedBy(iface, ownerName, ownerUuid);

    Plug& plug = port.plug;
    switch (actual.type) {
    case ActualType::Network:
    case ActualType::Bridge:
        plug.type = actual.type == ActualType::Network ? PlugType::Network : PlugType::Bridge;
        plug.bridge = actual.bridge;
        plug.macTableManager = actual.macTableManager;
        break;
    case ActualType::Direct:
        plug.type = PlugType::Direct;
        plug.dev = actual.dev;
        plug.mode = actual.mode;
        break;
    case ActualType::Hostdev:
        plug.type = PlugType::HostdevPci;
        plug.managed = actual.managed ? Tristate::Yes : Tristate::No;
        plug.driver = actual.driver;
        plug.address = actual.address;
        break;
    case ActualType::Last:
        raise(ErrorCode::InternalError, "Unexpected network port type");
    }
    copyPortSettings(actual, port);
    return port;
}

} // namespace dvs::conf
