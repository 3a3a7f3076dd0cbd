# SPDX-License-Identifier: LGPL-2.1-or-later
"""A distributed switch's world on one machine, with the real parts:

- the management database: ovsdb-server for the DVS schema, a 3-server Raft cluster (or one
  standalone server), in a namespace "db" whose Linux bridge "mgmt" (10.99.0.1/24) joins one veth
  per host, so a host is cut off from the database by downing its link there;
- a namespace "fabric" whose Linux bridge "phys" is the physical switch: it joins every host's
  uplink veth (eth1 in the host) and forwards tagged frames as they are;
- hosts, each in a namespace of its own with its own ovsdb-server and ovs-vswitchd (userspace
  datapath), and dvsd (run inside the namespace) whose dvsd.conf names the database over tcp
  and the host's name ([management] remote=, host=);
- guests: namespaces with a veth whose host end is in a host's namespace, on a port created as
  virtqemud creates it (libvirt's client library) and plugged with `dvsctl port-plug`;
- rollout controllers (dvs-controller, active/standby) when the build has them.

Administrators (dvsctl switch-*, host-*, wait, ...) reach the database over its unix sockets.
Everything lives in one temporary folder and in namespaces held by processes that die with the
test; Fabric.cleanup() stops it all, on every exit path.
"""

import os
import shutil
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support",
                                "python"))
import dvstest as t  # noqa: E402
from dvstest import xmlbuild  # noqa: E402

DB_ADDRESS = "10.99.0.1"
DB_BASE_PORT = 6641
UPLINK = "eth1"


