# SPDX-License-Identifier: LGPL-2.1-or-later
"""The dataplane tests' world: a private Open vSwitch (ovsdb-server and ovs-vswitchd with the
userspace datapath), dvsd configured to program it, and "guests" that are network namespaces
with a veth pair whose host end is plugged into a bridge.

Each test re-runs itself in a private network namespace (unshare -n), so bridges, veths and the
tap devices of netdev bridges never touch the host; each guest is a process in a network
namespace of its own, gone (with its veth) when the process ends.

Every wait polls a condition with a deadline; nothing sleeps for a fixed time.
"""

import os
import re
import shutil
import subprocess
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "rpc"))
from dvsd_harness import Dvsd, check, fail, skip, temp_root, virsh_ok, wait_for  # noqa: E402,F401

DATAPLANE_NS_ENV = "DVS_DATAPLANE_NETNS"
# Pings: one echo request with a one-second reply timeout, a few tries while OVS learns.
PING_TRIES = 5


def run(*cmd, check_rc=True, env=None, timeout=30):
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env,
                       timeout=timeout)
    if check_rc and p.returncode != 0:
        fail(f"{' '.join(str(c) for c in cmd)} failed ({p.returncode}): {p.stderr.strip()}")
    return p


def enter_private_netns():
    """Re-runs the calling script in a private network namespace (once) and exits with its
    status; returns in the re-run copy. Skips when that is impossible."""
    if os.environ.get(DATAPLANE_NS_ENV) == "1":
        return
    if os.geteuid() != 0:
        skip("the dataplane tests need root (network namespaces, veth pairs)")
    missing = [p for p in ("unshare", "nsenter", "ip", "ping", "ethtool", "ovsdb-server",
                           "ovs-vswitchd", "ovs-vsctl", "ovs-appctl", "ovsdb-tool", "virsh")
               if shutil.which(p) is None]
    if missing:
        skip(f"missing programs: {', '.join(missing)}")
    try:
        import libvirt  # noqa: F401
    except ImportError:
        skip("python3-libvirt is missing (run the tests with /usr/bin/python3)")
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        skip(f"cannot create a network namespace: {probe.stderr.strip()}")
    env = dict(os.environ, **{DATAPLANE_NS_ENV: "1"})
    p = subprocess.run(["unshare", "-n", sys.executable, *sys.argv], env=env)
    sys.exit(p.returncode)


