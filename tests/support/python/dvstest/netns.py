# SPDX-License-Identifier: LGPL-2.1-or-later
"""Network namespaces held by a process (no names under /run/netns: nothing global), veth pairs
between them, and the re-run of a test in a private network namespace.

A Netns is a `sleep` process that unshared its network namespace; it dies with the test (parent
death signal), and the namespace with every device in it goes with it. Programs run inside it
through Netns.run() / Netns.popen() (setns in the child before exec).
"""

import ctypes
import os
import signal
import subprocess
import sys

from .core import require_programs, require_root, run, skip

CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1

_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent():
    """In a child before exec: SIGKILL when the test process dies, however it dies."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _check(rc, what):
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _setns(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        _check(_libc.setns(fd, CLONE_NEWNET), f"setns {path}")
    finally:
        os.close(fd)


def _unshare_net():
    _check(_libc.unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)")


class Netns:
    """A network namespace of its own, with lo up. name is for messages only."""

    def __init__(self, name):
        self.name = name

        def child():
            die_with_parent()
            _unshare_net()

        self.proc = subprocess.Popen(["sleep", "infinity"], preexec_fn=child,
                                     stdin=subprocess.DEVNULL)
        self.pid = self.proc.pid
        self.path = f"/proc/{self.pid}/ns/net"
        self.run("ip", "link", "set", "lo", "up")

    def enter(self):
        """preexec_fn for a child that must run inside the namespace."""
        die_with_parent()
        _setns(self.path)

    def run(self, *cmd, **kw):
        """core.run() inside the namespace."""
        return run(*cmd, preexec_fn=self.enter, **kw)

    def popen(self, argv, **kw):
        return subprocess.Popen([str(a) for a in argv], preexec_fn=self.enter, **kw)

    def sh(self, command, check_rc=True):
        return self.run("sh", "-c", command, check_rc=check_rc)

    def ip(self, *args, check_rc=True):
        return self.run("ip", *args, check_rc=check_rc)

    def link_up(self, ifname, up=True):
        self.ip("link", "set", ifname, "up" if up else "down")

    def add_address(self, ifname, cidr):
        self.ip("addr", "add", cidr, "dev", ifname)

    def has_link(self, ifname):
        return self.ip("link", "show", ifname, check_rc=False).returncode == 0

    def link_operstate(self, ifname):
        p = self.ip("-o", "link", "show", ifname, check_rc=False)
        if p.returncode != 0:
            return None
        words = p.stdout.split()
        return words[words.index("state") + 1] if "state" in words else None

    def bridge(self, name, *members):
        """A Linux bridge (the physical switch of a fabric): forwards tagged frames as they are."""
        self.ip("link", "add", name, "type", "bridge", "stp_state", "0", "forward_delay", "0")
        self.link_up(name)
        for m in members:
            self.enslave(m, name)

    def enslave(self, ifname, bridge):
        self.ip("link", "set", ifname, "master", bridge)
        self.link_up(ifname)

    def disable_ipv6(self):
        """No router solicitations or DAD on the namespace's links."""
        self.run("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                 "net.ipv6.conf.default.disable_ipv6=1")

    def mount_sysfs(self, path):
        """Mounts a sysfs at path that shows this namespace's network devices (class/net), for a
        daemon whose --root has its own sys/. Only in a private mount namespace (see
        enter_private_netns(mounts=True)); undo with umount()."""
        os.makedirs(path, exist_ok=True)
        self.run("mount", "-t", "sysfs", "sysfs", path)

    def umount(self, path):
        self.run("umount", "-l", path, check_rc=False)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def __repr__(self):
        return f"Netns({self.name}, pid {self.pid})"


def veth(ns_a, name_a, ns_b, name_b, up=True):
    """A veth pair: name_a in ns_a, name_b in ns_b (None: the test's own namespace). Both up."""
    create = ns_a.run if ns_a is not None else run
    peer = ["netns", str(ns_b.pid)] if ns_b is not None else []
    if ns_b is None and ns_a is not None:
        # The peer must land in the test's namespace: create it here and move the other end.
        run("ip", "link", "add", name_b, "type", "veth", "peer", "name", name_a,
            "netns", str(ns_a.pid))
    else:
        create("ip", "link", "add", name_a, "type", "veth", "peer", "name", name_b, *peer)
    if up:
        for ns, name in ((ns_a, name_a), (ns_b, name_b)):
            (ns.run if ns is not None else run)("ip", "link", "set", name, "up")


def veth_pair(a, b):
    """Both ends in the test's own namespace, up (tests/dataplane's helper)."""
    veth(None, a, None, b)


def enter_private_netns(marker="DVS_TEST_PRIVATE_NETNS", programs=(), mounts=False):
    """Re-runs the calling script (same interpreter and arguments) in a private network namespace
    (and, with mounts, a private mount namespace: mounts the test makes vanish with it) and exits
    with its status; returns in the re-run copy. Skips, saying why, without root, without one of
    programs, or when namespaces cannot be created."""
    if os.environ.get(marker) == "1":
        return
    require_root("network namespaces, veth pairs")
    require_programs("unshare", "ip", *programs)
    unshare = ["unshare", "-n"] + (["-m", "--propagation", "private"] if mounts else [])
    probe = subprocess.run(unshare + ["true"], capture_output=True, text=True)
    if probe.returncode != 0:
        skip(f"cannot create a network namespace: {probe.stderr.strip()}")
    env = dict(os.environ, **{marker: "1"})
    if mounts:
        env[PRIVATE_MOUNTS] = "1"
    env["PATH"] = env.get("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin"
    p = subprocess.run(unshare + [sys.executable, *sys.argv], env=env)
    sys.exit(p.returncode)


# Set in a test that enter_private_netns(mounts=True) re-ran in a private mount namespace.
PRIVATE_MOUNTS = "DVS_TEST_PRIVATE_MOUNTS"


def private_mounts():
    return os.environ.get(PRIVATE_MOUNTS) == "1"
