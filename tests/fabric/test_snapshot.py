# SPDX-License-Identifier: LGPL-2.1-or-later
"""Snapshots, restore and rollback of a distributed switch, with the real parts (fabric.py): one
standalone ovsdb-server for the DVS database, three hosts each with its own ovsdb-server,
ovs-vswitchd (userspace datapath) and dvsd in a network namespace. A switch is snapshotted,
changed three times, compared, restored to itself, as a new switch and onto another; then the
whole management database is destroyed, an empty one created, and the switch rebuilt from one
host's own copy: every host converges to it without touching OVS.

The cases share the fabric and run in order (DVS_TEST_CASES=a,b runs a subset, in order).

    test_snapshot.py DVSD DVSCTL
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fabric import DB_ADDRESS, DB_BASE_PORT, mgmt_schema, run_cases  # noqa: E402

import dvstest as t  # noqa: E402
from dvstest import check, xmlbuild as X  # noqa: E402

SWITCH = "prod"
HOSTS = ("h1", "h2", "h3")
WAIT = 90  # seconds a convergence may take on a loaded CI machine (ASan, 2 cores)


def switch_xml():
    return X.network(SWITCH, bridge="br-prod",
                     portgroups=[X.portgroup("web", 10, default=True), X.portgroup("db", 20)])


def wait(f, switch=SWITCH):
    f.dvsctl("wait", switch, "--timeout", str(WAIT), timeout=WAIT + 30)


def tag(host, network, portgroup):
    """The VLAN of the portgroup in the network as the host's dvsd has it, or None."""
    xml = host.network_xml(network)
    m = re.search(r"<portgroup name=['\"]" + re.escape(portgroup) + r"['\"].*?</portgroup>", xml,
                  re.S)
    if not m:
        return None
    t_ = re.search(r"<tag id=['\"](\d+)['\"]", m.group(0))
    return int(t_.group(1)) if t_ else None


def everywhere(f, network, portgroup, vlan, hosts=HOSTS):
    return all(f.hosts[h].has_network(network) and tag(f.hosts[h], network, portgroup) == vlan
               for h in hosts)


def snap(f, *args):
    return f.dvsctl(*args[:1], "--dir", f.snapshots, *args[1:]).stdout


cases = t.Cases()


@cases.case
def snapshot_change_three_times_diff(w):
    f = w.fabric
    f.define_switch(switch_xml(), SWITCH)
    for h in HOSTS:
        f.dvsctl("host-add", SWITCH, h, "--uplink", "eth1")
    wait(f)
    check(everywhere(f, SWITCH, "web", 10), "every host carries the switch")
    out = snap(f, "snapshot-create", SWITCH, "--name", "s0")
    check("Snapshot s0 of switch prod (generation 1)" in out, out)

    set_pg = "<portgroup name='web' default='yes'><vlan><tag id='11'/></vlan></portgroup>"
    f.dvsctl("switch-update", SWITCH, "modify", "portgroup", set_pg)
    f.dvsctl("switch-update", SWITCH, "add-last", "portgroup",
             "<portgroup name='app'><vlan><tag id='30'/></vlan></portgroup>")
    f.dvsctl("switch-update", SWITCH, "modify", "portgroup",
             "<portgroup name='db'><vlan><tag id='21'/></vlan></portgroup>")
    wait(f)
    check(everywhere(f, SWITCH, "app", 30) and everywhere(f, SWITCH, "db", 21),
          "the three changes reached every host")
    snap(f, "snapshot-create", SWITCH, "--name", "s3")
    diff = snap(f, "snapshot-diff", "s0", "s3")
    for part in ("generation: changed", "portgroup 'web': changed", "portgroup 'app': added",
                 "portgroup 'db': changed"):
        check(part in diff, f"snapshot-diff shows {part!r}")
    check("member" not in diff, "the members did not change")


