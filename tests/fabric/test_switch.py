# SPDX-License-Identifier: LGPL-2.1-or-later
"""The distributed switch end to end, with the real parts (tests/fabric/fabric.py): a 3-server
Raft cluster of ovsdb-server for the DVS database, four hosts each with its own ovsdb-server,
ovs-vswitchd (userspace datapath) and dvsd in a network namespace, their uplinks on a physical
bridge, and guests plugged with `dvsctl port-plug`. An administrator drives it all with dvsctl
(switch-define, host-add, switch-update, wait, switch-status, ...). Rollouts are in
test_rollout.py, TLS and RBAC in test_tls.py.

The cases share one cluster and one set of hosts and run in order; each is named, and one
failing does not stop the next (DVS_TEST_CASES=a,b runs a subset, in order).

    test_switch.py DVSD DVSCTL
"""

import os
import re
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fabric import run_cases  # noqa: E402

import dvstest as t  # noqa: E402
from dvstest import check, fail, xmlbuild as X  # noqa: E402

SWITCH = "prod"
BRIDGE = "br-prod"
WAIT = 90  # seconds a convergence may take on a loaded CI machine (ASan, 2 cores)


def switch_xml():
    """web (VLAN 10, default) and db (VLAN 20); no dvs:uplink: each member brings one NIC."""
    return X.network(SWITCH, bridge=BRIDGE,
                     portgroups=[X.portgroup("web", 10, default=True), X.portgroup("db", 20)])


def statuses(f, switch=SWITCH):
    return {r["host"]: r for r in f.rows("Member_Status") if r["switch"] == switch}


def applied(f, hosts, generation, switch=SWITCH):
    """Every host says it applied generation and is in sync."""
    st = statuses(f, switch)
    return all(h in st and st[h].get("generation") == generation and st[h]["state"] == "in-sync"
               for h in hosts)


def wait_applied(f, hosts, generation, what, switch=SWITCH, timeout=WAIT):
    def done():
        return applied(f, hosts, generation, switch)

    try:
        t.wait_for(done, timeout, what)
    except t.TestFailure:
        st = statuses(f, switch)
        fail(f"{what}: {[(h, st.get(h, {}).get('generation'), st.get(h, {}).get('state'), st.get(h, {}).get('reason')) for h in hosts]}")


def dvsctl_wait(f, timeout=WAIT, switch=SWITCH):
    return f.dvsctl("wait", switch, "--timeout", str(timeout), check_rc=False,
                    timeout=timeout + 30)


def check_wait_ok(f, what):
    p = dvsctl_wait(f)
    check(p.returncode == 0, f"{what}: dvsctl wait returns 0 ({p.stdout.strip()[-200:]!r} "
                             f"{p.stderr.strip()[-300:]!r})")
    return p


def update(f, command, section, xml, switch=SWITCH, check_rc=True):
    return f.dvsctl("switch-update", switch, command, section, xml, check_rc=check_rc)


def portgroup_tags(host, switch=SWITCH):
    """{portgroup: vlan tag} of the network as the host's dvsd has it."""
    xml = host.network_xml(switch)
    return {m.group(1): m.group(2) for m in
            re.finditer(r"<portgroup name='([^']+)'[^>]*>\s*<vlan>\s*<tag id='(\d+)'", xml)}


cases = t.Cases()


