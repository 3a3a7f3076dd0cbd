# SPDX-License-Identifier: LGPL-2.1-or-later
"""Wire faults and protocol edges with a raw socket, while a real libvirt client stays connected
and keeps working."""

import os
import struct
import sys
import threading

from dvstest import Cases, Dvsd, check, fail, require_libvirt_python, wait_for
from dvstest.wire import (DVS_PROGRAM, KEEPALIVE_PROGRAM, REMOTE_PROGRAM, RawClient, decode_error,
                          handshake, pack_message, xdr_string)

libvirt = require_libvirt_python()

VIR_ERR_RPC = 39
VIR_FROM_RPC = 7
VIR_ERR_INTERNAL_ERROR = 1
VIR_ERR_OPERATION_DENIED = 29

# An OVS network: it starts against the harness's private ovsdb-server, where a network on a
# host Linux bridge would need that bridge on the host.
NETWORK = """<network>
  <name>wire</name>
  <forward mode='bridge'/>
  <bridge name='br-wire'/>
  <virtualport type='openvswitch'/>
</network>
"""

# Keepalive towards clients that support it, fast enough for a test.
CONFIG = """[dvsd]
keepalive_interval=1
keepalive_count=2
"""


def still_works(conn, what):
    names = [n.name() for n in conn.listAllNetworks(0)]
    check(names == ["wire"], f"the libvirt client still works after {what}")


def closes_frame(w, data, why, what, half_close=False):
    # A fresh raw client sends data (then EOF when half_close): dvsd closes that connection, and
    # the libvirt client connected meanwhile notices nothing.
    w.c = RawClient(w.d.sock)
    w.c.send(data)
    if half_close:
        w.c.sock.shutdown(1)
    check(w.c.closed_by_server(), why)
    w.c.close()
    still_works(w.conn, what)


def run_event_loop():
    # With an event loop the client answers dvsd's keepalive PINGs while it is idle, as
    # virtqemud and virsh do; without one, dvsd would rightly drop it as dead.
    libvirt.virEventRegisterDefaultImpl()

    def loop():
        while True:
            libvirt.virEventRunDefaultImpl()

    threading.Thread(target=loop, daemon=True).start()


cases = Cases()


class World:
    def __init__(self, dvsd, conn):
        self.d = dvsd
        self.conn = conn
        self.c = None  # the raw client of the current case


@cases.case
def handshake_as_virsh_sends_it(w):
    # The handshake as virsh sends it, answered as libvirt's daemon answers it.
    w.c = RawClient(w.d.sock)
    reply = w.c.call(66)
    check(reply["status"] == 0 and reply["payload"] == struct.pack(">II", 1, 0),
          "AUTH_LIST answers [NONE]")
    for feature, want in ((10, 1), (8, 1), (9, 1), (14, 1), (15, 1), (16, 1), (2, 0), (1, 0),
                          (6, 0), (99, 0)):
        reply = w.c.call(60, struct.pack(">i", feature))
        got = struct.unpack(">i", reply["payload"])[0]
        check(got == want, f"SUPPORTS_FEATURE({feature}) = {got}")


@cases.case
def only_pre_open_procedures_before_open(w):
    # Before CONNECT_OPEN only the pre-open procedures work.
    reply = w.c.call(46, xdr_string("wire"))
    code, domain, message = decode_error(reply["payload"])
    check(reply["status"] == 1 and code == VIR_ERR_INTERNAL_ERROR and
          domain == VIR_FROM_RPC and message == "internal error: connection not open",
          f"a lookup before CONNECT_OPEN is refused: {message}")
    reply = w.c.call(1, struct.pack(">I", 1) + xdr_string("network:///system") +
                   struct.pack(">I", 0))
    check(reply["status"] == 0 and reply["payload"] == b"", "CONNECT_OPEN answers void")
    reply = w.c.call(46, xdr_string("wire"))
    check(reply["status"] == 0 and reply["payload"][:8] == struct.pack(">I", 4) + b"wire",
          "the lookup works once open")
    reply = w.c.call(3)
    check(reply["payload"] == xdr_string("network"), "CONNECT_GET_TYPE is 'network'")
    reply = w.c.call(157)
    check(struct.unpack(">Q", reply["payload"])[0] == 9000000, "lib version 9.0.0")