def mgmt_schema():
    """The DVS schema of the source tree."""
    source = os.environ.get("DVS_SOURCE_ROOT",
                            os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    return os.path.join(source, "src", "mgmt", "dvs.ovsschema")


def missing_parts(dvsctl=None, controller=None):
    """Why the fabric cannot run on this machine (never because a feature of ours is missing:
    that is a failure), or None."""
    if os.geteuid() != 0:
        return "needs root (network namespaces, veth pairs, Linux bridges)"
    missing = [p for p in ("ip", "unshare", "ping", "ethtool", "sysctl", "ovsdb-server",
                           "ovs-vswitchd", "ovsdb-tool", "ovsdb-client", "ovs-vsctl",
                           "ovs-appctl", "virsh") if t.which(p) is None]
    if missing:
        return f"missing programs: {', '.join(missing)}"
    why = t.ovs_missing()
    if why:
        return why
    try:
        import libvirt  # noqa: F401
    except ImportError:
        return "python3-libvirt is missing (run the tests with /usr/bin/python3)"
    if not os.path.exists("/dev/net/tun"):
        return "no /dev/net/tun: ovs-vswitchd's userspace datapath needs taps"
    return None


class Host:
    """A hypervisor: its namespace, OVS and dvsd, the uplink eth1 on the fabric and mgmt0 on the
    management network."""

    def __init__(self, fabric, index, name, start=True):
        import libvirt

        self.libvirt = libvirt
        self.fabric = fabric
        self.index = index
        self.name = name
        self.dir = os.path.join(fabric.root, "hosts", name)
        os.makedirs(self.dir)
        self.ns = t.Netns(f"host {name}")
        self.ns.disable_ipv6()
        self.db_link = f"m-{name}"[:15]
        self.fabric_link = f"u-{name}"[:15]
        t.veth(self.ns, "mgmt0", fabric.db_ns, self.db_link)
        fabric.db_ns.enslave(self.db_link, "mgmt")
        self.address = f"10.99.0.{10 + index}"
        self.ns.add_address("mgmt0", self.address + "/24")
        t.veth(self.ns, UPLINK, fabric.fabric_ns, self.fabric_link)
        fabric.fabric_ns.enslave(self.fabric_link, "phys")
        self.ovs = t.OvsSandbox(folder=os.path.join(self.dir, "ovs"), netns=self.ns)
        self.dvsd = t.Dvsd(fabric.dvsd_binary, root=os.path.join(self.dir, "root"),
                           config_text=self.config(), ovsdb=False, netns=self.ns,
                           name=f"dvsd on {name}", extra_args=["--verbose"])
        # dvsd reads device facts and link states under ROOT/sys: this host's own sysfs.
        self.sysfs = None
        if t.netns.private_mounts():
            self.sysfs = os.path.join(self.dvsd.root, "sys")
            self.ns.mount_sysfs(self.sysfs)
        self.guests = []
        self._conn = None
        if start:
            self.dvsd.start()

    def config(self, remote=None):
        """dvsd.conf: the host's OVS, and the management database over tcp (unless the fabric
        runs without it)."""
        conf = {"ovs": {"remote": self.ovs.remote, "datapath-type": "netdev"}}
        if self.fabric.management:
            # A heartbeat every second: switch-status calls a host unreachable after a few
            # missed ones, and tests should not wait long for that.
            conf["management"] = {"remote": remote or self.fabric.host_remote(),
                                  "host": self.name, "heartbeat-interval": 1}
        return conf

    # ---- dvsd and its clients

    @property
    def conn(self):
        """A libvirt connection to this host's dvsd (reopened after a restart)."""
        if self._conn is None:
            self._conn = self.libvirt.open(self.dvsd.uri())
        return self._conn

    def close_conn(self):
        if self._conn is not None:
            try:
                self._conn.close()
            except self.libvirt.libvirtError:
                pass
            self._conn = None

    def restart_dvsd(self):
        self.close_conn()
        self.dvsd.restart()

    def virsh(self, *args):
        return self.dvsd.virsh(*args)

    def networks(self):
        """{name: active} of the networks dvsd has."""
        return {n.name(): bool(n.isActive()) for n in self.conn.listAllNetworks()}

    def has_network(self, name, active=True):
        nets = self.networks()
        return name in nets and (nets[name] or not active)

    def network_xml(self, name):
        return self.conn.networkLookupByName(name).XMLDesc(0)

    def dvsctl(self, *args, check_rc=True):
        """dvsctl against this host's dvsd (--root)."""
        return t.Dvsctl(self.fabric.dvsctl_binary, "--root", self.dvsd.root)(
            *args, check_rc=check_rc)

    # ---- the management link

    def cut_off(self):
        """The host loses the database: its link on the management bridge goes down."""
        self.fabric.db_ns.link_up(self.db_link, False)

    def reconnect(self):
        self.fabric.db_ns.link_up(self.db_link, True)

    # ---- guests

    def create_port(self, network, portgroup=None):
        """A port as virtqemud creates it (no plug): returns (uuid, resolved port XML)."""
        xml, port_uuid = xmlbuild.networkport(group=portgroup)
        port = self.conn.networkLookupByName(network).portCreateXML(xml, 0)
        return port_uuid, port.XMLDesc(0)

    def delete_port(self, network, port_uuid):
        self.conn.networkLookupByName(network).portLookupByUUIDString(port_uuid).delete()

    def guest(self, name, address, network, portgroup=None):
        """A guest on this host: a port on network (in portgroup), its veth plugged into it with
        `dvsctl port-plug`."""
        ifname = f"vg-{name}"[:15]
        port_uuid, port_xml = self.create_port(network, portgroup)
        g = t.Guest(name, address, ifname, host=self.ns)
        g.host_obj = self
        g.network = network
        g.port_uuid = port_uuid
        g.port_xml = port_xml
        self.guests.append(g)
        p = self.dvsctl("port-plug", network, port_uuid, ifname, check_rc=False)
        if p.returncode != 0 or p.stdout.strip() != ifname:
            t.fail(f"dvsctl port-plug {network} {port_uuid} {ifname} on {self.name}: "
                   f"{p.returncode} {p.stdout.strip()!r} {p.stderr.strip()!r}")
        return g

    def remove_guest(self, g):
        self.dvsctl("port-unplug", g.network, g.port_uuid, check_rc=False)
        try:
            self.delete_port(g.network, g.port_uuid)
        except self.libvirt.libvirtError:
            pass
        g.stop()
        self.guests.remove(g)

    def port_tag(self, ifname):
        return self.ovs.get("Port", ifname, "tag")

    def dvsd_writes(self):
        """Transactions dvsd committed to this host's OVS database so far."""
        log = t.run("ovsdb-tool", "show-log", self.ovs.db, env=self.ovs.env).stdout
        return log.count("dvsd: ")

    def diagnostics(self):
        out = [f"==== host {self.name}"]
        out.append("---- dvsd log (tail) ----\n" + self.dvsd.log(6000))
        p = self.ovs.vsctl("--no-wait", "show", check_rc=False)
        out.append("---- ovs-vsctl show ----\n" + (p.stdout if hasattr(p, "stdout") else p))
        return "\n".join(out)

    def cleanup(self):
        """Stops what the host started; also after a failure half-way through __init__."""
        if getattr(self, "_conn", None) is not None:
            self.close_conn()
        for g in getattr(self, "guests", []):
            g.stop()
        self.guests = []
        for part in ("dvsd", "ovs"):
            if getattr(self, part, None) is not None:
                getattr(self, part).cleanup()
        if getattr(self, "sysfs", None):
            self.ns.umount(self.sysfs)
            self.sysfs = None
        if getattr(self, "ns", None) is not None:
            self.ns.close()


class Fabric:
    """The database, the physical switch, hosts and controllers. hosts: names, started at once
    (more with add_host()). clustered: a 3-server Raft cluster, else one standalone server.
    management: False leaves [management] out of the hosts' dvsd.conf (single-host drivers)."""

    def __init__(self, dvsd_binary, dvsctl_binary, controller_binary=None, hosts=(),
                 clustered=True, controllers=2, schema=None, server_args=(), management=True):
        self.management = management
        self.dvsd_binary = dvsd_binary
        self.dvsctl_binary = dvsctl_binary
        self.controller_binary = controller_binary
        self.root = t.temp_root("dvs-fabric-")
        self.hosts = {}
        self.controllers = []
        self.cluster = None
        self.db_ns = self.fabric_ns = None
        try:
            self.db_ns = t.Netns("db")
            self.db_ns.disable_ipv6()
            self.db_ns.bridge("mgmt")
            self.db_ns.add_address("mgmt", DB_ADDRESS + "/24")
            self.fabric_ns = t.Netns("fabric")
            self.fabric_ns.disable_ipv6()
            self.fabric_ns.bridge("phys")
            self.cluster = t.OvsdbCluster(os.path.join(self.root, "db"), schema or mgmt_schema(),
                                          size=3 if clustered else 1, clustered=clustered,
                                          netns=self.db_ns, address=DB_ADDRESS,
                                          base_port=DB_BASE_PORT, server_args=server_args)
            t.wait_for(self.cluster.healthy, 60, "the database cluster to elect a leader")
            for name in hosts:
                self.add_host(name)
            for i in range(controllers if controller_binary else 0):
                self.start_controller(i)
        except BaseException:
            self.cleanup()
            raise

    # ---- the database

    def admin_remote(self):
        return self.cluster.admin_remote()

    def host_remote(self):
        return self.cluster.tcp_remote()

    def dvsctl(self, *args, check_rc=True, timeout=60):
        """dvsctl as an administrator (--db: the database's unix sockets)."""
        return t.Dvsctl(self.dvsctl_binary, "--db", self.admin_remote())(
            *args, check_rc=check_rc, timeout=timeout)

    def define_switch(self, xml, name):
        path = os.path.join(self.root, f"{name}.xml")
        with open(path, "w") as f:
            f.write(xml)
        return self.dvsctl("switch-define", path)

    def rows(self, table):
        return self.cluster.dump(table)

    def member_status(self, switch, host):
        for r in self.rows("Member_Status"):
            if r["switch"] == switch and r["host"] == host:
                return r
        return None

    def switch_row(self, name):
        for r in self.rows("Switch"):
            if r["name"] == name:
                return r
        return None

    def generation(self, switch):
        row = self.switch_row(switch)
        return row["generation"] if row else None

    # ---- hosts and controllers

    def add_host(self, name, start=True):
        host = Host.__new__(Host)
        try:
            host.__init__(self, len(self.hosts) + 1, name, start=start)
        except BaseException:
            host.cleanup()
            raise
        self.hosts[name] = host
        return host

    def start_controller(self, i):
        name = f"controller{i + 1}"
        d = t.Daemon([self.controller_binary, "--db", self.admin_remote(), "--id", name],
                     os.path.join(self.root, f"{name}.log"), name=name)
        d.start()
        self.controllers.append(d)
        return d

    # ---- diagnostics and cleanup

    def diagnostics(self):
        out = [h.diagnostics() for h in self.hosts.values()]
        for table in ("Member", "Member_Status", "Host_Status", "Rollout", "Rollout_Host"):
            try:
                out.append(f"---- {table} ----\n" + "\n".join(map(str, self.rows(table))))
            except Exception as e:  # noqa: BLE001 - diagnostics of a broken database
                out.append(f"---- {table}: {e}")
        for d in self.controllers:
            out.append(f"---- {d.name} log (tail) ----\n{d.log(3000)}")
        if self.cluster:
            out.append(self.cluster.logs())
        return "\n".join(out)

    def cleanup(self):
        for h in list(self.hosts.values()):
            h.cleanup()
        for d in self.controllers:
            d.stop(timeout=10)
        if self.cluster is not None:
            self.cluster.cleanup()
        for ns in (self.fabric_ns, self.db_ns):
            if ns is not None:
                ns.close()
        if self.db_ns is not None:
            # Nothing of the hosts' sysfs mounts may remain under the folder before it goes.
            for h in self.hosts.values():
                if h.sysfs:
                    h.ns.umount(h.sysfs)
        if os.environ.get("DVS_TEST_KEEP"):
            print(f"kept {self.root}")
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False


__all__ = ["Fabric", "Host", "missing_parts", "mgmt_schema", "signal"]


def run_cases(cases, doc, binaries, prepare=None, finish=None, **fabric_args):
    """The main() of a fabric test script: checks sys.argv holds the binaries (dvsd, dvsctl and
    possibly dvs-controller), skips when a part is missing, enters a private network namespace,
    brings the fabric up (Fabric(*argv, **fabric_args)) and runs the cases with a world whose
    .fabric is it. prepare(world) runs before the cases, finish(world) after them. Returns the
    exit status."""
    import time

    if len(sys.argv) != 1 + binaries:
        print(doc)
        return 2
    why = missing_parts()
    if why:
        t.skip(why)
    t.enter_private_netns(mounts=True)
    world = type("World", (), {})()
    start = time.monotonic()
    try:
        fabric = Fabric(*sys.argv[1:], **fabric_args)
    except t.TestFailure as e:
        print(f"FAIL: the fabric did not come up: {e}")
        return 1
    with fabric:
        world.fabric = fabric
        if prepare is not None:
            prepare(world)
        print(f"the fabric is up in {time.monotonic() - start:.1f} s", flush=True)
        try:
            return cases.run(world, on_failure=lambda name, exc: print(fabric.diagnostics()))
        finally:
            if finish is not None:
                finish(world)