@cases.case
def switch_defined_once_reaches_three_hosts(w):
    f = w.fabric
    f.define_switch(switch_xml(), SWITCH)
    check(SWITCH in f.dvsctl("switch-list").stdout, "switch-list shows the switch")
    for h in ("h1", "h2", "h3"):
        f.dvsctl("host-add", SWITCH, h, "--uplink", "eth1")
    gen = f.generation(SWITCH)
    check(gen is not None and gen >= 1, f"the switch has a generation ({gen})")
    check_wait_ok(f, "three members")
    wait_applied(f, ["h1", "h2", "h3"], gen, "every member applied the definition")
    for name in ("h1", "h2", "h3"):
        host = f.hosts[name]
        check(host.has_network(SWITCH), f"{name} carries the network {SWITCH}, active")
        check(portgroup_tags(host) == {"web": "10", "db": "20"},
              f"{name}'s network has portgroups web (10) and db (20)")
        t.wait_for(lambda: "eth1" in host.ovs.vsctl("list-ports", BRIDGE), 30,
                   f"{name}'s uplink eth1 on {BRIDGE}")
    check(not f.hosts["h4"].has_network(SWITCH, active=False),
          "a host that is not a member has no such network")
    status = f.dvsctl("switch-status", SWITCH).stdout
    check(all(h in status for h in ("h1", "h2", "h3")),
          "switch-status lists every member")
    xml = f.dvsctl("switch-dumpxml", SWITCH).stdout
    check("<portgroup name='web'" in xml or '<portgroup name="web"' in xml,
          "switch-dumpxml shows the portgroups")


@cases.case
def managed_network_is_read_only_on_a_host(w):
    host = w.fabric.hosts["h1"]
    lv = host.libvirt
    net = host.conn.networkLookupByName(SWITCH)
    web30 = X.portgroup("web", 99, default=True)
    for what, call in (
            ("net-destroy", net.destroy),
            ("net-undefine", net.undefine),
            ("net-update", lambda: net.update(lv.VIR_NETWORK_UPDATE_COMMAND_MODIFY,
                                              lv.VIR_NETWORK_SECTION_PORTGROUP, -1, web30,
                                              lv.VIR_NETWORK_UPDATE_AFFECT_LIVE
                                              | lv.VIR_NETWORK_UPDATE_AFFECT_CONFIG))):
        try:
            call()
        except lv.libvirtError as e:
            check(e.get_error_code() == lv.VIR_ERR_OPERATION_DENIED and
                  f"'{SWITCH}'" in e.get_error_message(),
                  f"{what} on a managed network: OPERATION_DENIED naming the switch "
                  f"({e.get_error_message()})")
        else:
            fail(f"{what} on the managed network {SWITCH} was not refused")
    rc, out, err = host.virsh("net-destroy", SWITCH)
    check(rc != 0 and "dvsctl host-remove" in err,
          f"virsh net-destroy says which dvsctl command to use ({err.strip()})")
    check(host.has_network(SWITCH) and portgroup_tags(host)["web"] == "10",
          "the refused commands changed nothing")


@cases.case
def guests_on_two_hosts_ping_on_web_not_db(w):
    f = w.fabric
    w.a = f.hosts["h1"].guest("a", "10.50.0.1", SWITCH, "web")
    w.b = f.hosts["h2"].guest("b", "10.50.0.2", SWITCH, "web")
    w.c = f.hosts["h3"].guest("c", "10.50.0.3", SWITCH, "db")
    w.d = f.hosts["h1"].guest("d", "10.50.0.4", SWITCH, "db")
    check(f.hosts["h1"].port_tag(w.a.ifname) == "10", "a's port on h1 has web's VLAN 10")
    check(f.hosts["h3"].port_tag(w.c.ifname) == "20", "c's port on h3 has db's VLAN 20")
    check(w.a.reaches(w.b), "a (h1, web) reaches b (h2, web) across the fabric")
    check(w.c.reaches(w.d), "c (h3, db) reaches d (h1, db) across the fabric")
    check(w.a.isolated_from(w.c), "a (web) cannot reach c (db)")
    check(w.b.isolated_from(w.d), "b (web) cannot reach d (db)")


@cases.case
def portgroup_vlan_change_moves_running_ports(w):
    f = w.fabric
    before = f.generation(SWITCH)
    update(f, "modify", "portgroup", X.portgroup("web", 30, default=True))
    gen = f.generation(SWITCH)
    check(gen == before + 1, f"the change is one new generation ({before} -> {gen})")
    p = check_wait_ok(f, "the VLAN change")
    check(p.returncode == 0, "dvsctl wait reports every member applied it")
    check(applied(f, ["h1", "h2", "h3"], gen), "every member's status says it applied it")
    for name in ("h1", "h2", "h3"):
        check(portgroup_tags(f.hosts[name])["web"] == "30", f"{name}'s web portgroup is VLAN 30")
    check(f.hosts["h1"].port_tag(w.a.ifname) == "30" and
          f.hosts["h2"].port_tag(w.b.ifname) == "30", "the running web ports moved to VLAN 30")
    check(f.hosts["h3"].port_tag(w.c.ifname) == "20", "the db port stayed on VLAN 20")
    check(w.a.reaches(w.b), "a and b still reach each other on VLAN 30")
    check(w.a.isolated_from(w.c), "web still cannot reach db")


