# SPDX-License-Identifier: LGPL-2.1-or-later
"""The multi-host harness itself (fabric.py), with today's single-host dvsd on each host: the
same OVS network defined by hand on two hosts carries guests across the physical bridge, VLANs
apart; hosts reach the database cluster over their management link, and a host cut off from it
keeps its data plane.

    test_fabric.py DVSD DVSCTL
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fabric import Fabric, missing_parts  # noqa: E402

import dvstest as t  # noqa: E402
from dvstest import check, xmlbuild as X  # noqa: E402

cases = t.Cases()
NET = "lan"


@cases.case
def one_network_on_two_hosts_joins_their_guests(w):
    xml = X.network(NET, bridge="br-lan",
                    portgroups=[X.portgroup("web", 10, default=True), X.portgroup("db", 20)],
                    metadata=X.dvs_metadata(uplink=X.dvs_uplink("interface", ["eth1"])))
    for h in w.f.hosts.values():
        path = os.path.join(h.dir, "lan.xml")
        with open(path, "w") as f:
            f.write(xml)
        h.dvsd.virsh_ok("net-define", path)
        h.dvsd.virsh_ok("net-start", NET)
        check("eth1" in h.ovs.vsctl("list-ports", "br-lan"),
              f"{h.name}'s uplink eth1 is on its bridge")
    h1, h2 = w.f.hosts["h1"], w.f.hosts["h2"]
    check(os.path.exists(os.path.join(h1.sysfs, "class", "net", "eth1")) and
          not os.path.exists(os.path.join(h1.sysfs, "class", "net", "vg-b")),
          "dvsd's ROOT/sys shows its own host's devices")
    w.a = h1.guest("a", "10.60.0.1", NET, "web")
    w.b = h2.guest("b", "10.60.0.2", NET, "web")
    w.c = h2.guest("c", "10.60.0.3", NET, "db")
    check(h1.port_tag(w.a.ifname) == "10", "a's port is on VLAN 10 in h1's OVS")
    check(w.a.reaches(w.b), "a on h1 reaches b on h2 through the physical bridge")
    check(w.a.isolated_from(w.c), "a (VLAN 10) cannot reach c (VLAN 20)")


@cases.case
def hosts_reach_the_database_until_cut_off(w):
    h1 = w.f.hosts["h1"]
    remote = w.f.cluster.tcp_remote(0)

    def lists_dbs():
        return h1.ns.run("ovsdb-client", "--timeout=2", "list-dbs", remote,
                         check_rc=False).returncode == 0

    check(lists_dbs(), f"h1 reaches the database at {remote}")
    h1.cut_off()
    check(not lists_dbs(), "h1 cut off cannot reach it")
    check(w.a.reaches(w.b), "h1's guests keep their data plane")
    h1.reconnect()
    t.wait_for(lists_dbs, 30, "h1 back on the management network")


@cases.case
def the_cluster_survives_its_leader(w):
    cluster = w.f.cluster
    leader = cluster.leader()
    cluster.kill(leader)
    t.wait_for(lambda: cluster.leader() not in (None, leader), 30, "a new leader")
    cluster.start(leader)
    t.wait_for(cluster.healthy, 30, "the old leader back as a member")
    check(True, "the DVS database cluster elected a new leader and took the old one back")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    why = missing_parts()
    if why:
        t.skip(why)
    t.enter_private_netns(mounts=True)
    w = type("World", (), {})()
    with Fabric(sys.argv[1], sys.argv[2], hosts=("h1", "h2"), management=False) as f:
        w.f = f
        return cases.run(w, on_failure=lambda name, exc: print(f.diagnostics()))


if __name__ == "__main__":
    sys.exit(main())
