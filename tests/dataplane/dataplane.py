# SPDX-License-Identifier: LGPL-2.1-or-later
"""The dataplane tests' world: a private Open vSwitch (ovsdb-server and ovs-vswitchd with the
userspace datapath), dvsd configured to program it, and "guests" that are network namespaces
with a veth pair whose host end is plugged into a bridge. The parts are the shared test library's
(tests/support/python/dvstest); this module puts them together.

Each test re-runs itself in a private network namespace (unshare -n), so bridges, veths and the
tap devices of netdev bridges never touch the host; each guest is a network namespace of its own,
gone (with its veth) when its process ends.

Every wait polls a condition with a deadline; nothing sleeps for a fixed time.
"""

import os
import re
import shutil
import uuid

import dvstest
# Re-exported for the tests: dp.check, dp.run, dp.wait_for, ...
from dvstest import (Cases, Dvsd, Guest, OvsSandbox, check, fail,  # noqa: F401
                     require_libvirt_python, run, skip, temp_root, veth_pair, virsh_ok, wait_for)


def enter_private_netns():
    """Re-runs the calling script in a private network namespace (once) and exits with its
    status; returns in the re-run copy. Skips when that is impossible."""
    require_libvirt_python()
    dvstest.enter_private_netns(programs=("nsenter", "ping", "ethtool", "ovsdb-server",
                                          "ovs-vswitchd", "ovs-vsctl", "ovs-appctl",
                                          "ovsdb-tool", "virsh"))


class World:
    """One test's OVS, dvsd and guests; everything is stopped and removed on exit."""

    def __init__(self, dvsd_binary, dvsctl):
        import libvirt  # python3-libvirt, in /usr/bin/python3

        self.libvirt = libvirt
        libvirt.registerErrorHandler(lambda ctx, err: None, None)
        self.root = temp_root()
        self.dvsctl = dvsctl
        self.guests = []
        self.ovs = None
        self.dvsd = None
        self.conn = None
        try:
            self.ovs = OvsSandbox(root=self.root)
            config = f"[ovs]\nremote={self.ovs.remote}\ndatapath-type=netdev\n"
            dvsd_root = os.path.join(self.root, "dvsd")
            os.makedirs(dvsd_root)
            self.dvsd = Dvsd(dvsd_binary, root=dvsd_root, config_text=config, ovsdb=False)
            self.dvsd.start()
            self.conn = libvirt.open(self.dvsd.uri())
        except BaseException:
            self.cleanup()
            raise

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if kind is not None and (kind is not SystemExit or value.code not in (0, None)):
            self.dump()
        self.cleanup()
        return False

    def dump(self):
        print("---- dvsd log ----")
        print(self.dvsd.log() if self.dvsd else "")
        if self.ovs:
            print("---- ovs-vsctl show ----")
            print(self.ovs.vsctl("--no-wait", "show", check_rc=False).stdout)
            for name in ("ovs-vswitchd.log",):
                try:
                    with open(self.ovs.path(name)) as f:
                        print(f"---- {name} (tail) ----")
                        print("".join(f.readlines()[-40:]))
                except OSError:
                    pass

    def cleanup(self):
        for g in self.guests:
            g.stop()
        if self.conn is not None:
            try:
                self.conn.close()
            except self.libvirt.libvirtError:
                pass
        if self.dvsd is not None:
            self.dvsd.cleanup()
        if self.ovs is not None:
            self.ovs.cleanup()
        shutil.rmtree(self.root, ignore_errors=True)

    def restart_dvsd(self):
        """Restarts dvsd (SIGTERM, start) and reconnects the libvirt connection."""
        try:
            self.conn.close()
        except self.libvirt.libvirtError:
            pass
        self.dvsd.restart()
        self.conn = self.libvirt.open(self.dvsd.uri())

    # ---- networks and ports, as a user drives them

    def virsh(self, *args):
        return virsh_ok(self.dvsd, *args)

    def define_network(self, xml):
        path = os.path.join(self.root, "net.xml")
        with open(path, "w") as f:
            f.write(xml)
        name = re.search(r"<name>([^<]+)</name>", xml).group(1)
        self.virsh("net-define", path)
        self.virsh("net-start", name)
        return self.conn.networkLookupByName(name)

    def create_port(self, network, portgroup=None, bandwidth=""):
        """A port as virtqemud creates it (no plug): returns (uuid, port XML as resolved)."""
        port_uuid = str(uuid.uuid4())
        owner = str(uuid.uuid4())
        group = f"<group>{portgroup}</group>" if portgroup else ""
        mac = "52:54:00:%02x:%02x:%02x" % tuple(os.urandom(3))
        port = network.portCreateXML(
            f"<networkport><uuid>{port_uuid}</uuid>"
            f"<owner><name>vm-{port_uuid[:8]}</name><uuid>{owner}</uuid></owner>{group}"
            f"<mac address='{mac}'/>{bandwidth}</networkport>", 0)
        return port_uuid, port.XMLDesc(0)

    def guest(self, name, address, ifname):
        g = Guest(name, address, ifname)
        self.guests.append(g)
        return g

    def plug(self, network_name, port_uuid, guest):
        """dvsctl port-plug: dvsd puts the guest's host end on the network's bridge."""
        p = run(self.dvsctl, "port-plug", "--root", self.dvsd.root, network_name, port_uuid,
                guest.ifname, check_rc=False)
        if p.returncode != 0 or p.stdout.strip() != guest.ifname:
            fail(f"dvsctl port-plug {network_name} {port_uuid} {guest.ifname}: "
                 f"{p.returncode} {p.stdout.strip()!r} {p.stderr.strip()!r}")

    def plugged_guest(self, network, name, address, ifname, portgroup=None, bandwidth=""):
        port_uuid, xml = self.create_port(network, portgroup, bandwidth)
        g = self.guest(name, address, ifname)
        self.plug(network.name(), port_uuid, g)
        g.port_uuid = port_uuid
        g.port_xml = xml
        return g


def interface_id(port_xml):
    m = re.search(r"interfaceid='([0-9a-f-]{36})'", port_xml)
    if not m:
        fail(f"the port has no openvswitch interfaceid: {port_xml}")
    return m.group(1)


def owner_uuid(port_xml):
    return re.search(r"<owner>.*?<uuid>([0-9a-f-]{36})</uuid>", port_xml, re.S).group(1)


def port_mac(port_xml):
    return re.search(r"<mac address='([0-9a-f:]{17})'", port_xml).group(1)


def wait_bond(ovs, bond, pattern, what, timeout=20):
    """Waits until ovs-appctl bond/show BOND matches the regular expression; returns the text."""
    found = {}

    def matches():
        text = ovs.appctl("bond/show", bond)
        found["text"] = text
        return re.search(pattern, text, re.M)

    try:
        wait_for(matches, timeout=timeout, what=what)
    except dvstest.TestFailure:
        fail(f"{what}: bond/show {bond} never matched {pattern!r}:\n{found.get('text')}")
    return found["text"]


def active_member(ovs, bond):
    """The bond's active member as ovs-vswitchd reports it, or None."""
    text = ovs.appctl("bond/show", bond)
    m = re.search(r"^active[- ](?:member|slave) mac: \S*\((\S+)\)", text, re.M)
    return m.group(1) if m else None
