# SPDX-License-Identifier: LGPL-2.1-or-later
"""libvirt's remote protocol on the raw socket, for fault injection: a scripted peer, never a
stand-in for a real client (use virsh or python3-libvirt for that)."""

import socket
import struct

from .core import DEADLINE, fail

REMOTE_PROGRAM = 0x20008086
KEEPALIVE_PROGRAM = 0x6B656570
DVS_PROGRAM = 0x44565300


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


def connected_clients(client):
    """The number of clients dvsd serves, from our own program's status call."""
    reply = client.call(1, prog=DVS_PROGRAM)
    payload = reply["payload"]
    (length,) = struct.unpack(">I", payload[:4])
    offset = 4 + length + (4 - length % 4) % 4 + 8  # daemon_version, uptime_seconds
    return struct.unpack(">I", payload[offset:offset + 4])[0]