@cases.case
def leader_killed_during_a_change(w):
    f = w.fabric
    before = f.generation(SWITCH)
    leader = f.cluster.leader()
    check(leader is not None, f"the cluster has a leader (server {leader})")
    proc = subprocess.Popen(
        [f.dvsctl_binary, "switch-update", "--db", f.admin_remote(), SWITCH, "modify",
         "portgroup", X.portgroup("db", 40)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    f.cluster.kill(leader, signal.SIGKILL)
    out, err = proc.communicate(timeout=WAIT)
    t.wait_for(lambda: f.cluster.leader() not in (None, leader), 60, "a new leader")
    gen = f.generation(SWITCH)
    if proc.returncode == 0:
        check(gen == before + 1,
              f"switch-update went through another server, once: {before} -> {gen}")
    else:
        # The leader died with the transaction in flight: dvsctl may not know its outcome and
        # must say so rather than apply it twice.
        check(gen in (before, before + 1) and err.startswith("error: "),
              f"switch-update says it failed ({err.strip()}) and made at most one generation "
              f"({before} -> {gen})")
        if gen == before:
            update(f, "modify", "portgroup", X.portgroup("db", 40))
            gen = f.generation(SWITCH)
    gens = [r["generation"] for r in f.rows("Switch_Generation")
            if r["switch"] == f.switch_row(SWITCH)["_uuid"]]
    check(len(gens) == len(set(gens)) and gens.count(gen) == 1,
          f"one Switch_Generation row per generation ({sorted(gens)})")
    check_wait_ok(f, "after the leader's death")
    check(applied(f, ["h1", "h2", "h3"], gen), "every member converged on the new generation")
    check(f.hosts["h3"].port_tag(w.c.ifname) == "40" and
          f.hosts["h1"].port_tag(w.d.ifname) == "40", "the db ports moved to VLAN 40")
    check(w.c.reaches(w.d), "c and d reach each other on VLAN 40")
    for name in ("h1", "h2", "h3"):
        times = len(re.findall(rf"applied generation {gen}\b", f.hosts[name].dvsd.log()))
        check(times == 1, f"{name} applied generation {gen} once ({times})")
    f.cluster.start(leader)
    t.wait_for(f.cluster.healthy, 60, "the killed server back in the cluster")


@cases.case
def dvsd_restart_writes_nothing_to_ovs(w):
    f = w.fabric
    host = f.hosts["h2"]
    gen = f.generation(SWITCH)
    wait_applied(f, ["h2"], gen, "h2 in sync before its restart")
    writes = host.dvsd_writes()
    check(writes > 0, f"dvsd's transactions in h2's OVS are counted ({writes})")

    def host_status():
        return next((r for r in f.rows("Host_Status") if r["name"] == "h2"), {})

    before = host_status().get("connected_at")
    host.restart_dvsd()
    t.wait_for(lambda: host_status().get("connected_at") != before, WAIT,
               "the restarted dvsd to connect and write its Host_Status")
    # Two heartbeats after it connected, its first reconciliation is long done.
    t.wait_for(lambda: (st := host_status()) and
               st["last_seen"] >= st["connected_at"] + 2 * 1000, WAIT,
               "two heartbeats of the restarted dvsd")
    wait_applied(f, ["h2"], gen, "h2 in sync after its restart")
    check(host.has_network(SWITCH), "the network is still there")
    check(host.dvsd_writes() == writes,
          f"the restart wrote nothing to OVS ({host.dvsd_writes() - writes} transactions)")
    check(w.a.reaches(w.b), "a and b still reach each other")


@cases.case
def host_cut_off_keeps_its_data_plane_and_converges_after(w):
    f = w.fabric
    h3 = f.hosts["h3"]
    log_from = h3.dvsd.log_size()
    h3.cut_off()
    try:
        t.wait_for(lambda: "cut off" in h3.dvsd.log_since(log_from).lower(), WAIT,
                   "h3's dvsd to say it is cut off from the database")
        check(True, "h3's dvsd says it is cut off and keeps its networks")
        check(w.c.reaches(w.d), "c on the cut-off h3 still reaches d on h1 (data plane untouched)")
        w.e = h3.guest("e", "10.50.0.5", SWITCH, "web")
        check(w.e.reaches(w.a), "a guest starts on h3's existing web portgroup and reaches a")
        update(f, "add-last", "portgroup", X.portgroup("app", 60))
        gen = f.generation(SWITCH)
        wait_applied(f, ["h1", "h2"], gen, "the connected members applied the change")
        p = dvsctl_wait(f, timeout=3)
        check(p.returncode != 0 and "h3" in (p.stdout + p.stderr),
              f"dvsctl wait fails naming h3 ({(p.stdout + p.stderr).strip()[-200:]!r})")

        def unreachable():
            out = f.dvsctl("switch-status", SWITCH, check_rc=False).stdout
            line = next((l for l in out.splitlines() if "h3" in l), "")
            return "unreachable since" in line and line

        line = t.wait_for(unreachable, WAIT, "switch-status to say h3 is unreachable")
        check(True, f"switch-status says since when h3 is unreachable ({line.strip()})")
        check("app" not in portgroup_tags(h3), "h3 kept its last applied state")
        check(w.c.reaches(w.d), "h3's guests still reach the other hosts")
    finally:
        h3.reconnect()
    check_wait_ok(f, "h3 back on the network")
    check(applied(f, ["h1", "h2", "h3"], f.generation(SWITCH)), "h3 converged")
    check(portgroup_tags(h3).get("app") == "60", "h3 has the portgroup added while it was away")


@cases.case
def host_removed_tears_down_once_no_port_uses_it(w):
    f = w.fabric
    h3 = f.hosts["h3"]
    f.dvsctl("host-remove", SWITCH, "h3")
    holding = [g.port_uuid for g in h3.guests]
    check(holding, "h3 has guests on the switch")

    def reports_holders():
        st = statuses(f).get("h3")
        return st is not None and set(holding) <= set(st.get("ports_holding", []))

    t.wait_for(reports_holders, WAIT, "h3's status to name the ports that hold its network")
    check(h3.has_network(SWITCH), "h3 keeps the network while ports use it")
    check(w.c.reaches(w.d), "h3's guests keep working meanwhile")
    for g in list(h3.guests):
        h3.remove_guest(g)
    t.wait_for(lambda: not h3.has_network(SWITCH, active=False), WAIT,
               "h3 to tear the network down once no port uses it")
    t.wait_for(lambda: BRIDGE not in h3.ovs.vsctl("list-br"), 30, "h3's bridge to go")
    check(w.a.reaches(w.b), "the other members are unaffected")
    check_wait_ok(f, "after the removal")


@cases.case
def host_added_later_gets_the_current_definition(w):
    f = w.fabric
    h4 = f.hosts["h4"]
    f.dvsctl("host-add", SWITCH, "h4", "--uplink", "eth1")
    check_wait_ok(f, "with h4")
    check(applied(f, ["h4"], f.generation(SWITCH)), "h4 applied the current generation")
    check(portgroup_tags(h4) == portgroup_tags(f.hosts["h1"]),
          f"h4's portgroups are h1's ({portgroup_tags(h4)})")
    w.g = h4.guest("g", "10.50.0.7", SWITCH, "web")
    check(w.g.reaches(w.a), "a guest on h4 reaches a on h1 on web")


def main():
    return run_cases(cases, __doc__, 2, hosts=("h1", "h2", "h3", "h4"))


if __name__ == "__main__":
    sys.exit(main())
