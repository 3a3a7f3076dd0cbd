# SPDX-License-Identifier: LGPL-2.1-or-later
"""100 libvirt clients connecting and disconnecting in a loop while ports are created and
deleted: no error, no connection or file descriptor left behind, no growth in dvsd's memory."""

import os
import struct
import sys
import threading
import uuid

from dvstest import Dvsd, check, fail, require_libvirt_python, wait_for
from dvstest.wire import DVS_PROGRAM, RawClient

libvirt = require_libvirt_python()

CLIENTS = 100
ROUNDS_PER_CLIENT = 3
PORTS = 50

NETWORK = """<network>
  <name>churn</name>
  <forward mode='bridge'/>
  <bridge name='br-churn'/>
  <virtualport type='openvswitch'/>
</network>
"""

PORT = """<networkport>
  <uuid>{port}</uuid>
  <owner><name>vm{n}</name><uuid>{owner}</uuid></owner>
  <mac address='52:54:00:10:{hi:02x}:{lo:02x}'/>
</networkport>
"""


class XdrReader:
    """XDR (RFC 4506) values read in order."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def _take(self, fmt):
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return value

    def uint(self):
        return self._take(">I")

    def uhyper(self):
        return self._take(">Q")

    def string(self):
        length = self.uint()
        text = self.data[self.pos:self.pos + length].decode()
        self.pos += length + (4 - length % 4) % 4
        return text


def connected_clients(status_client):
    """The clients connected to dvsd, the asking one included: the head of
    dvs_daemon_status_ret (src/rpc/dvs_protocol.x) from DVS_PROC_DAEMON_STATUS."""
    reply = status_client.call(1, prog=DVS_PROGRAM)
    xdr = XdrReader(reply["payload"])
    xdr.string()  # daemon_version
    xdr.uhyper()  # uptime_seconds
    return xdr.uint()  # clients


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    fail("no VmRSS")


def churn(d, net_uuid):
    errors = []

    def client():
        try:
            for _ in range(ROUNDS_PER_CLIENT):
                conn = libvirt.open(d.uri())
                net = conn.networkLookupByUUIDString(net_uuid)
                net.isActive()
                net.listAllPorts(0)
                # The network object holds a reference on the connection: drop it first so
                # that close() really closes the socket.
                del net
                conn.close()
        except libvirt.libvirtError as e:
            errors.append(str(e))

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()

    conn = libvirt.open(d.uri())
    net = conn.networkLookupByUUIDString(net_uuid)
    for n in range(PORTS):
        port = net.portCreateXML(PORT.format(port=uuid.uuid4(), n=n, owner=uuid.uuid4(),
                                             hi=n // 256, lo=n % 256), 0)
        port.XMLDesc(0)
        port.delete(0)
    del port, net
    conn.close()
    for t in threads:
        t.join(timeout=120)
        if t.is_alive():
            fail("a client thread hung")
    return errors


def main():
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    with Dvsd(sys.argv[1]) as d:
        # In a sanitizer build, freed memory waits in AddressSanitizer's quarantine (up to 256 MiB)
        # instead of being reused, so the resident size grows by design; without the quarantine
        # the growth check means the same as in a plain build (and LeakSanitizer still runs).
        d.env = dict(os.environ)
        d.env["ASAN_OPTIONS"] = (d.env.get("ASAN_OPTIONS", "") +
                                 ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0")
        d.start()
        conn = libvirt.open(d.uri())
        net = conn.networkDefineXML(NETWORK)
        net.create()
        net_uuid = net.UUIDString()
        # Warm up: the first port opens what the driver keeps open for the network's ports.
        port = net.portCreateXML(PORT.format(port=uuid.uuid4(), n=999, owner=uuid.uuid4(),
                                             hi=0xff, lo=0xff), 0)
        port.delete(0)
        del port, net
        conn.close()

        # One connection of our own stays open to ask for the count: no connection comes and
        # goes between the descriptor counts.
        status = RawClient(d.sock_ro)
        wait_for(lambda: connected_clients(status) == 1, what="the setup connection to go away")
        pid = d.proc.pid
        fds_before = open_fds(pid)

        errors = churn(d, net_uuid)
        check(errors == [], f"round 1: {CLIENTS * ROUNDS_PER_CLIENT} connections, no error "
              f"({errors[:3]})")
        wait_for(lambda: connected_clients(status) == 1,
                 what="every churn connection to be closed")
        check(open_fds(pid) == fds_before,
              f"no file descriptor left behind after round 1 ({fds_before} -> {open_fds(pid)})")
        rss_after_first = rss_kib(pid)

        errors = churn(d, net_uuid)
        check(errors == [], "round 2: no error")
        wait_for(lambda: connected_clients(status) == 1,
                 what="every churn connection to be closed")
        check(open_fds(pid) == fds_before, "no file descriptor left behind after round 2")
        rss_after_second = rss_kib(pid)
        # A leak of even a few KiB per connection would show over 300 connections.
        check(rss_after_second <= rss_after_first + 2048,
              f"no memory growth across rounds: {rss_after_first} KiB -> {rss_after_second} KiB")
        status.close()
        d.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
