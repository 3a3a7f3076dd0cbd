# SPDX-License-Identifier: LGPL-2.1-or-later
"""dvsctl port-plug/port-unplug against a real dvsd, in a private network namespace: dvsd
creates a direct port's macvtap device itself and removes it again."""

import sys
import uuid

from dvstest import (Cases, Dvsctl, Dvsd, check, enter_private_netns, require_libvirt_python, run,
                     veth_pair)

DIRECT = """<network><name>mv</name>
  <forward mode='bridge'><interface dev='pool0'/></forward></network>"""
OVS = """<network><name>ovs</name><forward mode='bridge'/><bridge name='br-ovs'/>
  <virtualport type='openvswitch'/></network>"""
PORT = """<networkport><uuid>{port}</uuid>
  <owner><name>vm1</name><uuid>{owner}</uuid></owner>
  <mac address='52:54:00:aa:bb:cc'/></networkport>"""


cases = Cases()


class World:
    def __init__(self, dvsd, dvsctl):
        self.d = dvsd
        self.dvsctl = Dvsctl(dvsctl, "--root", dvsd.root)
        self.ro = Dvsctl(dvsctl, "--socket", dvsd.sock_ro)
        self.conn = None
        self.port = str(uuid.uuid4())

    def ctl(self, *args):
        return self.dvsctl(*args, check_rc=False)


@cases.case
def direct_port_gets_a_macvtap(w):
    net = w.conn.networkDefineXML(DIRECT)
    net.create()
    net.portCreateXML(PORT.format(port=w.port, owner=uuid.uuid4()), 0)
    p = w.ctl("port-plug", "mv", w.port, "mvtap9")
    check(p.returncode == 0 and p.stdout.strip() == "mvtap9",
          f"port-plug prints the device ({p.returncode}: {p.stdout!r} {p.stderr!r})")
    link = run("ip", "-d", "link", "show", "mvtap9").stdout
    check("macvtap mode bridge" in link and "52:54:00:aa:bb:cc" in link and "@pool0" in link,
          f"a macvtap device in bridge mode on pool0 with the port's MAC: {link!r}")


@cases.case
def plug_refusals(w):
    p = w.ctl("port-plug", "mv", w.port)
    check(p.returncode == 1 and "is already plugged into 'mvtap9'" in p.stderr,
          f"a second plug is refused: {p.stderr.strip()}")
    p = w.ro("port-unplug", "mv", w.port, check_rc=False)
    check(p.returncode == 1 and "read only access" in p.stderr,
          f"the read-only socket refuses: {p.stderr.strip()}")


@cases.case
def unplug_removes_the_macvtap(w):
    p = w.ctl("port-unplug", "mv", w.port)
    check(p.returncode == 0, f"port-unplug exits 0 ({p.stderr.strip()})")
    check(run("ip", "link", "show", "mvtap9", check_rc=False).returncode != 0,
          "the device is gone")
    p = w.ctl("port-unplug", "mv", w.port)
    check(p.returncode == 1 and "was not plugged by dvsd" in p.stderr,
          f"unplugging twice is refused: {p.stderr.strip()}")


@cases.case
def ovs_port_plugs_an_existing_device(w):
    ovs = w.conn.networkDefineXML(OVS)
    ovs.create()
    ovs_port = str(uuid.uuid4())
    ovs.portCreateXML(PORT.format(port=ovs_port, owner=uuid.uuid4()), 0)
    p = w.ctl("port-plug", "ovs", ovs_port)
    check(p.returncode == 1 and "needs the name of an existing host device" in p.stderr,
          f"an OVS port needs a device: {p.stderr.strip()}")
    if w.d.ovsdb is None:
        print("  (no ovsdb-server: the plug into OVS is not checked)")
        return
    # dvsd adds an existing device to the network's bridge as libvirt would.
    veth_pair("ovsv0", "ovsv0p")
    p = w.ctl("port-plug", "ovs", ovs_port, "ovsv0")
    check(p.returncode == 0 and p.stdout.strip() == "ovsv0",
          f"an OVS port is plugged ({p.returncode}: {p.stdout!r} {p.stderr!r})")
    vsctl = w.d.ovsdb.vsctl
    check(vsctl("list-ports", "br-ovs") == "ovsv0", "the device is on the bridge")
    check(vsctl("get", "Port", "ovsv0", "external_ids:dvs-plugged").strip('"') == ovs_port,
          "the Port is tagged with the port's UUID")
    check(vsctl("get", "Interface", "ovsv0", "external_ids:attached-mac").strip('"') ==
          "52:54:00:aa:bb:cc", "the Interface has libvirt's attached-mac")
    p = w.ctl("port-unplug", "ovs", ovs_port)
    check(p.returncode == 0, f"an OVS port is unplugged ({p.stderr.strip()})")
    check(vsctl("list-ports", "br-ovs") == "", "the Port is gone")


@cases.case
def bad_arguments(w):
    p = w.ctl("port-plug", "mv", "not-a-uuid")
    check(p.returncode == 1 and "is not a port UUID" in p.stderr, "a bad UUID is refused")
    p = w.ctl("port-plug", "nosuch", w.port)
    check(p.returncode == 1 and "no network with matching name 'nosuch'" in p.stderr,
          f"an unknown network is libvirt's error: {p.stderr.strip()}")


def main():
    # The devices live and die in a private network namespace, never the host's.
    enter_private_netns()
    libvirt = require_libvirt_python()
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    veth_pair("pool0", "pool0p")
    with Dvsd(sys.argv[1]) as d:
        d.start()
        w = World(d, sys.argv[2])
        w.conn = d.open()
        try:
            return cases.run(w)
        finally:
            w.conn.close()


if __name__ == "__main__":
    sys.exit(main())