@cases.case
def restore_same_new_onto(w):
    f = w.fabric
    gen = f.generation(SWITCH)
    out = snap(f, "snapshot-restore", "s0")
    check(f"restored onto switch prod (generation {gen + 1})" in out, out)
    wait(f)
    t.wait_for(lambda: everywhere(f, SWITCH, "web", 10) and everywhere(f, SWITCH, "db", 20),
               WAIT, "every host back on s0's VLANs")
    check(all(tag(f.hosts[h], SWITCH, "app") is None for h in HOSTS), "app is gone everywhere")

    out = snap(f, "snapshot-restore", "s3", "--as", "copy", "--bridge", "br-copy")
    check("restored as switch copy (generation 1)" in out, out)
    f.dvsctl("host-add", "copy", "h1")
    wait(f, "copy")
    t.wait_for(lambda: everywhere(f, "copy", "app", 30, hosts=("h1",)), WAIT,
               "h1 carries the new switch with s3's portgroups")
    check(not f.hosts["h2"].has_network("copy", active=False), "h2 is no member of it")

    f.define_switch(X.network("other", bridge="br-other",
                              portgroups=[X.portgroup("web", 110)]), "other")
    f.dvsctl("host-add", "other", "h2")
    wait(f, "other")
    uuid = [r for r in f.rows("Switch") if r["name"] == "other"][0]["network_uuid"]
    out = snap(f, "snapshot-restore", "s3", "--onto", "other")
    check("restored onto switch other (generation 2)" in out, out)
    wait(f, "other")
    t.wait_for(lambda: everywhere(f, "other", "web", 11, hosts=("h2",))
               and everywhere(f, "other", "app", 30, hosts=("h2",)), WAIT,
               "h2's other takes s3's portgroups")
    xml = f.hosts["h2"].network_xml("other")
    check(uuid in xml and "br-other" in xml, "other keeps its uuid and bridge")


@cases.case
def rollback(w):
    f = w.fabric
    f.dvsctl("switch-update", SWITCH, "modify", "portgroup",
             "<portgroup name='db'><vlan><tag id='22'/></vlan></portgroup>")
    wait(f)
    check(everywhere(f, SWITCH, "db", 22), "the change reached every host")
    f.dvsctl("switch-rollback", SWITCH)
    wait(f)
    t.wait_for(lambda: everywhere(f, SWITCH, "db", 20), WAIT, "every host back on VLAN 20")


@cases.case
def rebuild_from_a_host_copy(w):
    f = w.fabric
    for name, host in (("copy", "h1"), ("other", "h2")):
        f.dvsctl("switch-undefine", name)
        t.wait_for(lambda: not f.hosts[host].has_network(name, active=False), WAIT,
                   f"{host} to tear {name} down")
    gen = f.generation(SWITCH)
    copies = {h: os.path.join(f.hosts[h].dvsd.root, "var", "lib", "dvs", "snapshots", SWITCH,
                              f"generation-{gen}.xml") for h in HOSTS}
    t.wait_for(lambda: all(os.path.isfile(p) for p in copies.values()), WAIT,
               f"every host's copy of generation {gen}")
    with open(copies["h2"]) as fh:
        text = fh.read()
    for h in HOSTS:
        check(f"<member host='{h}'>" in text, f"h2's copy lists member {h}")
    listing = t.run(f.dvsctl_binary, "snapshot-list", "--dir",
                    os.path.dirname(os.path.dirname(copies["h2"]))).stdout
    check(f"generation-{gen}" in listing, "snapshot-list reads a host's copies")
    writes = {h: f.hosts[h].dvsd_writes() for h in HOSTS}

    # The whole management database is lost; an empty one takes its place. The hosts reach it
    # only once the switch is back (a host that finds itself in no switch leaves them).
    for h in HOSTS:
        f.hosts[h].cut_off()
    f.cluster.cleanup()
    f.cluster = t.OvsdbCluster(os.path.join(f.root, "db-new"), mgmt_schema(), size=1,
                               clustered=False, netns=f.db_ns, address=DB_ADDRESS,
                               base_port=DB_BASE_PORT)
    t.wait_for(f.cluster.healthy, 60, "the new database")
    f.dvsctl("db-init")
    check(f.dvsctl("switch-list", "--json").stdout.strip() == "[]", "the new database is empty")
    out = f.dvsctl("snapshot-restore", copies["h2"]).stdout
    check(f"restored as switch prod (generation {gen + 1})" in out, out)
    for h in HOSTS:
        f.hosts[h].reconnect()
    wait(f)
    status = f.dvsctl("switch-status", SWITCH).stdout
    for h in HOSTS:
        check(h in status, f"{h} is a member again")
    check(everywhere(f, SWITCH, "db", 20) and everywhere(f, SWITCH, "web", 10),
          "every host runs the restored configuration")
    check({h: f.hosts[h].dvsd_writes() for h in HOSTS} == writes,
          "and none of them changed anything in OVS for it")


def main():
    def prepare(w):
        w.fabric.snapshots = os.path.join(w.fabric.root, "snapshots")

    return run_cases(cases, __doc__, 2, prepare=prepare, hosts=HOSTS, clustered=False)


if __name__ == "__main__":
    sys.exit(main())
