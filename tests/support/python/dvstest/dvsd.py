# SPDX-License-Identifier: LGPL-2.1-or-later
"""A real dvsd on a private --root with its dvsd.conf, optionally inside a network namespace,
and the clients that drive it: virsh, libvirt's client library, dvsctl."""

import os
import signal as _signal
import subprocess

from .core import DEADLINE, fail, read_text, run, temp_root
from .ovs import OvsSandbox, ovs_missing
from .process import Daemon, unix_socket_accepts


def config_text(sections):
    """dvsd.conf text from {"section": {"key": value}} (values None are left out)."""
    out = []
    for section, keys in sections.items():
        out.append(f"[{section}]")
        out += [f"{k}={v}" for k, v in keys.items() if v is not None]
        out.append("")
    return "\n".join(out)


class Dvsd:
    """dvsd --root ROOT [--config ROOT/dvsd.conf].

    config_text: dvsd.conf's text (a dict of sections is formatted with config_text()).
    ovsdb: start a private ovsdb-server (no ovs-vswitchd) at ROOT/run/openvswitch/db.sock, the
    socket dvsd uses under --root by default, so OVS networks start there.
    netns: run dvsd inside that Netns. extra_args: more dvsd arguments (--verbose)."""

    def __init__(self, binary, root=None, config_text=None, ovsdb=True, netns=None,
                 extra_args=(), name="dvsd"):
        self.binary = binary
        self.root = root or temp_root("dvs-rpc-")
        self.own_root = root is None
        os.makedirs(self.root, exist_ok=True)
        self.netns = netns
        self.name = name
        self.extra_args = list(extra_args)
        # A command that runs dvsd (systemd-socket-activate ...).
        self.wrapper = []
        self.env = None
        self.daemon = None
        self.log_path = os.path.join(self.root, "dvsd.log")
        self.ovsdb = None
        if ovsdb and ovs_missing(vswitchd=False) is None:
            self.ovsdb = OvsSandbox(folder=os.path.join(self.root, "run/openvswitch"),
                                    vswitchd=False)
        self.config = None
        if config_text is not None:
            self.write_config(config_text)
        self.sock = os.path.join(self.root, "run/libvirt/virtnetworkd-sock")
        self.sock_ro = self.sock + "-ro"

    def write_config(self, text):
        """(Re)writes dvsd.conf; takes effect at the next start."""
        if isinstance(text, dict):
            text = config_text(text)
        self.config = os.path.join(self.root, "dvsd.conf")
        with open(self.config, "w") as f:
            f.write(text)

    @property
    def proc(self):
        return self.daemon.proc if self.daemon is not None else None

    @property
    def pid(self):
        return self.daemon.pid if self.daemon is not None else None

    def uri(self, ro_socket=False):
        return "network:///system?socket=" + (self.sock_ro if ro_socket else self.sock)

    def args(self):
        args = self.wrapper + [self.binary, "--root", self.root]
        if self.config:
            args += ["--config", self.config]
        return args + self.extra_args

    def start(self, timeout=DEADLINE):
        """Starts dvsd and waits until both of its sockets accept connections."""
        self.daemon = Daemon(self.args(), self.log_path, env=self.env, netns=self.netns,
                             name=self.name)
        rw, ro = unix_socket_accepts(self.sock), unix_socket_accepts(self.sock_ro)
        self.daemon.start(ready=lambda: rw() and ro(), timeout=timeout)
        return self

    def running(self):
        return self.daemon is not None and self.daemon.running()

    def log(self, tail=None):
        return read_text(self.log_path, tail)

    def log_size(self):
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def log_since(self, offset):
        return self.log()[offset:]

    def signal(self, sig):
        self.daemon.signal(sig)

    def kill(self, sig=_signal.SIGKILL):
        """A crash: sig (SIGKILL) and wait."""
        if self.daemon is not None:
            self.daemon.kill(sig)
            self.daemon = None

    def stop(self, expect_rc=0):
        """SIGTERM; fails when dvsd does not exit in time or exits with another status than
        expect_rc (None: any)."""
        if self.daemon is None:
            return None
        rc = self.daemon.stop()
        self.daemon = None
        if rc is None:
            fail(f"{self.name} did not stop on SIGTERM:\n{self.log(4000)}")
        if expect_rc is not None and rc != expect_rc:
            fail(f"{self.name} exited with {rc} on SIGTERM, want {expect_rc}:\n{self.log(4000)}")
        return rc

    def restart(self):
        self.stop()
        return self.start()

    def cleanup(self):
        if self.daemon is not None:
            self.daemon.kill()
            self.daemon = None
        if self.ovsdb is not None:
            self.ovsdb.stop()
        if self.own_root:
            import shutil

            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if kind is not None and (kind is not SystemExit or value.code not in (0, None)):
            print(f"---- {self.name} log ----")
            print(self.log(20000))
        self.cleanup()
        return False

    # ---- clients

    def virsh(self, *args, ro_socket=False, readonly=False):
        return virsh(self, *args, ro_socket=ro_socket, readonly=readonly)

    def virsh_ok(self, *args, **kw):
        return virsh_ok(self, *args, **kw)

    def open(self, readonly=False):
        """A libvirt connection (python3-libvirt) to this dvsd."""
        import libvirt

        return (libvirt.openReadOnly if readonly else libvirt.open)(self.uri(readonly))


def client_env(root):
    """A client's environment with its own HOME under root (virsh writes its history there)."""
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
    cmd += ["-c", daemon.uri(ro_socket or readonly)] + [str(a) for a in args]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=client_env(daemon.root),
                           timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        fail(f"virsh {' '.join(cmd[3:])} did not finish within {DEADLINE} s")
    return p.returncode, p.stdout, p.stderr


def virsh_ok(daemon, *args, **kw):
    rc, out, err = virsh(daemon, *args, **kw)
    if rc != 0:
        fail(f"virsh {' '.join(str(a) for a in args)} failed ({rc}): {err.strip()}")
    return out


class Dvsctl:
    """dvsctl with fixed leading options (--root, --db ...)."""

    def __init__(self, binary, *options, env=None):
        self.binary = binary
        self.options = list(options)
        self.env = env

    def __call__(self, *args, check_rc=True, timeout=60, input=None):
        """Runs `dvsctl COMMAND OPTIONS ARGS`: the command's first word stays first. Returns the
        CompletedProcess; fails with stderr when check_rc and it exits non-zero."""
        args = [str(a) for a in args]
        argv = [self.binary, *args[:1], *self.options, *args[1:]]
        return run(*argv, check_rc=check_rc, env=self.env, timeout=timeout, input=input)

    def out(self, *args, **kw):
        return self(*args, **kw).stdout
