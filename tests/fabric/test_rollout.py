# SPDX-License-Identifier: LGPL-2.1-or-later
"""Rollouts of the distributed switch across hosts, with the real parts (tests/fabric/fabric.py):
a 3-server Raft cluster, four hosts with their own OVS and dvsd, two rollout controllers
(dvs-controller, active/standby through an OVSDB lock). A controller killed mid-rollout is
replaced and the rollout finishes; a canary whose uplink NIC does not exist halts the rollout,
which leaves the other hosts untouched, and an abort brings every host back.

    test_rollout.py DVSD DVSCTL DVS-CONTROLLER
"""

import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fabric import run_cases  # noqa: E402
from test_switch import (SWITCH, WAIT, applied, check_wait_ok, portgroup_tags,  # noqa: E402
                         statuses, switch_xml, update)

import dvstest as t  # noqa: E402
from dvstest import check, fail, xmlbuild as X  # noqa: E402

cases = t.Cases()


@cases.case
def switch_on_three_hosts(w):
    f = w.fabric
    f.define_switch(switch_xml(), SWITCH)
    for h in ("h1", "h2", "h3"):
        f.dvsctl("host-add", SWITCH, h, "--uplink", "eth1")
    check_wait_ok(f, "three members")
    w.a = f.hosts["h1"].guest("a", "10.51.0.1", SWITCH, "web")
    w.b = f.hosts["h2"].guest("b", "10.51.0.2", SWITCH, "web")
    check(w.a.reaches(w.b), "a (h1) reaches b (h2) on web")


@cases.case
def controller_killed_mid_rollout_is_replaced(w):
    f = w.fabric
    if not f.controllers:
        fail("no dvs-controller was given: the rollout controller is part of the switch")
    members = ["h1", "h2", "h3"]
    f.dvsctl("switch-rollout-policy", SWITCH, "--batch", "1", "--soak", "2", "--deadline", "60")
    before = f.generation(SWITCH)
    update(f, "add-last", "portgroup", X.portgroup("ops", 70))
    gen = f.generation(SWITCH)

    def rollout():
        rows = [r for r in f.rows("Rollout") if r["to_generation"] == gen]
        return rows[0] if rows else None

    t.wait_for(lambda: (r := rollout()) and r["state"] == "running" and r["batch"] >= 1, WAIT,
               "the rollout to start its batches")
    done = [h for h in members if applied(f, [h], gen)]
    check(len(done) < len(members), f"the rollout goes host by host (done so far: {done})")
    active = rollout()["controller"]
    victim = next((d for d in f.controllers if d.running() and
                   (d.name == active or str(d.pid) in active)), None)
    check(victim is not None, f"the rollout names its controller ({active!r})")
    victim.kill(signal.SIGKILL)
    t.wait_for(lambda: (r := rollout()) and r["state"] == "done", WAIT * 2,
               "the standby controller to finish the rollout")
    check(rollout()["controller"] != active, "another controller finished it")
    check_wait_ok(f, "after the rollout")
    check(applied(f, members, gen) and gen == before + 1, "every member is on the new generation")
    status = f.dvsctl("rollout-status", SWITCH).stdout
    check("done" in status, f"rollout-status says done ({status.strip()[:120]!r})")


@cases.case
def canary_with_a_missing_uplink_halts_and_reverts(w):
    f = w.fabric
    others = ["h1", "h2", "h3"]
    f.dvsctl("host-add", SWITCH, "h4", "--uplink", "nosuch0")
    f.dvsctl("switch-rollout-policy", SWITCH, "--canary", "h4", "--batch", "50%",
             "--max-failed", "0", "--soak", "1", "--deadline", "30")
    before = f.generation(SWITCH)
    tags = {h: portgroup_tags(f.hosts[h]) for h in others}
    update(f, "modify", "portgroup", X.portgroup("web", 80, default=True))

    def halted():
        p = f.dvsctl("rollout-status", SWITCH, check_rc=False)
        return "halted" in p.stdout and p.stdout

    out = t.wait_for(halted, WAIT, "rollout-status to say halted")
    check("h4" in out, f"rollout-status names the failed canary h4 ({out.strip()[:300]!r})")
    check("nosuch0" in out, "and why: its uplink NIC does not exist")
    check(f"generation {before + 1} could not be applied" in out,
          "the canary reported the generation it tried, not the one it runs")
    st = statuses(f)
    check(all(st[h]["generation"] == before for h in others),
          f"the other hosts are untouched at generation {before}")
    check({h: portgroup_tags(f.hosts[h]) for h in others} == tags,
          "their networks did not change")
    check(f.hosts["h1"].port_tag(w.a.ifname) == "10", "their ports did not move")
    t.wait_for(lambda: statuses(f)["h4"].get("generation") != before + 1 and
               statuses(f)["h4"]["state"] in ("reverted", "failed"), WAIT,
               "the canary back on the previous generation")
    f.dvsctl("rollout-abort", SWITCH)
    t.wait_for(lambda: "aborted" in f.dvsctl("rollout-status", SWITCH).stdout, WAIT,
               "rollout-status to say aborted")
    f.dvsctl("host-remove", SWITCH, "h4")
    check_wait_ok(f, "after the abort, without the broken host")
    check({h: portgroup_tags(f.hosts[h]) for h in others} == tags,
          "every host is back on the previous definition")
    check(w.a.reaches(w.b), "a and b still reach each other")


def main():
    return run_cases(cases, __doc__, 3, hosts=("h1", "h2", "h3", "h4"))


if __name__ == "__main__":
    sys.exit(main())
