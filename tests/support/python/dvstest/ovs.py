# SPDX-License-Identifier: LGPL-2.1-or-later
"""Open vSwitch for tests: a private ovsdb-server (and ovs-vswitchd with the userspace datapath)
in a folder of the test's, optionally inside a network namespace; and an ovsdb-server Raft
cluster (or one standalone server) of any schema, for a management database.

Clients reach the servers over unix sockets in the folder, which work from any namespace.
"""

import json
import os
import re
import signal as _signal

from .core import fail, run, which
from .process import Daemon, free_tcp_port, unix_socket_accepts

VSWITCH_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"


def vswitch_schema():
    return os.environ.get("DVS_VSWITCH_SCHEMA") or VSWITCH_SCHEMA


def ovs_missing(vswitchd=True):
    """Why OVS cannot run here (a missing program or schema), or None."""
    programs = ["ovsdb-server", "ovsdb-tool", "ovs-vsctl", "ovs-appctl"]
    if vswitchd:
        programs.append("ovs-vswitchd")
    missing = [p for p in programs if which(p) is None]
    if missing:
        return f"missing programs: {', '.join(missing)}"
    if not os.path.exists(vswitch_schema()):
        return f"no vswitch schema at {vswitch_schema()}"
    return None


def ovs_env(folder):
    """OVS programs' environment: every default path inside folder."""
    env = dict(os.environ)
    for var in ("OVS_RUNDIR", "OVS_LOGDIR", "OVS_DBDIR", "OVS_SYSCONFDIR"):
        env[var] = folder
    return env


