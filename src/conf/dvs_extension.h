// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/enum_table.h"
#include "util/xml.h"

namespace dvs::conf {

// Namespace of our extension of libvirt's <network>, kept inside <metadata> as
// <dvs:network xmlns:dvs="...">.
inline constexpr std::string_view kDvsNamespace = "https://libvirt-dvs.org/xmlns/network/1.0";
// The prefix we write it with (any prefix is accepted on input).
inline constexpr std::string_view kDvsPrefix = "dvs";

// What a network is for. A host has exactly one management and one storage network (enforced
// by the driver across networks); any number of VM networks.
enum class NetworkRole
{
    Management,
    Storage,
    Vm,
    Last
};

// What carries a network's traffic off the host.
enum class UplinkType
{
    // A single host interface.
    Interface,
    // An Open vSwitch bond (a port with several interfaces) on the network's bridge.
    OvsBond,
    // A Linux bonding device, for direct (macvtap) networks.
    LinuxBond,
    Last
};

// Bond modes: OVS takes active-backup, balance-slb and balance-tcp; Linux takes active-backup,
// balance-xor and 802.3ad.
enum class BondMode
{
    ActiveBackup,
    BalanceSlb,
    BalanceTcp,
    BalanceXor,
    Ieee8023ad,
    Last
};

enum class LacpMode
{
    Active,
    Passive,
    Off,
    Last
};

enum class LacpRate
{
    Slow,
    Fast,
    Last
};

} // namespace dvs::conf

namespace dvs::util {
template <>
struct EnumNames<conf::NetworkRole>
{
    static constexpr std::array<std::string_view, 3> kNames{"management", "storage", "vm"};
};
template <>
struct EnumNames<conf::UplinkType>
{
    static constexpr std::array<std::string_view, 3> kNames{"interface", "ovs-bond", "linux-bond"};
};
template <>
struct EnumNames<conf::BondMode>
{
    static constexpr std::array<std::string_view, 5> kNames{
        "active-backup", "balance-slb", "balance-tcp", "balance-xor", "802.3ad"};
};
template <>
struct EnumNames<conf::LacpMode>
{
    static constexpr std::array<std::string_view, 3> kNames{"active", "passive", "off"};
};
template <>
struct EnumNames<conf::LacpRate>
{
    static constexpr std::array<std::string_view, 2> kNames{"slow", "fast"};
};
} // namespace dvs::util

namespace dvs::conf {

// <dvs:lacp mode= rate=/>: LACP negotiation of a bond.
struct Lacp
{
    LacpMode mode = LacpMode::Active;
    std::optional<LacpRate> rate;

    bool operator==(const Lacp&) const = default;
};

// <dvs:uplink>: the host side of a network.
struct Uplink
{
    UplinkType type = UplinkType::Interface;
    // Name of the bond (OVS port or Linux bonding device); empty for a single interface.
    std::string name;
    std::optional<BondMode> mode;
    std::optional<Lacp> lacp;
    // Milliseconds a member link must be up (down) before it is used (dropped).
    std::optional<unsigned> updelay;
    std::optional<unsigned> downdelay;
    // MTU of the switch: the OVS bridge's own interface and every uplink interface (libvirt
    // allows no <mtu> on a bridge-mode network). Open vSwitch networks only.
    std::optional<unsigned> mtu;
    // Host interfaces, in the order given.
    std::vector<std::string> interfaces;

    bool operator==(const Uplink&) const = default;
};

// How a network attaches guests, as far as the uplink is concerned.
enum class UplinkHost
{
    // forward mode bridge with an openvswitch virtualport: dvsd's OVS bridge.
    OvsBridge,
    // forward mode bridge onto an existing Linux bridge.
    LinuxBridge,
    // forward modes bridge (without a bridge), vepa, private, passthrough: macvtap on the pool.
    Macvtap,
    // forward mode hostdev: virtual functions given to guests.
    Hostdev,
    // no forward, nat, route, open: a bridge libvirt-style networks create themselves.
    Routed,
};

// The dvs: extension of a network: what libvirt's <network> has no element for.
struct DvsExtension
{
    std::optional<NetworkRole> role;
    std::optional<Uplink> uplink;

    // Parses the <dvs:network> element (in kDvsNamespace). Only structure and values are
    // checked here; combinations are checked by validate(). Throws Error(XmlError) with
    // libvirt-style messages ("Invalid value for attribute ...", "Missing required attribute
    // ...") and for elements the extension does not know.
    static DvsExtension parse(const util::XmlNode& element);

    // Writes <dvs:network xmlns:dvs="..."> with its children in canonical order.
    void format(util::XmlWriter& writer) const;

    // Checks the combinations: interface counts and names, bond modes per uplink type, LACP
    // requirements. Throws Error(XmlError) for malformed definitions and
    // Error(ConfigUnsupported) for settings the uplink type cannot honour.
    void validate() const;

    // Checks the uplink against the network it belongs to: an OVS bond only on an Open vSwitch
    // network, a Linux bond not there; on a macvtap network the uplink (bond or interface) must
    // be one of the pool's devices; a hostdev network takes at most a single interface (the
    // PF); networks that route through their own bridge take none. forwardMode is the
    // network's forward mode as written (for messages), poolDevices its <forward> interfaces.
    // Throws Error(ConfigUnsupported).
    void validateUplink(UplinkHost host, std::string_view forwardMode,
                        const std::vector<std::string>& poolDevices) const;

    bool operator==(const DvsExtension&) const = default;
};

// Whether name is usable as a Linux network interface name (non-empty, at most 15 bytes, not "."
// or "..", no '/', ':' or whitespace), as the kernel's dev_valid_name() checks.
bool isValidInterfaceName(std::string_view name);

} // namespace dvs::conf
