#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""libvirt's daemon limits in dvsd.conf: at max_clients connections dvsd stops accepting, and a
further client waits (its call is answered) until one of them leaves, as libvirt's daemons do;
libvirt's other limit keys are read. Every change is logged with the caller's identity.

usage: test_limits.py DVSD"""

import os
import select
import sys

from dvstest import Dvsd, check, fail
from dvstest.wire import RawClient, connected_clients, handshake, pack_message


def main():
    if len(sys.argv) != 2:
        fail(__doc__)
    config = {"dvsd": {"max_clients": 2, "max_anonymous_clients": 20, "max_client_requests": 5,
                       "min_workers": 5, "max_workers": 20, "prio_workers": 5}}
    with Dvsd(sys.argv[1], config_text=config, ovsdb=False) as d:
        d.start()
        a = RawClient(d.sock)
        handshake(a)
        b = RawClient(d.sock)
        handshake(b)
        # A third client: the kernel completes its connection (listen backlog), dvsd does not
        # take it while two are connected.
        c = RawClient(d.sock)
        c.send(pack_message(0x20008086, 1, 66, 0, 7))  # AUTH_LIST
        check(connected_clients(a) == 2, "at max_clients=2 dvsd serves two clients")
        readable, _, _ = select.select([c.sock], [], [], 0)
        check(not readable, "the third client's call is not answered while two are connected")
        b.close()
        reply = c.receive()
        check(reply is not None and reply["serial"] == 7 and reply["status"] == 0,
              "once a client leaves, the waiting client is taken and answered")
        check(connected_clients(a) == 2, "and dvsd serves two clients again")
        a.close()
        c.close()

        # Every change is logged with the identity the client set (virtqemud sets the guest
        # owner's) and the socket's peer.
        import libvirt

        conn = d.open()
        conn.setIdentity({libvirt.VIR_CONNECT_IDENTITY_USER_NAME: "alice",
                          libvirt.VIR_CONNECT_IDENTITY_UNIX_USER_ID: 1000})
        offset = d.log_size()
        conn.networkDefineXML("<network><name>who</name><forward mode='bridge'/>"
                              "<bridge name='br-who'/></network>")
        line = next((l for l in d.log_since(offset).splitlines()
                     if "virNetworkDefineXML by" in l), "")
        check("user-name=alice" in line and "unix-user-id=1000" in line
              and f"uid={os.getuid()}" in line,
              f"the define is logged with the caller's identity and peer: {line.strip()}")
        conn.close()
        d.stop()


if __name__ == "__main__":
    main()