class OvsSandbox:
    """ovsdb-server (vswitch schema) on folder/db.sock and, with vswitchd, ovs-vswitchd, inside
    netns when given. folder is created; its default, ROOT/ovs, suits a test root.

    For a dvsd --root without an [ovs] remote, use folder=ROOT/run/openvswitch (dvsd's default
    socket under its root) and vswitchd=False."""

    def __init__(self, root=None, folder=None, vswitchd=True, netns=None, init=True,
                 schema=None, extra_remotes=()):
        self.dir = folder or os.path.join(root, "ovs")
        os.makedirs(self.dir, exist_ok=True)
        self.netns = netns
        self.db = os.path.join(self.dir, "conf.db")
        self.sock = os.path.join(self.dir, "db.sock")
        self.env = ovs_env(self.dir)
        self.schema = schema or vswitch_schema()
        self.extra_remotes = list(extra_remotes)
        self.server = None
        self.vswitchd = None
        self.vswitchd_ctl = self.path("ovs-vswitchd.ctl")
        if not os.path.exists(self.db):
            run("ovsdb-tool", "create", self.db, self.schema)
        try:
            self.start_server()
            if init:
                self.vsctl("--no-wait", "init")
            if vswitchd:
                self.start_vswitchd()
        except BaseException:
            self.cleanup()
            raise

    def path(self, name):
        return os.path.join(self.dir, name)

    @property
    def remote(self):
        return "unix:" + self.sock

    def start_server(self):
        """Starts ovsdb-server on the database file (again, after kill_server)."""
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        argv = ["ovsdb-server", self.db, "--remote=punix:" + self.sock,
                "--remote=db:Open_vSwitch,Open_vSwitch,manager_options",
                *[f"--remote={r}" for r in self.extra_remotes],
                "--pidfile=" + self.path("ovsdb-server.pid"),
                "--log-file=" + self.path("ovsdb-server.log"),
                "--unixctl=" + self.path("ovsdb-server.ctl"), "--no-chdir"]
        if not self.schema.endswith("vswitch.ovsschema"):
            argv.remove("--remote=db:Open_vSwitch,Open_vSwitch,manager_options")
        self.server = Daemon(argv, self.path("daemons.out"), env=self.env, netns=self.netns,
                             cwd=self.dir, name="ovsdb-server")
        self.server.start(ready=unix_socket_accepts(self.sock))
        return self.server

    def kill_server(self, sig=_signal.SIGKILL):
        """SIGKILL (by default) to ovsdb-server, as a crash."""
        self.server.kill(sig)

    def start_vswitchd(self):
        if os.path.exists(self.vswitchd_ctl):
            os.unlink(self.vswitchd_ctl)
        self.vswitchd = Daemon(
            ["ovs-vswitchd", self.remote, "--pidfile=" + self.path("ovs-vswitchd.pid"),
             "--log-file=" + self.path("ovs-vswitchd.log"), "--unixctl=" + self.vswitchd_ctl,
             "--no-chdir"],
            self.path("daemons.out"), env=self.env, netns=self.netns, cwd=self.dir,
            name="ovs-vswitchd")
        self.vswitchd.start(ready=unix_socket_accepts(self.vswitchd_ctl))
        return self.vswitchd

    def stop_vswitchd(self):
        if self.vswitchd is not None:
            self.vswitchd.stop()
            self.vswitchd = None

    def daemons_out(self):
        try:
            with open(self.path("daemons.out")) as f:
                return f.read()
        except OSError:
            return ""

    def vsctl(self, *args, check_rc=True, timeout=10):
        """ovs-vsctl against the sandbox: returns its output without the final newline, or the
        CompletedProcess when check_rc is False. Waits for ovs-vswitchd unless --no-wait is
        given or ovs-vswitchd does not run."""
        wait = [] if self.vswitchd is not None or "--no-wait" in args else ["--no-wait"]
        p = run("ovs-vsctl", "--db=" + self.remote, f"--timeout={timeout}", *wait, *args,
                check_rc=check_rc, env=self.env, timeout=timeout + 5)
        return p.stdout.strip() if check_rc else p

    def appctl(self, *args, target=None, check_rc=True):
        """ovs-appctl to ovs-vswitchd (or to target: a control socket path)."""
        p = run("ovs-appctl", "-t", target or self.vswitchd_ctl, *args, env=self.env,
                check_rc=check_rc)
        return p.stdout if check_rc else p

    def get(self, table, record, column):
        """A column's value as ovs-vsctl prints it, without quotes around strings; "" when the
        record does not exist."""
        value = self.vsctl("--no-wait", "--if-exists", "get", table, record, column)
        return value[1:-1] if value.startswith('"') and value.endswith('"') else value

    def find(self, table, *conditions, columns="_uuid"):
        """The matching rows' columns, one csv string per row."""
        out = self.vsctl("--no-wait", "--format=csv", "--no-headings", "--columns=" + columns,
                         "find", table, *conditions)
        return [line for line in out.splitlines() if line]

    def rows(self, table, columns=None):
        """Every row of table as a dict column -> value (ovs-vsctl's JSON, decoded: sets as
        lists, maps as dicts, uuids as strings)."""
        args = ["--no-wait", "--format=json", "list", table]
        if columns:
            args.insert(2, "--columns=" + ",".join(columns))
        data = json.loads(self.vsctl(*args) or '{"headings": [], "data": []}')
        return [dict(zip(data["headings"], (ovsdb_value(v) for v in row)))
                for row in data["data"]]

    def wait_until(self, table, record, *conditions, timeout=15):
        """ovs-vsctl wait-until: blocks until the record matches."""
        p = run("ovs-vsctl", "--db=" + self.remote, f"--timeout={timeout}", "--no-wait",
                "wait-until", table, record, *conditions, check_rc=False, env=self.env,
                timeout=timeout + 5)
        if p.returncode != 0:
            fail(f"{table} {record} never got {' '.join(conditions)}: "
                 f"{self.vsctl('--no-wait', '--if-exists', 'list', table, record)}")

    def transactions(self):
        """How many transactions ovsdb-server committed to the file so far (its log grows by one
        record per commit; `ovsdb-tool show-log`)."""
        out = run("ovsdb-tool", "show-log", self.db, env=self.env).stdout
        return len(re.findall(r"^record \d+:", out, re.M))

    def cleanup(self):
        for d in (self.vswitchd, self.server):
            if d is not None:
                d.stop(timeout=10)
        self.vswitchd = None
        self.server = None

    # dvsd_harness.Ovsdb's name for cleanup().
    stop = cleanup