class OvsSandbox:
    """ovsdb-server and ovs-vswitchd in a temporary folder, as tests/support/ovs_sandbox does."""

    def __init__(self, root):
        self.dir = os.path.join(root, "ovs")
        os.makedirs(self.dir)
        self.db = os.path.join(self.dir, "conf.db")
        self.sock = os.path.join(self.dir, "db.sock")
        self.env = dict(os.environ, OVS_RUNDIR=self.dir, OVS_LOGDIR=self.dir,
                        OVS_DBDIR=self.dir, OVS_SYSCONFDIR=self.dir)
        self.procs = []
        schema = os.environ.get("DVS_VSWITCH_SCHEMA") or "/usr/share/openvswitch/vswitch.ovsschema"
        run("ovsdb-tool", "create", self.db, schema)
        self.server = self.start_server()
        self.vsctl("--no-wait", "init")
        self.vswitchd_ctl = self.path("ovs-vswitchd.ctl")
        self._spawn(["ovs-vswitchd", "unix:" + self.sock,
                     "--pidfile=" + self.path("ovs-vswitchd.pid"),
                     "--log-file=" + self.path("ovs-vswitchd.log"),
                     "--unixctl=" + self.vswitchd_ctl, "--no-chdir"],
                    self.vswitchd_ctl)

    def start_server(self):
        """Starts ovsdb-server on the database file (again, after kill_server)."""
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.server = self._spawn(["ovsdb-server", self.db, "--remote=punix:" + self.sock,
                                   "--remote=db:Open_vSwitch,Open_vSwitch,manager_options",
                                   "--pidfile=" + self.path("ovsdb-server.pid"),
                                   "--log-file=" + self.path("ovsdb-server.log"),
                                   "--unixctl=" + self.path("ovsdb-server.ctl"), "--no-chdir"],
                                  self.sock)
        return self.server

    def kill_server(self):
        """SIGKILL to ovsdb-server, as a crash."""
        self.server.kill()
        self.server.wait()
        self.procs.remove(self.server)

    def path(self, name):
        return os.path.join(self.dir, name)

    @property
    def remote(self):
        return "unix:" + self.sock

    def _spawn(self, argv, socket_path):
        out = open(self.path("daemons.out"), "a")
        proc = subprocess.Popen(argv, stdout=out, stderr=out, env=self.env, cwd=self.dir)
        out.close()
        self.procs.append(proc)

        def listening():
            if proc.poll() is not None:
                fail(f"{argv[0]} exited with {proc.returncode}: {self.daemons_out()}")
            return os.path.exists(socket_path)

        wait_for(listening, f"{argv[0]} to listen")
        return proc

    def daemons_out(self):
        try:
            with open(self.path("daemons.out")) as f:
                return f.read()
        except OSError:
            return ""

    def vsctl(self, *args, check_rc=True):
        """ovs-vsctl against the sandbox; waits for ovs-vswitchd unless --no-wait is given."""
        p = run("ovs-vsctl", "--db=" + self.remote, "--timeout=10", *args, check_rc=check_rc,
                env=self.env)
        return p.stdout.strip() if check_rc else p

    def appctl(self, *args):
        return run("ovs-appctl", "-t", self.vswitchd_ctl, *args, env=self.env).stdout

    def get(self, table, record, column):
        """A column's value as ovs-vsctl prints it, without quotes around strings."""
        value = self.vsctl("--no-wait", "--if-exists", "get", table, record, column)
        return value[1:-1] if value.startswith('"') and value.endswith('"') else value

    def find(self, table, *conditions, columns="_uuid"):
        """The matching rows' columns, one string per row."""
        out = self.vsctl("--no-wait", "--format=csv", "--no-headings", "--columns=" + columns,
                         "find", table, *conditions)
        return [line for line in out.splitlines() if line]

    def wait_until(self, table, record, *conditions, timeout=15):
        """ovs-vsctl wait-until: blocks until the record matches (dvsd works asynchronously)."""
        p = run("ovs-vsctl", "--db=" + self.remote, f"--timeout={timeout}", "--no-wait",
                "wait-until", table, record, *conditions, check_rc=False, env=self.env,
                timeout=timeout + 5)
        if p.returncode != 0:
            fail(f"{table} {record} never got {' '.join(conditions)}: "
                 f"{self.vsctl('--no-wait', '--if-exists', 'list', table, record)}")

    def cleanup(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.procs = []


class Guest:
    """A guest: a process in a network namespace of its own with one veth pair, the guest end
    inside with an address, the host end (ifname) outside, up, ready to be plugged."""

    def __init__(self, name, address, ifname):
        self.name = name
        self.address = address
        self.ifname = ifname
        self.proc = subprocess.Popen(["unshare", "-n", "sleep", "600"])
        self.pid = self.proc.pid
        # The namespace exists once the process runs sleep (unshare execs it after unsharing).
        wait_for(lambda: os.readlink(f"/proc/{self.pid}/exe").endswith("sleep"),
                 f"guest {name}'s namespace")
        inner = ifname + "g"
        run("ip", "link", "add", ifname, "type", "veth", "peer", "name", inner)
        run("ip", "link", "set", inner, "netns", str(self.pid))
        self.sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1"
                f" && ip link set lo up && ip link set {inner} name eth0"
                f" && ip addr add {address}/24 dev eth0 && ip link set eth0 up"
                # The userspace datapath forwards packets with the checksum the veth left
                # undone: compute it in the guest instead.
                " && ethtool -K eth0 tx off >/dev/null")
        run("ip", "link", "set", ifname, "up")
        self.mac = self.sh("cat /sys/class/net/eth0/address").stdout.strip()

    def sh(self, command, check_rc=True):
        return run("nsenter", "-t", str(self.pid), "-n", "sh", "-c", command, check_rc=check_rc)

    def ping_once(self, other):
        return self.sh(f"ping -n -q -c 1 -W 1 {other.address}", check_rc=False).returncode == 0

    def reaches(self, other, tries=PING_TRIES):
        """True as soon as one ping gets its reply (OVS may still be learning at first)."""
        return any(self.ping_once(other) for _ in range(tries))

    def isolated_from(self, other):
        """True when two pings in a row get no reply."""
        return not self.ping_once(other) and not self.ping_once(other)

    def ping_stream(self, other, count, interval=0.02):
        """Starts count pings, one every interval seconds, in the background."""
        return PingStream(self, other, count, interval)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class PingStream:
    """ping in the background; counts the replies as they come."""

    def __init__(self, guest, other, count, interval):
        self.proc = subprocess.Popen(
            ["nsenter", "-t", str(guest.pid), "-n", "ping", "-n", "-c", str(count), "-i",
             str(interval), "-W", "1", other.address],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.output = b""
        os.set_blocking(self.proc.stdout.fileno(), False)

    def _read(self):
        while True:
            try:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
            except BlockingIOError:
                return
            if not chunk:
                return
            self.output += chunk

    def replies(self):
        self._read()
        return self.output.count(b"bytes from")

    def finish(self):
        """Waits for the last ping; returns (sent, received)."""
        self.proc.wait(timeout=60)
        self._read()
        text = self.output.decode(errors="replace")
        m = re.search(r"(\d+) packets transmitted, (\d+) received", text)
        if not m:
            fail(f"ping printed no summary: {text[-300:]}")
        return int(m.group(1)), int(m.group(2))


def veth_pair(a, b):
    run("ip", "link", "add", a, "type", "veth", "peer", "name", b)
    run("ip", "link", "set", a, "up")
    run("ip", "link", "set", b, "up")


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
            self.ovs = OvsSandbox(self.root)
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

    deadline = time.monotonic() + timeout
    while not matches():
        if time.monotonic() > deadline:
            fail(f"{what}: bond/show {bond} never matched {pattern!r}:\n{found.get('text')}")
        time.sleep(0.1)  # A poll interval; the loop re-checks the condition.
    return found["text"]


def active_member(ovs, bond):
    """The bond's active member as ovs-vswitchd reports it, or None."""
    text = ovs.appctl("bond/show", bond)
    m = re.search(r"^active[- ](?:member|slave) mac: \S*\((\S+)\)", text, re.M)
    return m.group(1) if m else None
