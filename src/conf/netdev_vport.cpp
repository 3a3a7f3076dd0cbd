// SPDX-License-Identifier: LGPL-2.1-or-later
#include "conf/netdev_vport.h"

#include "util/error.h"
#include "util/number.h"

namespace dvs::conf {

namespace {

using Type = VirtualPortType;

bool takesQbgParameters(Type type)
{
    return type == Type::Qbg || type == Type::None;
}

bool takesInterfaceId(Type type)
{
    return type == Type::OpenVSwitch || type == Type::Midonet || type == Type::None;
}

bool takesProfileId(Type type)
{
    return type == Type::OpenVSwitch || type == Type::Qbh || type == Type::None;
}

// The name of the first 802.1Qbg parameter (managerid, typeid, typeidversion, instanceid) the
// port sets, or null.
const char* firstQbgParameter(const VirtualPort& port)
{
    if (port.managerId) {
        return "managerid";
    }
    if (port.typeId) {
        return "typeid";
    }
    if (port.typeIdVersion) {
        return "typeidversion";
    }
    if (port.instanceId) {
        return "instanceid";
    }
    return nullptr;
}

unsigned parseParameter(const std::string& text, unsigned max, const char* name,
                        const char* rangeMessage)
{
    auto value = util::parseNumber<unsigned>(text, 0);
    if (!value) {
        raise(ErrorCode::XmlError, "cannot parse value of {} parameter", name);
    }
    if (*value > max) {
        throw Error(ErrorCode::XmlError, rangeMessage);
    }
    return *value;
}

util::Uuid parseUuidParameter(const std::string& text, const char* name)
{
    auto uuid = util::Uuid::parse(text);
    if (!uuid) {
        raise(ErrorCode::XmlError, "cannot parse {} parameter as a uuid", name);
    }
    return *uuid;
}

// Merges one optional parameter of mods into orig; the message gets both values.
template <typename T, typename Show>
void mergeField(std::optional<T>& orig, const std::optional<T>& mods, bool applies,
                const char* mismatchFormat, Show show)
{
    if (!mods || !applies) {
        return;
    }
    if (orig && *orig != *mods) {
        throw Error(ErrorCode::XmlError,
                    fmt::format(fmt::runtime(mismatchFormat), show(*orig), show(*mods)));
    }
    orig = mods;
}

void merge(VirtualPort& orig, const VirtualPort* mods)
{
    if (mods == nullptr) {
        return;
    }
    if (mods->type != Type::None) {
        if (orig.type != Type::None && orig.type != mods->type) {
            raise(ErrorCode::XmlError,
                  "attempt to merge virtualports with mismatched types ({} and {})",
                  util::toString(orig.type), util::toString(mods->type));
        }
        orig.type = mods->type;
    }
    Type type = orig.type;
    auto number = [](unsigned v) { return v; };
    auto uuid = [](const util::Uuid& v) { return v.toString(); };
    auto text = [](const std::string& v) { return v; };
    mergeField(orig.managerId, mods->managerId, takesQbgParameters(type),
               "attempt to merge virtualports with mismatched managerids ({} and {})", number);
    mergeField(orig.typeId, mods->typeId, takesQbgParameters(type),
               "attempt to merge virtualports with mismatched typeids ({} and {})", number);
    mergeField(orig.typeIdVersion, mods->typeIdVersion, takesQbgParameters(type),
               "attempt to merge virtualports with mismatched typeidversions ({} and {})", number);
    mergeField(orig.instanceId, mods->instanceId, takesQbgParameters(type),
               "attempt to merge virtualports with mismatched instanceids ('{}' and '{}')", uuid);
    mergeField(orig.interfaceId, mods->interfaceId, takesInterfaceId(type),
               "attempt to merge virtualports with mismatched interfaceids ('{}' and '{}')", uuid);
    mergeField(orig.profileId, mods->profileId, takesProfileId(type),
               "attempt to merge virtualports with mismatched profileids ('{}' and '{}')", text);
}

} // namespace

bool VirtualPort::empty() const
{
    return type == Type::None && !managerId && !typeId && !typeIdVersion && !instanceId &&
           !interfaceId && !profileId;
}

VirtualPort VirtualPort::parse(const util::XmlNode& element, unsigned flags)
{
    VirtualPort port;
    if (auto typeText = element.attr("type")) {
        auto type = util::fromString<Type>(*typeText);
        if (!type || *type == Type::None) {
            raise(ErrorCode::ConfigUnsupported, "unknown virtualport type {}", *typeText);
        }
        port.type = *type;
    }
    if (port.type == Type::None && (flags & VirtualPortParseFlags::RequireType) != 0) {
        raise(ErrorCode::XmlError, "missing required virtualport type");
    }

    if (auto parameters = element.child("parameters")) {
        if (auto v = parameters->attr("managerid")) {
            port.managerId =
                parseParameter(*v, 0xff, "managerid", "value of managerid out of range");
        }
        if (auto v = parameters->attr("typeid")) {
            port.typeId = parseParameter(*v, 0xffffff, "typeid", "value for typeid out of range");
        }
        if (auto v = parameters->attr("typeidversion")) {
            port.typeIdVersion =
                parseParameter(*v, 0xff, "typeidversion", "value of typeidversion out of range");
        }
        if (auto v = parameters->attr("instanceid")) {
            port.instanceId = parseUuidParameter(*v, "instanceid");
        }
        if (auto v = parameters->attr("profileid")) {
            if (v->size() > kMaxProfileIdLength) {
                raise(ErrorCode::XmlError, "profileid parameter too long");
            }
            if (!v->empty()) {
                port.profileId = *v;
            }
        }
        if (auto v = parameters->attr("interfaceid")) {
            port.interfaceId = parseUuidParameter(*v, "interfaceid");
        }
    }

    if ((flags & VirtualPortParseFlags::GenerateMissingDefaults) != 0) {
        if (!port.instanceId && (port.type == Type::Qbg || port.type == Type::None)) {
            port.instanceId = util::Uuid::generate();
        }
        if (!port.interfaceId && (port.type == Type::OpenVSwitch || port.type == Type::None)) {
            port.interfaceId = util::Uuid::generate();
        }
    }
    if ((flags & VirtualPortParseFlags::RequireAllAttributes) != 0) {
        port.checkComplete(false);
    }
    port.checkValid();
    return port;
}

void VirtualPort::format(util::XmlWriter& writer) const
{
    if (empty()) {
        return;
    }
    writer.start("virtualport");
    if (type != Type::None) {
        writer.attr("type", util::toString(type));
    }
    bool noParameters =
        !managerId && !typeId && !typeIdVersion && !instanceId && !interfaceId && !profileId;
    if (!noParameters) {
        writer.start("parameters");
        if (managerId && takesQbgParameters(type)) {
            writer.attr("managerid", *managerId);
        }
        if (typeId && takesQbgParameters(type)) {
            writer.attr("typeid", *typeId);
        }
        if (typeIdVersion && takesQbgParameters(type)) {
            writer.attr("typeidversion", *typeIdVersion);
        }
        if (instanceId && takesQbgParameters(type)) {
            writer.attr("instanceid", instanceId->toString());
        }
        if (interfaceId && takesInterfaceId(type)) {
            writer.attr("interfaceid", interfaceId->toString());
        }
        if (profileId && takesProfileId(type)) {
            writer.attr("profileid", *profileId);
        }
        writer.end();
    }
    writer.end();
}

VirtualPort VirtualPort::merge3(const VirtualPort* fromInterface, const VirtualPort* fromNetwork,
                                const VirtualPort* fromPortgroup)
{
    auto untyped = [](const VirtualPort* p) { return p == nullptr || p->type == Type::None; };
    if (untyped(fromInterface) && untyped(fromNetwork) && untyped(fromPortgroup)) {
        return {};
    }
    VirtualPort result = fromInterface != nullptr ? *fromInterface : VirtualPort{};
    merge(result, fromNetwork);
    merge(result, fromPortgroup);
    return result;
}

void VirtualPort::checkComplete(bool generateMissing)
{
    // A missing uuid parameter is generated when asked to, else named.
    auto requireUuid = [generateMissing](std::optional<util::Uuid>& id,
                                         const char* name) -> const char* {
        if (!id && generateMissing) {
            id = util::Uuid::generate();
        }
        return id ? nullptr : name;
    };
    const char* missing = nullptr;
    switch (type) {
    case Type::None:
    case Type::Last:
        return;
    case Type::Qbg:
        if (!managerId) {
            missing = "managerid";
        } else if (!typeId) {
            missing = "typeid";
        } else if (!typeIdVersion) {
            missing = "typeidversion";
        } else {
            missing = requireUuid(instanceId, "instanceid");
        }
        break;
    case Type::Qbh:
        if (!profileId) {
            missing = "profileid";
        }
        break;
    case Type::OpenVSwitch:
        // profileid is optional for openvswitch.
        missing = requireUuid(interfaceId, "interfaceid");
        break;
    case Type::Midonet:
        if (!interfaceId) {
            missing = "interfaceid";
        }
        break;
    }
    if (missing != nullptr) {
        raise(ErrorCode::XmlError, "missing {} in <virtualport type='{}'>", missing,
              util::toString(type));
    }
}

void VirtualPort::checkValid() const
{
    const char* extra = nullptr;
    switch (type) {
    case Type::None:
    case Type::Last:
        return;
    case Type::Qbg:
        if (profileId) {
            extra = "profileid";
        } else if (interfaceId) {
            extra = "interfaceid";
        }
        break;
    case Type::Qbh:
        extra = firstQbgParameter(*this);
        if (extra == nullptr && interfaceId) {
            extra = "interfaceid";
        }
        break;
    case Type::OpenVSwitch:
    case Type::Midonet:
        extra = firstQbgParameter(*this);
        if (extra == nullptr && type == Type::Midonet && profileId) {
            extra = "profileid";
        }
        break;
    }
    if (extra != nullptr) {
        raise(ErrorCode::XmlError, "extra {} unsupported in <virtualport type='{}'>", extra,
              util::toString(type));
    }
}

} // namespace dvs::conf
