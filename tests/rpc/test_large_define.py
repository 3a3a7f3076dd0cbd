#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""No request stalls the daemon: while dvsd works on a large definition (about 2 MB, 70,000
portgroups) from one client, calls of other clients that arrive after it (virtqemud's port
sequence, a network count) are answered first; then the large definition is defined and can be
returned (net-dumpxml). A definition too large to be returned is refused with a clear message.

usage: test_large_define.py DVSD"""

import array
import fcntl
import select
import struct
import sys
import termios
import uuid

from dvstest import (Dvsd, check, fail, ovs_missing, require_libvirt_python, skip, wait_for)
from dvstest.wire import RawClient, decode_error, handshake, pack_message, xdr_string

SMALL = """<network>
  <name>small</name>
  <forward mode='bridge'/>
  <bridge name='br-small'/>
  <virtualport type='openvswitch'/>
</network>
"""

PORT = """<networkport>
  <uuid>{port}</uuid>
  <owner><name>vm1</name><uuid>{owner}</uuid></owner>
  <mac address='52:54:00:30:00:01'/>
</networkport>
"""


def large_network(count, name="large", body=""):
    parts = [f"<network><name>{name}</name><forward mode='bridge'/><bridge name='br-large'/>"]
    if body:
        parts += [f"<portgroup name='pg{i}'>{body}</portgroup>" for i in range(count)]
    else:
        parts += [f"<portgroup name='pg{i}'/>" for i in range(count)]
    parts.append("</network>")
    return "".join(parts)


def unsent(sock):
    """Bytes this unix socket sent that the peer has not read yet (SIOCOUTQ)."""
    buf = array.array("i", [0])
    fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, buf, True)
    return buf[0]


def network_of(reply):
    """(name, uuid bytes) of a remote_nonnull_network reply."""
    payload = reply["payload"]
    (length,) = struct.unpack(">I", payload[:4])
    padded = 4 + length + (4 - length % 4) % 4
    return payload[4:4 + length].decode(), payload[padded:padded + 16]


def nonnull_network(name, raw_uuid):
    return xdr_string(name) + raw_uuid


def ok(reply, what):
    if reply["status"] != 0:
        fail(f"{what} failed: {decode_error(reply['payload'])}")
    return reply


def main():
    if len(sys.argv) != 2:
        fail(__doc__)
    require_libvirt_python()
    if ovs_missing(vswitchd=False):
        skip(f"Open vSwitch is missing: {ovs_missing(vswitchd=False)}")
    with Dvsd(sys.argv[1]) as d:
        d.start()
        virtqemud = RawClient(d.sock)
        handshake(virtqemud)
        small = network_of(ok(virtqemud.call(41, xdr_string(SMALL)), "define small"))
        ok(virtqemud.call(39, nonnull_network(*small)), "start small")

        big = RawClient(d.sock)
        handshake(big)
        xml = large_network(70000)
        check(len(xml) > 1_800_000, f"the large definition is {len(xml)} bytes")
        big.send(pack_message(0x20008086, 1, 41, 0, 1000, 0, xdr_string(xml)))
        # Once dvsd has read every byte of it, it is working on the definition.
        wait_for(lambda: unsent(big.sock) == 0, what="dvsd reading the large definition")

        # virtqemud's port sequence for a domain start, on another connection, meanwhile.
        owner = str(uuid.uuid4())
        lookup = ok(virtqemud.call(46, xdr_string("small")), "lookup")
        port_xml = PORT.format(port=uuid.uuid4(), owner=owner)
        ok(virtqemud.call(406, nonnull_network(*network_of(lookup)) + xdr_string(port_xml)
                          + struct.pack(">I", 0)), "port create")
        ok(virtqemud.call(52), "num of networks")
        readable, _, _ = select.select([big.sock], [], [], 0)
        check(not readable and not big.buf,
              "the port create and a network count started after the large define returned "
              "before it")

        reply = big.receive()
        if reply is None or reply["serial"] != 1000 or reply["status"] != 0:
            fail(f"the large define failed: {reply and decode_error(reply['payload'])}")
        check(True, "then the large define succeeds")
        # It can be returned over libvirt's protocol.
        import libvirt

        conn = d.open()
        dumped = conn.networkLookupByName("large").XMLDesc(0)
        check(dumped.count("<portgroup ") == 70000, "net-dumpxml returns all 70,000 portgroups")

        # Too large to be returned: refused at define, with the reason.
        too_big = large_network(40000, "huge",
                                "<bandwidth><inbound average='1000'/></bandwidth>")
        try:
            conn.networkDefineXML(too_big)
            fail("a definition that could not be returned was defined")
        except libvirt.libvirtError as e:
            check("is too large: its XML takes" in e.get_error_message()
                  and "libvirt's remote protocol can return" in e.get_error_message(),
                  f"a definition too large to return is refused: {e.get_error_message()[:120]}")
        check(sorted(n.name() for n in conn.listAllNetworks()) == ["large", "small"],
              "and not defined")
        conn.close()
        big.close()
        virtqemud.close()


if __name__ == "__main__":
    main()
