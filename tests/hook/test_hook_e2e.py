# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hook mode end to end: a real QEMU guest started by a real monolithic libvirtd lands on the DVS.

Runs inside `unshare -mn --propagation private` with a private /run, /etc/libvirt, /var/lib,
/var/cache, /var/log, /etc/passwd and /etc/group (driver-spec "Empirical setup"): ovsdb-server and
ovs-vswitchd (userspace datapath) on /run/openvswitch/db.sock, where libvirtd's ovs-vsctl looks,
dvsd in hook mode under a --root of its own, and libvirtd with hooks/network installed into
/etc/libvirt/hooks/network.d/. The host is not touched.

What it takes on Debian 12 (found by trying):
- libvirtd's qemu driver refuses to start without a libvirt-qemu user, even with user="root" in
  qemu.conf; security_driver="none", no cgroups, no namespaces and stdio_handler="file" (no
  virtlogd) let it run guests (TCG, 64 MiB, no disk) inside the namespaces.
- QEMU gets its tap from /dev/net/tun; libvirt puts it on the OVS bridge with ovs-vsctl, which
  uses the default /run/openvswitch/db.sock (hence the private /run), with the tag, iface-id and
  policing of the port; ovs-vswitchd's userspace datapath (netdev) opens the tap as a system
  port. The bridge's internal port is a tap too, and must exist: libvirt reads its MTU.
