// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "driver/backend.h"

namespace dvs::driver {

// What starting a network's dnsmasq means; implemented by the dnsmasq supervisor
// (dnsmasq_supervisor.h). The virtual-network backend calls it after the bridge is up.
class DnsmasqRunner
{
public:
    virtual ~DnsmasqRunner() = default;
    // Writes the network's files and starts its dnsmasq when it needs one (DHCP or DNS);
    // adopt: a dnsmasq already running for it (its pid file) is kept when its files are
    // unchanged. Throws Error and leaves nothing running on failure.
    virtual void start(const conf::NetworkDef& def, bool adopt) = 0;
    // Stops the network's dnsmasq and removes its files. Never fails.
    virtual void stop(const conf::NetworkDef& def) noexcept = 0;
    // The live definition changed: rewrites the files and has dnsmasq reread them (SIGHUP), or
    // restarts it when its configuration changed.
    virtual void update(const conf::NetworkDef& def) = 0;
    // "dnsmasq pid N", "dnsmasq not running", or empty when the network needs none.
    virtual std::string describe(const conf::NetworkDef& def) const = 0;
};

// Where the virtual-network backend finds the host.
struct VirtualNetworkOptions
{
    // The /proc of the host: sys/net/... for forwarding and IPv6 sysctls, net/route for the
    // subnets in use.
    std::filesystem::path procRoot = "/proc";
    // The nftables table dvsd owns.
    std::string firewallTable = "dvsd";
    // dvsd's own record of the networks whose rules the table holds, so that a restarted dvsd
    // replaces the table only once every one of them is back (no window without rules).
    std::filesystem::path firewallRecord;
    // Runs dnsmasq; null: networks that need dnsmasq cannot start.
    std::shared_ptr<DnsmasqRunner> dnsmasq;
};

// libvirt's virtual networks (forward none, nat, route, open), as networkStartNetworkVirtual
// runs them: refuses a subnet already routed on the host ("Network is already in use by
// interface ..."), creates the bridge by rtnetlink (name, MAC, STP, forward delay, MTU), sets
// the bridge's IPv6 sysctls, loads the firewall (firewall::Firewall), adds the addresses, sets
// the bridge up, enables IPv4/IPv6 forwarding for nat and route networks, and starts dnsmasq.
// stop() undoes it all. resume() (dvsd's restart) adopts what is in place: a bridge that is
// there is kept as it is, dnsmasq is adopted through its pid file (restarted when dead), and the
// firewall table is left alone when it is the one dvsd would write.
std::unique_ptr<NetworkBackend> makeVirtualNetworkBackend(VirtualNetworkOptions options);

// The backend for virtual networks in hook mode, where libvirtd runs them: start() refuses.
std::unique_ptr<NetworkBackend> makeVirtualNetworksLeftToLibvirtd();

} // namespace dvs::driver
