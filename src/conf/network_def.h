// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dvs_extension.h"
#include "netdev_bandwidth.h"
#include "netdev_vlan.h"
#include "netdev_vport.h"
#include "network_dns.h"
#include "network_forward.h"
#include "network_ip.h"
#include "tristate.h"
#include "util/enum_table.h"
#include "util/mac.h"
#include "util/uuid.h"
#include "util/xml.h"

namespace dvs::conf {

// Flags of NetworkDef::parse.
namespace NetworkParseFlags {
// Validate the document against xml-schemas/network.rng first (libvirt's
// VIR_NETWORK_DEFINE_VALIDATE).
inline constexpr unsigned Validate = 1;
} // namespace NetworkParseFlags

// Flags of NetworkDef::format.
namespace NetworkFormatFlags {
// Leave out live-only data (libvirt's VIR_NETWORK_XML_INACTIVE).
inline constexpr unsigned Inactive = 1;
} // namespace NetworkFormatFlags

// The namespace of libvirt's <dnsmasq:options> extension.
inline constexpr std::string_view kDnsmasqNamespace =
    "http://libvirt.org/schemas/network/dnsmasq/1.0";

// A <portgroup> (libvirt's virPortGroupDef).
struct Portgroup
{
    std::string name;
    bool isDefault = false;
    Tristate trustGuestRxFilters = Tristate::Absent;
    Vlan vlan;
    Bandwidth bandwidth;
    std::optional<VirtualPort> virtualPort;

    // virNetworkPortGroupParseXML.
    static Portgroup parse(const util::XmlNode& portgroup);
    void format(util::XmlWriter& writer) const;
};

// A <network> definition (libvirt's virNetworkDef), byte-exact with libvirt 9.0's parser and
// formatter.
struct NetworkDef
{
    std::string name;
    util::Uuid uuid;
    bool uuidSpecified = false;
    std::optional<std::string> title;
    std::optional<std::string> description;
    // The <metadata> element as libvirt keeps it (util::copyMetadata), or nullopt. The dvs:
    // extension inside it is parsed into dvs and formatted from there.
    std::optional<std::string> metadata;
    // <dvs:network> inside <metadata> (kDvsNamespace): what libvirt has no element for.
    std::optional<DvsExtension> dvs;

    Forward forward;
    std::optional<std::string> bridge;
    std::optional<std::string> bridgeZone;
    bool stp = true;
    bool stpSpecified = false; // any stp attribute was given (libvirt checks its presence)
    unsigned long delay = 0;
    MacTableManager macTableManager = MacTableManager::Default;
    unsigned mtu = 0;
    std::optional<util::MacAddr> mac;
    std::optional<std::string> domain;
    Tristate domainLocalOnly = Tristate::Absent;
    Dns dns;
    Vlan vlan;
    Bandwidth bandwidth;
    Tristate portIsolated = Tristate::Absent;
    std::vector<NetworkIp> ips;
    std::vector<Route> routes;
    std::optional<VirtualPort> virtualPort;
    std::vector<Portgroup> portgroups;
    bool ipv6NoGateway = false; // <network ipv6='yes'>
    Tristate trustGuestRxFilters = Tristate::Absent;
    // <dnsmasq:options><dnsmasq:option value=.../></dnsmasq:options>
    std::vector<std::string> dnsmasqOptions;

    // Live-only: how many ports use the network; formatted unless Inactive.
    unsigned connections = 0;

    // Parses a <network> root element as virNetworkDefParseXML does, with its checks, codes and
    // messages. parseFlags: NetworkParseFlags (Validate needs the document; use parseString).
    // Throws Error.
    static NetworkDef parse(const util::XmlNode& root, unsigned parseFlags = 0);
    // Parses XML text (url "(network_definition)"); with NetworkParseFlags::Validate the document
    // is first checked against network.rng. Throws Error.
    static NetworkDef parseString(std::string_view xml, unsigned parseFlags = 0);

    // What is checked after parsing, as libvirt's xml2xml does (dvsctl xml-format): libvirt's
    // own elements need nothing beyond parse(); the dvs: extension's own checks (bond modes,
    // LACP, delays). Throws Error(ConfigUnsupported) or Error(XmlError).
    void validate() const;

    // The checks libvirt's network driver makes before defining or creating a network
    // (networkValidate) that need neither the host nor the other networks: forward mode versus
    // <mac>, <ip>, <dns>, <domain> and bandwidth; exclusive pool kinds; PCI addresses only in
    // hostdev pools; one DHCP per address family; vlan only where supported; one default
    // portgroup; unique portgroup names; then validate() and the dvs: uplink against the
    // forward mode and device pool. The driver adds what needs the host or its state
    // (docs/architecture.md, "Layers"). Throws Error(ConfigUnsupported) (the extension's checks
    // also Error(XmlError)).
    void validateForDefine() const;

    // Formats in libvirt's canonical layout. formatFlags: NetworkFormatFlags.
    std::string format(unsigned formatFlags = 0) const;
    void format(util::XmlWriter& writer, unsigned formatFlags = 0) const;

    // The portgroup named name, or the default one when name is empty (virPortGroupFindByName).
    const Portgroup* findPortgroup(std::string_view name) const;
    // The n-th <ip> of family (AF_UNSPEC: any), or null (virNetworkDefGetIPByIndex).
    const NetworkIp* ipByIndex(int family, std::size_t n) const;
    NetworkIp* ipByIndex(int family, std::size_t n);

private:
    void formatMetadata(util::XmlWriter& writer) const;
};

} // namespace dvs::conf