- A macvtap guest works on a veth inside the namespace (the /dev/tapN node is devtmpfs's).
- libvirtd runs hooks from /etc/libvirt/hooks/network.d/ without an /etc/libvirt/hooks/network.

The guest starts run about one second each; the whole test takes under 30 seconds.

usage: test_hook_e2e.py DVSD DVSCTL HOOK_TEMPLATE
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

from dvstest import (DEADLINE, Cases, enter_private_netns, fail, require_programs, require_root,
                     run, skip, wait_for)

NET = "dvs-web"
BRIDGE = "dvsbr0"
GUEST = "dvs-guest"
GUEST2 = "dvs-guest-direct"
GUEST3 = "plain-guest"
DIRECT_NET = "dvs-direct"

DIRECT_XML = f"""<network>
  <name>{DIRECT_NET}</name>
  <forward mode='bridge'>
    <interface dev='dvsup0'/>
  </forward>
</network>
"""

NETWORK_XML = f"""<network>
  <name>{NET}</name>
  <forward mode='bridge'/>
  <bridge name='{BRIDGE}'/>
  <virtualport type='openvswitch'/>
  <portgroup name='web' default='yes'>
    <vlan><tag id='10'/></vlan>
    <bandwidth><outbound average='1000' burst='100'/></bandwidth>
  </portgroup>
  <portgroup name='db'>
    <vlan><tag id='20'/></vlan>
  </portgroup>
</network>
"""

WEB_VLAN30 = ("<portgroup name='web' default='yes'><vlan><tag id='30'/></vlan>"
              "<bandwidth><outbound average='1000' burst='100'/></bandwidth></portgroup>")

GUEST_XML = f"""<domain type='qemu'>
  <name>{GUEST}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <interface type='network'>
      <source network='{NET}' portgroup='web'/>
      <model type='e1000'/>
    </interface>
  </devices>
</domain>
"""


cases = Cases()


class Host:
    """Everything started inside the namespace, torn down in reverse order."""

    def __init__(self, dvsd, dvsctl, hook_template):
        self.dvsd_bin = dvsd
        self.dvsctl = dvsctl
        self.hook_template = hook_template
        self.work = tempfile.mkdtemp(prefix="dvs-hook-")
        self.root = os.path.join(self.work, "root")
        self.ovs = os.path.join(self.work, "ovs")
        self.dvsd = None
        self.dvsd_log = None
        self.libvirtd = None
        self.dvsd_socket = os.path.join(self.root, "run/dvs/dvsd-sock")

    # ---- set-up ---------------------------------------------------------------------------

    def private_mounts(self):
        for path in ("/run", "/var/lib", "/var/cache", "/var/log"):
            run("mount", "-t", "tmpfs", "tmpfs", path)
        etc = os.path.join(self.work, "etc-libvirt")
        shutil.copytree("/etc/libvirt", etc)
        os.makedirs(os.path.join(etc, "hooks", "network.d"))
        run("mount", "--bind", etc, "/etc/libvirt")
        # The qemu driver wants a libvirt-qemu user even when told to run guests as root.
        for name, extra in (("passwd", ["libvirt-qemu:x:64055:64055::/var/lib/libvirt:/bin/false"]),
                            ("group", ["libvirt-qemu:x:64055:", "libvirt:x:64057:"])):
            with open(f"/etc/{name}") as f:
                lines = f.read().splitlines()
            if name == "group" and not any(l.startswith("kvm:") for l in lines):
                extra = extra + ["kvm:x:64056:"]
            copy = os.path.join(self.work, name)
            with open(copy, "w") as f:
                f.write("\n".join(lines + extra) + "\n")
            run("mount", "--bind", copy, f"/etc/{name}")
        run("ip", "link", "set", "lo", "up")

    def start_ovs(self):
        os.makedirs(self.ovs)
        os.makedirs("/run/openvswitch")
        # libvirtd's ovs-vsctl uses the default socket; dvsd under --root may look beneath it.
        rooted = os.path.join(self.root, "run/openvswitch")
        os.makedirs(rooted)
        db = os.path.join(self.ovs, "conf.db")
        run("ovsdb-tool", "create", db, "/usr/share/openvswitch/vswitch.ovsschema")
        run("ovsdb-server", db, "--remote=punix:/run/openvswitch/db.sock",
            f"--remote=punix:{rooted}/db.sock",
            f"--pidfile={self.ovs}/ovsdb-server.pid", "--detach",
            f"--log-file={self.ovs}/ovsdb-server.log", f"--unixctl={self.ovs}/ovsdb-server.ctl")
        run("ovs-vsctl", "--no-wait", "init")
        run("ovs-vswitchd", "unix:/run/openvswitch/db.sock",
            f"--pidfile={self.ovs}/ovs-vswitchd.pid", "--detach",
            f"--log-file={self.ovs}/ovs-vswitchd.log", f"--unixctl={self.ovs}/ovs-vswitchd.ctl")

    def install_hook(self):
        with open(self.hook_template) as f:
            text = f.read()
        # What an installer writes, with this test's paths.
        text = re.sub(r"^DVSCTL=.*$", f"DVSCTL='{self.dvsctl}'", text, flags=re.M)
        text = re.sub(r"^DVSD_CONF=.*$", f"DVSD_CONF='{self.root}/etc/dvs/dvsd.conf'", text,
                      flags=re.M)
        text = re.sub(r"^DVS_ROOT=.*$", f"DVS_ROOT='{self.root}'", text, flags=re.M)
        hook = "/etc/libvirt/hooks/network.d/libvirt-dvs"
        with open(hook, "w") as f:
            f.write(text)
        os.chmod(hook, 0o755)

    def configure_libvirtd(self):
        with open("/etc/libvirt/libvirtd.conf", "w") as f:
            f.write('log_filters="1:network 1:util.hook 3:util 3:rpc 3:conf 3:qemu"\n'
                    'log_outputs="1:file:/var/log/libvirt/libvirtd.log"\n')
        with open("/etc/libvirt/qemu.conf", "w") as f:
            f.write('user="root"\ngroup="root"\nsecurity_driver="none"\nnamespaces=[]\n'
                    'cgroup_controllers=[]\nstdio_handler="file"\n')
        os.makedirs("/var/log/libvirt", exist_ok=True)

    def configure_dvsd(self):
        os.makedirs(os.path.join(self.root, "etc/dvs"), exist_ok=True)
        text = ("[libvirt]\nmode=hook\nuri=qemu:///system\n\n"
                "[ovs]\nremote=unix:/run/openvswitch/db.sock\ndatapath-type=netdev\n")
        with open(os.path.join(self.root, "etc/dvs/dvsd.conf"), "w") as f:
            f.write(text)

    # ---- daemons --------------------------------------------------------------------------

    def start_libvirtd(self):
        self.libvirtd = subprocess.Popen(["libvirtd"], stdout=subprocess.DEVNULL,
                                         stderr=open(os.path.join(self.work, "libvirtd.err"), "a"))
        wait_for(lambda: run("virsh", "-c", "qemu:///system", "version",
                             check_rc=False).returncode == 0, what="libvirtd")

    def stop_libvirtd(self):
        self.libvirtd.send_signal(signal.SIGTERM)
        self.libvirtd.wait(timeout=DEADLINE)
        self.libvirtd = None

    def start_dvsd(self):
        log_path = os.path.join(self.work, "dvsd.log")
        self.dvsd_log_offset = os.path.getsize(log_path) if os.path.exists(log_path) else 0
        log = open(log_path, "a")
        self.dvsd = subprocess.Popen([self.dvsd_bin, "--root", self.root, "--verbose"],
                                     stdout=log, stderr=log)
        wait_for(lambda: self.dvsd.poll() is not None or
                 os.path.exists(self.dvsd_socket), what="dvsd's socket")
        if self.dvsd.poll() is not None:
            fail(f"dvsd exited with {self.dvsd.returncode}: {self.dvsd_log_text()}")

    def dvsd_log_text(self):
        with open(os.path.join(self.work, "dvsd.log")) as f:
            f.seek(self.dvsd_log_offset)
            return f.read()

    def stop_dvsd(self):
        self.dvsd.send_signal(signal.SIGTERM)
        code = self.dvsd.wait(timeout=DEADLINE)
        self.dvsd = None
        if code != 0:
            fail(f"dvsd exited with {code}: {self.dvsd_log_text()}")

    def teardown(self):
        for guest in (GUEST, GUEST2, GUEST3):
            run("virsh", "-c", "qemu:///system", "destroy", guest, check_rc=False)
        if self.dvsd is not None:
            self.dvsd.kill()
            self.dvsd.wait()
        if self.libvirtd is not None:
            self.libvirtd.kill()
            self.libvirtd.wait()
        for daemon in ("ovs-vswitchd", "ovsdb-server"):
            run("ovs-appctl", "-t", f"{self.ovs}/{daemon}.ctl", "exit", check_rc=False)

    # ---- clients --------------------------------------------------------------------------

    def dvs_virsh(self, *args, check_rc=True):
        return run("virsh", "-c", f"network:///system?socket={self.dvsd_socket}", *args,
                   check_rc=check_rc)

    def virsh(self, *args, check_rc=True):
        return run("virsh", "-c", "qemu:///system", *args, check_rc=check_rc)

    def dvsd_ports(self):
        out = self.dvs_virsh("net-port-list", NET, "--uuid").stdout
        return sorted(line.strip() for line in out.splitlines() if line.strip())

    def dvsctl_status(self):
        # Exit status 2: a network is not ready (libvirtd refused its copy, for one).
        p = run(self.dvsctl, "status", "--socket", self.dvsd_socket, check_rc=False)
        if p.returncode not in (0, 2):
            fail(f"dvsctl status failed ({p.returncode}): {p.stderr}")
        return p.stdout

    def libvirtd_ports(self, network):
        out = self.virsh("net-port-list", network, "--uuid").stdout
        return sorted(line.strip() for line in out.splitlines() if line.strip())

    def libvirtd_network_active(self):
        out = self.virsh("net-list", "--name").stdout
        return NET in out.split()


def ovs_get(table, record, column):
    return run("ovs-vsctl", "get", table, record, column).stdout.strip()


def ovs_config_snapshot():
    """What a write by anyone would change: rows' identities and configuration columns."""
    columns = {
        "Bridge": "_uuid,name,ports,datapath_type,external_ids,other_config",
        "Port": "_uuid,name,tag,trunks,vlan_mode,qos,interfaces,external_ids,other_config",
        "Interface": ("_uuid,name,type,options,ingress_policing_rate,ingress_policing_burst,"
                      "external_ids,other_config"),
        "QoS": "_uuid,type,queues,other_config,external_ids",
        "Queue": "_uuid,other_config,external_ids",
    }
    snapshot = {}
    for table, cols in columns.items():
        out = run("ovs-vsctl", "--format=json", f"--columns={cols}", "list", table).stdout
        snapshot[table] = sorted(json.dumps(row) for row in json.loads(out)["data"])
    return snapshot


def guest_interface(host, network=NET, guest=GUEST):
    xml = host.virsh("dumpxml", guest).stdout
    source = re.search(r"<source network='%s'[^>]*/>" % network, xml)
    target = re.search(r"<target dev='([^']+)'", xml)
    if not source or not target:
        fail(f"the guest's live XML has no resolved interface:\n{xml}")
    portid = re.search(r"portid='([^']+)'", source.group(0))
    bridge = re.search(r"bridge='([^']+)'", source.group(0))
    return target.group(1), portid.group(1) if portid else None, \
        bridge.group(1) if bridge else None, xml


@cases.case
def network_appears_in_libvirtd(host):
    # 1. A DVS network defined on dvsd appears in libvirtd, running.
    host.net_file = os.path.join(host.work, "net.xml")
    with open(host.net_file, "w") as f:
        f.write(NETWORK_XML)
    host.dvs_virsh("net-define", host.net_file)
    host.dvs_virsh("net-start", NET)
    host.dvs_virsh("net-autostart", NET)
    wait_for(host.libvirtd_network_active, what=f"network '{NET}' running in libvirtd")
    wait_for(lambda: re.search(r"Autostart:\s+yes", host.virsh("net-info", NET).stdout),
             what=f"network '{NET}' set to autostart in libvirtd")
    published = host.virsh("net-dumpxml", NET).stdout
    for needle in ("<virtualport type='openvswitch'/>", f"<bridge name='{BRIDGE}'/>",
                   "<portgroup name='web' default='yes'>", "<tag id='10'/>",
                   "<portgroup name='db'>", "<tag id='20'/>", "libvirt-dvs.org/xmlns/hook"):
        if needle not in published:
            fail(f"libvirtd's copy of {NET} lacks {needle}:\n{published}")


@cases.case
def guest_start_lands_on_the_dvs(host):
    # 2. virsh define + start: the tap is on the DVS bridge with VLAN 10 and the policing rate,
    #    dvsd has the port under libvirt's port uuid, the live XML shows the actual bridge.
    guest_file = os.path.join(host.work, "guest.xml")
    with open(guest_file, "w") as f:
        f.write(GUEST_XML)
    host.virsh("define", guest_file)
    host.virsh("start", GUEST)
    host.tap, host.portid, bridge, xml = guest_interface(host)
    if bridge != BRIDGE or "<interface type='bridge'>" not in xml:
        fail(f"the live XML does not show the actual bridge {BRIDGE}:\n{xml}")
    if run("ovs-vsctl", "port-to-br", host.tap).stdout.strip() != BRIDGE:
        fail(f"tap {host.tap} is not on {BRIDGE}")
    if ovs_get("Port", host.tap, "tag") != "10":
        fail(f"tap {host.tap} has tag {ovs_get('Port', tap, 'tag')}, expected 10")
    # outbound average 1000 KiB/s = 8000 kbit/s, policed where the guest's traffic enters OVS.
    if ovs_get("Interface", host.tap, "ingress_policing_rate") != "8000":
        fail(f"tap {host.tap} is policed at {ovs_get('Interface', tap, 'ingress_policing_rate')}")
    if host.dvsd_ports() != [host.portid]:
        fail(f"dvsd lists ports {host.dvsd_ports()}, expected libvirt's {host.portid}")
    print(f"guest started: tap {host.tap} on {BRIDGE}, tag 10, port {host.portid} recorded by "
          "dvsd")


@cases.case
def portgroup_change_reaches_libvirtd_and_ovs(host):
    # 3. web -> VLAN 30 on dvsd: libvirtd's copy follows; with OVS programming the running
    #    guest's port moves.
    host.dvs_virsh("net-update", NET, "modify", "portgroup", WEB_VLAN30, "--live", "--config")
    wait_for(lambda: "<tag id='30'/>" in host.virsh("net-dumpxml", NET).stdout,
             what="libvirtd's portgroup web on VLAN 30")
    wait_for(lambda: "<tag id='30'/>" in host.virsh("net-dumpxml", "--inactive", NET).stdout,
             what="libvirtd's persistent portgroup web on VLAN 30")
    wait_for(lambda: ovs_get("Port", host.tap, "tag") == "30", what=f"tap {host.tap} on VLAN 30")


@cases.case
def change_behind_dvsds_back_is_undone(host):
    # A change made in libvirtd behind dvsd's back is undone: dvsd's definition is the reference.
    host.virsh("net-update", NET, "modify", "portgroup",
               "<portgroup name='db'><vlan><tag id='99'/></vlan></portgroup>", "--live")
    wait_for(lambda: "<tag id='20'/>" in host.virsh("net-dumpxml", NET).stdout,
             what="dvsd putting portgroup db back on VLAN 20 in libvirtd")


@cases.case
def restarts_change_nothing(host):
    # 4. Restart libvirtd, then dvsd: nothing changes.
    before = ovs_config_snapshot()
    connects = host.dvsd_log_text().count("Connected to libvirtd")
    compared = host.dvsd_log_text().count(f"Compared the ports of network '{NET}'")
    host.stop_libvirtd()
    host.start_libvirtd()
    wait_for(lambda: GUEST in host.virsh("list", "--name").stdout.split(),
             what="the guest running again in libvirtd's view")
    wait_for(lambda: host.dvsd_log_text().count("Connected to libvirtd") > connects,
             what="dvsd reconnecting to the restarted libvirtd")
    wait_for(lambda: host.dvsd_log_text().count(f"Compared the ports of network '{NET}'") >
             compared, what="dvsd comparing its ports with the restarted libvirtd's")
    if host.dvsd_ports() != [host.portid]:
        fail(f"after the libvirtd restart dvsd lists {host.dvsd_ports()}, "
             f"expected [{host.portid}]")
    host.stop_dvsd()
    host.start_dvsd()
    wait_for(lambda: f"Compared the ports of network '{NET}'" in host.dvsd_log_text(),
             what="dvsd comparing its ports with libvirtd's")
    if host.dvsd_ports() != [host.portid]:
        fail(f"after the restarts dvsd lists {host.dvsd_ports()}, expected [{host.portid}]")
    if host.libvirtd_ports(NET) != [host.portid]:
        fail(f"after the restarts libvirtd lists {host.libvirtd_ports(NET)}, "
             f"expected [{host.portid}]")
    after = ovs_config_snapshot()
    if before != after:
        fail(f"the restarts wrote to OVS:\nbefore {before}\nafter {after}")
    if guest_interface(host)[1] != host.portid:
        fail("the guest's port changed over the restarts")
    print("libvirtd and dvsd restarted: same port, no OVS write")


@cases.case
def destroy_releases_the_port(host):
    # 5. virsh destroy releases the port in dvsd.
    host.virsh("destroy", GUEST)
    if host.dvsd_ports() != []:
        fail(f"after destroy dvsd still lists {host.dvsd_ports()}")


@cases.case
def dvsd_down_fails_closed(host):
    # 6. dvsd down: a guest start fails closed with dvsd's message; a release libvirtd does
    #    meanwhile reaches dvsd when it is back.
    host.virsh("start", GUEST)
    host.second = guest_interface(host)[1]
    host.stop_dvsd()
    host.virsh("destroy", GUEST)
    started = host.virsh("start", GUEST, check_rc=False)
    if started.returncode == 0 or "dvsd is not reachable" not in started.stderr:
        fail(f"a guest start with dvsd down did not fail closed: {started.stdout}"
             f"{started.stderr}")
    print(f"dvsd down: start refused with: {started.stderr.strip()}")
    host.start_dvsd()
    wait_for(lambda: f"Released port {host.second}" in host.dvsd_log_text(),
             what="dvsd releasing the port libvirtd released while it was down")
    if host.dvsd_ports() != []:
        fail(f"dvsd still lists {host.dvsd_ports()} after catching up")
    host.virsh("start", GUEST)
    if len(host.dvsd_ports()) != 1:
        fail(f"dvsd lists {host.dvsd_ports()} after the guest started again")
    host.virsh("destroy", GUEST)


@cases.case
def direct_network(host):
    # 7. A direct (macvtap) network: libvirtd gets the same pool, dvsd records the direct plug.
    run("ip", "link", "add", "dvsup0", "type", "veth", "peer", "name", "dvsup1")
    run("ip", "link", "set", "dvsup0", "up")
    direct = os.path.join(host.work, "direct.xml")
    with open(direct, "w") as f:
        f.write(DIRECT_XML)
    host.dvs_virsh("net-define", direct)
    host.dvs_virsh("net-start", DIRECT_NET)
    wait_for(lambda: DIRECT_NET in host.virsh("net-list", "--name").stdout.split(),
             what=f"network '{DIRECT_NET}' running in libvirtd")
    guest2 = os.path.join(host.work, "guest2.xml")
    with open(guest2, "w") as f:
        f.write(GUEST_XML.replace(GUEST, GUEST2).replace(f"network='{NET}' portgroup='web'",
                                                          f"network='{DIRECT_NET}'"))
    host.virsh("define", guest2)
    host.virsh("start", GUEST2)
    out = host.dvs_virsh("net-port-list", DIRECT_NET, "--uuid").stdout.split()
    if len(out) != 1:
        fail(f"dvsd lists {out} on {DIRECT_NET}, expected one port")
    port_xml = host.dvs_virsh("net-port-dumpxml", DIRECT_NET, out[0]).stdout
    if "<plug type='direct' dev='dvsup0' mode='bridge'/>" not in port_xml:
        fail(f"dvsd's record of the direct port:\n{port_xml}")
    if "@dvsup0" not in run("ip", "-br", "link").stdout:
        fail("no macvtap device on dvsup0")
    host.virsh("destroy", GUEST2)
    if host.dvs_virsh("net-port-list", DIRECT_NET, "--uuid").stdout.split():
        fail("the direct port is still recorded after destroy")
    print("direct network: macvtap on dvsup0, port recorded and released by dvsd")


@cases.case
def unpublished_network_is_left_alone(host):
    # 8. A network dvsd did not publish is none of its business, even with dvsd down: a guest
    #    starts on it.
    host.stop_dvsd()
    host.other = os.path.join(host.work, "other.xml")
    with open(host.other, "w") as f:
        f.write(f"<network><name>plain</name><forward mode='bridge'/>"
                f"<bridge name='{BRIDGE}'/><virtualport type='openvswitch'/></network>")
    host.virsh("net-define", host.other)
    host.virsh("net-start", "plain")
    plain_guest = os.path.join(host.work, "guest-plain.xml")
    with open(plain_guest, "w") as f:
        f.write(GUEST_XML.replace(GUEST, GUEST3).replace(f"network='{NET}' portgroup='web'",
                                                          "network='plain'"))
    host.virsh("define", plain_guest)
    host.virsh("start", GUEST3)
    if not guest_interface(host, "plain", GUEST3)[1]:
        fail("the guest on a network dvsd did not publish has no port")
    host.virsh("destroy", GUEST3)


@cases.case
def status_shows_libvirtd_state(host):
    # 9. dvsctl status says where each network stands in libvirtd, refusals included: dvsd
    #    leaves libvirtd's own network of the same name alone.
    host.start_dvsd()
    host.dvs_virsh("net-define", host.other)
    wait_for(lambda: "dvsd did not publish" in
             host.dvsctl_status(), what="dvsctl status showing libvirtd's refusal")
    status = host.dvsctl_status()
    if not re.search(rf"^{NET} .*libvirtd: running", status, re.M):
        fail(f"dvsctl status does not show {NET} running in libvirtd:\n{status}")
    if "libvirt-dvs.org" in host.virsh("net-dumpxml", "plain").stdout:
        fail("dvsd took over libvirtd's own network 'plain'")
    # dvsd changed libvirtd's running network once, for the VLAN change, and never again:
    # libvirt's format of a portgroup is what dvsd compares with.
    with open(os.path.join(host.work, "dvsd.log")) as f:
        log = f.read()
    for pg in ("web", "db"):
        updates = log.count(f"Updated portgroup '{pg}' of network '{NET}' in libvirtd")
        if updates != 1:
            fail(f"dvsd updated portgroup {pg} in libvirtd {updates} times, expected once:\n"
                 f"{log}")


def setup(host):
    host.private_mounts()
    host.start_ovs()
    host.configure_libvirtd()
    host.install_hook()
    host.start_libvirtd()
    host.configure_dvsd()
    host.start_dvsd()


def dump(host):
    print("---- ip link\n" + run("ip", "-br", "link", check_rc=False).stdout)
    print("---- ovs-vsctl show\n" + run("ovs-vsctl", "show", check_rc=False).stdout)
    for name in ("dvsd.log", "libvirtd.err"):
        path = os.path.join(host.work, name)
        if os.path.exists(path):
            with open(path) as f:
                print(f"---- {name}\n{f.read()[-6000:]}")
    if os.path.exists("/var/log/libvirt/libvirtd.log"):
        with open("/var/log/libvirt/libvirtd.log") as f:
            lines = [l for l in f if "hook" in l.lower() or "error" in l.lower()]
        print("---- libvirtd.log (hooks, errors)\n" + "".join(lines[-60:]))


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    require_root("private mount and network namespaces, libvirtd, OVS")
    require_programs("unshare", "libvirtd", "virsh", "qemu-system-x86_64", "ovsdb-server",
                     "ovs-vswitchd", "ovs-vsctl")
    if not os.path.exists("/dev/net/tun"):
        skip("no /dev/net/tun: QEMU cannot get a tap device")
    # Re-run in private mount and network namespaces: the host is not touched.
    enter_private_netns(mounts=True)
    host = Host(*sys.argv[1:])
    try:
        try:
            setup(host)
        except BaseException:
            dump(host)
            raise
        return cases.run(host, on_failure=lambda name, exc: dump(host))
    finally:
        host.teardown()
        shutil.rmtree(host.work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
