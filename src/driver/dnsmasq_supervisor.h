// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "driver/virtual_backend.h"

namespace dvs::driver {

// How dvsd runs dnsmasq for its virtual networks.
struct DnsmasqOptions
{
    // The configuration, hosts and additional-hosts files (libvirt: /var/lib/libvirt/dnsmasq).
    std::filesystem::path configDir;
    // The pid files, NAME.pid (libvirt: /run/libvirt/network).
    std::filesystem::path pidDir;
    // The lease files, BRIDGE.status (DhcpLeaseStore; what the lease helper prints to a
    // restarted dnsmasq).
    std::filesystem::path leasesDir;
    // The dnsmasq program (looked up in PATH when it has no '/').
    std::string binary = "dnsmasq";
    // dnsmasq's --dhcp-script: dvsd's lease helper.
    std::filesystem::path leaseHelper;
    // dvsd's read-write socket, where the lease helper hands lease changes over.
    std::filesystem::path socket;
    // How often a dnsmasq that died is looked for (and restarted); 0: never.
    unsigned checkIntervalSeconds = 2;
};

// Starts dnsmasq as libvirt does (`dnsmasq --conf-file=NAME.conf --leasefile-ro
// --dhcp-script=HELPER`, daemonized, with its pid file), has it reread its hosts files on SIGHUP,
// restarts it when its configuration changed or it died, and stops it with SIGTERM. A restarted
// dvsd adopts a running dnsmasq through its pid file (a process whose command line names the
// network's configuration file). The lease helper finds its network and dvsd in the environment
// dnsmasq passes on: DVS_NETWORK, DVS_LEASES_DIR, DVS_SOCKET and VIR_BRIDGE_NAME.
std::shared_ptr<DnsmasqRunner> makeDnsmasqSupervisor(DnsmasqOptions options);

} // namespace dvs::driver
