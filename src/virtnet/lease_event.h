// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace dvs::virtnet {

// What dnsmasq reports to its --dhcp-script (libvirt's virLeaseActionFlags).
enum class LeaseAction
{
    Add,  // a new lease
    Old,  // a lease renewed, or found again when dnsmasq starts
    Del,  // a lease released or expired
    Init, // dnsmasq starts and asks for the leases it should know (--leasefile-ro)
};

// The environment dnsmasq gives the script: the value of a variable, or nullopt.
using Environment = std::function<std::optional<std::string>(std::string_view name)>;

// This process's environment.
Environment processEnvironment();

// One call of dnsmasq's --dhcp-script, read as libvirt's leaseshelper reads it.
struct LeaseEvent
{
    LeaseAction action = LeaseAction::Init;
    // The bridge: DNSMASQ_INTERFACE, else VIR_BRIDGE_NAME (dnsmasq does not know the interface
    // of the leases it expires at start, so libvirt also passes the bridge itself).
    std::string interface;
    // IPv4: the MAC address argument; IPv6: DNSMASQ_MAC (dnsmasq may not know it).
    std::optional<std::string> mac;
    std::optional<std::string> ip;
    // The hostname argument, else DNSMASQ_SUPPLIED_HOSTNAME, else (for add and old, as
    // virLeaseNew does) DNSMASQ_OLD_HOSTNAME.
    std::optional<std::string> hostname;
    // IPv4: DNSMASQ_CLIENT_ID; IPv6: the client's DUID (the argument that is a MAC for IPv4).
    std::optional<std::string> clientId;
    // DNSMASQ_IAID: present exactly for IPv6 leases.
    std::optional<std::string> iaid;
    // DNSMASQ_SERVER_DUID.
    std::optional<std::string> serverDuid;
    // When the lease ends, in seconds since the epoch; 0 for an infinite lease. Set for add and
    // old with a MAC address: DNSMASQ_LEASE_EXPIRES, or, from a dnsmasq built without a real-time
    // clock, now + DNSMASQ_LEASE_LENGTH.
    std::optional<long long> expiryTime;

    bool ipv6() const { return iaid.has_value(); }
};

// Reads the script's arguments (after the program name: ACTION, or ACTION MAC|DUID IP
// [HOSTNAME]) and environment. now (seconds since the epoch) is used only by a dnsmasq that
// reports lease lengths. Throws Error(InvalidArg) for a wrong number of arguments, an unknown
// action ("Unsupported action: X") or no interface ("interface not set"), and
// Error(InternalError) for an expiry time that is not a number ("Unable to convert lease expiry
// time to long long: X"), as libvirt's helper refuses them.
LeaseEvent parseLeaseEvent(std::span<const std::string> args, const Environment& env,
                           long long now);

// The action's name as dnsmasq passes it ("add", "old", "del", "init").
std::string_view toString(LeaseAction action);

} // namespace dvs::virtnet
