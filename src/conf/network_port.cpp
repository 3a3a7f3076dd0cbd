// SPDX-License-Identifier: LGPL-2.1-or-later
#include "conf/network_port.h"

#include <fmt/format.h>

#include "conf/schema.h"
#include "util/error.h"
#include "util/number.h"

namespace dvs::conf {

namespace {

constexpr std::string_view kPortUrl = "(networkport_definition)";

// virXPathString semantics: the text of the first matching child, nullopt when missing or empty.
std::optional<std::string> childText(const util::XmlNode& node, std::string_view name)
{
    auto child = node.child(name);
    if (!child) {
        return std::nullopt;
    }
    auto text = child->text();
    if (text.empty()) {
        return std::nullopt;
    }
    return text;
}

util::Uuid parsePortUuid(const std::string& text)
{
    auto uuid = util::Uuid::parse(text);
    if (!uuid) {
        raise(ErrorCode::InternalError, "Unable to parse UUID '{}'", text);
    }
    return *uuid;
}

} // namespace

Tristate parseTristateAttr(const util::XmlNode& element, const char* name)
{
    auto text = element.attr(name);
    if (!text) {
        return Tristate::Absent;
    }
    auto value = util::fromString<Tristate>(*text);
    if (!value || *value == Tristate::Absent) {
        raise(ErrorCode::XmlError, "Invalid value for attribute '{}' in element '{}': '{}'.", name,
              element.name(), *text);
    }
    return *value;
}

NetworkPort NetworkPort::parse(const util::XmlNode& root)
{
    if (root.name() != "networkport") {
        raise(ErrorCode::XmlError, "unknown root element for network port");
    }
    NetworkPort port;

    auto uuid = childText(root, "uuid");
    if (!uuid) {
        raise(ErrorCode::InternalError, "network port has no uuid");
    }
    port.uuid = parsePortUuid(*uuid);

    auto owner = root.child("owner");
    auto ownerName = owner ? childText(*owner, "name") : std::nullopt;
    if (!ownerName) {
        raise(ErrorCode::InternalError, "network port has no owner name");
    }
    port.ownerName = *ownerName;
    auto ownerUuid = owner ? childText(*owner, "uuid") : std::nullopt;
    if (!ownerUuid) {
        raise(ErrorCode::InternalError, "network port has no owner UUID");
    }
    port.ownerUuid = parsePortUuid(*ownerUuid);

    port.group = childText(root, "group").value_or("");

    if (auto virtualPort = root.child("virtualport")) {
        // An empty <virtualport/> formats to nothing: keep it as absent, so that a port reads
        // back from its state file as it was created.
        if (auto parsed = VirtualPort::parse(*virtualPort, 0); !parsed.empty()) {
            port.virtualPort = std::move(parsed);
        }
    }

    auto macNode = root.child("mac");
    auto macText = macNode ? macNode->attr("address") : std::nullopt;
    if (!macText || macText->empty()) {
        raise(ErrorCode::InternalError, "network port has no mac");
    }
    auto mac = util::MacAddr::parse(*macText);
    if (!mac) {
        raise(ErrorCode::InternalError, "Unable to parse MAC '{}'", *macText);
    }
    port.mac = *mac;

    // Whether floor is allowed depends on the network the port ends up on, so it is accepted
    // here and checked at allocation.
    if (auto bandwidth = root.child("bandwidth")) {
        port.bandwidth = Bandwidth::parse(*bandwidth, true, &port.classId);
        // The class id is written inside <bandwidth>, which an empty one leaves out: such a
        // port reads back without it, so it has none.
        if (port.bandwidth.empty()) {
            port.classId = 0;
        }
    }
    if (auto vlan = root.child("vlan")) {
        port.vlan = Vlan::parse(*vlan);
    }
    if (auto options = root.child("port")) {
        port.isolatedPort = parseTristateAttr(*options, "isolated");
    }
    if (auto rxfilters = root.child("rxfilters")) {
        port.trustGuestRxFilters = parseTristateAttr(*rxfilters, "trustGuest");
    }

    auto plugNode = root.child("plug");
    if (!plugNode) {
        return port;
    }
    Plug& plug = port.plug;
    if (auto typeText = plugNode->attr("type")) {
        auto type = util::fromString<PlugType>(*typeText);
        if (!type) {
            raise(ErrorCode::XmlError,
                  "Invalid value for attribute 'type' in element 'plug': '{}'.", *typeText);
        }
        plug.type = *type;
    }
    switch (plug.type) {
    case PlugType::None:
    case PlugType::Last:
        break;
    case PlugType::Network:
    case PlugType::Bridge: {
        auto bridge = plugNode->attr("bridge");
        if (!bridge) {
            raise(ErrorCode::XmlError, "Missing network port bridge name");
        }
        plug.bridge = *bridge;
        if (auto manager = plugNode->attr("macTableManager")) {
            auto value = util::fromString<MacTableManager>(*manager);
            if (!value || *value == MacTableManager::Default) {
                raise(ErrorCode::XmlError, "Invalid macTableManager setting '{}' in network port",
                      *manager);
            }
            plug.macTableManager = *value;
        }
        break;
    }
    case PlugType::Direct: {
        auto dev = plugNode->attr("dev");
        if (!dev) {
            raise(ErrorCode::XmlError, "Missing network port link device name");
        }
        plug.dev = *dev;
        if (auto mode = plugNode->attr("mode")) {
            auto value = util::fromString<MacvlanMode>(*mode);
            if (!value) {
                raise(ErrorCode::XmlError, "Invalid mode setting '{}' in network port", *mode);
            }
            plug.mode = *value;
        }
        break;
    }
    case PlugType::HostdevPci: {
        plug.managed = parseTristateAttr(*plugNode, "managed");
        if (auto driver = plugNode->child("driver")) {
            if (auto name = driver->attr("name"); name && !name->empty()) {
                auto value = util::fromString<ForwardDriverName>(*name);
                if (!value || *value == ForwardDriverName::Default) {
                    raise(ErrorCode::XmlError, "Missing network port driver name");
                }
                plug.driver = *value;
            }
        }
        auto address = plugNode->child("address");
        if (!address) {
            raise(ErrorCode::XmlError, "Missing network port PCI address");
        }
        plug.address = PciAddress::parse(*address);
        break;
    }
    }
    return port;
}

NetworkPort NetworkPort::parseString(std::string_view xml, unsigned flags)
{
    auto doc = util::XmlDocument::parse(xml, kPortUrl, "networkport");
    if ((flags & NetworkPortParseFlags::Validate) != 0) {
        validateSchema(doc, "networkport.rng");
    }
    return parse(doc.root());
}

void NetworkPort::format(util::XmlWriter& writer) const
{
    writer.start("networkport");
    writer.element("uuid", uuid.toString());
    writer.start("owner");
    writer.element("name", ownerName);
    writer.element("uuid", ownerUuid.toString());
    writer.end();
    if (!group.empty()) {
        writer.element("group", group);
    }
    writer.start("mac");
    writer.attr("address", mac.toString());
    writer.end();
    if (virtualPort) {
        virtualPort->format(writer);
    }
    bandwidth.format(writer, classId);
    vlan.format(writer);
    if (isolatedPort != Tristate::Absent) {
        writer.start("port");
        writer.attr("isolated", util::toString(isolatedPort));
        writer.end();
    }
    if (trustGuestRxFilters != Tristate::Absent) {
        writer.start("rxfilters");
        writer.attr("trustGuest", util::toString(trustGuestRxFilters));
        writer.end();
    }
    switch (plug.type) {
    case PlugType::None:
    case PlugType::Last:
        break;
    case PlugType::Network:
    case PlugType::Bridge:
        writer.start("plug");
        writer.attr("type", util::toString(plug.type));
        writer.attr("bridge", plug.bridge);
        if (plug.macTableManager != MacTableManager::Default) {
            writer.attr("macTableManager", util::toString(plug.macTableManager));
        }
        writer.end();
        break;
    case PlugType::Direct:
        writer.start("plug");
        writer.attr("type", util::toString(plug.type));
        writer.attr("dev", plug.dev);
        writer.attr("mode", util::toString(plug.mode));
        writer.end();
        break;
    case PlugType::HostdevPci:
        writer.start("plug");
        writer.attr("type", util::toString(plug.type));
        if (plug.managed != Tristate::Absent) {
            writer.attr("managed", util::toString(plug.managed));
        }
        writer.forceOpen();
        if (plug.driver != ForwardDriverName::Default) {
            writer.start("driver");
            writer.attr("name", util::toString(plug.driver));
            writer.end();
        }
        plug.address.format(writer, false);
        writer.end();
        break;
    }
    writer.end();
}

std::string NetworkPort::format() const
{
    util::XmlWriter writer;
    format(writer);
    return std::move(writer).take();
}

} // namespace dvs::conf
