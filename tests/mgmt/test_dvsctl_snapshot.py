#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""dvsctl's snapshot commands and switch-rollback against a real ovsdb-server serving the DVS
database: snapshots written to the folder of --dir or of [management] snapshot-dir, listed,
printed, compared and deleted; restores to the same switch, as a new one and onto another, each
a new generation; names that would leave the folder refused with nothing written; rollbacks
walking back through the generations kept.

usage: test_dvsctl_snapshot.py DVSCTL SCHEMA"""

import json
import os
import shutil
import sys

from dvstest import Cases, Dvsctl, OvsdbCluster, check, ovs_missing, run, skip, temp_root

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

OTHER_XML = """<network>
  <name>other</name>
  <forward mode='bridge'/>
  <bridge name='br-other'/>
  <virtualport type='openvswitch'/>
  <portgroup name='web'><vlan><tag id='110'/></vlan></portgroup>
</network>
"""


def failing(ctl, *args):
    p = ctl(*args, check_rc=False)
    check(p.returncode == 1, f"dvsctl {' '.join(args[:3])} exits 1 ({p.returncode})")
    check(p.stderr.startswith("error: "), f"its message starts with 'error: ': {p.stderr.strip()}")
    return p.stderr


def generation(ctl, name="sw"):
    for s in json.loads(ctl.out("switch-list", "--json")):
        if s["name"] == name:
            return s["generation"]
    return None


def files_under(folder):
    out = []
    for root, _, files in os.walk(folder):
        out += [os.path.relpath(os.path.join(root, f), folder) for f in files]
    return sorted(out)


def set_web_vlan(ctl, tag):
    ctl("switch-update", "sw", "modify", "portgroup",
        f"<portgroup name='web'><vlan><tag id='{tag}'/></vlan></portgroup>")


cases = Cases()


@cases.case
def create_list_dump_diff(w):
    ctl, store = w["ctl"], w["store"]
    ctl("switch-define", w["xml"])
    ctl("host-add", "sw", "h1", "--uplink", "eth1,eth2")
    ctl("switch-rollout-policy", "sw", "--canary", "h1", "--soak", "3")
    out = ctl.out("snapshot-create", "sw", "--dir", store, "--name", "s1",
                  "--description", "before the change")
    check("Snapshot s1 of switch sw (generation 1)" in out, f"snapshot-create says so: {out}")
    path = os.path.join(store, "sw", "s1.xml")
    check(os.path.isfile(path), "the snapshot is DIR/SWITCH/NAME.xml")
    with open(path) as f:
        text = f.read()
    for part in ("<name>s1</name>", "<description>before the change</description>",
                 "<generation>1</generation>", "<portgroup name='web'>",
                 "<member host='h1'>", "<uplink dev='eth1'/>", "<canary host='h1'/>"):
        check(part in text, f"the snapshot records {part}")
    check(ctl.out("snapshot-dumpxml", "--dir", store, "s1") == text,
          "snapshot-dumpxml prints the file")
    check(ctl.out("snapshot-dumpxml", path) == text, "by path too")
    stdout = ctl.out("snapshot-create", "sw", "--name", "s0", "--file", "-")
    check(stdout.startswith("<snapshot version='1'>") and "<name>s0</name>" in stdout,
          "--file - prints it")
    failing(ctl, "snapshot-create", "sw", "--dir", store, "--name", "s1")
    # No controller runs here: changes go to every host at once.
    ctl("switch-rollout-policy", "sw", "--clear")

    set_web_vlan(ctl, 11)
    ctl("host-add", "sw", "h2", "--uplink", "eth1,eth2")
    ctl("snapshot-create", "sw", "--dir", store, "--name", "s2")
    listing = ctl.out("snapshot-list", "--dir", store)
    check(listing.splitlines()[0].split() == ["Switch", "Name", "Generation", "Created"],
          f"snapshot-list has a header: {listing}")
    data = json.loads(ctl.out("snapshot-list", "--dir", store, "--json", "sw"))
    check([(d["name"], d["generation"]) for d in data] == [("s1", 1), ("s2", 2)],
          f"snapshot-list --json: {data}")
    diff = ctl.out("snapshot-diff", "--dir", store, "s1", "s2")
    for part in ("generation: changed", "portgroup 'web': changed", "- <portgroup name='web'>",
                 "member 'h2': added"):
        check(part in diff, f"snapshot-diff shows {part!r}: {diff}")
    check("portgroup 'db'" not in diff, "and not what stayed")
    check(ctl.out("snapshot-diff", "--dir", store, "s1", path).strip() == "No differences",
          "a snapshot and its own file do not differ")


@cases.case
def restore_same_new_onto(w):
    ctl, store = w["ctl"], w["store"]
    set_web_vlan(ctl, 12)
    before = generation(ctl)
    out = ctl.out("snapshot-restore", "--dir", store, "s1")
    check(f"restored onto switch sw (generation {before + 1})" in out, f"restore: {out}")
    xml = ctl.out("switch-dumpxml", "sw")
    check("<tag id='10'/>" in xml, "the snapshot's VLAN is back")
    check("h1" in ctl.out("switch-rollout-policy", "sw"), "and its rollout policy")
    ctl("switch-rollout-policy", "sw", "--clear")
    members = ctl.out("switch-status", "sw")
    check("h1" in members and "h2" not in members,
          f"h2, added after the snapshot, is gone: {members}")
    # The snapshot's file: as a new switch, with its own bridge.
    err = failing(ctl, "snapshot-restore", "--dir", store, "s1", "--as", "copy")
    check("--bridge" in err, f"the original's bridge is taken: {err}")
    out = ctl.out("snapshot-restore", os.path.join(store, "sw", "s2.xml"), "--as", "copy",
                  "--bridge", "br-copy")
    check("restored as switch copy (generation 1)" in out, f"--as: {out}")
    copy = ctl.out("switch-dumpxml", "copy")
    check("<bridge name='br-copy'" in copy and "<tag id='11'/>" in copy, "with s2's portgroups")
    check("<name>copy</name>" in copy, "and its own name")
    # Onto another switch: its name, uuid and bridge stay.
    with open(os.path.join(w["dir"], "other.xml"), "w") as f:
        f.write(OTHER_XML)
    ctl("switch-define", os.path.join(w["dir"], "other.xml"))
    uuid = json.loads(ctl.out("switch-list", "--json"))
    uuid = [s["uuid"] for s in uuid if s["name"] == "other"][0]
    snap = os.path.join(w["dir"], "nobond.xml")
    ctl("snapshot-create", "other", "--name", "nobond", "--file", snap)
    with open(snap) as f:
        text = f.read().replace("<tag id='110'/>", "<tag id='111'/>")
    with open(snap, "w") as f:
        f.write(text)
    ctl("switch-update", "other", "add-last", "portgroup",
        "<portgroup name='extra'><vlan><tag id='5'/></vlan></portgroup>")
    out = ctl.out("snapshot-restore", snap, "--onto", "other")
    check("onto switch other (generation 3)" in out, f"--onto: {out}")
    xml = ctl.out("switch-dumpxml", "other")
    check(uuid in xml and "br-other" in xml and "<tag id='111'/>" in xml and "extra" not in xml,
          f"other keeps its identity and takes the snapshot's portgroups: {xml}")
    failing(ctl, "snapshot-restore", snap, "--onto", "nope")
    failing(ctl, "snapshot-restore", snap, "--onto", "other", "--as", "x")


@cases.case
def bad_names_and_files_write_nothing(w):
    ctl, store = w["ctl"], w["store"]
    before = files_under(w["dir"])
    gen = generation(ctl)
    for name in ("../escape", "a/b", ".hidden", ".."):
        err = failing(ctl, "snapshot-create", "sw", "--dir", store, "--name", name)
        check("invalid snapshot name" in err, f"{name!r} is refused: {err}")
    failing(ctl, "snapshot-dumpxml", "--dir", store, "--switch", "../sw", "s1")
    failing(ctl, "snapshot-delete", "--dir", store, "../sw/s1")
    failing(ctl, "snapshot-dumpxml", "--dir", store, "nope")
    broken = os.path.join(w["dir"], "broken.xml")
    with open(broken, "w") as f:
        f.write("<snapshot version='1'><name>x</name>")
    err = failing(ctl, "snapshot-restore", broken)
    check("XML error" in err or "Premature" in err, f"a broken file says why: {err}")
    newer = os.path.join(w["dir"], "newer.xml")
    with open(newer, "w") as f:
        f.write("<snapshot version='9'/>")
    check("newer than this release" in failing(ctl, "snapshot-restore", newer),
          "a newer version is refused")
    os.remove(broken)
    os.remove(newer)
    check(files_under(w["dir"]) == before, "nothing was written")
    check(generation(ctl) == gen, "and the switch did not change")
    err = failing(ctl, "snapshot-list", "--config", os.path.join(w["dir"], "none.conf"))
    check(err.startswith("error: "), "a missing --config is an error")


@cases.case
def snapshot_dir_of_dvsd_conf(w):
    ctl = w["ctl"]
    conf = os.path.join(w["dir"], "dvsd.conf")
    folder = os.path.join(w["dir"], "configured")
    with open(conf, "w") as f:
        f.write(f"[management]\nremote={w['remote']}\nsnapshot-dir={folder}\n")
    out = run(w["dvsctl"], "snapshot-create", "--config", conf, "sw", "--name", "c1").stdout
    check(os.path.isfile(os.path.join(folder, "sw", "c1.xml")), f"snapshot-dir is used: {out}")
    check("c1" in run(w["dvsctl"], "snapshot-list", "--config", conf).stdout, "and listed")
    out = run(w["dvsctl"], "snapshot-delete", "--config", conf, "c1").stdout
    check("Snapshot c1 of switch sw deleted" in out, f"snapshot-delete: {out}")
    check(not os.path.exists(os.path.join(folder, "sw", "c1.xml")), "the file is gone")
    failing(Dvsctl(w["dvsctl"], "--config", conf), "snapshot-delete", "c1")


@cases.case
def rollback(w):
    ctl = w["ctl"]
    set_web_vlan(ctl, 21)
    set_web_vlan(ctl, 22)
    gen = generation(ctl)
    out = ctl.out("switch-rollback", "sw")
    check(f"from generation {gen} to generation {gen - 1}'s definition (generation {gen + 1})"
          in out, f"switch-rollback: {out}")
    check("<tag id='21'/>" in ctl.out("switch-dumpxml", "sw"), "the previous VLAN is back")
    ctl("switch-rollback", "sw")
    check("<tag id='21'/>" not in ctl.out("switch-dumpxml", "sw"),
          "a second rollback goes further back")
    ctl("switch-rollback", "sw", "--to", str(gen))
    check("<tag id='22'/>" in ctl.out("switch-dumpxml", "sw"), "--to N")
    check(ctl.out("switch-keep-generations", "sw").strip() == "10", "10 generations by default")
    ctl("switch-keep-generations", "sw", "2")
    check(ctl.out("switch-keep-generations", "sw").strip() == "2", "now 2")
    err = failing(ctl, "switch-rollback", "sw", "--to", "1")
    check("keeps no generation 1" in err, f"a pruned generation: {err}")
    failing(ctl, "switch-keep-generations", "sw", "0")
    failing(ctl, "switch-rollback", "nope")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    dvsctl, schema = sys.argv[1], sys.argv[2]
    why = ovs_missing(vswitchd=False)
    if why:
        skip(why)
    folder = temp_root("dvs-snapshot-")
    w = {"dvsctl": dvsctl, "schema": schema, "dir": folder, "store": os.path.join(folder, "snaps")}
    server = OvsdbCluster(os.path.join(folder, "standalone"), schema, size=1, clustered=False)
    try:
        w["remote"] = server.unix_remote()
        w["ctl"] = Dvsctl(dvsctl, "--db", w["remote"])
        w["xml"] = os.path.join(folder, "sw.xml")
        with open(w["xml"], "w") as f:
            f.write(SWITCH_XML)
        status = cases.run(w)
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)
    sys.exit(status)


if __name__ == "__main__":
    main()
