// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>
#include <vector>

#include "conf/network_def.h"

namespace dvs::firewall {

// The nftables rules of libvirt's virtual networks (nat, route, isolated; open networks have
// none), in one table that dvsd owns: `table inet dvsd`. The rules are libvirt's (its nftables
// backend, src/network/network_nftables.c, plus the DHCP/DNS input rules of its iptables
// backend), on interface names, so they can be loaded before the bridge exists:
//
//   forward (filter, priority 0) jumps to guest_cross, guest_input, guest_output:
//     guest_cross:  traffic between two ports of one bridge is accepted;
//     guest_input:  to the bridge: nat accepts established/related replies to the subnet, route
//                   accepts all of it; then anything else to the bridge is rejected;
//     guest_output: from the bridge: nat and route accept what comes from the subnet; anything
//                   else is rejected.
//   guest_nat (nat postrouting, priority 100): for a nat network, masquerade (or SNAT to the
//     <nat><address> range) of the subnet leaving it, TCP and UDP on source ports 1024-65535 (or
//     <nat><port>), with local multicast and broadcast left alone; IPv6 subnets only with
//     <nat ipv6='yes'>, otherwise routed.
//   input/output (filter, priority 0): DHCP and DNS (and TFTP) between the guests and dnsmasq.
//
// The table is replaced as a whole in one nftables transaction, so packets see either the old
// rules or the new ones, never none; rules of other programs, in their own tables, are never
// touched. The table's comment carries a digest of its text, so a restarted dvsd can tell
// whether the kernel's table is the one it would write.
class Firewall
{
public:
    // table: the name of the table (tests use their own).
    explicit Firewall(std::string table = "dvsd");

    // The ruleset for these networks (every one active, with its bridge name set): the nft
    // commands that replace the table, or remove it when no network needs rules.
    std::string render(const std::vector<const conf::NetworkDef*>& networks) const;
    // Whether the kernel's table is what render() gives for these networks.
    bool matches(const std::vector<const conf::NetworkDef*>& networks) const;
    // Replaces the table with the rules of these networks, atomically. Throws
    // Error(SystemError) with nftables' message when the kernel refuses.
    void apply(const std::vector<const conf::NetworkDef*>& networks) const;
    // Whether the table exists.
    bool present() const;
    // Removes the table (nothing when it does not exist).
    void remove() const;

    const std::string& table() const { return table_; }

private:
    std::string table_;
};

// Whether a network of this forward mode has firewall rules (none, nat, route: yes; open: no).
bool needsFirewall(const conf::NetworkDef& def);

// Runs nft commands through libnftables in one transaction; returns its output. Throws
// Error(SystemError) with nftables' message.
std::string runNft(const std::string& commands);

} // namespace dvs::firewall
