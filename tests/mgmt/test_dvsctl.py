#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""dvsctl's switch commands against a real ovsdb-server serving the DVS database: the text and
JSON they print, `error: MESSAGE` and exit 1 with nothing written on bad input, the database
found through --db, DVS_DB or dvsd.conf, `wait` and `switch-status` reading the status rows
hosts write (written here by the test, as a host would), and concurrent administrators on a
3-server Raft cluster losing no change.

usage: test_dvsctl.py DVSCTL DVS-CONTROLLER SCHEMA"""

import json
import os
import shutil
import subprocess
import sys

from dvstest import (Cases, Daemon, Dvsctl, OvsdbCluster, check, free_tcp_port, ovs_missing, run,
                     skip, tcp_accepts, temp_root, wait_for)

SWITCH_XML = """<network>
  <name>sw</name>
  <forward mode='bridge'/>
  <bridge name='br-sw'/>
  <virtualport type='openvswitch'/>
  <portgroup name='web'><vlan><tag id='10'/></vlan></portgroup>
  <portgroup name='db'><vlan><tag id='20'/></vlan></portgroup>
  <metadata>
    <dvs:network xmlns:dvs='https://libvirt-dvs.org/xmlns/network/1.0'>
      <dvs:uplink type='ovs-bond' name='bond0' mode='balance-slb'/>
    </dvs:network>
  </metadata>
