# SPDX-License-Identifier: LGPL-2.1-or-later
"""dvsctl hook-network (what hooks/network runs) against a real dvsd, without libvirtd: which
networks it hands over, how it fails when dvsd is down or not in hook mode, and what dvsd does
with port-created and port-deleted.

usage: test_hook_cli.py DVSD DVSCTL
"""
import os
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rpc"))
from dvsd_harness import Dvsd, check, virsh_ok  # noqa: E402

NETWORK = """<network>
  <name>web</name>
  <forward mode='bridge'/>
  <bridge name='br-web'/>
  <virtualport type='openvswitch'/>
  <portgroup name='web' default='yes'><vlan><tag id='10'/></vlan></portgroup>
</network>
"""

MARKER = ("<metadata><dvs-hook:published xmlns:dvs-hook='https://libvirt-dvs.org/xmlns/hook/1.0'"
          " digest='0'/></metadata>")

PORT = """<networkport><uuid>{port}</uuid>
  <owner><name>vm1</name><uuid>{owner}</uuid></owner>
  <group>web</group>
  <mac address='52:54:00:aa:bb:cc'/>
  <virtualport type='openvswitch'><parameters interfaceid='{iface}'/></virtualport>
  <vlan><tag id='10'/></vlan>
  <plug type='bridge' bridge='br-web'/>
</networkport>"""


def hook_data(published, port_xml=""):
    network = NETWORK.replace("<forward", (MARKER if published else "") + "<forward")
    return f"<hookData>{network}{port_xml}</hookData>"


def hook(dvsctl, root, op, data, network="web", socket=None):
    args = [dvsctl, "hook-network", "--root", root, "--config", os.path.join(root, "dvsd.conf")]
    if socket:
        args += ["--socket", socket]
    return subprocess.run(args + [network, op, "begin", "-"], input=data, capture_output=True,
                          text=True, timeout=30)


def ports(d):
    out = virsh_ok(d, "net-port-list", "web", "--uuid")
    return sorted(line.strip() for line in out.splitlines() if line.strip())


def main():
    dvsd, dvsctl = sys.argv[1], sys.argv[2]
    port = PORT.format(port=uuid.uuid4(), owner=uuid.uuid4(), iface=uuid.uuid4())
    port_uuid = port.split("<uuid>")[1].split("<")[0]

    with Dvsd(dvsd, config_text="[libvirt]\nmode=hook\nuri=qemu:///system?socket=/nonexistent\n"
              ) as d:
        d.sock = os.path.join(d.root, "run/dvs/dvsd-sock")
        d.sock_ro = d.sock + "-ro"

        # dvsd down: networks it did not publish pass, its ports fail closed, the rest passes.
        p = hook(dvsctl, d.root, "port-created", hook_data(False, port))
        check(p.returncode == 0 and p.stderr == "", f"unpublished network with dvsd down: {p}")
        p = hook(dvsctl, d.root, "port-created", hook_data(True, port))
        check(p.returncode == 1 and "dvsd is not reachable" in p.stderr
              and "refusing the port on network 'web'" in p.stderr,
              f"port-created with dvsd down must fail closed: {p}")
        p = hook(dvsctl, d.root, "port-deleted", hook_data(True, port))
        check(p.returncode == 0 and "catches up" in p.stderr, f"port-deleted, dvsd down: {p}")

        d.start()
        net_file = os.path.join(d.root, "web.xml")
        with open(net_file, "w") as f:
            f.write(NETWORK)
        virsh_ok(d, "net-define", net_file)

        # A port on a network dvsd has not started is refused, with dvsd's message.
        p = hook(dvsctl, d.root, "port-created", hook_data(True, port))
        check(p.returncode == 1 and "network 'web' is not active" in p.stderr,
              f"port-created on an inactive network: {p}")
        p = hook(dvsctl, d.root, "start", hook_data(True))
        check(p.returncode == 1 and "not active in dvsd" in p.stderr,
              f"libvirtd starting a network dvsd has not started: {p}")

        virsh_ok(d, "net-start", "web")
        p = hook(dvsctl, d.root, "start", hook_data(True))
        check(p.returncode == 0, f"start of an active network: {p}")

        # port-created records libvirtd's port under its uuid; again (libvirtd restarted) it
        # changes nothing; port-deleted releases it, twice is harmless.
        for _ in range(2):
            p = hook(dvsctl, d.root, "port-created", hook_data(True, port))
            check(p.returncode == 0, f"port-created: {p}")
            check(ports(d) == [port_uuid], f"dvsd lists {ports(d)}, want [{port_uuid}]")
        xml = virsh_ok(d, "net-port-dumpxml", "web", port_uuid)
        check("<plug type='bridge' bridge='br-web'/>" in xml, f"the recorded port: {xml}")
        for op in ("updated", "stopped", "started"):
            p = hook(dvsctl, d.root, op, hook_data(True))
            check(p.returncode == 0, f"{op}: {p}")
        for _ in range(2):
            p = hook(dvsctl, d.root, "port-deleted", hook_data(True, port))
            check(p.returncode == 0, f"port-deleted: {p}")
            check(ports(d) == [], f"dvsd still lists {ports(d)}")

        # Bad hook data is refused, and changes nothing.
        p = hook(dvsctl, d.root, "port-created", hook_data(True, "<networkport><uuid>x</uuid></networkport>"))
        check(p.returncode == 1 and "error:" in p.stderr, f"broken hook data: {p}")
        check(ports(d) == [], "broken hook data left a port")

        # Only the read-write socket takes hooks.
        p = hook(dvsctl, d.root, "port-created", hook_data(True, port), socket=d.sock_ro)
        check(p.returncode == 1 and "read only access prevents" in p.stderr,
              f"hook on the read-only socket: {p}")
        check(ports(d) == [], "a hook on the read-only socket recorded a port")

        # dvsctl status says libvirtd cannot be reached.
        status = subprocess.run([dvsctl, "status", "--socket", d.sock], capture_output=True,
                                text=True, timeout=30).stdout
        check("libvirtd: unreachable" in status, f"dvsctl status in hook mode: {status}")

        # libvirtd being unreachable is logged, not fatal.
        check("Cannot connect to libvirtd at 'qemu:///system?socket=/nonexistent'" in d.log(),
              "dvsd does not say that libvirtd is unreachable")

    # A dvsd in driver mode refuses hook calls: the hook then fails with its message.
    with Dvsd(dvsd) as d:
        d.start()
        p = hook(dvsctl, d.root, "started", hook_data(True), socket=d.sock)
        check(p.returncode == 1 and "dvsd is not in hook mode" in p.stderr,
              f"hook against a dvsd in driver mode: {p}")
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
