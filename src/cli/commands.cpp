// SPDX-License-Identifier: LGPL-2.1-or-later
#include <array>

#include "cli/command.h"

namespace dvs::cli {

namespace {

constexpr std::array kCommands{
    Command{"xml-format", "xml-format network|networkport [--inactive] [--validate] FILE",
            "parse FILE ('-' for standard input) and print it in canonical form; --validate "
            "checks it against the schema first, --inactive leaves out live state",
            runXmlFormat,
            "Does what libvirt's parser does with a <network> or <networkport> document: parse,\n"
            "validate, print in libvirt's canonical form.\n"
            "\n"
            "Options:\n"
            "  --inactive  leave out the live state (as virsh net-dumpxml --inactive)\n"
            "  --validate  check the document against the RelaxNG schema first\n"},
    Command{"status", "status [--root DIR] [--socket PATH] [--json]",
            "show the daemon and its networks: state, ports, connections and what each "
            "network's dataplane is and whether it is ready",
            runStatus,
            "Options:\n"
            "  --root DIR     the dvsd whose host paths are under DIR (default /)\n"
            "  --socket PATH  the dvsd listening at PATH (default: its read-only socket)\n"
            "  --json         print one JSON document (schema: dvsctl-status.json in the\n"
            "                 package's schema folder) instead of the table\n"
            "\n"
            "Exit status: 0 when every active network is ready, 2 when one is not (its\n"
            "dataplane degraded or unknown, or in hook mode its copy not running in libvirtd),\n"
            "1 on error.\n"},
    Command{"port-plug", "port-plug [--root DIR] [--socket PATH] NETWORK PORT-UUID [IFNAME]",
            "on a host without libvirt, have dvsd create the port's device (macvtap for a "
            "direct port) and print its name",
            runPortPlug,
            "IFNAME names the device to create (macvtap) or the existing device to add as the\n"
            "port's OVS Port and Interface (a tap, a veth end).\n"
            "\n"
            "Options:\n"
            "  --root DIR     the dvsd whose host paths are under DIR (default /)\n"
            "  --socket PATH  the dvsd listening at PATH (default: its read-write socket)\n"},
    Command{"port-unplug", "port-unplug [--root DIR] [--socket PATH] NETWORK PORT-UUID",
            "remove the device dvsd created for the port", runPortUnplug,
            "Options:\n"
            "  --root DIR     the dvsd whose host paths are under DIR (default /)\n"
            "  --socket PATH  the dvsd listening at PATH (default: its read-write socket)\n"},
    Command{"hook-network",
            "hook-network [--config FILE] [--root DIR] [--socket PATH] NETWORK OP SUBOP [-]",
            "libvirtd's network hook (hooks/network): hand the hook data on standard input to "
            "dvsd in hook mode; a port of a dvsd network fails when dvsd refuses it or is down",
            runHookNetwork,
            "libvirtd runs it as NETWORK OP SUBOP - with the <hookData> document on standard\n"
            "input. Networks dvsd did not publish exit 0 at once.\n"
            "\n"
            "Options:\n"
            "  --config FILE  dvsd.conf, to find dvsd's socket (default /etc/dvs/dvsd.conf)\n"
            "  --root DIR     host paths under DIR (default /)\n"
            "  --socket PATH  the dvsd listening at PATH (overrides the configuration)\n"},
    Command{"dnsmasq-conf", "dnsmasq-conf [--state-dir DIR] [--hostsfile] FILE",
            "print the dnsmasq configuration (with --hostsfile: the DHCP hosts file) dvsd writes "
            "for the virtual network defined in FILE ('-' for standard input), its files in DIR "
            "(default /var/lib/dvs/dnsmasq)",
            runDnsmasqConf,
            "Options:\n"
            "  --state-dir DIR  the folder the configuration names for the network's hosts\n"
            "                   files (default /var/lib/dvs/dnsmasq)\n"
            "  --hostsfile      print the DHCP hosts file instead of the configuration\n"},
    Command{"switch-define", "switch-define [--db REMOTE] [--generation N] FILE",
            "define a distributed switch from a <network> XML file (its portgroups, and a "
            "dvs:uplink without interface names) in the management database; with --generation, "
            "redefine an existing switch that is still at generation N",
            runSwitchDefine},
    Command{"switch-undefine", "switch-undefine [--db REMOTE] NAME",
            "remove a switch: every member host tears its network down once no port uses it",
            runSwitchUndefine},
    Command{"switch-list", "switch-list [--db REMOTE] [--json]",
            "list the switches: uuid, generation, member hosts, rollout", runSwitchList},
    Command{"switch-dumpxml", "switch-dumpxml [--db REMOTE] [--generation N] NAME",
            "print the switch's whole <network> (of its current generation, or of generation N)",
            runSwitchDumpxml},
    Command{"switch-update", "switch-update [--db REMOTE] NAME COMMAND SECTION XML",
            "change the switch as virsh net-update changes a network (COMMAND add, add-first, "
            "add-last, delete or modify; SECTION portgroup, ip-dhcp-host, ...; XML the element "
            "or a file holding it): a new generation every member applies",
            runSwitchUpdate},
    Command{"host-add", "host-add [--db REMOTE] SWITCH HOST --uplink IF[,IF...]",
            "make HOST a member of the switch with its own uplink interfaces; the switch's "
            "dvs:uplink gives the uplink's kind and settings",
            runHostAdd},
    Command{"host-remove", "host-remove [--db REMOTE] SWITCH HOST",
            "remove HOST from the switch; it tears the network down once no port uses it",
            runHostRemove},
    Command{"switch-status", "switch-status [--db REMOTE] [--json] NAME",
            "per member host: the generation desired and applied, and its state (in sync, "
            "applying, failed and why, reverted, unreachable since when)",
            runSwitchStatus},
    Command{"wait", "wait [--db REMOTE] [--timeout SECONDS] NAME",
            "wait until every member host has applied the switch's current generation; fails "
            "naming the hosts that failed or, at the timeout, did not answer",
            runWait},
    Command{"switch-rollout-policy",
            "switch-rollout-policy [--db REMOTE] NAME [--canary HOST[,HOST...]] [--batch N|N%] "
            "[--max-failed K] [--soak SECONDS] [--deadline SECONDS] [--clear]",
            "how changes reach the hosts: canary hosts first, then batches, halting after more "
            "than K failed hosts (default 0), each batch healthy for the soak time, each host "
            "given a deadline; options change the policy, --clear removes it (every host at "
            "once), none prints it",
            runSwitchRolloutPolicy},
    Command{"rollout-status", "rollout-status [--db REMOTE] [--json] NAME",
            "the switch's latest rollout: running, halted (with the failed hosts and why), done "
            "or aborted, its batch and every host's state",
            runRolloutStatus},
    Command{"rollout-resume", "rollout-resume [--db REMOTE] NAME",
            "go on with a halted rollout from the batch where it halted", runRolloutResume},
    Command{"rollout-abort", "rollout-abort [--db REMOTE] NAME",
            "stop the rollout and return every host to the previous generation (as a new "
            "generation with its definition)",
            runRolloutAbort},
    Command{"switch-probe-add",
            "switch-probe-add [--db REMOTE] NAME PROBE [--icmp ADDRESS] [--tcp ADDRESS:PORT] "
            "[--interface IFNAME]",
            "a check every member host must pass after a change before it keeps it: an ICMP "
            "echo or a TCP connect to a numeric address, from the network's bridge or through "
            "--interface; a host that fails it returns to its last known good generation",
            runSwitchProbeAdd},
    Command{"switch-probe-remove", "switch-probe-remove [--db REMOTE] NAME PROBE",
            "remove a probe of the switch", runSwitchProbeRemove},
    Command{"switch-probe-list", "switch-probe-list [--db REMOTE] [--json] NAME",
            "the switch's probes and its revert timeout", runSwitchProbeList},
    Command{"switch-revert-timeout", "switch-revert-timeout [--db REMOTE] NAME [SECONDS|default]",
            "how long a host has, after a change, to prove it still reaches the management "
            "database and passes the probes before it reverts the change (1 to 3600 s; default: "
            "each host's [management] revert-timeout); without a value, prints it",
            runSwitchRevertTimeout},
    Command{"switch-retry", "switch-retry [--db REMOTE] NAME [HOST]",
            "have the host (or every member) apply again a generation it reverted; a host that "
            "reverted a generation otherwise waits for a newer one",
            runSwitchRetry},
    Command{"db-init",
            "db-init [--db REMOTE] [--host-remote pssl:PORT[:IP]] [--admin-remote "
            "pssl:PORT[:IP]] [--server-private-key FILE --server-certificate FILE "
            "--server-ca-cert FILE]",
            "prepare the management database for hosts: the RBAC role 'dvs-host' (a host writes "
            "only its own status rows, named by its certificate), the remote hosts connect to "
            "with that role, a remote for administrators, and the server's TLS files, for "
            "ovsdb-server "
            "--remote=db:DVS,DVS_Global,connections --private-key=db:DVS,SSL,private_key ...",
            runDbInit},
    Command{"db-upgrade", "db-upgrade [--db REMOTE] [--schema FILE]",
            "convert the management database, online, to the schema installed with dvsctl (or "
            "FILE), keeping its rows, and update the host role for it; run it after upgrading "
            "libvirt-dvs on the administrators' machine, before the hosts",
            runDbUpgrade},
    Command{
        "snapshot-create",
        "snapshot-create [--db REMOTE] [--dir DIR] [--name N] [--description TEXT] "
        "[--file FILE] SWITCH",
        "record the switch's whole configuration (definition, portgroups, members and their "
        "uplinks, rollout policy, probes and revert timeout) as a snapshot file in the snapshot "
        "folder, or in FILE",
        runSnapshotCreate,
        "Options:\n"
        "  --dir DIR           the snapshot folder (default: [management] snapshot-dir of\n"
        "                      dvsd.conf); the snapshot is DIR/SWITCH/NAME.xml\n"
        "  --name N            the snapshot's name (default: the time, in seconds since\n"
        "                      the epoch)\n"
        "  --description TEXT  free text kept in the snapshot\n"
        "  --file FILE         write the snapshot to FILE ('-': standard output) instead\n"},
    Command{"snapshot-list", "snapshot-list [--dir DIR] [--json] [SWITCH]",
            "list the snapshots in the snapshot folder (of one switch, or of all)", runSnapshotList,
            "Options:\n"
            "  --dir DIR  the snapshot folder (default: [management] snapshot-dir), e.g. a\n"
            "             host's own copies in /var/lib/dvs/snapshots\n"
            "  --json     print JSON instead of the table\n"},
    Command{"snapshot-dumpxml", "snapshot-dumpxml [--dir DIR] [--switch SWITCH] SNAPSHOT",
            "print a snapshot (its name in the snapshot folder, or a file path)",
            runSnapshotDumpxml,
            "Options:\n"
            "  --dir DIR        the snapshot folder (default: [management] snapshot-dir)\n"
            "  --switch SWITCH  the switch whose snapshot it is, when several have one of\n"
            "                   that name\n"},
    Command{"snapshot-delete", "snapshot-delete [--dir DIR] [--switch SWITCH] SNAPSHOT",
            "remove a snapshot from the snapshot folder", runSnapshotDelete,
            "Options:\n"
            "  --dir DIR        the snapshot folder (default: [management] snapshot-dir)\n"
            "  --switch SWITCH  the switch whose snapshot it is\n"},
    Command{"snapshot-diff", "snapshot-diff [--dir DIR] [--switch SWITCH] A B",
            "what changed from snapshot A to snapshot B, section by section: generation, "
            "definition, portgroups, members, rollout policy",
            runSnapshotDiff,
            "A and B are names in the snapshot folder or file paths.\n"
            "\n"
            "Options:\n"
            "  --dir DIR        the snapshot folder (default: [management] snapshot-dir)\n"
            "  --switch SWITCH  the switch whose snapshots they are\n"},
    Command{"snapshot-restore",
            "snapshot-restore [--db REMOTE] [--dir DIR] [--switch SWITCH] [--as NAME] "
            "[--bridge BRIDGE] [--onto NAME] SNAPSHOT",
            "apply a snapshot (a name in the snapshot folder, or a file path) as a new "
            "generation under the rollout policy: to its own switch (created again in an empty "
            "database), as a new switch (--as), or onto another existing one (--onto)",
            runSnapshotRestore,
            "Options:\n"
            "  --dir DIR        the snapshot folder (default: [management] snapshot-dir)\n"
            "  --switch SWITCH  the switch whose snapshot it is\n"
            "  --as NAME        a new switch NAME with a new uuid and no member hosts\n"
            "  --bridge BRIDGE  with --as: the new switch's bridge\n"
            "  --onto NAME      the existing switch NAME, keeping its name, uuid, bridge and\n"
            "                   member hosts\n"},
    Command{"switch-rollback", "switch-rollback [--db REMOTE] [--to N] SWITCH",
            "return the switch to the previous generation's definition (again: the one before "
            "that), as a new generation under the rollout policy",
            runSwitchRollback,
            "Options:\n"
            "  --to N  return to generation N (one the switch still keeps)\n"},
    Command{"switch-keep-generations", "switch-keep-generations [--db REMOTE] SWITCH [N]",
            "how many generations the switch keeps for switch-rollback (default 10); with N, "
            "keep N and prune the older ones",
            runSwitchKeepGenerations},
};

} // namespace

std::span<const Command> commands()
{
    return kCommands;
}

} // namespace dvs::cli
