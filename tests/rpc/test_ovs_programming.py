# SPDX-License-Identifier: LGPL-2.1-or-later
"""dvsd programs Open vSwitch for an OVS network, end to end: libvirt's client starts the
network (the bridge appears in a private ovsdb-server, tagged), allocates a port, "libvirt"
plugs its tap with ovs-vsctl as virtqemud does, and dvsd sets the portgroup's VLAN and QoS on
it; a net-update of the portgroup moves the port; a dvsd restart writes nothing; net-destroy
removes the bridge. Writes are counted in the database's own log."""

import os
import re
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dvsd_harness import Dvsd, check, skip, wait_for  # noqa: E402

import libvirt  # noqa: E402

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


def dvsctl(binary, *args):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=30)


def reconciles(d):
    log = subprocess.run(["ovsdb-tool", "show-log", os.path.join(d.ovsdb.dir, "conf.db")],
                         capture_output=True, text=True, check=True).stdout
    return log.count("dvsd: reconcile")


def get(d, *args):
    return d.ovsdb.vsctl("--if-exists", "get", *args).strip('"')


def main():
    dvsd_binary, dvsctl_binary = sys.argv[1], sys.argv[2]
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    with Dvsd(dvsd_binary) as d:
        if d.ovsdb is None or d.ovsdb.proc is None:
            skip("ovsdb-server or the vswitch schema is missing")
        d.start()
        conn = libvirt.open(d.uri())
        net = conn.networkDefineXML(NETWORK)
        net.create()
        check(d.ovsdb.vsctl("list-br") == "br-web", "net-start created the bridge")
        check(get(d, "Bridge", "br-web", "external_ids:dvs-network") == "web",
              "the bridge is tagged with its network")

        owner = str(uuid.uuid4())
        port = net.portCreateXML(PORT.format(port=uuid.uuid4(), owner=owner), 0)
        iface_id = re.search(r"interfaceid='([0-9a-f-]+)'", port.XMLDesc()).group(1)
        # virtqemud plugs the tap as libvirt does (brief: ovs-vsctl add-port ... iface-id).
        d.ovsdb.vsctl("--", "--may-exist", "add-port", "br-web", "vnet0", "tag=10",
                      "--", "set", "Interface", "vnet0",
                      f'external-ids:attached-mac="52:54:00:aa:bb:cc"',
                      "--", "set", "Interface", "vnet0", f'external-ids:iface-id="{iface_id}"',
                      "--", "set", "Interface", "vnet0", f'external-ids:vm-id="{owner}"',
                      "--", "set", "Interface", "vnet0", "external-ids:iface-status=active")
        wait_for(lambda: get(d, "Interface", "vnet0", "ingress_policing_rate") == "4000",
                 "dvsd's policing on the plugged interface")
        check(get(d, "Port", "vnet0", "tag") == "10", "the port has the portgroup's VLAN")
        qos = get(d, "Port", "vnet0", "qos")
        check(get(d, "QoS", qos, "other_config:min-rate") == "8000000" and
              get(d, "QoS", qos, "other_config:max-rate") == "16000000",
              "the inbound limit is a linux-htb QoS in libvirt's units")
        check(get(d, "QoS", qos, "external_ids:vm-id") == owner, "the QoS row has libvirt's vm-id")

        net.update(libvirt.VIR_NETWORK_UPDATE_COMMAND_MODIFY,
                   libvirt.VIR_NETWORK_SECTION_PORTGROUP, -1,
                   "<portgroup name='front' default='yes'><vlan><tag id='20'/></vlan>"
                   "</portgroup>",
                   libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE | libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG)
        wait_for(lambda: get(d, "Port", "vnet0", "tag") == "20",
                 "the live port follows its portgroup's new VLAN")
        wait_for(lambda: get(d, "Port", "vnet0", "qos") == "[]",
                 "the portgroup's bandwidth is gone, and so is the port's QoS")

        def programmed():
            p = dvsctl(dvsctl_binary, "status", "--root", d.root)
            return p.returncode == 0 and "ports 1 programmed, 0 pending" in p.stdout

        wait_for(programmed, "dvsctl status reports the port programmed")
        conn.close()
        writes = reconciles(d)
        d.restart()
        wait_for(programmed, "the restarted dvsd finds the port programmed")
        check(reconciles(d) == writes,
              f"a restart writes nothing ({reconciles(d) - writes} transactions)")

        conn = libvirt.open(d.uri())
        conn.networkLookupByName("web").destroy()
        check(d.ovsdb.vsctl("list-br") == "", "net-destroy removed dvsd's bridge")
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
