// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/network_def.h"
#include "virtnet/dhcp_lease.h"
#include "virtnet/lease_event.h"

namespace dvs::driver {

// The DHCP leases of dvsd's virtual networks: one lease file per bridge in dir (BRIDGE.status,
// libvirt's custom lease file, virtnet::LeaseTable). Every change rewrites the file atomically,
// so leases survive a restart of dvsd; the lease helper prints them to a dnsmasq that starts
// again. Changes the helper could not hand to dvsd (dvsd was restarting) wait in
// BRIDGE.status.pending, one JSON object a line ({"args": [...], "env": {...}}: the script's
// arguments and DNSMASQ_* environment), and are folded in, under the pending file's lock, the
// next time the leases are read or changed. Not thread-safe.
class DhcpLeaseStore
{
public:
    explicit DhcpLeaseStore(std::filesystem::path dir);

    const std::filesystem::path& dir() const noexcept { return dir_; }

    // The leases of a bridge, with what is pending; empty when there is no file. Throws what
    // virtnet::readLeaseFile throws.
    virtnet::LeaseTable table(std::string_view bridge) const;
    // Applies one lease change of the bridge's dnsmasq and writes the file when it changed.
    // Throws Error(WriteFailed) when the file cannot be written.
    void apply(std::string_view bridge, const virtnet::LeaseEvent& event);
    // libvirt's networkGetDHCPLeases over the leases of def's bridge.
    std::vector<virtnet::DhcpLeaseInfo>
    query(const conf::NetworkDef& def, const std::optional<std::string>& mac, long long now) const;

private:
    std::filesystem::path dir_;
};

// A lease change as the helper spools it (and as it travels to dvsd): the script's arguments
// and the DNSMASQ_* (and VIR_BRIDGE_NAME) variables of its environment.
struct LeaseScriptCall
{
    std::vector<std::string> args;
    std::vector<std::pair<std::string, std::string>> env;

    // The call as parseLeaseEvent reads it. Throws what it throws.
    virtnet::LeaseEvent event(long long now) const;
    // One line of the pending file, and back (nullopt for a line that is not one).
    std::string toJsonLine() const;
    static std::optional<LeaseScriptCall> fromJsonLine(std::string_view line);
    // This process's arguments (after the program name) and environment.
    static LeaseScriptCall fromProcess(int argc, char** argv);
};

} // namespace dvs::driver
