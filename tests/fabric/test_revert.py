# SPDX-License-Identifier: LGPL-2.1-or-later
"""The automatic revert (issue 14), with the real parts (tests/fabric/fabric.py): a standalone
management database, three hosts with their own OVS and dvsd, a rollout controller.

- The lockout: h3's only path to the database runs over the switch's portgroup `mgmt` (VLAN 100):
  a port of h3's bridge whose veth end mg0 carries h3's address, out through the uplink to a
  VLAN 100 interface in the database's namespace. Moving `mgmt` to VLAN 101 cuts h3 off: it returns
  to VLAN 100 within the revert timeout by itself, reconnects and reports `reverted`; it does not
  apply that generation again. With h3 as a rollout's canary, the rollout halts and no other host
  applies the change.
- A failing administrator probe (ICMP through an interface on portgroup `web`) reverts the same
  way; a change that keeps connectivity is confirmed and kept.
- dvsd SIGKILLed between apply and confirm comes back on the last known good generation;
  `dvsctl switch-retry` has it apply the generation again.

    test_revert.py DVSD DVSCTL DVS-CONTROLLER
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fabric import DB_BASE_PORT, run_cases  # noqa: E402
from test_switch import WAIT, portgroup_tags, statuses, update, wait_applied  # noqa: E402

import dvstest as t  # noqa: E402
from dvstest import check, fail, xmlbuild as X  # noqa: E402

SWITCH = "prod"
HOSTS = ("h1", "h2", "h3")
# What the tests give a host to prove itself after a change (a switch setting).
REVERT_TIMEOUT = 5
LOCKOUT_ADDRESS = "10.98.0.1"  # the database, on VLAN 100 only
PROBE_TARGET = "10.52.0.254"   # a router on VLAN 10 (portgroup web)

cases = t.Cases()


def switch_xml(mgmt_vlan=100):
    return X.network(SWITCH, bridge="br-prod",
                     portgroups=[X.portgroup("web", 10, default=True), X.portgroup("db", 20),
                                 X.portgroup("mgmt", mgmt_vlan)])


def host_port(host, ifname, peer, address, portgroup):
    """An interface of the host's own stack (ifname, with address) on the switch's portgroup:
    a veth whose peer is plugged into a port of the network."""
    host.ns.ip("link", "add", ifname, "type", "veth", "peer", "name", peer)
    host.ns.add_address(ifname, address + "/24")
    # The userspace datapath forwards packets with the checksum the veth left undone.
    host.ns.run("ethtool", "-K", ifname, "tx", "off")
    host.ns.link_up(ifname)
    host.ns.link_up(peer)
    port_uuid, _ = host.create_port(SWITCH, portgroup)
    p = host.dvsctl("port-plug", SWITCH, port_uuid, peer, check_rc=False)
    if p.returncode != 0:
        fail(f"port-plug {peer} on {host.name}: {p.stderr.strip()}")
    return port_uuid


def pings(ns, address, ifname):
    return ns.run("ping", "-c", "1", "-W", "1", "-I", ifname, address,
                  check_rc=False).returncode == 0


def status(f, host):
    return statuses(f, SWITCH).get(host, {})


def wait_reverted(f, host, generation, what):
    def reverted():
        st = status(f, host)
        return st.get("state") == "reverted" and st.get("reverted_generation") == generation
    try:
        t.wait_for(reverted, WAIT, what)
    except t.TestFailure:
        fail(f"{what}: {status(f, host)}")
    return status(f, host)


def stays_reverted(f, host, generation):
    """The host keeps saying it reverted generation over three more heartbeats (no flapping)."""
    def last_seen():
        rows = [r for r in f.rows("Host_Status") if r["name"] == host]
        return rows[0]["last_seen"] if rows else 0
    start = last_seen()
    seen = []

    def three_heartbeats():
        st = status(f, host)
        seen.append((st.get("state"), st.get("generation")))
        return last_seen() >= start + 3000
    t.wait_for(three_heartbeats, WAIT, f"three heartbeats of {host}")
    st = status(f, host)
    return (all(s == "reverted" for s, _ in seen) and st.get("state") == "reverted" and
            st.get("reverted_generation") == generation and st.get("generation") != generation)


@cases.case
def switch_with_a_management_portgroup(w):
    f = w.fabric
    f.define_switch(switch_xml(), SWITCH)
    for h in HOSTS:
        f.dvsctl("host-add", SWITCH, h, "--uplink", "eth1")
    p = f.dvsctl("switch-revert-timeout", SWITCH, str(REVERT_TIMEOUT))
    check(f"{REVERT_TIMEOUT} s" in p.stdout, f"switch-revert-timeout sets it ({p.stdout.strip()})")
    wait_applied(f, HOSTS, f.generation(SWITCH), "every member applied the switch")
    # The database's side of VLAN 100 (and the probes' router on VLAN 10): a VLAN-aware switch
    # (an OVS bridge of its own in the fabric's namespace) trunked to the physical bridge, with
    # an access port per VLAN into the database's namespace.
    w.trunk = t.OvsSandbox(folder=os.path.join(f.root, "trunk-ovs"), netns=f.fabric_ns)
    w.trunk.vsctl("add-br", "trunk", "--", "set", "bridge", "trunk", "datapath_type=netdev")
    t.veth(f.fabric_ns, "f-tr", f.fabric_ns, "tr-up")
    f.fabric_ns.enslave("f-tr", "phys")
    w.trunk.vsctl("add-port", "trunk", "tr-up")
    for vlan, address in ((100, LOCKOUT_ADDRESS), (10, PROBE_TARGET)):
        t.veth(f.fabric_ns, f"tr-{vlan}", f.db_ns, f"db{vlan}")
        f.db_ns.add_address(f"db{vlan}", address + "/24")
        f.db_ns.run("ethtool", "-K", f"db{vlan}", "tx", "off")
        w.trunk.vsctl("add-port", "trunk", f"tr-{vlan}", f"tag={vlan}")
    # Every host's own interface on web, for the probes.
    for i, h in enumerate(HOSTS):
        host_port(f.hosts[h], "hp0", "vp-hp0", f"10.52.0.{11 + i}", "web")
    for h in HOSTS:
        t.wait_for(lambda: pings(f.hosts[h].ns, PROBE_TARGET, "hp0"), WAIT,
                   f"{h} reaches the router on web")

    # h3 moves to the database's VLAN 100 address, over its own bridge only.
    h3 = f.hosts["h3"]
    host_port(h3, "mg0", "vp-mg0", "10.98.0.13", "mgmt")
    t.wait_for(lambda: pings(h3.ns, LOCKOUT_ADDRESS, "mg0"), WAIT,
               "h3 reaches the database on VLAN 100")
    h3.close_conn()
    h3.dvsd.stop()
    h3.dvsd.write_config(h3.config(remote=f"tcp:{LOCKOUT_ADDRESS}:{DB_BASE_PORT}"))
    h3.cut_off()  # the 10.99.0.0/24 path is gone: VLAN 100 is the only one left
    h3.dvsd.start()
    gen = f.generation(SWITCH)
    t.wait_for(lambda: status(f, "h3").get("state") == "in-sync" and
               [r for r in f.rows("Host_Status") if r["name"] == "h3"][0]["last_seen"] >
               int(time.time() * 1000) - 2000, WAIT, "h3 back in the database over VLAN 100")
    check(status(f, "h3").get("generation") == gen, "h3 runs the switch's generation")
    check(h3.port_tag("vp-mg0") == "100", "h3's management port is on VLAN 100")


@cases.case
def a_change_that_cuts_a_host_off_reverts_by_itself(w):
    f = w.fabric
    h3 = f.hosts["h3"]
    before = f.generation(SWITCH)
    log_from = h3.dvsd.log_size()
    update(f, "modify", "portgroup", X.portgroup("mgmt", 101))
    gen = f.generation(SWITCH)
    check(gen == before + 1, "the change is a new generation")
    wait_applied(f, ["h1", "h2"], gen, "the hosts that keep the database applied it")
    st = wait_reverted(f, "h3", gen, "h3 to revert, reconnect and report reverted")
    check(st.get("generation") == before, f"h3 runs generation {before} again ({st})")
    check("management database was not reached" in st.get("reason", ""),
          f"its status says why ({st.get('reason')!r})")
    check(h3.port_tag("vp-mg0") == "100", "h3's management port is back on VLAN 100")
    check(portgroup_tags(h3)["mgmt"] == "100", "h3's network is the last known good one")
    log = h3.dvsd.log_since(log_from)
    check(f"Switch 'prod': host 'h3' reverted generation {gen} to generation {before}" in log,
          "dvsd's log names the switch, the generation, the host and why")
    out = f.dvsctl("switch-status", SWITCH).stdout
    check("reverted" in out, f"switch-status shows h3 reverted ({out.strip()[-300:]!r})")
    check(stays_reverted(f, "h3", gen), "h3 does not apply the generation again by itself")
    check(h3.port_tag("vp-mg0") == "100", "and stays on VLAN 100")

    # A newer generation ends the revert.
    update(f, "modify", "portgroup", X.portgroup("mgmt", 100))
    wait_applied(f, HOSTS, gen + 1, "every host on the generation that restores VLAN 100")
    check(status(f, "h3").get("reverted_generation") in (None, []), "h3 is no longer reverted")


@cases.case
def a_canary_that_is_cut_off_halts_the_rollout(w):
    f = w.fabric
    if not f.controllers:
        fail("no dvs-controller was given")
    before = f.generation(SWITCH)
    tags = {h: portgroup_tags(f.hosts[h]) for h in ("h1", "h2")}
    f.dvsctl("switch-rollout-policy", SWITCH, "--canary", "h3", "--batch", "1",
             "--max-failed", "0", "--deadline", "60")
    update(f, "modify", "portgroup", X.portgroup("mgmt", 101))
    gen = f.generation(SWITCH)

    def halted():
        p = f.dvsctl("rollout-status", SWITCH, check_rc=False)
        return "halted" in p.stdout and p.stdout
    out = t.wait_for(halted, WAIT, "the rollout to halt")
    check("h3" in out and "reverted" in out,
          f"rollout-status names h3 and its revert ({out.strip()[-400:]!r})")
    st = statuses(f, SWITCH)
    check(all(st[h].get("generation") == before and st[h]["state"] == "in-sync"
              for h in ("h1", "h2")), f"no other host applied generation {gen}")
    check({h: portgroup_tags(f.hosts[h]) for h in ("h1", "h2")} == tags,
          "their networks did not change")
    check(f.hosts["h3"].port_tag("vp-mg0") == "100", "h3 is on VLAN 100")
    f.dvsctl("rollout-abort", SWITCH)
    f.dvsctl("switch-rollout-policy", SWITCH, "--clear")
    wait_applied(f, HOSTS, f.generation(SWITCH), "every host after the abort")


@cases.case
def a_failing_probe_reverts_and_a_good_change_is_kept(w):
    f = w.fabric
    p = f.dvsctl("switch-probe-add", SWITCH, "router", "--icmp", PROBE_TARGET,
                 "--interface", "hp0")
    check("router" in p.stdout, "switch-probe-add adds it")
    listed = f.dvsctl("switch-probe-list", SWITCH).stdout
    check("router" in listed and PROBE_TARGET in listed and "hp0" in listed,
          f"switch-probe-list shows it ({listed.strip()!r})")
    bad = f.dvsctl("switch-probe-add", SWITCH, "x", "--icmp", "router.example", check_rc=False)
    check(bad.returncode == 1 and "numeric" in bad.stderr,
          f"a probe by name is refused ({bad.stderr.strip()!r})")

    before = f.generation(SWITCH)
    update(f, "modify", "portgroup", X.portgroup("web", 11, default=True))
    gen = f.generation(SWITCH)
    for h in HOSTS:
        st = wait_reverted(f, h, gen, f"{h} to revert the change its probe fails")
        check(f"probe 'router' (ICMP echo to {PROBE_TARGET} through hp0) failed" in
              st.get("reason", ""), f"{h} says which probe failed ({st.get('reason')!r})")
        check(st.get("generation") == before, f"{h} is back on generation {before}")
        check(f.hosts[h].port_tag("vp-hp0") == "10", f"{h}'s web port is back on VLAN 10")

    # The definition still says VLAN 11: the administrator undoes it (what the hosts run).
    update(f, "modify", "portgroup", X.portgroup("web", 10, default=True))
    wait_applied(f, HOSTS, gen + 1, "every host leaves its revert for the newer generation")
    # A change that keeps every path: confirmed and kept.
    update(f, "add-last", "portgroup", X.portgroup("ops", 70))
    good = f.generation(SWITCH)
    wait_applied(f, HOSTS, good, "every host confirms the change that keeps connectivity")
    for h in HOSTS:
        check("ops" in portgroup_tags(f.hosts[h]), f"{h} keeps the new portgroup")
        check(f"host '{h}' confirmed generation {good}" in f.hosts[h].dvsd.log(),
              f"{h}'s log says it confirmed generation {good}")


@cases.case
def dvsd_killed_between_apply_and_confirm_comes_back_on_last_known_good(w):
    f = w.fabric
    h2 = f.hosts["h2"]
    f.dvsctl("switch-revert-timeout", SWITCH, "120")
    # h2's probe cannot pass while its interface is down: it stays between apply and confirm.
    h2.ns.link_up("hp0", False)
    before = f.generation(SWITCH)
    update(f, "add-last", "portgroup", X.portgroup("late", 71))
    gen = f.generation(SWITCH)
    wait_applied(f, ["h1", "h3"], gen, "the other hosts confirm")
    t.wait_for(lambda: status(f, "h2").get("applying_generation") == gen and
               "confirming" in status(f, "h2").get("reason", ""), WAIT,
               "h2 to apply and wait for its confirmation")
    check("late" in portgroup_tags(h2), "h2 runs the new generation, unconfirmed")
    h2.close_conn()
    h2.dvsd.kill(signal.SIGKILL)
    h2.dvsd.start()
    check("late" not in portgroup_tags(h2), "h2 comes back on the last known good generation")
    st = wait_reverted(f, "h2", gen, "h2 to report the generation it did not confirm")
    check("dvsd stopped before generation" in st.get("reason", ""),
          f"and why ({st.get('reason')!r})")
    check(st.get("generation") == before, f"h2 runs generation {before}")
    check(stays_reverted(f, "h2", gen), "h2 does not apply it again by itself")

    # The administrator fixes h2 and asks for a retry.
    h2.ns.link_up("hp0", True)
    f.dvsctl("switch-revert-timeout", SWITCH, str(REVERT_TIMEOUT))
    p = f.dvsctl("switch-retry", SWITCH, "h2")
    check("h2" in p.stdout, f"switch-retry names the host ({p.stdout.strip()!r})")
    wait_applied(f, HOSTS, gen, "h2 applies and confirms the generation after the retry")
    check("late" in portgroup_tags(h2), "h2 runs it")


def main():
    def prepare(w):
        w.trunk = None

    def finish(w):
        if w.trunk is not None:
            w.trunk.cleanup()

    return run_cases(cases, __doc__, 3, prepare=prepare, finish=finish, hosts=HOSTS,
                     clustered=False, controllers=1)


if __name__ == "__main__":
    sys.exit(main())
