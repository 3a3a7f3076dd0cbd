# SPDX-License-Identifier: LGPL-2.1-or-later
"""Guests: a network namespace of its own with one veth pair, the guest end inside as eth0 with
an address, the host end (ifname) outside, up, ready to be plugged into a bridge (with
`dvsctl port-plug`, or as libvirt plugs a tap). Pings between guests, one-shot or streamed."""

import re
import subprocess

from .core import fail
from .netns import Netns, veth

# One echo request with a one-second reply timeout, a few tries while OVS learns.
PING_TRIES = 5


class Guest:
    """host: the Netns the host end goes to (None: the test's own namespace)."""

    def __init__(self, name, address, ifname, host=None, prefix=24, mtu=None):
        self.name = name
        self.address = address
        self.ifname = ifname
        self.host = host
        self.ns = Netns(f"guest {name}")
        self.pid = self.ns.pid
        self.proc = self.ns.proc
        veth(host, ifname, self.ns, "eth0", up=False)
        mtu_cmd = f" && ip link set eth0 mtu {mtu}" if mtu else ""
        self.sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1"
                f" && ip addr add {address}/{prefix} dev eth0{mtu_cmd} && ip link set eth0 up"
                # The userspace datapath forwards packets with the checksum the veth left
                # undone: compute it in the guest instead.
                " && ethtool -K eth0 tx off >/dev/null")
        (host.run if host is not None else _run_here)("ip", "link", "set", ifname, "up")
        self.mac = self.sh("cat /sys/class/net/eth0/address").stdout.strip()

    def sh(self, command, check_rc=True):
        return self.ns.sh(command, check_rc=check_rc)

    def ping_once(self, other):
        address = other.address if isinstance(other, Guest) else other
        return self.sh(f"ping -n -q -c 1 -W 1 {address}", check_rc=False).returncode == 0

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
        self.ns.close()


def _run_here(*cmd):
    from .core import run

    return run(*cmd)


class PingStream:
    """ping in the background; counts the replies as they come."""

    def __init__(self, guest, other, count, interval):
        import os

        address = other.address if isinstance(other, Guest) else other
        self.proc = guest.ns.popen(["ping", "-n", "-c", str(count), "-i", str(interval), "-W",
                                    "1", address],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.output = b""
        os.set_blocking(self.proc.stdout.fileno(), False)

    def _read(self):
        import os

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
        self.proc.wait(timeout=120)
        self._read()
        text = self.output.decode(errors="replace")
        m = re.search(r"(\d+) packets transmitted, (\d+) received", text)
        if not m:
            fail(f"ping printed no summary: {text[-300:]}")
        return int(m.group(1)), int(m.group(2))