def ovsdb_value(v):
    """ovsdb JSON (RFC 7047 <value>) to Python: ["set", [...]] -> list, ["map", [[k, v]]] ->
    dict, ["uuid", u] -> u."""
    if isinstance(v, list) and len(v) == 2 and isinstance(v[0], str):
        kind, body = v
        if kind == "set":
            return [ovsdb_value(x) for x in body]
        if kind == "map":
            return {ovsdb_value(k): ovsdb_value(x) for k, x in body}
        if kind in ("uuid", "named-uuid"):
            return body
    return v


class OvsdbCluster:
    """ovsdb-server for one database of schema: size servers in a Raft cluster (size 1 and
    clustered=False: one standalone server). Each server listens on a unix socket in folder
    (for administrators) and on tcp for hosts: inside netns when given, on every address of
    it and fixed ports from base_port (the namespace is private), clients using address;
    otherwise on address (127.0.0.1) and free ports. The cluster talks over tcp 127.0.0.1.

    server_args: extra ovsdb-server arguments for every server (SSL keys, --remote=db:...)."""

    def __init__(self, folder, schema, size=3, clustered=True, netns=None, address="127.0.0.1",
                 base_port=6640, server_args=()):
        self.dir = folder
        os.makedirs(self.dir, exist_ok=True)
        self.schema = schema
        self.netns = netns
        self.address = address
        self.clustered = clustered or size > 1
        self.server_args = list(server_args)
        self.env = ovs_env(self.dir)
        self.database = json.load(open(schema))["name"]
        self.servers = []
        for i in range(size):
            if netns is not None:
                client_port, raft_port = base_port + i, base_port + 100 + i
            else:
                client_port, raft_port = free_tcp_port(address), free_tcp_port()
            self.servers.append({
                "name": f"db{i + 1}",
                "db": self.path(f"db{i + 1}.db"),
                "sock": self.path(f"db{i + 1}.sock"),
                "ctl": self.path(f"db{i + 1}.ctl"),
                "port": client_port,
                "raft": f"tcp:127.0.0.1:{raft_port}",
                "daemon": None,
            })
        try:
            self._create()
            for i in range(size):
                self.start(i)
        except BaseException:
            self.cleanup()
            raise

    def path(self, name):
        return os.path.join(self.dir, name)

    def _create(self):
        first = self.servers[0]
        if not self.clustered:
            run("ovsdb-tool", "create", first["db"], self.schema, env=self.env)
            return
        run("ovsdb-tool", "create-cluster", first["db"], self.schema, first["raft"],
            env=self.env)
        for s in self.servers[1:]:
            run("ovsdb-tool", "join-cluster", s["db"], self.database, s["raft"], first["raft"],
                env=self.env)

    def start(self, i):
        s = self.servers[i]
        for stale in (s["sock"], s["ctl"]):
            if os.path.exists(stale):
                os.unlink(stale)
        argv = ["ovsdb-server", s["db"], "--remote=punix:" + s["sock"],
                f"--remote=ptcp:{s['port']}" + ("" if self.netns else f":{self.address}"),
                "--unixctl=" + s["ctl"], "--log-file=" + self.path(s["name"] + ".log"),
                "--pidfile=" + self.path(s["name"] + ".pid"), "--no-chdir",
                *self.server_args]
        s["daemon"] = Daemon(argv, self.path(s["name"] + ".out"), env=self.env, netns=self.netns,
                             cwd=self.dir, name=f"ovsdb-server {s['name']}")
        s["daemon"].start(ready=unix_socket_accepts(s["sock"]))
        return s["daemon"]

    def kill(self, i, sig=_signal.SIGKILL):
        """Sends sig (a crash by default) to server i and waits until it is gone."""
        d = self.servers[i]["daemon"]
        if d is not None:
            d.kill(sig)
        self.servers[i]["daemon"] = None

    def running(self, i):
        d = self.servers[i]["daemon"]
        return d is not None and d.running()

    def unix_remote(self, i=0):
        return "unix:" + self.servers[i]["sock"]

    def admin_remote(self):
        """Every server's unix socket, comma-separated (clients find the leader)."""
        return ",".join(self.unix_remote(i) for i in range(len(self.servers)))

    def tcp_remote(self, i=None, scheme="tcp"):
        """tcp:ADDRESS:PORT of server i, or of all servers comma-separated."""
        idx = range(len(self.servers)) if i is None else [i]
        return ",".join(f"{scheme}:{self.address}:{self.servers[j]['port']}" for j in idx)

    def appctl(self, i, *args, check_rc=True):
        p = run("ovs-appctl", "-t", self.servers[i]["ctl"], *args, env=self.env,
                check_rc=check_rc)
        return p.stdout if check_rc else p

    def status(self, i):
        """cluster/status of server i ("" when it does not answer)."""
        if not self.running(i):
            return ""
        p = self.appctl(i, "cluster/status", self.database, check_rc=False)
        return p.stdout if p.returncode == 0 else ""

    def leader(self):
        """The index of the server that says it is the leader, or None."""
        if not self.clustered:
            return 0
        for i in range(len(self.servers)):
            if "Role: leader" in self.status(i):
                return i
        return None

    def healthy(self):
        """A leader, and every running server a member that knows it."""
        leader = self.leader()
        if leader is None:
            return False
        if not self.clustered:
            return True
        return all("Leader: unknown" not in self.status(i) and "Status: cluster member"
                   in self.status(i) for i in range(len(self.servers)) if self.running(i))

    def client(self, command, *args, options=(), remote=None, check_rc=True, timeout=30):
        """ovsdb-client [options] command REMOTE args, against the cluster's unix sockets by
        default. Returns its output, or the CompletedProcess when check_rc is False."""
        p = run("ovsdb-client", *options, command, remote or self.admin_remote(), *args,
                env=self.env, check_rc=check_rc, timeout=timeout)
        return p.stdout if check_rc else p

    def transact(self, *operations, remote=None, options=(), check_rc=True):
        """One transaction of the given operations (dicts); returns the decoded reply list (fails
        when an operation failed), or the CompletedProcess when check_rc is False."""
        body = json.dumps([self.database, *operations])
        out = self.client("transact", body, remote=remote, options=options, check_rc=check_rc)
        if not check_rc:
            return out
        reply = json.loads(out)
        errors = [r for r in reply if isinstance(r, dict) and "error" in r]
        if errors:
            fail(f"transaction {body} failed: {errors}")
        return reply

    def dump(self, table, remote=None):
        """The rows of table as dicts (ovsdb-client dump, decoded)."""
        out = self.client("dump", self.database, table, options=["--format=json"],
                          remote=remote)
        data = json.loads(out)
        if isinstance(data, list):
            data = data[0]
        return [dict(zip(data["headings"], (ovsdb_value(v) for v in row)))
                for row in data["data"]]

    def logs(self, tail=3000):
        text = ""
        for s in self.servers:
            text += f"---- {s['name']}.log (tail) ----\n"
            try:
                with open(self.path(s["name"] + ".log")) as f:
                    text += f.read()[-tail:]
            except OSError:
                pass
        return text

    def cleanup(self):
        for s in self.servers:
            if s["daemon"] is not None:
                s["daemon"].stop(timeout=10)
                s["daemon"] = None
