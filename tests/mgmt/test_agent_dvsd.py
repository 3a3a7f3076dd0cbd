#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""dvsd as a member host: a real dvsd with [management] remote= against a real ovsdb-server
serving the DVS database, switches defined with dvsctl, networks programmed into its own
ovsdb-server (Open_vSwitch). Checks what virsh sees, what OVS gets (a portgroup VLAN change
moves a running port's tag), the refusals of managed networks, a restart that writes nothing
to OVS, a host removed while a port holds its network, and a stopped dvsd that switch-status
calls unreachable (not in sync) from its stopped heartbeat.

usage: test_agent_dvsd.py DVSD DVSCTL SCHEMA"""

import json
import os
import re
import shutil
import sys

from dvstest import (Cases, Dvsctl, Dvsd, OvsdbCluster, check, ovs_missing,
                     require_libvirt_python, require_programs, run, skip, temp_root, wait_for)

SWITCH_XML = """<network>
  <name>sw</name>
  <uuid>5b0c5b2e-8c1e-4f57-9d6f-3c7e4a9f2d10</uuid>
  <forward mode='bridge'/>
  <bridge name='br-sw'/>
  <virtualport type='openvswitch'/>
  <portgroup name='web' default='yes'><vlan><tag id='10'/></vlan></portgroup>
  <portgroup name='db'><vlan><tag id='20'/></vlan></portgroup>
</network>
"""

PORT_XML = """<networkport>
  <uuid>{uuid}</uuid>
  <owner><name>vm1</name><uuid>0b3a7c52-6f7d-4b3e-9f43-1c2d3e4f5a6b</uuid></owner>
  <group>web</group>
  <mac address='52:54:00:12:34:56'/>
</networkport>"""
PORT_UUID = "c2b9d1e4-3f4a-4b5c-8d6e-7f8091a2b3c4"
SWITCH_STATUS_SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                    "json-schemas", "dvsctl-switch-status.json")


def member_status(remote, host="hv1"):
    out = run("ovsdb-client", "query", remote, json.dumps(
        ["DVS", {"op": "select", "table": "Member_Status", "where": [["host", "==", host]]}])).stdout
    return {row["switch"]: row for row in json.loads(out)[0]["rows"]}


def in_sync(remote, generation):
    row = member_status(remote).get("sw")
    return row is not None and row["state"] == "in-sync" and row["generation"] == generation


cases = Cases()


@cases.case
def member_network(w):
    ctl, dvsd, remote = w["ctl"], w["dvsd"], w["remote"]
    ctl.out("switch-define", w["xml"])
    ctl.out("host-add", "sw", "hv1", "--uplink", "eth1")
    wait_for(lambda: in_sync(remote, 1), what="hv1 in sync with generation 1")
    listing = dvsd.virsh_ok("net-list", "--all")
    check(any(line.split()[:3] == ["sw", "active", "yes"] for line in listing.splitlines()),
          f"virsh net-list shows sw active and autostarted: {listing}")
    check(dvsd.ovsdb.find("Bridge", "name=br-sw"), "its OVS bridge exists")
    check(dvsd.ovsdb.find("Interface", "name=eth1"), "with the member's NIC as its uplink")
    xml = dvsd.virsh_ok("net-dumpxml", "sw")
    check("5b0c5b2e-8c1e-4f57-9d6f-3c7e4a9f2d10" in xml, "with the switch's network uuid")

    rc, _, err = dvsd.virsh("net-update", "sw", "modify", "portgroup",
                            "<portgroup name='web'><vlan><tag id='11'/></vlan></portgroup>",
                            "--live", "--config")
    check(rc != 0 and "operation forbidden" in err and "dvsctl switch-update sw" in err,
          f"virsh net-update is refused naming dvsctl switch-update: {err.strip()}")
    rc, _, err = dvsd.virsh("net-destroy", "sw")
    check(rc != 0 and "dvsctl host-remove sw hv1" in err,
          f"virsh net-destroy is refused naming dvsctl host-remove: {err.strip()}")
    rc, _, err = dvsd.virsh("net-undefine", "sw")
    check(rc != 0 and "operation forbidden" in err, f"virsh net-undefine is refused: {err}")
    status = run(w["dvsctl"], "status", "--root", dvsd.root).stdout
    check("switch 'sw': in-sync at generation 1" in status, f"dvsctl status says so: {status}")

    # A port as virtqemud creates it, then its tap as libvirt plugs it.
    conn = dvsd.open()
    net = conn.networkLookupByName("sw")
    port = net.portCreateXML(PORT_XML.format(uuid=PORT_UUID))
    check("<tag id='10'/>" in port.XMLDesc(), f"the port takes web's VLAN: {port.XMLDesc()}")
    iface_id = re.search(r"interfaceid='([^']+)'", port.XMLDesc()).group(1)
    dvsd.ovsdb.vsctl("--no-wait", "add-port", "br-sw", "vnet0", "--", "set", "Interface", "vnet0",
                     "type=internal", f"external_ids:iface-id={iface_id}",
                     "external_ids:attached-mac=52:54:00:12:34:56")
    dvsd.ovsdb.wait_until("Port", "vnet0", "tag=10")

    ctl.out("switch-update", "sw", "modify", "portgroup",
            "<portgroup name='web' default='yes'><vlan><tag id='30'/></vlan></portgroup>")
    wait_for(lambda: in_sync(remote, 2), what="hv1 in sync with generation 2")
    dvsd.ovsdb.wait_until("Port", "vnet0", "tag=30")
    check("<tag id='30'/>" in port.XMLDesc(), "the running port moved to the new VLAN")
    check(member_status(remote)["sw"]["port_count"] == 1, "the status counts the port")

    # A restart that finds everything applied writes nothing to OVS.
    before = dvsd.ovsdb.transactions()
    conn.close()
    dvsd.restart()
    wait_for(lambda: "in-sync at generation 2" in run(w["dvsctl"], "status", "--root",
                                                       dvsd.root).stdout,
             what="the restarted dvsd back in sync")
    check(dvsd.ovsdb.transactions() == before,
          f"no OVS transaction after the restart ({dvsd.ovsdb.transactions() - before})")

    # Removed while the port holds the network: removing, then gone with the port.
    ctl.out("host-remove", "sw", "hv1")
    wait_for(lambda: member_status(remote).get("sw", {}).get("state") == "removing",
             what="hv1 removing sw")
    holding = member_status(remote)["sw"]["ports_holding"]
    check(holding == PORT_UUID or holding == ["set", [PORT_UUID]],
          f"the status names the port that holds it: {holding}")
    conn = dvsd.open()
    conn.networkLookupByName("sw").portLookupByUUIDString(PORT_UUID).delete()
    conn.close()
    wait_for(lambda: "sw" not in member_status(remote), what="hv1's status row for sw gone")
    listing = dvsd.virsh_ok("net-list", "--all")
    check("sw" not in listing.split(), f"the network is gone: {listing}")
    wait_for(lambda: not dvsd.ovsdb.find("Bridge", "name=br-sw"), what="its bridge removed")


def switch_status(ctl):
    doc = json.loads(ctl.out("switch-status", "--json", "sw"))
    try:
        import jsonschema
    except ImportError:
        return doc
    with open(SWITCH_STATUS_SCHEMA) as f:
        jsonschema.validate(doc, json.load(f))
    return doc


@cases.case
def stopped_host_is_unreachable(w):
    ctl, dvsd, remote = w["ctl"], w["dvsd"], w["remote"]
    ctl.out("host-add", "sw", "hv1", "--uplink", "eth1")
    generation = switch_status(ctl)["generation"]
    wait_for(lambda: in_sync(remote, generation), what=f"hv1 in sync with generation {generation}")
    wait_for(lambda: switch_status(ctl)["hosts"][0]["state"] == "in-sync",
             what="switch-status to say hv1 is in sync")
    check("1 of 1 in sync" in ctl.out("switch-status", "sw"), "switch-status counts hv1 in sync")

    # dvsd stops: its status row still says in-sync at the current generation, but its
    # heartbeat (every second here) stops, and no newer generation exists.
    dvsd.stop()
    try:
        host = wait_for(lambda: next((h for h in switch_status(ctl)["hosts"]
                                      if h["state"] == "unreachable"), None),
                        what="switch-status --json to call the stopped hv1 unreachable")
        check(host["since"] is not None and host["since"] == host["last_seen"],
              f"unreachable since its last heartbeat: {host}")
        check(host["applied"] == generation and host["desired"] == generation,
              "at the generation it last applied, with no newer one")
        text = ctl.out("switch-status", "sw")
        line = next((l for l in text.splitlines() if l.startswith(" hv1")), "")
        check(f"unreachable since {host['since']} UTC" in line,
              f"switch-status says since when: {line.strip()!r}")
        check("0 of 1 in sync, 1 unreachable" in text, f"and counts it out of sync: {text}")
        p = ctl("wait", "sw", "--timeout", "1", check_rc=False)
        check(p.returncode != 0 and "hv1 (unreachable since" in p.stderr,
              f"dvsctl wait names the unreachable host: {p.stderr.strip()}")
    finally:
        dvsd.start()
    wait_for(lambda: switch_status(ctl)["hosts"][0]["state"] == "in-sync",
             what="the restarted hv1 in sync again")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    dvsd_bin, dvsctl, schema = sys.argv[1:4]
    if (why := ovs_missing(vswitchd=False)) is not None:
        skip(why)
    require_programs("virsh", "ovsdb-client")
    require_libvirt_python()
    folder = temp_root("dvs-agent-")
    server = OvsdbCluster(os.path.join(folder, "mgmt"), schema, size=1, clustered=False)
    dvsd = None
    try:
        remote = server.unix_remote()
        xml = os.path.join(folder, "sw.xml")
        with open(xml, "w") as f:
            f.write(SWITCH_XML)
        # The host's uplink NIC, as dvsd sees devices under ROOT/sys.
        nic = os.path.join(folder, "hv1", "sys", "class", "net", "eth1")
        os.makedirs(nic)
        with open(os.path.join(nic, "operstate"), "w") as f:
            f.write("up\n")
        dvsd = Dvsd(dvsd_bin, root=os.path.join(folder, "hv1"),
                    config_text={"management": {"remote": remote, "host": "hv1",
                                                "heartbeat-interval": "1"}})
        dvsd.start()
        w = {"ctl": Dvsctl(dvsctl, "--db", remote), "dvsd": dvsd, "remote": remote, "xml": xml,
             "dvsctl": dvsctl}
        status = cases.run(w, on_failure=lambda name, exc: print(dvsd.log(tail=60)))
    finally:
        if dvsd is not None:
            dvsd.cleanup()
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)
    sys.exit(status)


if __name__ == "__main__":
    main()
