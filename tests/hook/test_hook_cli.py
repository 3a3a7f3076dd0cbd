# SPDX-License-Identifier: LGPL-2.1-or-later
"""dvsctl hook-network (what hooks/network runs) against a real dvsd, without libvirtd: which
networks it hands over, how it fails when dvsd is down or not in hook mode, and what dvsd does
with port-created and port-deleted.

usage: test_hook_cli.py DVSD DVSCTL
"""
import os
import sys
import uuid

from dvstest import Cases, Dvsd, check, run, virsh_ok

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
    return run(*args, network, op, "begin", "-", input=data, check_rc=False, timeout=30)


def ports(d):
    out = virsh_ok(d, "net-port-list", "web", "--uuid")
    return sorted(line.strip() for line in out.splitlines() if line.strip())


cases = Cases()


class World:
    def __init__(self, dvsd, dvsctl):
        self.d = dvsd
        self.dvsctl = dvsctl
        self.port = PORT.format(port=uuid.uuid4(), owner=uuid.uuid4(), iface=uuid.uuid4())
        self.port_uuid = self.port.split("<uuid>")[1].split("<")[0]
        self.net_file = None


@cases.case
def dvsd_down_fails_closed_for_ports(w):
    # dvsd down: networks it did not publish pass, its ports fail closed, the rest passes.
    p = hook(w.dvsctl, w.d.root, "port-created", hook_data(False, w.port))
    check(p.returncode == 0 and p.stderr == "", f"unpublished network with dvsd down: {p}")
    p = hook(w.dvsctl, w.d.root, "port-created", hook_data(True, w.port))
    check(p.returncode == 1 and "dvsd is not reachable" in p.stderr
          and "refusing the port on network 'web'" in p.stderr,
          f"port-created with dvsd down must fail closed: {p}")
    p = hook(w.dvsctl, w.d.root, "port-deleted", hook_data(True, w.port))
    check(p.returncode == 0 and "catches up" in p.stderr, f"port-deleted, dvsd down: {p}")


@cases.case
def inactive_network_refuses_ports(w):
    # dvsd starts; a network is defined.
    w.d.start()
    w.net_file = os.path.join(w.d.root, "web.xml")
    with open(w.net_file, "w") as f:
        f.write(NETWORK)
    virsh_ok(w.d, "net-define", w.net_file)
    # A port on a network dvsd has not started is refused, with dvsd's message.
    p = hook(w.dvsctl, w.d.root, "port-created", hook_data(True, w.port))
    check(p.returncode == 1 and "network 'web' is not active" in p.stderr,
          f"port-created on an inactive network: {p}")
    p = hook(w.dvsctl, w.d.root, "start", hook_data(True))
    check(p.returncode == 1 and "not active in dvsd" in p.stderr,
          f"libvirtd starting a network dvsd has not started: {p}")

    virsh_ok(w.d, "net-start", "web")
    p = hook(w.dvsctl, w.d.root, "start", hook_data(True))
    check(p.returncode == 0, f"start of an active network: {p}")


@cases.case
def port_created_and_deleted(w):
    # port-created records libvirtd's port under its uuid; again (libvirtd restarted) it
    # changes nothing; port-deleted releases it, twice is harmless.
    for _ in range(2):
        p = hook(w.dvsctl, w.d.root, "port-created", hook_data(True, w.port))
        check(p.returncode == 0, f"port-created: {p}")
        check(ports(w.d) == [w.port_uuid], f"dvsd lists {ports(w.d)}, want [{w.port_uuid}]")
    xml = virsh_ok(w.d, "net-port-dumpxml", "web", w.port_uuid)
    check("<plug type='bridge' bridge='br-web'/>" in xml, f"the recorded port: {xml}")
    for op in ("updated", "stopped", "started"):
        p = hook(w.dvsctl, w.d.root, op, hook_data(True))
        check(p.returncode == 0, f"{op}: {p}")
    for _ in range(2):
        p = hook(w.dvsctl, w.d.root, "port-deleted", hook_data(True, w.port))
        check(p.returncode == 0, f"port-deleted: {p}")
        check(ports(w.d) == [], f"dvsd still lists {ports(w.d)}")


@cases.case
def bad_hook_data_changes_nothing(w):
    # Bad hook data is refused, and changes nothing.
    p = hook(w.dvsctl, w.d.root, "port-created", hook_data(True, "<networkport><uuid>x</uuid></networkport>"))
    check(p.returncode == 1 and "error:" in p.stderr, f"broken hook data: {p}")
    check(ports(w.d) == [], "broken hook data left a port")


@cases.case
def read_only_socket_takes_no_hooks(w):
    # Only the read-write socket takes hooks.
    p = hook(w.dvsctl, w.d.root, "port-created", hook_data(True, w.port), socket=w.d.sock_ro)
    check(p.returncode == 1 and "read only access prevents" in p.stderr,
          f"hook on the read-only socket: {p}")
    check(ports(w.d) == [], "a hook on the read-only socket recorded a port")


@cases.case
def status_says_libvirtd_is_unreachable(w):
    # dvsctl status says libvirtd cannot be reached.
    p = run(w.dvsctl, "status", "--socket", w.d.sock, check_rc=False)
    check("libvirtd: unreachable" in p.stdout, f"dvsctl status in hook mode: {p.stdout}")
    check(p.returncode == 2, "an active network whose libvirtd copy is not running is not ready")


@cases.case
def unreachable_libvirtd_is_logged(w):
    # libvirtd being unreachable is logged, not fatal.
    check("Cannot connect to libvirtd at 'qemu:///system?socket=/nonexistent'" in w.d.log(),
          "dvsd does not say that libvirtd is unreachable")


def driver_mode_refuses_hooks(dvsd, dvsctl):
    # A dvsd in driver mode refuses hook calls: the hook then fails with its message.
    with Dvsd(dvsd) as d:
        d.start()
        p = hook(dvsctl, d.root, "started", hook_data(True), socket=d.sock)
        check(p.returncode == 1 and "dvsd is not in hook mode" in p.stderr,
              f"hook against a dvsd in driver mode: {p}")


def main():
    dvsd, dvsctl = sys.argv[1], sys.argv[2]
    with Dvsd(dvsd, config_text="[libvirt]\nmode=hook\nuri=qemu:///system?socket=/nonexistent\n"
              ) as d:
        d.sock = os.path.join(d.root, "run/dvs/dvsd-sock")
        d.sock_ro = d.sock + "-ro"
        rc = cases.run(World(d, dvsctl))
    driver_cases = Cases()
    driver_cases.case(driver_mode_refuses_hooks)
    return max(rc, driver_cases.run(dvsd, dvsctl))


if __name__ == "__main__":
    sys.exit(main())