@cases.case
def unknown_procedure_and_program(w):
    # Unknown procedure and program: libvirt's RPC errors, the connection stays.
    reply = w.c.call(9999)
    code, domain, message = decode_error(reply["payload"])
    check((reply["status"], code, domain, message) ==
          (1, VIR_ERR_RPC, VIR_FROM_RPC, "unknown procedure: 9999"),
          f"unknown procedure: {code} {domain} {message}")
    check((reply["prog"], reply["proc"], reply["type"]) == (REMOTE_PROGRAM, 9999, 1),
          "the error reply copies the call's header")
    reply = w.c.call(1, prog=0x1234, vers=7)
    code, domain, message = decode_error(reply["payload"])
    check((code, domain, message) == (VIR_ERR_RPC, VIR_FROM_RPC,
                                      "Cannot find program 4660 version 7"),
          f"unknown program: {message}")
    # A payload that does not decode is refused, the connection stays.
    reply = w.c.call(46, struct.pack(">I", 100) + b"ab")
    code, domain, message = decode_error(reply["payload"])
    check(reply["status"] == 1 and code == VIR_ERR_RPC,
          f"an undecodable payload is an RPC error: {message}")


@cases.case
def our_program_on_the_read_only_socket(w):
    # Our own program: daemon status, on the read-only socket too, without CONNECT_OPEN.
    ro = RawClient(w.d.sock_ro)
    reply = ro.call(1, prog=DVS_PROGRAM)
    check(reply["status"] == 0 and b"wire" in reply["payload"],
          "DVS_PROC_DAEMON_STATUS lists the network on the read-only socket")
    # The read-only socket forces read-only even without VIR_CONNECT_RO.
    handshake(ro)
    reply = ro.call(41, xdr_string(NETWORK.replace("wire", "other")))
    code, domain, message = decode_error(reply["payload"])
    check(code == VIR_ERR_OPERATION_DENIED and
          message == "operation forbidden: read only access prevents virNetworkDefineXML",
          f"define on the read-only socket: {message}")
    ro.close()


@cases.case
def keepalive_pings_and_drops_the_silent(w):
    # Keepalive: dvsd answers our PING with a PONG...
    w.c.send(pack_message(KEEPALIVE_PROGRAM, 1, 1, 2, 0))
    msg = w.c.receive()
    check(msg is not None and (msg["prog"], msg["proc"], msg["type"], len(msg["payload"])) ==
          (KEEPALIVE_PROGRAM, 2, 2, 0), "PING is answered with PONG")
    # ... pings us after keepalive_interval of silence, and drops us when we never answer.
    ping = w.c.receive()
    check(ping is not None and (ping["prog"], ping["proc"], ping["type"]) ==
          (KEEPALIVE_PROGRAM, 1, 2), "dvsd pings a silent client")
    check(w.c.closed_by_server(), "dvsd drops a client that never answers its pings")
    wait_for(lambda: "keepalive" in w.d.log(), what="the log to say why the client was dropped")
    still_works(w.conn, "a client was dropped for silence")
    w.c.close()


@cases.case
def answering_client_stays(w):
    # A client that answers keeps its connection past the death deadline.
    w.c = RawClient(w.d.sock)
    handshake(w.c)
    pongs = 0
    while pongs < 4:
        msg = w.c.receive()
        if msg is None:
            fail("an answering client was dropped")
        if msg["prog"] == KEEPALIVE_PROGRAM and msg["proc"] == 1:
            w.c.send(pack_message(KEEPALIVE_PROGRAM, 1, 2, 2, 0))
            pongs += 1
    check(True, "a client answering PINGs stays connected past keepalive_count intervals")
    w.c.close()


@cases.case
def oversized_length(w):
    # Oversized length: that client is closed at once, the other notices nothing.
    closes_frame(w, struct.pack(">I", 33554433) + b"\0" * 24,
                 "a length above 32 MiB closes the connection", "an oversized frame")


@cases.case
def length_below_the_header(w):
    # A length below the header size.
    closes_frame(w, struct.pack(">I", 12) + b"\0" * 8,
                 "a length below the header closes the connection", "an undersized frame")


@cases.case
def garbage(w):
    # Garbage: another protocol's text (its first bytes read as a huge length) ...
    closes_frame(w, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
                 "an HTTP request closes the connection", "an HTTP request")
    # ... and a plausible length followed by noise (the header's type is nonsense).
    closes_frame(w, struct.pack(">I", 100) + bytes([0xA5]) * 96,
                 "a frame of noise closes the connection", "noise")


@cases.case
def truncated_frame(w):
    # A truncated frame: half a call, then the client goes away.
    frame = pack_message(REMOTE_PROGRAM, 1, 66, 0, 0)
    closes_frame(w, frame[:20], "a truncated frame followed by EOF closes the connection",
                 "a truncated frame", half_close=True)