</network>
"""


def transact(remote, *ops):
    """Runs one OVSDB transaction on the DVS database with ovsdb-client, as a host would."""
    return run("ovsdb-client", "transact", remote, json.dumps(["DVS", *ops])).stdout


def set_status(remote, host, switch, generation, state, reason="", applying=None):
    row = {"host": host, "switch": switch, "state": state, "reason": reason,
           "generation": generation,
           "applying_generation": applying if applying is not None else ["set", []],
           "updated_at": 0}
    transact(remote, {"op": "delete", "table": "Member_Status",
                      "where": [["host", "==", host], ["switch", "==", switch]]},
             {"op": "insert", "table": "Member_Status", "row": row})


def generation(ctl):
    return json.loads(ctl.out("switch-list", "--json"))[0]["generation"]


def failing(ctl, *args):
    p = ctl(*args, check_rc=False)
    check(p.returncode == 1, f"dvsctl {' '.join(args[:2])} exits 1 ({p.returncode})")
    check(p.stderr.startswith("error: "), f"its message starts with 'error: ': {p.stderr.strip()}")
    return p.stderr


cases = Cases()


@cases.case
def define_list_dump(w):
    ctl = w["ctl"]
    out = ctl.out("switch-define", w["xml"])
    check("Switch sw defined" in out and "generation 1" in out, f"switch-define says so: {out}")
    listing = ctl.out("switch-list")
    check(listing.splitlines()[0].split() == ["Name", "UUID", "Generation", "Hosts", "Rollout"],
          "switch-list has virsh's header")
    check(listing.splitlines()[2].split()[0] == "sw", "and lists sw")
    data = json.loads(ctl.out("switch-list", "--json"))
    check(data[0]["name"] == "sw" and data[0]["generation"] == 1 and data[0]["hosts"] == 0,
          "switch-list --json")
    xml = ctl.out("switch-dumpxml", "sw")
    check("<portgroup name='db'>" in xml and "<portgroup name='web'>" in xml,
          "switch-dumpxml prints the portgroups")
    check(data[0]["uuid"] in xml, "with the switch's uuid")
    err = failing(ctl, "switch-define", w["xml"])
    check("already exists" in err, "a second define is refused")
    err = failing(ctl, "switch-dumpxml", "nosuch")
    check("no switch with matching name 'nosuch'" in err, "an unknown switch is named")


@cases.case
def bad_input_writes_nothing(w):
    ctl = w["ctl"]
    before = generation(ctl)
    err = failing(ctl, "switch-update", "sw", "add", "portgroup",
                  "<portgroup name='web'><vlan><tag id='30'/></vlan></portgroup>")
    check("web" in err, "adding an existing portgroup gives the model's message")
    err = failing(ctl, "switch-update", "sw", "frobnicate", "portgroup", "<portgroup name='x'/>")
    check("unknown update command 'frobnicate'" in err, "an unknown command is refused")
    err = failing(ctl, "switch-update", "sw", "add", "portgroup", "<portgroup name='x'")
    check("portgroup" in err, "malformed XML is refused")
    bad = os.path.join(w["dir"], "bad.xml")
    with open(bad, "w") as f:
        f.write(SWITCH_XML.replace("name='sw'", "name='sw2'").replace("<name>sw</name>",
                "<name>sw2</name>").replace("balance-slb", "802.3ad"))
    err = failing(ctl, "switch-define", bad)
    check("bond mode '802.3ad' is not supported" in err, "an invalid definition: model's message")
    err = failing(ctl, "host-add", "sw", "h9", "--uplink", "eth1")
    check("needs at least two interfaces" in err, "a bond member with one NIC is refused")
    err = failing(ctl, "switch-list", "--bogus")
    check("unknown option '--bogus'" in err, "an unknown option is refused")
    check(generation(ctl) == before, "nothing was written")
    check(len(json.loads(ctl.out("switch-list", "--json"))) == 1, "no second switch either")


@cases.case
def update_members_status_wait(w):
    ctl, remote = w["ctl"], w["remote"]
    check("Host h1 added" in ctl.out("host-add", "sw", "h1", "--uplink", "eth1,eth2"),
          "host-add h1")
    ctl("host-add", "sw", "h2", "--uplink=ens1,ens2")
    out = ctl.out("switch-update", "sw", "modify", "portgroup",
                  "<portgroup name='web'><vlan><tag id='11'/></vlan></portgroup>")
    gen = generation(ctl)
    check(f"generation {gen}" in out, f"switch-update makes generation {gen}")
    check("<tag id='11'/>" in ctl.out("switch-dumpxml", "sw"), "the change is in dumpxml")

    err = failing(ctl, "wait", "sw", "--timeout", "0.5")
    check("h1" in err and "h2" in err and "0 of 2" in err, "wait times out naming both hosts")

    set_status(remote, "h1", "sw", gen, "in-sync")
    set_status(remote, "h2", "sw", gen - 1, "applying", applying=gen)
    status = ctl.out("switch-status", "sw")
    check("1 of 2 in sync" in status, "switch-status counts the hosts in sync")
    rows = {line.split()[0]: line for line in status.splitlines() if line.startswith(" h")}
    check("in sync" in rows["h1"] and "applying" in rows["h2"], "and shows each host's state")
    doc = json.loads(ctl.out("switch-status", "--json", "sw"))
    h2 = [h for h in doc["hosts"] if h["host"] == "h2"][0]
    check(h2["applied"] == gen - 1 and h2["desired"] == gen and h2["state"] == "applying",
          "switch-status --json")

    # wait returns once the last host reports the generation.
    waiter = subprocess.Popen([w["dvsctl"], "wait", "--db", remote, "sw", "--timeout", "30"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    set_status(remote, "h2", "sw", gen, "in-sync")
    out, err = waiter.communicate(timeout=60)
    check(waiter.returncode == 0 and "applied on 2 of 2 hosts" in out, f"wait returns: {out}{err}")

    # A host that fails the next generation makes wait fail naming it and why.
    ctl("switch-update", "sw", "delete", "portgroup", "<portgroup name='db'/>")
    gen = generation(ctl)
    set_status(remote, "h1", "sw", gen - 1, "failed", reason="no interface 'eth2'", applying=gen)
    err = failing(ctl, "wait", "sw")
    check("h1 (failed: no interface 'eth2')" in err, "wait names the failed host and why")
    check("failed: no interface 'eth2'" in ctl.out("switch-status", "sw"),
          "switch-status shows the failure")

    check("Host h2 removed" in ctl.out("host-remove", "sw", "h2"), "host-remove")
    failing(ctl, "host-remove", "sw", "h2")


@cases.case
def remote_sources(w):
    dvsctl, remote = w["dvsctl"], w["remote"]
    env = {k: v for k, v in os.environ.items() if k != "DVS_DB"}
    conf = os.path.join(w["dir"], "dvsd.conf")
    with open(conf, "w") as f:
        f.write(f"[management]\nremote={remote}\n")
    p = run(dvsctl, "switch-list", "--config", conf, env=env)
    check(" sw " in p.stdout, "[management] remote of dvsd.conf is used")
    p = run(dvsctl, "switch-list", env=dict(env, DVS_DB=remote))
    check(" sw " in p.stdout, "DVS_DB is used")
    p = run(dvsctl, "switch-list", "--db", "unix:" + os.path.join(w["dir"], "none.sock"),
            env=dict(env, DVS_DB=remote), check_rc=False)
    check(p.returncode == 1 and "cannot reach the management database" in p.stderr,
          "--db wins over DVS_DB")
    p = run(dvsctl, "switch-list", "--config", os.path.join(w["dir"], "none.conf"), env=env,
            check_rc=False)
    check(p.returncode == 1 and p.stderr.startswith("error: "), "a missing --config is an error")


@cases.case
def switch_names_complete(w):
    """Bash completion offers the switch names of the management database."""
    dvsctl, remote = w["dvsctl"], w["remote"]
    env = {k: v for k, v in os.environ.items() if k != "DVS_DB"}
    words = run(dvsctl, "__complete", "switch-status", "--db", remote, "", env=env).stdout.split()
    check(words == ["sw"], f"switch-status NAME completes from --db: {words}")
    words = run(dvsctl, "__complete", "host-add", f"--db={remote}", "s", env=env).stdout.split()
    check(words == ["sw"], f"host-add SWITCH completes: {words}")
    words = run(dvsctl, "__complete", "rollout-status", "x", env=env | {"DVS_DB": remote}).stdout
    check(words.split() == [], "a prefix nothing matches offers nothing")
    words = run(dvsctl, "__complete", "wait", "", env=env | {"DVS_DB": remote}).stdout.split()
    check(words == ["sw"], f"wait NAME completes from DVS_DB: {words}")
    conf = os.path.join(w["dir"], "complete.conf")
    with open(conf, "w") as f:
        f.write(f"[management]\nremote={remote}\n")
    words = run(dvsctl, "__complete", "switch-dumpxml", "--config", conf, "", env=env).stdout
    check(words.split() == ["sw"], f"and from [management] remote of dvsd.conf: {words}")
    p = run(dvsctl, "__complete", "switch-status", "--config", os.path.join(w["dir"], "none"), "",
            env=env, check_rc=False)
    check(p.returncode == 0 and p.stdout == "" and p.stderr == "",
          f"no database: nothing offered, no error ({p.returncode} {p.stderr.strip()})")


@cases.case
def undefine(w):
    ctl = w["ctl"]
    check("Switch sw has been undefined" in ctl.out("switch-undefine", "sw"), "switch-undefine")
    check(json.loads(ctl.out("switch-list", "--json")) == [], "the switch is gone")
    failing(ctl, "switch-undefine", "sw")


@cases.case
def concurrent_admins_on_a_cluster(w):
    """Eight administrators add a portgroup each at once, through different servers of a
    3-server cluster: every change is kept, each its own generation."""
    cluster = OvsdbCluster(os.path.join(w["dir"], "cluster"), w["schema"], size=3)
    w["cleanup"].append(cluster.cleanup)
    wait_for(cluster.healthy, what="a cluster leader")
    remotes = [cluster.unix_remote(i) for i in range(3)]
    run(w["dvsctl"], "switch-define", "--db", ",".join(remotes), w["xml"])
    procs = []
    for i in range(8):
        rotated = ",".join(remotes[i % 3:] + remotes[:i % 3])
        procs.append(subprocess.Popen(
            [w["dvsctl"], "switch-update", "--db", rotated, "sw", "add-last", "portgroup",
             f"<portgroup name='pg{i}'><vlan><tag id='{100 + i}'/></vlan></portgroup>"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for p in procs:
        out, err = p.communicate(timeout=120)
        check(p.returncode == 0, f"a concurrent switch-update succeeds: {out.strip()}{err.strip()}")
    ctl = Dvsctl(w["dvsctl"], "--db", remotes[2])
    xml = ctl.out("switch-dumpxml", "sw")
    check(all(f"<portgroup name='pg{i}'>" in xml for i in range(8)), "no change was lost")
    check(generation(ctl) == 9, "each change is one generation")

    # Host-adds racing each other (each host twice) and a switch change, on all three servers:
    # each host gets in once, the duplicates are told so in words, and the change is kept.
    procs = []
    for i in range(6):
        rotated = ",".join(remotes[i % 3:] + remotes[:i % 3])
        procs.append(subprocess.Popen(
            [w["dvsctl"], "host-add", "--db", rotated, "sw", f"h{i % 3}", "--uplink", "e1,e2"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    procs.append(subprocess.Popen(
        [w["dvsctl"], "switch-update", "--db", remotes[1], "sw", "delete", "portgroup",
         "<portgroup name='pg0'/>"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    errors = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        if p.returncode != 0:
            errors.append(err.strip())
    check(len(errors) == 3 and all("is already a member of switch 'sw'" in e for e in errors),
          f"the three duplicate host-adds are refused in words: {errors}")
    check(not any("constraint violation" in e for e in errors), "never a constraint violation")
    members = sorted(r["host"] for r in select(remotes[0], "Member", "host"))
    check(members == ["h0", "h1", "h2"], f"each host is a member once: {members}")
    check("<portgroup name='pg0'>" not in ctl.out("switch-dumpxml", "sw"),
          "the switch change racing them is kept")


def select(remote, table, *columns):
    out = transact(remote, {"op": "select", "table": table, "where": [],
                            "columns": list(columns)})
    return json.loads(out)[0]["rows"]


def answer_hosts(remote, silent=()):
    """Every member host not in silent reports the generation it should run as applied."""
    switches = {row["_uuid"][1]: row for row in select(remote, "Switch", "_uuid", "name",
                                                       "generation")}
    done = {(r["host"], r["switch"]): r["generation"]
            for r in select(remote, "Member_Status", "host", "switch", "generation")}
    for m in select(remote, "Member", "switch", "host", "target_generation"):
        if m["host"] in silent:
            continue
        sw = switches[m["switch"][1]]
        target = m["target_generation"]
        desired = target if isinstance(target, int) else sw["generation"]
        if done.get((m["host"], sw["name"])) != desired:
            set_status(remote, m["host"], sw["name"], desired, "in-sync")


@cases.case
def controller_failover(w):
    """Two dvs-controller daemons: one takes the lock, the other waits; the active one is killed
    with SIGKILL in the middle of a rollout and the standby finishes it."""
    remote, ctl = w["remote"], w["ctl"]
    transact(remote, {"op": "delete", "table": "Member_Status", "where": []})
    ctl("switch-define", w["xml"])
    for host in ("h1", "h2", "h3"):
        ctl("host-add", "sw", host, "--uplink", "eth1,eth2")
    out = ctl.out("switch-rollout-policy", "sw", "--canary", "h1", "--batch", "1",
                  "--deadline", "60")
    check("Canary:         h1" in out, f"switch-rollout-policy sets and prints the policy: {out}")
    check("Batch:          1" in ctl.out("switch-rollout-policy", "sw"),
          "without options it prints the policy")
    answer_hosts(remote)
    daemons = []
    for name in ("ctl-a", "ctl-b"):
        d = Daemon([w["controller"], "--db", remote, "--id", name, "--tick", "100"],
                   os.path.join(w["dir"], name + ".log"), name=name)
        w["cleanup"].append(d.stop)
        d.start()
        daemons.append(d)
        wait_for(lambda: "controller " + name + ": " in d.log(), what=f"{name} to start")
    wait_for(lambda: any("active (acquired)" in d.log() for d in daemons), what="an active one")
    active = [d for d in daemons if "active (acquired)" in d.log()]
    check(len(active) == 1, "exactly one controller is active")
    active = active[0]
    standby = daemons[1] if active is daemons[0] else daemons[0]

    ctl("switch-update", "sw", "modify", "portgroup",
        "<portgroup name='web'><vlan><tag id='11'/></vlan></portgroup>")
    # h2 holds the second batch back.
    def at_h2():
        answer_hosts(remote, silent=("h2",))
        return json.loads(ctl.out("rollout-status", "--json", "sw"))["batch"] == 1
    wait_for(at_h2, what="the rollout to reach its second batch")
    status = json.loads(ctl.out("rollout-status", "--json", "sw"))
    check(status["state"] == "running" and status["hosts"][0]["host"] == "h1"
          and status["hosts"][0]["state"] == "applied", "the canary h1 applied first")
    active.kill()
    wait_for(lambda: "active" in standby.log(), what="the standby to take over")

    def finished():
        answer_hosts(remote)
        return json.loads(ctl.out("rollout-status", "--json", "sw"))["state"] == "done"
    wait_for(finished, what="the rollout to finish")
    status = json.loads(ctl.out("rollout-status", "--json", "sw"))
    check(status["controller"] == standby.name, "the standby finished it")
    check("State:          done" in ctl.out("rollout-status", "sw"), "rollout-status says done")
    check("applied on 3 of 3 hosts" in ctl.out("wait", "sw", "--timeout", "30"),
          "every host applied the generation")

    # A canary that fails halts the next rollout; rollout-status says halted and why.
    ctl("switch-update", "sw", "modify", "portgroup",
        "<portgroup name='web'><vlan><tag id='12'/></vlan></portgroup>")
    gen = generation(ctl)

    def halted():
        set_status(remote, "h1", "sw", gen - 1, "failed", reason="no interface 'eth9'",
                   applying=gen)
        return json.loads(ctl.out("rollout-status", "--json", "sw"))["state"] == "halted"
    wait_for(halted, what="the rollout to halt")
    out = ctl.out("rollout-status", "sw")
    check("halted" in out and "h1" in out and "no interface 'eth9'" in out,
          f"rollout-status prints halted, the failed host and why: {out}")
    err = failing(ctl, "wait", "sw")
    check("halted" in err, "wait fails on a halted rollout")
    out = ctl.out("rollout-abort", "sw")
    check(f"generation {gen + 1}" in out, f"rollout-abort makes generation {gen + 1}: {out}")
    check("<tag id='11'/>" in ctl.out("switch-dumpxml", "sw"), "with the previous definition")
    failing(ctl, "rollout-resume", "sw")
    for d in daemons:
        d.stop()
    ctl("switch-undefine", "sw")


@cases.case
def db_init(w):
    """db-init creates the host role and the remote ovsdb-server reads from DVS_Global."""
    remote, ctl = w["remote"], w["ctl"]
    port = free_tcp_port()
    out = ctl.out("db-init", "--host-remote", f"ptcp:{port}:127.0.0.1")
    check("role 'dvs-host'" in out, "db-init says what it did")
    wait_for(tcp_accepts("127.0.0.1", port), what="ovsdb-server to listen on the host remote")
    check(True, "ovsdb-server listens on the remote db-init added (db:DVS,DVS_Global,connections)")
    ctl("db-init", "--host-remote", f"ptcp:{port}:127.0.0.1")
    roles = select(remote, "RBAC_Role", "name", "permissions")
    check(len(roles) == 1 and roles[0]["name"] == "dvs-host", "one role dvs-host, run twice")
    perms = {p["table"]: p for p in select(remote, "RBAC_Permission", "table", "authorization",
                                           "insert_delete", "update")}
    check(sorted(perms) == ["Host_Status", "Member_Status"], "it may write only status tables")
    check(perms["Member_Status"]["authorization"] == "host"
          and perms["Host_Status"]["authorization"] == "name",
          "and only the rows that name the host")
    conns = select(remote, "Connection", "target", "role")
    check(conns == [{"target": f"ptcp:{port}:127.0.0.1", "role": "dvs-host"}],
          "the host remote carries the role")
    err = failing(ctl, "db-init", "--server-private-key", "/nonexistent")
    check("TLS needs" in err, "TLS needs all three files")

    # The administrators' remote: no role, so full access.
    admin_port = free_tcp_port()
    out = ctl.out("db-init", "--admin-remote", f"ptcp:{admin_port}:127.0.0.1")
    check("no role" in out, f"db-init says the administrators' remote has no role: {out}")
    conns = {c["target"]: c["role"] for c in select(remote, "Connection", "target", "role")}
    check(conns == {f"ptcp:{port}:127.0.0.1": "dvs-host", f"ptcp:{admin_port}:127.0.0.1": ""},
          f"the administrators' remote has no role: {conns}")
    wait_for(tcp_accepts("127.0.0.1", admin_port),
             what="ovsdb-server to listen on the administrators' remote")
    err = failing(ctl, "db-init", "--host-remote", f"ptcp:{port}:127.0.0.1", "--admin-remote",
                  f"ptcp:{port}:127.0.0.1")
    check("must differ" in err, "one remote cannot be both")

    # The client's TLS files: all three for an ssl: remote (fabric-tls connects with them).
    err = failing(ctl, "switch-list", "--db", "ssl:127.0.0.1:1")
    check("--private-key FILE --certificate FILE --ca-cert FILE" in err,
          f"an ssl: remote without the client's files names them: {err.strip()}")
    err = failing(ctl, "switch-list", "-p", "/nonexistent")
    check("TLS needs all three" in err, f"one file alone is refused: {err.strip()}")


@cases.case
def db_upgrade(w):
    """db-upgrade converts a database of schema 1.0.0 online, keeps its rows and its connection
    to dvsctl, updates the host role db-init made, and refuses a downgrade or a bad schema."""
    old = os.path.join(os.path.dirname(w["schema"]), "..", "..", "tests", "data", "mgmt",
                       "dvs-1.0.0.ovsschema")
    server = OvsdbCluster(os.path.join(w["dir"], "old"), old, size=1, clustered=False)
    w["cleanup"].append(server.cleanup)
    remote = server.unix_remote()
    version = lambda: run("ovsdb-client", "get-schema-version", remote, "DVS").stdout.strip()
    check(version() == "1.0.0", "the database starts at schema 1.0.0")
    transact(remote, {"op": "insert", "table": "Switch",
                      "row": {"name": "old-sw", "network_uuid": "6a7b8c9d-0e1f-4a2b-8c3d-"
                              "4e5f6a7b8c9d", "definition": "<network/>", "generation": 1}})
    ctl = Dvsctl(w["dvsctl"], "--db", remote)
    ctl("db-init")
    # The host role as the 1.0.0 release's db-init made it: no column of the automatic revert.
    transact(remote, {"op": "update", "table": "RBAC_Permission",
                      "where": [["table", "==", "Member_Status"]],
                      "row": {"update": ["set", ["generation", "state", "reason"]]}})

    out = ctl.out("db-upgrade")
    check("from schema 1.0.0 to 1.1.0" in out, f"db-upgrade says what it converted: {out}")
    check("Role 'dvs-host' updated" in out, "and that it updated the host role")
    check(version() == "1.1.0", "the database is at schema 1.1.0")
    check([r["name"] for r in select(remote, "Switch", "name")] == ["old-sw"],
          "the switch row is kept")
    perms = {p["table"]: p["update"] for p in select(remote, "RBAC_Permission", "table",
                                                     "update")}
    check("reverted_at" in str(perms["Member_Status"]),
          f"hosts may write the new status columns: {perms['Member_Status']}")
    check("old-sw" in ctl.out("switch-list"), "dvsctl reads the upgraded database")

    out = ctl.out("db-upgrade")
    check("already" in out, f"a second db-upgrade has nothing to do: {out}")
    err = failing(ctl, "db-upgrade", "--schema", old)
    check("newer than this dvsctl's" in err, f"no downgrade: {err.strip()}")
    err = failing(ctl, "db-upgrade", "--schema", os.path.join(w["dir"], "none.ovsschema"))
    check("cannot use" in err, f"a missing schema file is named: {err.strip()}")
    check(version() == "1.1.0", "and nothing changed")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    dvsctl, controller, schema = sys.argv[1], sys.argv[2], sys.argv[3]
    why = ovs_missing(vswitchd=False)
    if why:
        skip(why)
    folder = temp_root("dvs-mgmt-")
    w = {"dvsctl": dvsctl, "controller": controller, "schema": schema, "dir": folder,
         "cleanup": []}
    server = OvsdbCluster(os.path.join(folder, "standalone"), schema, size=1, clustered=False,
                          server_args=["--remote=db:DVS,DVS_Global,connections"])
    w["cleanup"].append(server.cleanup)
    try:
        w["remote"] = server.unix_remote()
        w["ctl"] = Dvsctl(dvsctl, "--db", w["remote"])
        w["xml"] = os.path.join(folder, "sw.xml")
        with open(w["xml"], "w") as f:
            f.write(SWITCH_XML)
        status = cases.run(w)
    finally:
        for fn in reversed(w["cleanup"]):
            fn()
        shutil.rmtree(folder, ignore_errors=True)
    sys.exit(status)


if __name__ == "__main__":
    main()
