# SPDX-License-Identifier: LGPL-2.1-or-later
"""dvsd programs Open vSwitch for an OVS network, end to end: libvirt's client starts the
network (the bridge appears in a private ovsdb-server, tagged), allocates a port, "libvirt"
plugs its tap with ovs-vsctl as virtqemud does, and dvsd sets the portgroup's VLAN and QoS on
it; a net-update of the portgroup moves the port; a dvsd restart writes nothing; net-destroy
removes the bridge. Writes are counted in the database's own log."""

import os
import re
import sys
import uuid

from dvstest import Cases, Dvsctl, Dvsd, check, require_libvirt_python, run, skip, wait_for

libvirt = require_libvirt_python()

NETWORK = """<network>
  <name>web</name>
  <forward mode='bridge'/>
  <bridge name='br-web'/>
  <virtualport type='openvswitch'/>
  <portgroup name='front' default='yes'>
    <vlan><tag id='10'/></vlan>
    <bandwidth><inbound average='1000' peak='2000'/><outbound average='500'/></bandwidth>
  </portgroup>
</network>
"""

PORT = """<networkport><uuid>{port}</uuid>
  <owner><name>vm1</name><uuid>{owner}</uuid></owner>
  <mac address='52:54:00:aa:bb:cc'/></networkport>"""


cases = Cases()


class World:
    def __init__(self, dvsd, dvsctl):
        self.d = dvsd
        self.dvsctl = Dvsctl(dvsctl, "--root", dvsd.root)
        self.conn = None
        self.net = None
        self.owner = str(uuid.uuid4())

    def get(self, *args):
        return self.d.ovsdb.vsctl("--if-exists", "get", *args).strip('"')

    def reconciles(self):
        log = run("ovsdb-tool", "show-log", os.path.join(self.d.ovsdb.dir, "conf.db")).stdout
        return log.count("dvsd: reconcile")

    def programmed(self):
        p = self.dvsctl("status", check_rc=False)
        return p.returncode == 0 and "ports 1 programmed, 0 pending" in p.stdout


@cases.case
def start_creates_the_bridge(w):
    w.net = w.conn.networkDefineXML(NETWORK)
    w.net.create()
    check(w.d.ovsdb.vsctl("list-br") == "br-web", "net-start created the bridge")
    check(w.get("Bridge", "br-web", "external_ids:dvs-network") == "web",
          "the bridge is tagged with its network")


@cases.case
def plugged_port_gets_vlan_and_qos(w):
    port = w.net.portCreateXML(PORT.format(port=uuid.uuid4(), owner=w.owner), 0)
    iface_id = re.search(r"interfaceid='([0-9a-f-]+)'", port.XMLDesc()).group(1)
    # virtqemud plugs the tap as libvirt does (ovs-vsctl add-port ... iface-id).
    w.d.ovsdb.vsctl("--", "--may-exist", "add-port", "br-web", "vnet0", "tag=10",
                    "--", "set", "Interface", "vnet0",
                    'external-ids:attached-mac="52:54:00:aa:bb:cc"',
                    "--", "set", "Interface", "vnet0", f'external-ids:iface-id="{iface_id}"',
                    "--", "set", "Interface", "vnet0", f'external-ids:vm-id="{w.owner}"',
                    "--", "set", "Interface", "vnet0", "external-ids:iface-status=active")
    wait_for(lambda: w.get("Interface", "vnet0", "ingress_policing_rate") == "4000",
             what="dvsd's policing on the plugged interface")
    check(w.get("Port", "vnet0", "tag") == "10", "the port has the portgroup's VLAN")
    qos = w.get("Port", "vnet0", "qos")
    check(w.get("QoS", qos, "other_config:min-rate") == "8000000" and
          w.get("QoS", qos, "other_config:max-rate") == "16000000",
          "the inbound limit is a linux-htb QoS in libvirt's units")
    check(w.get("QoS", qos, "external_ids:vm-id") == w.owner, "the QoS row has libvirt's vm-id")


@cases.case
def portgroup_update_moves_the_port(w):
    w.net.update(libvirt.VIR_NETWORK_UPDATE_COMMAND_MODIFY,
                 libvirt.VIR_NETWORK_SECTION_PORTGROUP, -1,
                 "<portgroup name='front' default='yes'><vlan><tag id='20'/></vlan>"
                 "</portgroup>",
                 libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE | libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG)
    wait_for(lambda: w.get("Port", "vnet0", "tag") == "20",
             what="the live port follows its portgroup's new VLAN")
    wait_for(lambda: w.get("Port", "vnet0", "qos") == "[]",
             what="the portgroup's bandwidth is gone, and so is the port's QoS")


@cases.case
def restart_writes_nothing(w):
    wait_for(w.programmed, what="dvsctl status reports the port programmed")
    w.conn.close()
    writes = w.reconciles()
    w.d.restart()
    wait_for(w.programmed, what="the restarted dvsd finds the port programmed")
    check(w.reconciles() == writes,
          f"a restart writes nothing ({w.reconciles() - writes} transactions)")
    w.conn = w.d.open()


@cases.case
def destroy_removes_the_bridge(w):
    w.conn.networkLookupByName("web").destroy()
    check(w.d.ovsdb.vsctl("list-br") == "", "net-destroy removed dvsd's bridge")


def main():
    dvsd_binary, dvsctl_binary = sys.argv[1], sys.argv[2]
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    with Dvsd(dvsd_binary) as d:
        if d.ovsdb is None:
            skip("ovsdb-server or the vswitch schema is missing")
        d.start()
        w = World(d, dvsctl_binary)
        w.conn = d.open()
        try:
            return cases.run(w)
        finally:
            w.conn.close()


if __name__ == "__main__":
    sys.exit(main())
