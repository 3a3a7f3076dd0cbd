// SPDX-License-Identifier: LGPL-2.1-or-later
#include "network_def.h"

#include <netinet/in.h>
#include <strings.h>
#include <unordered_map>

#include <fmt/format.h>

#include "network_attrs.h"
#include "schema.h"
#include "util/error.h"
#include "util/number.h"
#include "util/xml_metadata.h"

namespace dvs::conf {

namespace {

using detail::xpathAttr;
using detail::xpathChildAttr;

std::vector<std::string> parseDnsmasqOptions(const util::XmlNode& root)
{
    std::vector<std::string> options;
    for (const auto& child : root.children()) {
        if (child.name() != "options" || child.namespaceUri() != kDnsmasqNamespace) {
            continue;
        }
        for (const auto& option : child.children()) {
            if (option.name() != "option" || option.namespaceUri() != kDnsmasqNamespace) {
                continue;
            }
            auto value = option.attr("value");
            if (!value) {
                raise(ErrorCode::XmlError, "No dnsmasq options value specified");
            }
            options.push_back(*value);
        }
    }
    return options;
}

// The forward-mode consistency checks at the end of virNetworkDefParseXML.
void checkForwardMode(const NetworkDef& def)
{
    auto mode = util::toString(def.forward.mode);
    switch (def.forward.mode) {
    case ForwardMode::None:
        break;
    case ForwardMode::Route:
    case ForwardMode::Nat:
        if (def.ips.empty()) {
            raise(ErrorCode::XmlError,
                  "{} forwarding requested, but no IP address provided for network '{}'", mode,
                  def.name);
        }
        if (def.forward.interfaces.size() > 1) {
            raise(ErrorCode::XmlError,
                  "multiple forwarding interfaces specified for network '{}', only one is "
                  "supported",
                  def.name);
        }
        break;
    case ForwardMode::Open:
        if (!def.forward.interfaces.empty()) {
            raise(ErrorCode::XmlError,
                  "forward dev not allowed for network '{}' with forward mode='{}'", def.name,
                  mode);
        }
        break;
    case ForwardMode::Private:
    case ForwardMode::Vepa:
    case ForwardMode::Passthrough:
    case ForwardMode::Hostdev:
        if (def.bridge) {
            raise(ErrorCode::XmlError, "bridge name not allowed in {} mode (network '{}')", mode,
                  def.name);
        }
        if (def.bridgeZone) {
            raise(ErrorCode::XmlError, "bridge zone not allowed in {} mode (network '{}')", mode,
                  def.name);
        }
        if (def.macTableManager != MacTableManager::Default) {
            raise(ErrorCode::XmlError,
                  "bridge macTableManager setting not allowed in {} mode (network '{}')", mode,
                  def.name);
        }
        [[fallthrough]];
    case ForwardMode::Bridge:
        if (def.delay != 0 || def.stpSpecified || def.bridgeZone) {
            raise(ErrorCode::XmlError,
                  "bridge delay/stp/zone options only allowed in open, route, nat, and isolated "
                  "mode, not in {} (network '{}')",
                  mode, def.name);
        }
        if (def.bridge && (!def.forward.interfaces.empty() || !def.forward.pfs.empty())) {
            raise(ErrorCode::XmlError,
                  "A network with forward mode='{}' can specify a bridge name or a forward dev, "
                  "but not both (network '{}')",
                  mode, def.name);
        }
        break;
    case ForwardMode::Last:
        break;
    }

    if (def.mtu != 0) {
        switch (def.forward.mode) {
        case ForwardMode::None:
        case ForwardMode::Nat:
        case ForwardMode::Route:
        case ForwardMode::Open:
        case ForwardMode::Last:
            break;
        default:
            raise(ErrorCode::XmlError,
                  "mtu size only allowed in open, route, nat, and isolated mode, not in {} "
                  "(network '{}')",
                  mode, def.name);
        }
    }
}

// Every static route's gateway must be directly reachable through one of the network's
// addresses.
void checkRouteGateways(const NetworkDef& def)
{
    for (const auto& route : def.routes) {
        bool reachable = false;
        for (const auto& ip : def.ips) {
            if (route.gateway.family() != ip.address.family()) {
                continue;
            }
            int prefix = ip.effectivePrefix();
            if (prefix < 0) {
                continue;
            }
            auto network = ip.address.maskByPrefix(static_cast<unsigned>(prefix));
            auto gateway = route.gateway.maskByPrefix(static_cast<unsigned>(prefix));
            if (network && gateway && network->equals(*gateway)) {
                reachable = true;
                break;
            }
        }
        if (!reachable) {
            raise(ErrorCode::ConfigUnsupported,
                  "unreachable static route gateway '{}' specified for network '{}'",
                  route.gateway.toString(), def.name);
        }
    }
}

} // namespace

Portgroup Portgroup::parse(const util::XmlNode& node)
{
    Portgroup pg;
    auto name = xpathAttr(node, "name");
    if (!name) {
        raise(ErrorCode::XmlError, "Missing required name attribute in portgroup");
    }
    pg.name = *name;
    if (auto isDefault = xpathAttr(node, "default")) {
        pg.isDefault = strcasecmp(isDefault->c_str(), "yes") == 0;
    }
    pg.trustGuestRxFilters = detail::propTristate(node, "trustGuestRxFilters");
    if (auto vport = node.child("virtualport")) {
        // An empty <virtualport/> formats to nothing; absent is what reads back.
        if (auto parsed = VirtualPort::parse(*vport, 0); !parsed.empty()) {
            pg.virtualPort = std::move(parsed);
        }
    }
    if (auto bandwidth = node.child("bandwidth")) {
        pg.bandwidth = Bandwidth::parse(*bandwidth, false);
    }
    if (auto vlan = node.child("vlan")) {
        pg.vlan = Vlan::parse(*vlan);
    }
    return pg;
}

void Portgroup::format(util::XmlWriter& writer) const
{
    writer.start("portgroup");
    writer.attr("name", name);
    if (isDefault) {
        writer.attr("default", "yes");
    }
    if (trustGuestRxFilters != Tristate::Absent) {
        writer.attr("trustGuestRxFilters", detail::tristateToString(trustGuestRxFilters));
    }
    writer.forceOpen();
    vlan.format(writer);
    if (virtualPort) {
        virtualPort->format(writer);
    }
    bandwidth.format(writer);
    writer.end();
}

NetworkDef NetworkDef::parseString(std::string_view xml, unsigned parseFlags)
{
    auto doc = util::XmlDocument::parse(xml, "(network_definition)", "network");
    if ((parseFlags & NetworkParseFlags::Validate) != 0) {
        validateSchema(doc, "network.rng");
    }
    return parse(doc.root(), parseFlags & ~NetworkParseFlags::Validate);
}

NetworkDef NetworkDef::parse(const util::XmlNode& root, unsigned parseFlags)
{
    if ((parseFlags & NetworkParseFlags::Validate) != 0) {
        raise(ErrorCode::InternalError,
              "schema validation needs the whole document: use NetworkDef::parseString");
    }
    if (root.name() != "network" || !root.namespaceUri().empty()) {
        raise(ErrorCode::XmlError, "expecting root element of '{}', not '{}'", "network",
              root.name());
    }

    NetworkDef def;
    auto name = detail::xpathChildText(root, "name");
    if (!name) {
        throw Error(ErrorCode::NoName, "");
    }
    // libvirt's virXMLCheckIllegalChars prints the character itself ("%c").
    if (auto bad = name->find('/'); bad != std::string::npos) {
        raise(ErrorCode::XmlDetail, "invalid char in {}: {}", "name", (*name)[bad]);
    }
    def.name = *name;

    if (auto uuid = detail::xpathChildText(root, "uuid")) {
        auto parsed = util::Uuid::parse(*uuid);
        if (!parsed) {
            raise(ErrorCode::InternalError, "malformed uuid element");
        }
        def.uuid = *parsed;
        def.uuidSpecified = true;
    } else {
        def.uuid = util::Uuid::generate();
    }

    def.title = detail::xpathChildText(root, "title");
    if (def.title && def.title->find('\n') != std::string::npos) {
        raise(ErrorCode::XmlError, "Network title can't contain newlines");
    }
    def.description = detail::xpathChildText(root, "description");

    if (auto ipv6 = xpathAttr(root, "ipv6")) {
        if (*ipv6 == "yes") {
            def.ipv6NoGateway = true;
        } else if (*ipv6 != "no") {
            raise(ErrorCode::XmlError, "Invalid ipv6 setting '{}' in network '{}'", *ipv6,
                  def.name);
        }
    }

    def.trustGuestRxFilters = detail::propTristate(root, "trustGuestRxFilters");

    if (auto domain = root.child("domain")) {
        def.domain = domain->attr("name");
        def.domainLocalOnly = detail::propTristate(*domain, "localOnly");
    }

    if (auto bandwidth = root.child("bandwidth")) {
        def.bandwidth = Bandwidth::parse(*bandwidth, false);
    }
    if (auto vlan = root.child("vlan")) {
        def.vlan = Vlan::parse(*vlan);
    }
    if (auto port = root.child("port")) {
        def.portIsolated = detail::propTristate(*port, "isolated");
    }

    def.bridge = xpathChildAttr(root, "bridge", "name");
    def.bridgeZone = xpathChildAttr(root, "bridge", "zone");
    auto stp = xpathChildAttr(root, "bridge", "stp");
    def.stpSpecified = stp.has_value();
    def.stp = !(stp && *stp == "off");
    if (auto delay = xpathChildAttr(root, "bridge", "delay")) {
        auto value = util::parseNumber<unsigned long>(*delay, 10, util::Sign::Refuse);
        if (!value) {
            raise(ErrorCode::XmlError, "Invalid delay value in network '{}'", def.name);
        }
        def.delay = *value;
    }
    if (auto manager = xpathChildAttr(root, "bridge", "macTableManager")) {
        auto value = util::fromString<MacTableManager>(*manager);
        if (!value || *value == MacTableManager::Default) {
            raise(ErrorCode::XmlError, "Invalid macTableManager setting '{}' in network '{}'",
                  *manager, def.name);
        }
        def.macTableManager = *value;
    }

    if (auto macText = xpathChildAttr(root, "mac", "address")) {
        auto mac = util::MacAddr::parse(*macText);
        if (!mac) {
            raise(ErrorCode::XmlError, "Invalid bridge mac address '{}' in network '{}'", *macText,
                  def.name);
        }
        if (mac->isMulticast()) {
            raise(ErrorCode::XmlError, "Invalid multicast bridge mac address '{}' in network '{}'",
                  *macText, def.name);
        }
        def.mac = *mac;
    }

    if (auto mtu = xpathChildAttr(root, "mtu", "size")) {
        auto value = util::parseNumber<unsigned>(*mtu, 10, util::Sign::Wrap);
        if (!value) {
            raise(ErrorCode::XmlError, "Invalid mtu size '{}' in network '{}'", *mtu, def.name);
        }
        def.mtu = *value;
    }

    if (auto dns = root.child("dns")) {
        def.dns = Dns::parse(def.name, *dns);
    }

    if (auto vport = root.child("virtualport")) {
        def.virtualPort = VirtualPort::parse(*vport, VirtualPortParseFlags::RequireType);
    }

    for (const auto& pg : root.children("portgroup")) {
        def.portgroups.push_back(Portgroup::parse(pg));
    }
    for (const auto& ip : root.children("ip")) {
        def.ips.push_back(NetworkIp::parse(def.name, ip));
    }
    for (const auto& route : root.children("route")) {
        def.routes.push_back(Route::parse(def.name, route));
    }
    checkRouteGateways(def);

    if (auto forward = root.child("forward")) {
        def.forward = Forward::parse(def.name, *forward);
    }
    checkForwardMode(def);

    if (auto metadata = root.child("metadata")) {
        def.metadata = util::copyMetadata(*metadata);
        // As in libvirt's copy, only the first element of a namespace counts.
        for (const auto& child : metadata->children()) {
            if (child.namespaceUri() == kDvsNamespace) {
                def.dvs = DvsExtension::parse(child);
                break;
            }
        }
    }

    def.dnsmasqOptions = parseDnsmasqOptions(root);
    return def;
}

void NetworkDef::format(util::XmlWriter& writer, unsigned formatFlags) const
{
    bool inactive = (formatFlags & NetworkFormatFlags::Inactive) != 0;
    writer.start("network");
    if (!dnsmasqOptions.empty()) {
        writer.attr("xmlns:dnsmasq", kDnsmasqNamespace);
    }
    if (!inactive && connections > 0) {
        writer.attr("connections", connections);
    }
    if (ipv6NoGateway) {
        writer.attr("ipv6", "yes");
    }
    if (trustGuestRxFilters != Tristate::Absent) {
        writer.attr("trustGuestRxFilters", detail::tristateToString(trustGuestRxFilters));
    }
    writer.element("name", name);
    writer.element("uuid", uuid.toString());
    if (title) {
        writer.element("title", *title);
    }
    if (description) {
        writer.element("description", *description);
    }
    formatMetadata(writer);

    forward.format(writer, inactive);

    bool hasBridge = false;
    switch (forward.mode) {
    case ForwardMode::None:
    case ForwardMode::Nat:
    case ForwardMode::Route:
    case ForwardMode::Open:
        hasBridge = true;
        break;
    default:
        break;
    }
    if (hasBridge || bridge || macTableManager != MacTableManager::Default) {
        writer.start("bridge");
        if (bridge) {
            writer.attr("name", *bridge);
        }
        if (bridgeZone) {
            writer.attr("zone", *bridgeZone);
        }
        if (hasBridge) {
            writer.attr("stp", stp ? "on" : "off");
            writer.attr("delay", static_cast<long>(delay));
        }
        if (macTableManager != MacTableManager::Default) {
            writer.attr("macTableManager", util::toString(macTableManager));
        }
        writer.end();
    }

    if (mtu != 0) {
        writer.start("mtu");
        writer.attr("size", mtu);
        writer.end();
    }
    if (mac) {
        writer.start("mac");
        writer.attr("address", mac->toString());
        writer.end();
    }
    if (domain) {
        writer.start("domain");
        writer.attr("name", *domain);
        if (domainLocalOnly != Tristate::Absent) {
            writer.attr("localOnly", detail::tristateToString(domainLocalOnly));
        }
        writer.end();
    }
    dns.format(writer);
    vlan.format(writer);
    bandwidth.format(writer);
    if (portIsolated != Tristate::Absent) {
        writer.start("port");
        writer.attr("isolated", detail::tristateToString(portIsolated));
        writer.end();
    }
    for (const auto& ip : ips) {
        ip.format(writer);
    }
    for (const auto& route : routes) {
        route.format(writer);
    }
    if (virtualPort) {
        virtualPort->format(writer);
    }
    for (const auto& pg : portgroups) {
        pg.format(writer);
    }
    if (!dnsmasqOptions.empty()) {
        writer.start("dnsmasq:options");
        for (const auto& option : dnsmasqOptions) {
            writer.start("dnsmasq:option");
            writer.attr("value", option);
            writer.end();
        }
        writer.end();
    }
    writer.end();
}

void NetworkDef::formatMetadata(util::XmlWriter& writer) const
{
    int level = writer.level();
    std::string dump;
    if (dvs) {
        util::XmlWriter dvsWriter;
        dvs->format(dvsWriter);
        dump = util::dumpMetadata(metadata.value_or("<metadata/>"), level, kDvsNamespace,
                                  std::move(dvsWriter).take());
    } else if (metadata && util::metadataHasNamespace(*metadata, kDvsNamespace)) {
        // The extension was taken out of the model: take it out of <metadata> too.
        dump = util::dumpMetadata(*metadata, level, kDvsNamespace, std::nullopt);
        if (dump == "<metadata/>") {
            return;
        }
    } else if (metadata) {
        dump = util::dumpMetadata(*metadata, level);
    } else {
        return;
    }
    std::string text(static_cast<std::size_t>(2 * level), ' ');
    text += dump;
    text += '\n';
    writer.verbatim(text);
}

std::string NetworkDef::format(unsigned formatFlags) const
{
    util::XmlWriter writer;
    format(writer, formatFlags);
    return std::move(writer).take();
}

const Portgroup* NetworkDef::findPortgroup(std::string_view pgName) const
{
    for (const auto& pg : portgroups) {
        if (pgName.empty() ? pg.isDefault : pg.name == pgName) {
            return &pg;
        }
    }
    return nullptr;
}

const NetworkIp* NetworkDef::ipByIndex(int family, std::size_t n) const
{
    return const_cast<NetworkDef*>(this)->ipByIndex(family, n);
}

NetworkIp* NetworkDef::ipByIndex(int family, std::size_t n)
{
    if (n >= ips.size()) {
        return nullptr;
    }
    if (family == AF_UNSPEC) {
        return &ips[n];
    }
    for (auto& ip : ips) {
        if (ip.address.isFamily(family)) {
            if (n == 0) {
                return &ip;
            }
            --n;
        }
    }
    return nullptr;
}

void NetworkDef::validate() const
{
    if (dvs) {
        dvs->validate();
    }
}

void NetworkDef::validateForDefine() const
{
    if (name.find('\n') != std::string::npos) {
        // libvirt's virXMLCheckIllegalChars prints the character itself.
        raise(ErrorCode::XmlDetail, "invalid char in {}: {}", "name", '\n');
    }
    auto mode = util::toString(forward.mode);
    bool bandwidthAllowed = false;
    switch (forward.mode) {
    case ForwardMode::None:
    case ForwardMode::Nat:
    case ForwardMode::Route:
    case ForwardMode::Open:
        bandwidthAllowed = true;
        break;
    case ForwardMode::Bridge:
    case ForwardMode::Private:
    case ForwardMode::Vepa:
    case ForwardMode::Passthrough:
    case ForwardMode::Hostdev:
        if (forward.mode == ForwardMode::Bridge && bridge) {
            bandwidthAllowed = true;
        }
        if (mac) {
            raise(ErrorCode::ConfigUnsupported,
                  "Unsupported <mac> element in network {} with forward mode='{}'", name, mode);
        }
        if (!ips.empty()) {
            raise(ErrorCode::ConfigUnsupported,
                  "Unsupported <ip> element in network {} with forward mode='{}'", name, mode);
        }
        if (!dns.txts.empty() || !dns.hosts.empty() || !dns.srvs.empty()) {
            raise(ErrorCode::ConfigUnsupported,
                  "Unsupported <dns> element in network {} with forward mode='{}'", name, mode);
        }
        if (domain) {
            raise(ErrorCode::ConfigUnsupported,
                  "Unsupported <domain> element in network {} with forward mode='{}'", name, mode);
        }
        break;
    case ForwardMode::Last:
        break;
    }

    if (!bandwidth.empty() && !bandwidthAllowed) {
        raise(ErrorCode::ConfigUnsupported,
              "Unsupported network-wide <bandwidth> element in network {} with forward mode='{}'",
              name, mode);
    }

    bool usesInterface = false;
    bool usesAddress = false;
    for (const auto& entry : forward.interfaces) {
        if (entry.type == ForwardDeviceType::Netdev) {
            usesInterface = true;
            if (forward.mode == ForwardMode::Hostdev) {
                raise(ErrorCode::ConfigUnsupported,
                      "hostdev network '{}' lists '{}' in the device pool, but hostdev networks "
                      "require all devices to be listed by PCI address, not network device name",
                      name, entry.dev);
            }
        } else if (entry.type == ForwardDeviceType::Pci) {
            usesAddress = true;
            if (forward.mode != ForwardMode::Hostdev) {
                raise(ErrorCode::ConfigUnsupported,
                      "network '{}' has forward mode '{}'  but lists a device by PCI address in "
                      "the device pool. This is only supported for networks with forward mode "
                      "'hostdev'",
                      name, mode);
            }
        }
    }
    if (static_cast<int>(!forward.pfs.empty()) + static_cast<int>(usesInterface) +
            static_cast<int>(usesAddress) >
        1) {
        raise(ErrorCode::ConfigUnsupported,
              "<address>, <interface>, and <pf> elements of <forward> in network {} are mutually "
              "exclusive",
              name);
    }

    bool ipv4Dhcp = false;
    bool ipv6Dhcp = false;
    for (const auto& ip : ips) {
        if (!ip.hasDhcp()) {
            continue;
        }
        if (ip.address.isFamily(AF_INET)) {
            if (ipv4Dhcp) {
                raise(ErrorCode::ConfigUnsupported,
                      "Multiple IPv4 dhcp sections found -- dhcp is supported only for a single "
                      "IPv4 address on each network");
            }
            ipv4Dhcp = true;
        } else if (ip.address.isFamily(AF_INET6)) {
            if (ipv6Dhcp) {
                raise(ErrorCode::ConfigUnsupported,
                      "Multiple IPv6 dhcp sections found -- dhcp is supported only for a single "
                      "IPv6 address on each network");
            }
            ipv6Dhcp = true;
        }
    }

    // Transparent vlans work with hostdev SR-IOV pools and Open vSwitch bridges only.
    bool vlanAllowed = forward.mode == ForwardMode::Hostdev ||
                       forward.mode == ForwardMode::Passthrough ||
                       (forward.mode == ForwardMode::Bridge && virtualPort &&
                        virtualPort->type == VirtualPortType::OpenVSwitch);
    bool vlanUsed = !vlan.empty();
    bool badVlanUse = false;
    const Portgroup* defaultPortgroup = nullptr;
    // How many portgroups from the current one onwards carry each name: a name still counted
    // twice has a later duplicate (libvirt reports the first portgroup that has one), found in
    // linear time for definitions with a hundred thousand portgroups.
    std::unordered_map<std::string_view, std::size_t> namesAhead;
    namesAhead.reserve(portgroups.size());
    for (const auto& pg : portgroups) {
        ++namesAhead[pg.name];
    }
    for (std::size_t i = 0; i < portgroups.size(); ++i) {
        const auto& pg = portgroups[i];
        if (vlanUsed || !pg.vlan.empty()) {
            if (pg.virtualPort) {
                if (forward.mode != ForwardMode::Bridge ||
                    pg.virtualPort->type != VirtualPortType::OpenVSwitch) {
                    badVlanUse = true;
                }
            } else if (!vlanAllowed) {
                badVlanUse = true;
            }
        }
        if (pg.isDefault) {
            if (defaultPortgroup != nullptr) {
                raise(ErrorCode::ConfigUnsupported,
                      "network '{}' has multiple default <portgroup> elements ({} and {}), but "
                      "only one default is allowed",
                      name, defaultPortgroup->name, pg.name);
            }
            defaultPortgroup = &pg;
        }
        if (namesAhead[pg.name]-- > 1) {
            raise(ErrorCode::ConfigUnsupported,
                  "multiple <portgroup> elements with the same name ({}) in network '{}'", pg.name,
                  name);
        }
        if (!pg.bandwidth.empty() && !bandwidthAllowed) {
            raise(ErrorCode::ConfigUnsupported,
                  "Unsupported <bandwidth> element in network '{}' in portgroup '{}' with "
                  "forward mode='{}'",
                  name, pg.name, mode);
        }
    }
    if (badVlanUse || (vlanUsed && !vlanAllowed && defaultPortgroup == nullptr)) {
        raise(ErrorCode::ConfigUnsupported,
              "<vlan> element specified for network {}, whose type doesn't support vlan "
              "configuration",
              name);
    }
    if (forward.mode == ForwardMode::Hostdev) {
        for (const auto& pg : portgroups) {
            if (!pg.bandwidth.empty()) {
                raise(ErrorCode::ConfigUnsupported,
                      "unsupported <bandwidth> element in <portgroup name='{}'> of network '{}' "
                      "with forward mode='{}'",
                      pg.name, name, mode);
            }
        }
    }
    validate();
    if (dvs) {
        UplinkHost host = UplinkHost::Routed;
        switch (forward.mode) {
        case ForwardMode::Bridge:
            if (virtualPort && virtualPort->type == VirtualPortType::OpenVSwitch) {
                host = UplinkHost::OvsBridge;
            } else if (bridge) {
                host = UplinkHost::LinuxBridge;
            } else {
                host = UplinkHost::Macvtap;
            }
            break;
        case ForwardMode::Private:
        case ForwardMode::Vepa:
        case ForwardMode::Passthrough:
            host = UplinkHost::Macvtap;
            break;
        case ForwardMode::Hostdev:
            host = UplinkHost::Hostdev;
            break;
        default:
            break;
        }
        std::vector<std::string> poolDevices;
        for (const auto& entry : forward.interfaces) {
            if (entry.type == ForwardDeviceType::Netdev) {
                poolDevices.push_back(entry.dev);
            }
        }
        for (const auto& pf : forward.pfs) {
            poolDevices.push_back(pf.dev);
        }
        dvs->validateUplink(host, mode, poolDevices);
    }
}

} // namespace dvs::conf
