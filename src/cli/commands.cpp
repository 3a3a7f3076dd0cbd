// SPDX-License-Identifier: LGPL-2.1-or-later
#include <array>

#include "cli/command.h"

namespace dvs::cli {

namespace {

constexpr std::array kCommands{
    Command{"xml-format", "xml-format network|networkport [--inactive] [--validate] FILE",
            "parse FILE ('-' for standard input) and print it in canonical form; --validate "
            "checks it against the schema first, --inactive leaves out live state",
            runXmlFormat},
    Command{"status", "status [--root DIR] [--socket PATH]",
            "show the daemon and its networks: state, ports, connections and the dataplane "
            "(uplink and pool link state)",
            runStatus},
    Command{"port-plug", "port-plug [--root DIR] [--socket PATH] NETWORK PORT-UUID [IFNAME]",
            "on a host without libvirt, have dvsd create the port's device (macvtap for a "
            "direct port) and print its name",
            runPortPlug},
    Command{"port-unplug", "port-unplug [--root DIR] [--socket PATH] NETWORK PORT-UUID",
            "remove the device dvsd created for the port", runPortUnplug},
    Command{"hook-network",
            "hook-network [--config FILE] [--root DIR] [--socket PATH] NETWORK OP SUBOP [-]",
            "libvirtd's network hook (hooks/network): hand the hook data on standard input to "
            "dvsd in hook mode; a port of a dvsd network fails when dvsd refuses it or is down",
            runHookNetwork},
    Command{"dnsmasq-conf", "dnsmasq-conf [--state-dir DIR] [--hostsfile] FILE",
            "print the dnsmasq configuration (with --hostsfile: the DHCP hosts file) dvsd writes "
            "for the virtual network defined in FILE ('-' for standard input), its files in DIR "
            "(default /var/lib/dvs/dnsmasq)",
            runDnsmasqConf},
};

} // namespace

std::span<const Command> commands()
{
    return kCommands;
}

} // namespace dvs::cli
