// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netlink/link.h"

namespace dvs::netlink {

// An rtnetlink request socket (libnl-route-3) in the network namespace of the thread that opened
// it. Requests are synchronous: rtnetlink handles link requests in line, so each call waits only
// for the kernel's reply, never for another process; it is safe to call from the GLib main loop.
//
// Every kernel refusal becomes a dvs::Error naming the device and the kernel's reason (strerror
// and, when the kernel gives one, its extended-ack text):
//   - a device that does not exist: ErrorCode::DeviceMissing;
//   - a link kind the kernel does not know (module missing): ErrorCode::OperationUnsupported;
//   - a busy device: ErrorCode::ResourceBusy;
//   - anything else (permission, invalid values, ...): ErrorCode::SystemError.
//
// Not copyable; movable. Not thread-safe.
class Connection
{
public:
    // Opens a socket. Throws Error(SystemError) when netlink is unavailable.
    Connection();
    ~Connection();
    Connection(Connection&&) noexcept;
    Connection& operator=(Connection&&) noexcept;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Looks a device up (by its name or one of its alternative names). Returns nullopt when it
    // does not exist; throws Error on any other failure.
    std::optional<LinkInfo> findLink(std::string_view name);
    std::optional<LinkInfo> findLink(int index);
    // Same, but a missing device throws Error(DeviceMissing) naming it.
    LinkInfo link(std::string_view name);
    LinkInfo link(int index);
    // Every device of the namespace, by increasing index.
    std::vector<LinkInfo> links();

    // Sets the MTU of a device.
    void setMtu(std::string_view name, unsigned mtu);
    // Sets a device administratively up or down.
    void setUp(std::string_view name, bool up);
    // Sets the hardware address of a device.
    void setMac(std::string_view name, const util::MacAddr& mac);

    // Creates a Linux bond (down, without members). Throws Error(InvalidArg) for settings the
    // kernel would ignore or round (a LACP rate outside 802.3ad, delays without miimon or not
    // multiples of it), Error(OperationUnsupported) when the kernel has no bonding support, and
    // Error(SystemError) when the name is taken. The caller
    // records that dvsd created it; removeBond() is for such bonds only.
    LinkInfo createBond(const BondConfig& config);
    // Creates a bond, enslaves members (each is set down first, as the kernel requires, then up
    // again) and sets the bond up. On any failure, the members enslaved so far are released and
    // the bond is removed again before the error is thrown.
    LinkInfo createBond(const BondConfig& config, const std::vector<std::string>& members);
    // Enslaves a device to a bond (or bridge) master. The device is set down, enslaved, and set up
    // again when it was up.
    void enslave(std::string_view master, std::string_view member);
    // Releases a device from its master; nothing happens when it has none.
    void release(std::string_view member);
    // The devices enslaved to a master, by increasing index.
    std::vector<LinkInfo> members(std::string_view master);
    // Removes a bond; its members are released by the kernel. Throws Error(OperationInvalid)
    // when the device exists but is not a bond, so a device of the same name created by someone
    // else is never removed. Does nothing when it does not exist.
    void removeBond(std::string_view name);

    // Creates a macvtap device on config.lower (which must exist: Error(DeviceMissing)
    // otherwise). Throws Error(OperationUnsupported) when the kernel has no macvtap support.
    MacvtapDevice createMacvtap(const MacvtapConfig& config);
    // Removes a macvtap device. Throws Error(OperationInvalid) when the device is not a macvtap
    // device; does nothing when it does not exist.
    void removeMacvtap(std::string_view name);

    // Creates a Linux bridge with its MAC address, STP, forward delay and MTU (down, without
    // ports). A name already taken throws Error(SystemError) "error creating bridge interface
    // NAME: File exists", as libvirt says.
    LinkInfo createBridge(const BridgeConfig& config);
    // The STP settings of a bridge. Throws Error(OperationInvalid) when it is not a bridge.
    BridgeInfo bridgeInfo(std::string_view name);
    // Turns a bridge's VLAN filtering on or off (libvirt's virNetDevBridgeSetVlanFiltering, for
    // macTableManager='libvirt'). Throws Error(DeviceMissing) when it does not exist.
    void setBridgeVlanFiltering(std::string_view name, bool on);
    // Removes a bridge; its ports are released by the kernel. Throws Error(OperationInvalid)
    // when the device is not a bridge; does nothing when it does not exist.
    void removeBridge(std::string_view name);

    // Adds an address (with its broadcast address for IPv4) to a device. An address the device
    // already has is no error. IPv6 addresses skip duplicate address detection (dvsd owns the
    // subnet: libvirt waits for DAD to end instead).
    void addAddress(std::string_view name, int family, std::string_view address, unsigned prefix);
    // Adds a static route to destination/prefix through gateway on a device (libvirt's
    // virNetDevIPRouteAdd), with metric when not 0. A route that exists already is no error.
    void addRoute(std::string_view name, int family, std::string_view destination, unsigned prefix,
                  std::string_view gateway, unsigned metric);
    // The addresses of a device, in the kernel's order.
    std::vector<IfAddress> addresses(std::string_view name);

private:
    // Removes a device of that kind (IFLA_INFO_KIND); does nothing when it does not exist.
    // Throws Error(OperationInvalid) naming noun when it is of another kind, so that a device of
    // the same name that someone else created is never removed; failed names the removal in the
    // kernel's refusal.
    void removeLinkOfKind(std::string_view name, std::string_view kind, std::string_view noun,
                          const std::string& failed);

    struct State;
    std::unique_ptr<State> state_;
};

} // namespace dvs::netlink
