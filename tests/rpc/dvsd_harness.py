# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs a real dvsd on a private --root for the integration tests, and drives real clients.

Every wait polls a condition with a deadline; nothing sleeps for a fixed time.
"""

import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

SKIP = 77
DEADLINE = 30.0

REMOTE_PROGRAM = 0x20008086
KEEPALIVE_PROGRAM = 0x6B656570
DVS_PROGRAM = 0x44565300


def skip(reason):
    print(f"SKIP: {reason}")
    sys.exit(SKIP)


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)
    print(f"ok: {message}")


def wait_for(condition, what, timeout=DEADLINE):
    """Polls condition() until it returns a true value or the deadline passes."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            fail(f"timed out waiting for {what}")
        # A poll interval, not a wait for an outcome: the loop re-checks the condition.
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def temp_root():
    """A temporary folder on tmpfs when there is one (fsync is free there)."""
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    return tempfile.mkdtemp(prefix="dvs-rpc-", dir=base)


class Ovsdb:
    """A private ovsdb-server with the vswitch schema at ROOT/run/openvswitch/db.sock: the
    socket dvsd uses under --root by default, so OVS networks start there. No ovs-vswitchd."""

    def __init__(self, root):
        self.dir = os.path.join(root, "run/openvswitch")
        self.sock = os.path.join(self.dir, "db.sock")
        self.remote = "unix:" + self.sock
        self.proc = None

    @staticmethod
    def schema():
        schema = os.environ.get("DVS_VSWITCH_SCHEMA", "/usr/share/openvswitch/vswitch.ovsschema")
        if shutil.which("ovsdb-server") and os.path.exists(schema):
            return schema
        return None

    def start(self):
        schema = Ovsdb.schema()
        if schema is None or self.proc is not None:
            return self
        try:  # one of an earlier Dvsd on the same root still runs
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(self.sock)
            s.close()
            return self
        except OSError:
            pass
        os.makedirs(self.dir, exist_ok=True)
        db = os.path.join(self.dir, "conf.db")
        if not os.path.exists(db):
            subprocess.run(["ovsdb-tool", "create", db, schema], check=True)
        log = os.path.join(self.dir, "ovsdb-server.log")
        self.proc = subprocess.Popen(
            ["ovsdb-server", db, "--remote=punix:" + self.sock,
             "--unixctl=" + os.path.join(self.dir, "ovsdb-server.ctl"), "--log-file=" + log,
             "--no-chdir"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env())

        def ready():
            if self.proc.poll() is not None:
                fail(f"ovsdb-server exited with {self.proc.returncode}")
            return os.path.exists(self.sock)

        wait_for(ready, "ovsdb-server's socket")
        self.vsctl("init")
        return self

    def env(self):
        env = dict(os.environ)
        for var in ("OVS_RUNDIR", "OVS_LOGDIR", "OVS_DBDIR", "OVS_SYSCONFDIR"):
            env[var] = self.dir
        return env

    def vsctl(self, *args):
        """Runs ovs-vsctl against the server and returns its output."""
        p = subprocess.run(["ovs-vsctl", "--db=" + self.remote, "--no-wait", "--timeout=10"]
                           + list(args), capture_output=True, text=True, env=self.env())
        if p.returncode != 0:
            fail(f"ovs-vsctl {' '.join(args)} failed: {p.stderr}")
        return p.stdout.strip()

    def stop(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


class Dvsd:
    def __init__(self, binary, root=None, config_text=None, ovsdb=True):
        self.binary = binary
        self.root = root or temp_root()
        self.own_root = root is None
        self.proc = None
        # OVS networks are programmed into a private ovsdb-server under the root.
        self.ovsdb = Ovsdb(self.root).start() if ovsdb else None
        # A command that runs dvsd (systemd-socket-activate ...).
        self.wrapper = []
        self.env = None
        self.log_path = os.path.join(self.root, "dvsd.log")
        self.config = None
        if config_text is not None:
            self.config = os.path.join(self.root, "dvsd.conf")
            with open(self.config, "w") as f:
                f.write(config_text)
        self.sock = os.path.join(self.root, "run/libvirt/virtnetworkd-sock")
        self.sock_ro = self.sock + "-ro"

    def uri(self, ro_socket=False):
        return "network:///system?socket=" + (self.sock_ro if ro_socket else self.sock)

    def args(self):
        args = self.wrapper + [self.binary, "--root", self.root]
        if self.config:
            args += ["--config", self.config]
        return args

    def start(self):
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(self.args(), stdout=log, stderr=log, env=self.env)
        log.close()

        def ready():
            if self.proc.poll() is not None:
                fail(f"dvsd exited with {self.proc.returncode}:\n{self.log()}")
            for path in (self.sock, self.sock_ro):
                try:
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    s.connect(path)
                    s.close()
                except OSError:
                    return False
            return True

        wait_for(ready, "dvsd's sockets")
        return self

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, expect_rc=0):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            fail(f"dvsd did not stop on SIGTERM:\n{self.log()}")
        self.proc = None
        if expect_rc is not None and rc != expect_rc:
            fail(f"dvsd exited with {rc} on SIGTERM, want {expect_rc}:\n{self.log()}")
        return rc

    def restart(self):
        self.stop()
        return self.start()

    def cleanup(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
        if self.ovsdb is not None:
            self.ovsdb.stop()
        if self.own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None and exc[0] is not SystemExit:
            print(self.log())
        elif exc[0] is SystemExit and exc[1].code not in (0, None):
            print("---- dvsd log ----")
            print(self.log())
        self.cleanup()
        return False


def client_env(root):
    env = dict(os.environ)
    home = os.path.join(root, "client-home")
    os.makedirs(home, exist_ok=True)
    env.update({
        "HOME": home,
        "XDG_CONFIG_HOME": os.path.join(home, ".config"),
        "XDG_CACHE_HOME": os.path.join(home, ".cache"),
        "XDG_RUNTIME_DIR": home,
        "LIBVIRT_AUTOSTART": "0",
        "LC_ALL": "C",
    })
    env.pop("LIBVIRT_DEFAULT_URI", None)
    return env


def virsh(daemon, *args, ro_socket=False, readonly=False):
    """Runs virsh against daemon; returns (rc, stdout, stderr)."""
    cmd = ["virsh"]
    if readonly:
        cmd.append("-r")
    cmd += ["-c", daemon.uri(ro_socket or readonly)] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, env=client_env(daemon.root),
                       timeout=DEADLINE)
    return p.returncode, p.stdout, p.stderr


def virsh_ok(daemon, *args, **kw):
    rc, out, err = virsh(daemon, *args, **kw)
    if rc != 0:
        fail(f"virsh {' '.join(args)} failed ({rc}): {err.strip()}")
    return out


# ---- Raw wire access, for fault injection (a scripted peer, never a stand-in for a client).

def pack_message(prog, vers, proc, mtype, serial, status=0, payload=b""):
    return struct.pack(">IIIiiII", 28 + len(payload), prog, vers, proc, mtype, serial,
                       status) + payload


def xdr_string(text):
    data = text.encode()
    return struct.pack(">I", len(data)) + data + b"\0" * ((4 - len(data) % 4) % 4)


class RawClient:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.sock.settimeout(DEADLINE)
        self.buf = b""
        self.serial = 0

    def send(self, data):
        self.sock.sendall(data)

    def call(self, proc, payload=b"", prog=REMOTE_PROGRAM, vers=1):
        serial = self.serial
        self.serial += 1
        self.send(pack_message(prog, vers, proc, 0, serial, 0, payload))
        while True:
            msg = self.receive()
            if msg is None:
                fail(f"connection closed waiting for the reply to {proc}")
            if msg["prog"] == KEEPALIVE_PROGRAM:
                continue
            if msg["type"] == 1 and msg["serial"] == serial:
                return msg

    def receive(self):
        """The next message, or None once the server closed the connection."""
        while True:
            if len(self.buf) >= 4:
                (length,) = struct.unpack(">I", self.buf[:4])
                if len(self.buf) >= length:
                    frame, self.buf = self.buf[:length], self.buf[length:]
                    _, prog, vers, proc, mtype, serial, status = struct.unpack(">IIIiiII",
                                                                               frame[:28])
                    return {"prog": prog, "vers": vers, "proc": proc, "type": mtype,
                            "serial": serial, "status": status, "payload": frame[28:]}
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                data = b""
            if not data:
                return None
            self.buf += data

    def closed_by_server(self):
        """True once the server has closed this connection (reads until EOF)."""
        while True:
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                return True
            except socket.timeout:
                return False
            if not data:
                return True

    def close(self):
        self.sock.close()


def decode_error(payload):
    """code, domain, message of a remote_error payload."""
    code, domain, present = struct.unpack(">iiI", payload[:12])
    message = None
    if present:
        (length,) = struct.unpack(">I", payload[12:16])
        message = payload[16:16 + length].decode()
    return code, domain, message


def handshake(client, readonly=False):
    client.call(66)                                   # AUTH_LIST
    client.call(60, struct.pack(">i", 10))            # SUPPORTS_FEATURE(PROGRAM_KEEPALIVE)
    reply = client.call(1, struct.pack(">I", 1) + xdr_string("network:///system") +
                        struct.pack(">I", 1 if readonly else 0))
    if reply["status"] != 0:
        fail(f"CONNECT_OPEN failed: {decode_error(reply['payload'])}")
