# SPDX-License-Identifier: LGPL-2.1-or-later
"""dvsctl port-plug/port-unplug against a real dvsd, in a private network namespace: dvsd
creates a direct port's macvtap device itself and removes it again."""

import os
import shutil
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dvsd_harness import Dvsd, check, skip  # noqa: E402

import libvirt  # noqa: E402

DIRECT = """<network><name>mv</name>
  <forward mode='bridge'><interface dev='pool0'/></forward></network>"""
OVS = """<network><name>ovs</name><forward mode='bridge'/><bridge name='br-ovs'/>
  <virtualport type='openvswitch'/></network>"""
PORT = """<networkport><uuid>{port}</uuid>
  <owner><name>vm1</name><uuid>{owner}</uuid></owner>
  <mac address='52:54:00:aa:bb:cc'/></networkport>"""


def run(*cmd):
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=30)


def main():
    if os.environ.get("DVS_IN_NETNS") != "1":
        # Re-run in a private network namespace, so the devices never touch the host.
        if os.geteuid() != 0 or shutil.which("unshare") is None:
            skip("needs root and unshare for a private network namespace")
        env = dict(os.environ, DVS_IN_NETNS="1")
        p = subprocess.run(["unshare", "-n", sys.executable, *sys.argv], env=env)
        return p.returncode

    dvsd_binary, dvsctl = sys.argv[1], sys.argv[2]
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    check(run("ip", "link", "add", "pool0", "type", "veth", "peer", "name", "pool0p")
          .returncode == 0, "a veth pair for the pool")
    run("ip", "link", "set", "pool0", "up")
    with Dvsd(dvsd_binary) as d:
        d.start()
        conn = libvirt.open(d.uri())
        net = conn.networkDefineXML(DIRECT)
        net.create()
        port_uuid = str(uuid.uuid4())
        net.portCreateXML(PORT.format(port=port_uuid, owner=uuid.uuid4()), 0)

        p = run(dvsctl, "port-plug", "--root", d.root, "mv", port_uuid, "mvtap9")
        check(p.returncode == 0 and p.stdout.strip() == "mvtap9",
              f"port-plug prints the device ({p.returncode}: {p.stdout!r} {p.stderr!r})")
        link = run("ip", "-d", "link", "show", "mvtap9").stdout
        check("macvtap mode bridge" in link and "52:54:00:aa:bb:cc" in link and "@pool0" in link,
              f"a macvtap device in bridge mode on pool0 with the port's MAC: {link!r}")

        p = run(dvsctl, "port-plug", "--root", d.root, "mv", port_uuid)
        check(p.returncode == 1 and "is already plugged into 'mvtap9'" in p.stderr,
              f"a second plug is refused: {p.stderr.strip()}")
        p = run(dvsctl, "port-unplug", "--socket", d.sock_ro, "mv", port_uuid)
        check(p.returncode == 1 and "read only access" in p.stderr,
              f"the read-only socket refuses: {p.stderr.strip()}")

        p = run(dvsctl, "port-unplug", "--root", d.root, "mv", port_uuid)
        check(p.returncode == 0, f"port-unplug exits 0 ({p.stderr.strip()})")
        check(run("ip", "link", "show", "mvtap9").returncode != 0, "the device is gone")
        p = run(dvsctl, "port-unplug", "--root", d.root, "mv", port_uuid)
        check(p.returncode == 1 and "was not plugged by dvsd" in p.stderr,
              f"unplugging twice is refused: {p.stderr.strip()}")

        ovs = conn.networkDefineXML(OVS)
        ovs.create()
        ovs_port = str(uuid.uuid4())
        ovs.portCreateXML(PORT.format(port=ovs_port, owner=uuid.uuid4()), 0)
        p = run(dvsctl, "port-plug", "--root", d.root, "ovs", ovs_port)
        check(p.returncode == 1 and "needs the name of an existing host device" in p.stderr,
              f"an OVS port needs a device: {p.stderr.strip()}")
        if d.ovsdb is not None and d.ovsdb.proc is not None:
            # dvsd adds an existing device to the network's bridge as libvirt would.
            check(run("ip", "link", "add", "ovsv0", "type", "veth", "peer", "name", "ovsv0p")
                  .returncode == 0, "a veth pair for the OVS port")
            p = run(dvsctl, "port-plug", "--root", d.root, "ovs", ovs_port, "ovsv0")
            check(p.returncode == 0 and p.stdout.strip() == "ovsv0",
                  f"an OVS port is plugged ({p.returncode}: {p.stdout!r} {p.stderr!r})")
            check(d.ovsdb.vsctl("list-ports", "br-ovs") == "ovsv0", "the device is on the bridge")
            check(d.ovsdb.vsctl("get", "Port", "ovsv0", "external_ids:dvs-plugged")
                  .strip('"') == ovs_port, "the Port is tagged with the port's UUID")
            check(d.ovsdb.vsctl("get", "Interface", "ovsv0", "external_ids:attached-mac")
                  .strip('"') == "52:54:00:aa:bb:cc", "the Interface has libvirt's attached-mac")
            p = run(dvsctl, "port-unplug", "--root", d.root, "ovs", ovs_port)
            check(p.returncode == 0, f"an OVS port is unplugged ({p.stderr.strip()})")
            check(d.ovsdb.vsctl("list-ports", "br-ovs") == "", "the Port is gone")
        p = run(dvsctl, "port-plug", "--root", d.root, "mv", "not-a-uuid")
        check(p.returncode == 1 and "is not a port UUID" in p.stderr, "a bad UUID is refused")
        p = run(dvsctl, "port-plug", "--root", d.root, "nosuch", port_uuid)
        check(p.returncode == 1 and "no network with matching name 'nosuch'" in p.stderr,
              f"an unknown network is libvirt's error: {p.stderr.strip()}")
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
