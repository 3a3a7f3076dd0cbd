// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <string_view>

#include "conf/network_def.h"
#include "conf/network_update.h"
#include "virtnet/dnsmasq_conf.h"

namespace dvs::virtnet {

// Builds the three files of def (dnsmasqContents) and writes them into paths.dir, creating the
// folder when missing: NAME.conf (mode 0600, as libvirt), NAME.hostsfile and NAME.addnhosts
// (0644; both written even when empty, so that hosts can be added while dnsmasq runs). Each
// file is replaced atomically. Throws what dnsmasqContents throws before anything is written,
// and Error(WriteFailed) when a file cannot be written. Returns what it wrote.
DnsmasqContents writeDnsmasqFiles(const conf::NetworkDef& def, const DnsmasqPaths& paths);

// Rewrites only the two hosts files of def (what dnsmasq rereads on SIGHUP: libvirt's
// networkRefreshDhcpDaemon), each atomically. Throws like writeDnsmasqFiles.
void writeDnsmasqHosts(const conf::NetworkDef& def, const DnsmasqPaths& paths);

// Removes the three files of the network named name from dir, when present. Throws
// Error(WriteFailed) when one exists but cannot be removed.
void removeDnsmasqFiles(std::string_view name, const std::filesystem::path& dir);

// What a running dnsmasq needs after a net-update of a live network.
enum class DnsmasqReload
{
    None,    // nothing it reads changed
    Signal,  // rewrite the hosts files (writeDnsmasqHosts) and send SIGHUP
    Restart, // rewrite every file (writeDnsmasqFiles) and restart it: its configuration changed
};

// libvirt's choice in networkUpdate: a change of <ip>, a DHCP range, a TXT or an SRV record
// changes the configuration, which dnsmasq cannot reread (it drops its privileges), so it is
// restarted; a DHCP host only needs the hosts file reread, unless DHCP was switched on or off by
// it (before versus after); a DNS host only needs the additional-hosts file reread.
DnsmasqReload dnsmasqReloadFor(conf::UpdateSection section, const conf::NetworkDef& before,
                               const conf::NetworkDef& after);

} // namespace dvs::virtnet
