// SPDX-License-Identifier: LGPL-2.1-or-later
#include "conf/dvs_extension.h"

#include <algorithm>

#include "conf/network_attrs.h"
#include "util/error.h"
#include "util/number.h"

namespace dvs::conf {

namespace {

constexpr std::size_t kMaxInterfaceName = 15;

std::string qualified(std::string_view local)
{
    return std::string(kDvsPrefix) + ":" + std::string(local);
}

std::string requireAttr(const util::XmlNode& node, const char* name)
{
    auto text = node.attr(name);
    if (!text) {
        raise(ErrorCode::XmlError, "Missing required attribute '{}' in element '{}'", name,
              node.name());
    }
    return *text;
}

// The smallest MTU IPv4 works with, and the largest the kernel's MTU field holds.
constexpr unsigned kMinMtu = 68;
constexpr unsigned kMaxMtu = 65535;

std::optional<unsigned> parseMtuAttr(const util::XmlNode& node)
{
    auto text = node.attr("mtu");
    if (!text) {
        return std::nullopt;
    }
    auto value = util::parseNumber<unsigned>(*text, 10, util::Sign::Refuse);
    if (!value || *value < kMinMtu || *value > kMaxMtu) {
        raise(ErrorCode::XmlError,
              "Invalid value for attribute 'mtu' in element '{}': '{}'. Expected an integer from "
              "{} to {}",
              node.name(), *text, kMinMtu, kMaxMtu);
    }
    return value;
}

// Children of a dvs: element: only known dvs: elements are allowed.
std::vector<util::XmlNode> dvsChildren(const util::XmlNode& parent,
                                       std::initializer_list<std::string_view> known)
{
    auto children = parent.children();
    for (const auto& child : children) {
        bool ok = child.namespaceUri() == kDvsNamespace &&
                  std::find(known.begin(), known.end(), child.name()) != known.end();
        if (!ok) {
            raise(ErrorCode::XmlError, "unsupported element '{}' in <{}>", child.name(),
                  qualified(parent.name()));
        }
    }
    return children;
}

Uplink parseUplink(const util::XmlNode& node)
{
    Uplink uplink;
    auto type = detail::propEnum<UplinkType>(node, "type");
    if (!type) {
        raise(ErrorCode::XmlError, "Missing required attribute 'type' in element 'uplink'");
    }
    uplink.type = *type;
    uplink.name = node.attr("name").value_or("");
    uplink.mode = detail::propEnum<BondMode>(node, "mode");
    uplink.updelay = detail::propUInt(node, "updelay", 10);
    uplink.downdelay = detail::propUInt(node, "downdelay", 10);
    uplink.mtu = parseMtuAttr(node);

    for (const auto& child : dvsChildren(node, {"lacp", "interface"})) {
        if (child.name() == "lacp") {
            if (uplink.lacp) {
                raise(ErrorCode::XmlError, "Only one child <dvs:lacp> element allowed");
            }
            Lacp lacp;
            lacp.mode = detail::propEnum<LacpMode>(child, "mode").value_or(LacpMode::Active);
            lacp.rate = detail::propEnum<LacpRate>(child, "rate");
            uplink.lacp = lacp;
        } else {
            uplink.interfaces.push_back(requireAttr(child, "name"));
        }
    }
    return uplink;
}

} // namespace

bool isValidInterfaceName(std::string_view name)
{
    if (name.empty() || name.size() > kMaxInterfaceName || name == "." || name == "..") {
        return false;
    }
    return std::none_of(name.begin(), name.end(), [](char c) {
        return c == '/' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
               c == '\v' || c == '\f' || static_cast<unsigned char>(c) < 0x20;
    });
}

DvsExtension DvsExtension::parse(const util::XmlNode& element)
{
    if (element.name() != "network" || element.namespaceUri() != kDvsNamespace) {
        raise(ErrorCode::XmlError, "expecting element 'network' in namespace '{}', not '{}'",
              kDvsNamespace, element.name());
    }
    DvsExtension ext;
    ext.role = detail::propEnum<NetworkRole>(element, "role");
    for (const auto& child : dvsChildren(element, {"uplink"})) {
        if (ext.uplink) {
            raise(ErrorCode::XmlError, "Only one child <dvs:uplink> element allowed");
        }
        ext.uplink = parseUplink(child);
    }
    return ext;
}

void DvsExtension::format(util::XmlWriter& writer) const
{
    writer.start(qualified("network"));
    writer.attr("xmlns:" + std::string(kDvsPrefix), kDvsNamespace);
    if (role) {
        writer.attr("role", util::toString(*role));
    }
    if (uplink) {
        writer.start(qualified("uplink"));
        writer.attr("type", util::toString(uplink->type));
        if (!uplink->name.empty()) {
            writer.attr("name", uplink->name);
        }
        if (uplink->mode) {
            writer.attr("mode", util::toString(*uplink->mode));
        }
        if (uplink->updelay) {
            writer.attr("updelay", *uplink->updelay);
        }
        if (uplink->downdelay) {
            writer.attr("downdelay", *uplink->downdelay);
        }
        if (uplink->mtu) {
            writer.attr("mtu", *uplink->mtu);
        }
        if (uplink->lacp) {
            writer.start(qualified("lacp"));
            writer.attr("mode", util::toString(uplink->lacp->mode));
            if (uplink->lacp->rate) {
                writer.attr("rate", util::toString(*uplink->lacp->rate));
            }
            writer.end();
        }
        for (const auto& name : uplink->interfaces) {
            writer.start(qualified("interface"));
            writer.attr("name", name);
            writer.end();
        }
        writer.end();
    }
    writer.end();
}

void DvsExtension::validate() const
{
    if (!uplink) {
        return;
    }
    const Uplink& up = *uplink;
    auto typeName = util::toString(up.type);

    for (std::size_t i = 0; i < up.interfaces.size(); ++i) {
        const auto& name = up.interfaces[i];
        if (!isValidInterfaceName(name)) {
            raise(ErrorCode::XmlError, "invalid uplink interface name '{}'", name);
        }
        if (std::find(up.interfaces.begin(), up.interfaces.begin() + i, name) !=
            up.interfaces.begin() + i) {
            raise(ErrorCode::XmlError, "interface '{}' is listed more than once in the uplink",
                  name);
        }
    }

    if (up.type == UplinkType::Interface) {
        if (up.interfaces.size() != 1) {
            raise(ErrorCode::XmlError,
                  "uplink of type 'interface' needs exactly one <dvs:interface>, not {}",
                  up.interfaces.size());
        }
        if (!up.name.empty() || up.mode || up.lacp || up.updelay || up.downdelay) {
            raise(ErrorCode::ConfigUnsupported,
                  "bond settings are not supported on an uplink of type 'interface'");
        }
        return;
    }

    if (up.name.empty()) {
        raise(ErrorCode::XmlError, "uplink of type '{}' has no bond name", typeName);
    }
    if (!isValidInterfaceName(up.name)) {
        raise(ErrorCode::XmlError, "invalid bond name '{}'", up.name);
    }
    if (std::find(up.interfaces.begin(), up.interfaces.end(), up.name) != up.interfaces.end()) {
        raise(ErrorCode::XmlError, "bond '{}' cannot be a member of itself", up.name);
    }
    if (up.interfaces.size() < 2) {
        raise(ErrorCode::XmlError, "uplink of type '{}' needs at least two interfaces, not {}",
              typeName, up.interfaces.size());
    }

    BondMode mode = up.mode.value_or(BondMode::ActiveBackup);
    bool lacpOn = up.lacp && up.lacp->mode != LacpMode::Off;
    if (up.lacp && up.lacp->rate && !lacpOn) {
        raise(ErrorCode::ConfigUnsupported,
              "LACP rate '{}' requires LACP mode 'active' or 'passive'",
              util::toString(*up.lacp->rate));
    }

    if (up.type == UplinkType::OvsBond) {
        if (mode != BondMode::ActiveBackup && mode != BondMode::BalanceSlb &&
            mode != BondMode::BalanceTcp) {
            raise(ErrorCode::ConfigUnsupported,
                  "bond mode '{}' is not supported on an uplink of type 'ovs-bond'",
                  util::toString(mode));
        }
        if (mode == BondMode::BalanceTcp && !lacpOn) {
            raise(ErrorCode::ConfigUnsupported,
                  "bond mode 'balance-tcp' requires LACP mode 'active' or 'passive'");
        }
        return;
    }

    // Linux bond.
    if (mode != BondMode::ActiveBackup && mode != BondMode::BalanceXor &&
        mode != BondMode::Ieee8023ad) {
        raise(ErrorCode::ConfigUnsupported,
              "bond mode '{}' is not supported on an uplink of type 'linux-bond'",
              util::toString(mode));
    }
    if (mode == BondMode::Ieee8023ad) {
        if (up.lacp && up.lacp->mode == LacpMode::Off) {
            raise(ErrorCode::ConfigUnsupported,
                  "LACP mode 'off' is not supported with bond mode '802.3ad'");
        }
    } else if (up.lacp) {
        raise(ErrorCode::ConfigUnsupported,
              "LACP on a Linux bond requires bond mode '802.3ad', not '{}'", util::toString(mode));
    }
}

void DvsExtension::validateUplink(UplinkHost host, std::string_view forwardMode,
                                  const std::vector<std::string>& poolDevices) const
{
    if (!uplink) {
        return;
    }
    auto typeName = util::toString(uplink->type);
    // The device guests are attached through: the bond, or the single interface.
    const std::string& device =
        uplink->type == UplinkType::Interface
            ? (uplink->interfaces.empty() ? uplink->name : uplink->interfaces.front())
            : uplink->name;
    if (uplink->mtu && host != UplinkHost::OvsBridge) {
        raise(ErrorCode::ConfigUnsupported,
              "an uplink MTU is supported on Open vSwitch networks only, not with forward mode "
              "'{}'",
              forwardMode);
    }
    switch (host) {
    case UplinkHost::OvsBridge:
        if (uplink->type == UplinkType::LinuxBond) {
            raise(ErrorCode::ConfigUnsupported,
                  "uplink of type 'linux-bond' is not supported on an Open vSwitch network, use "
                  "'ovs-bond'");
        }
        return;
    case UplinkHost::LinuxBridge:
        if (uplink->type == UplinkType::OvsBond) {
            raise(ErrorCode::ConfigUnsupported,
                  "uplink of type 'ovs-bond' requires an Open vSwitch network (<virtualport "
                  "type='openvswitch'/>)");
        }
        return;
    case UplinkHost::Macvtap:
        if (uplink->type == UplinkType::OvsBond) {
            raise(ErrorCode::ConfigUnsupported,
                  "uplink of type 'ovs-bond' is not supported with forward mode '{}', use "
                  "'linux-bond'",
                  forwardMode);
        }
        if (std::find(poolDevices.begin(), poolDevices.end(), device) == poolDevices.end()) {
            raise(ErrorCode::ConfigUnsupported,
                  "uplink '{}' is not one of the forward interfaces of the network", device);
        }
        return;
    case UplinkHost::Hostdev:
        if (uplink->type != UplinkType::Interface) {
            raise(ErrorCode::ConfigUnsupported,
                  "uplink of type '{}' is not supported with forward mode 'hostdev'", typeName);
        }
        return;
    case UplinkHost::Routed:
        raise(ErrorCode::ConfigUnsupported,
              "an uplink is not supported with forward mode '{}', the network routes through "
              "the host",
              forwardMode);
    }
}

} // namespace dvs::conf
