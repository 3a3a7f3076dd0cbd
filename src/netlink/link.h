// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/enum_table.h"
#include "util/mac.h"

namespace dvs::netlink {

// RFC 2863 operational state as the kernel reports it (IF_OPER_*, in the kernel's order).
enum class OperState
{
    Unknown,
    NotPresent,
    Down,
    LowerLayerDown,
    Testing,
    Dormant,
    Up,
    Last
};

// macvtap modes, with libvirt's spellings of the direct forward modes.
enum class MacvtapMode
{
    Vepa,
    Bridge,
    Private,
    Passthrough,
    Last
};

// What the kernel tells about one network device (an RTM_NEWLINK message of family AF_UNSPEC).
struct LinkInfo
{
    int index = 0;
    std::string name;
    unsigned mtu = 0;
    // The hardware address when it is a 6-byte one (absent for e.g. tun devices in IP mode).
    std::optional<util::MacAddr> mac;
    // Administratively up (IFF_UP).
    bool up = false;
    // Up and with a carrier (IFF_LOWER_UP, what `ip link` shows as LOWER_UP).
    bool carrier = false;
    OperState operState = OperState::Unknown;
    // The rtnetlink link kind ("veth", "bridge", "bond", "macvtap", "tun", ...); empty for
    // physical devices and loopback.
    std::string kind;
    // Index of the master device (bond or bridge) this device is enslaved to, 0 when none.
    int masterIndex = 0;
    // Index of the lower device (IFLA_LINK) of stacked devices such as macvtap, 0 when none.
    int lowerIndex = 0;
    // The mode of a macvtap device; absent for other kinds.
    std::optional<MacvtapMode> macvtapMode;

    // Whether the device can pass traffic: up, with a carrier, and operationally up (or unknown,
    // which is what drivers without operstate support report).
    bool ready() const noexcept
    {
        return up && carrier && (operState == OperState::Up || operState == OperState::Unknown);
    }

    friend bool operator==(const LinkInfo&, const LinkInfo&) = default;
};

// Linux bond modes dvsd creates for direct-mode uplinks (the kernel's names).
enum class BondMode
{
    ActiveBackup,
    BalanceXor,
    Ieee8023ad,
    Last
};

// 802.3ad LACPDU rate.
enum class LacpRate
{
    Slow,
    Fast,
    Last
};

// A Linux bond to create from member interfaces.
struct BondConfig
{
    std::string name;
    BondMode mode = BondMode::ActiveBackup;
    // Only for BondMode::Ieee8023ad; the kernel's default (slow) when absent.
    std::optional<LacpRate> lacpRate;
    // MII link monitoring interval in milliseconds (0 disables it).
    unsigned miimon = 100;
    // Delays before enabling/disabling a member after a link change, in milliseconds; the kernel
    // wants multiples of miimon.
    unsigned updelay = 0;
    unsigned downdelay = 0;
    // MTU to set on the bond (and so on its members), when given.
    std::optional<unsigned> mtu;
};

// A macvtap device to create on a lower device.
struct MacvtapConfig
{
    // Device name; when empty the first free "macvtapN" is taken.
    std::string name;
    // The lower (physical) device.
    std::string lower;
    MacvtapMode mode = MacvtapMode::Vepa;
    // The guest's MAC address; the kernel picks a random one when absent.
    std::optional<util::MacAddr> mac;
    // Bring the device up after creating it.
    bool up = true;
};

// A macvtap device as created.
struct MacvtapDevice
{
    int index = 0;
    std::string name;
    // The character device a hypervisor opens (/dev/tapN, N being the ifindex).
    std::string tapPath;
};

// A Linux bridge to create (libvirt's virNetDevBridgeCreate and the settings of
// networkStartNetworkVirtual).
struct BridgeConfig
{
    std::string name;
    // The bridge's own MAC address; the kernel picks one from its ports when absent.
    std::optional<util::MacAddr> mac;
    // Kernel STP on or off.
    bool stp = true;
    // STP forward delay in seconds (libvirt's <bridge delay=>).
    unsigned long forwardDelay = 0;
    // MTU, when not 0.
    unsigned mtu = 0;
};

// What the kernel says of a bridge's settings.
struct BridgeInfo
{
    bool stp = false;
    // In seconds, rounded down.
    unsigned long forwardDelay = 0;
    bool vlanFiltering = false;
};

// One address of a device (an RTM_NEWADDR message).
struct IfAddress
{
    int family = 0;      // AF_INET or AF_INET6
    std::string address; // numeric text
    unsigned prefix = 0;

    friend bool operator==(const IfAddress&, const IfAddress&) = default;
};

// The state of the devices that carry one network's traffic off the host (its uplink: a device,
// a bond's members, or an interface pool), for the network's live status.
enum class UplinkState
{
    // Every device is present and ready.
    Up,
    // Some devices are ready, some are not (or missing): traffic flows with less redundancy.
    Degraded,
    // No device is ready, or there are none.
    Down,
    Last
};

// Summarises devices as an UplinkState; a missing device (nullopt) counts as not ready.
UplinkState uplinkState(const std::vector<std::optional<LinkInfo>>& devices);

// The state of a bond uplink: Down unless the bond itself is ready, otherwise the state of its
// members (a ready bond without members is Down as well).
UplinkState bondUplinkState(const LinkInfo& bond, const std::vector<LinkInfo>& members);

} // namespace dvs::netlink

namespace dvs::util {

template <>
struct EnumNames<netlink::OperState>
{
    // The spellings of `ip link` and libvirt's virNetDevIfState.
    static constexpr std::array<std::string_view, 7> kNames{
        "unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up"};
};

template <>
struct EnumNames<netlink::BondMode>
{
    static constexpr std::array<std::string_view, 3> kNames{"active-backup", "balance-xor",
                                                            "802.3ad"};
};

template <>
struct EnumNames<netlink::LacpRate>
{
    static constexpr std::array<std::string_view, 2> kNames{"slow", "fast"};
};

template <>
struct EnumNames<netlink::MacvtapMode>
{
    static constexpr std::array<std::string_view, 4> kNames{"vepa", "bridge", "private",
                                                            "passthrough"};
};

template <>
struct EnumNames<netlink::UplinkState>
{
    static constexpr std::array<std::string_view, 3> kNames{"up", "degraded", "down"};
};

} // namespace dvs::util