@cases.case
def reply_from_a_client(w):
    # A reply sent by a client is a protocol violation.
    closes_frame(w, pack_message(REMOTE_PROGRAM, 1, 66, 1, 0),
                 "a REPLY from the client closes the connection", "an unexpected message type")


@cases.case
def pipelined_calls(w):
    # Pipelined calls in one write are all answered, in order.
    w.c = RawClient(w.d.sock)
    w.c.send(b"".join(pack_message(REMOTE_PROGRAM, 1, 66, 0, s) for s in range(50)))
    serials = []
    while len(serials) < 50:
        msg = w.c.receive()
        if msg is None:
            fail("connection closed during pipelined calls")
        serials.append(msg["serial"])
    check(serials == list(range(50)), "50 pipelined calls answered in order")
    w.c.close()


@cases.case
def lifecycle_events(w):
    # Events: one 315 MESSAGE per registered callback whose filter matches.
    ev = RawClient(w.d.sock)
    handshake(ev)
    ids = []
    for _ in range(2):
        reply = ev.call(313, struct.pack(">iI", 0, 0))
        check(reply["status"] == 0, "REGISTER_ANY for every network")
        ids.append(struct.unpack(">i", reply["payload"])[0])
    wire = w.conn.networkLookupByName("wire")
    reply = ev.call(313, struct.pack(">iI", 0, 1) + xdr_string("wire") + wire.UUID())
    filtered = struct.unpack(">i", reply["payload"])[0]
    check(len({ids[0], ids[1], filtered}) == 3, f"distinct callback IDs {ids + [filtered]}")
    reply = ev.call(313, struct.pack(">iI", 1, 0))
    code, domain, message = decode_error(reply["payload"])
    check(reply["status"] == 1 and message == "internal error: unsupported network event ID 1",
          f"an unknown event ID is refused: {message}")
    w.conn.networkDefineXML(NETWORK.replace("wire", "other"))
    wire.setAutostart(1)  # not a lifecycle event: nothing may come of it
    wire.create()

    def events(count):
        got = []
        while len(got) < count:
            msg = ev.receive()
            if msg is None:
                fail("the event connection was closed")
            if msg["prog"] == REMOTE_PROGRAM and msg["proc"] == 315:
                check(msg["type"] == 2 and msg["status"] == 0, "an event is a MESSAGE")
                cb, length = struct.unpack(">iI", msg["payload"][:8])
                name = msg["payload"][8:8 + length].decode()
                event, detail = struct.unpack(">ii", msg["payload"][-8:])
                got.append((cb, name, event, detail))
        return got

    got = events(5)
    check(sorted(got[:2]) == sorted([(ids[0], "other", 0, 0), (ids[1], "other", 0, 0)]),
          f"'other' Defined went to both unfiltered callbacks only: {got[:2]}")
    check(sorted(got[2:]) == sorted([(ids[0], "wire", 2, 0), (ids[1], "wire", 2, 0),
                                     (filtered, "wire", 2, 0)]),
          f"'wire' Started went to all three callbacks: {got[2:]}")
    check(ev.call(314, struct.pack(">i", ids[0]))["status"] == 0, "DEREGISTER_ANY")
    reply = ev.call(314, struct.pack(">i", ids[0]))
    check(reply["status"] == 1, "deregistering twice is refused")
    wire.destroy()
    got = events(2)
    check(sorted(got) == sorted([(ids[1], "wire", 3, 0), (filtered, "wire", 3, 0)]),
          f"after deregistering, 'wire' Stopped went to the two callbacks left: {got}")
    w.conn.networkLookupByName("other").undefine()
    del wire
    ev.close()


@cases.case
def sigterm_with_a_client_connected(w):
    # SIGTERM: a client is connected; dvsd still exits 0 and removes its sockets.
    w.c = RawClient(w.d.sock)
    handshake(w.c)
    still_works(w.conn, "everything")
    w.conn.close()
    w.d.stop()
    check(not os.path.exists(w.d.sock) and not os.path.exists(w.d.sock_ro),
          "the sockets are removed on SIGTERM")
    w.c.close()


def main():
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    run_event_loop()
    with Dvsd(sys.argv[1], config_text=CONFIG) as d:
        d.start()
        conn = libvirt.open(d.uri())
        conn.networkDefineXML(NETWORK)
        return cases.run(World(d, conn))


if __name__ == "__main__":
    sys.exit(main())
