# SPDX-License-Identifier: LGPL-2.1-or-later
"""dvsctl status against a real dvsd: the daemon, its networks, ports and dataplane state."""

import os
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dvsd_harness import Dvsd, check  # noqa: E402

import libvirt  # noqa: E402

NETWORK = """<network>
  <name>web</name>
  <forward mode='bridge'/>
  <bridge name='br-web'/>
  <virtualport type='openvswitch'/>
</network>
"""

PORT = """<networkport><uuid>{port}</uuid>
  <owner><name>vm1</name><uuid>{owner}</uuid></owner>
  <mac address='52:54:00:aa:bb:cc'/></networkport>"""


def dvsctl(binary, *args):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=30)


def main():
    dvsd_binary, dvsctl_binary = sys.argv[1], sys.argv[2]
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    with Dvsd(dvsd_binary) as d:
        d.start()
        conn = libvirt.open(d.uri())
        net = conn.networkDefineXML(NETWORK)
        net.create()
        net.portCreateXML(PORT.format(port=uuid.uuid4(), owner=uuid.uuid4()), 0)
        conn.networkDefineXML(NETWORK.replace("web", "idle"))

        p = dvsctl(dvsctl_binary, "status", "--root", d.root)
        check(p.returncode == 0, f"dvsctl status exits 0 ({p.returncode}: {p.stderr.strip()})")
        lines = p.stdout.splitlines()
        check(lines[0].startswith("dvsd 0.1.0, up "), f"the daemon line: {lines[0]!r}")
        rows = {line.split()[0]: line.split(maxsplit=7) for line in lines[2:]}
        check(set(rows) == {"web", "idle"}, f"both networks are listed: {sorted(rows)}")
        web = rows["web"]
        check(web[1:7] == ["active", "yes", "no", "bridge", "1", "1"],
              f"web: active, persistent, no autostart, bridge, 1 port, 1 connection: {web}")
        check(web[7].startswith("ready: bridge 'br-web' present; ovsdb ready") and
              "ports 0 programmed, 1 pending" in web[7],
              f"web's dataplane: the bridge is in OVSDB, the port waits for its Interface: "
              f"{web[7]}")
        check(rows["idle"][1] == "inactive", "idle is inactive")

        p = dvsctl(dvsctl_binary, "status", "--socket", d.sock_ro)
        check(p.returncode == 0 and "web" in p.stdout, "an explicit read-only socket works")
        conn.close()

    p = dvsctl(dvsctl_binary, "status", "--root", d.root)
    check(p.returncode == 1 and p.stderr.startswith("error: ") and "dvsd is not running" in
          p.stderr, f"a stopped dvsd is a clear error: {p.stderr.strip()}")
    p = dvsctl(dvsctl_binary, "status", "--bogus")
    check(p.returncode == 1 and "usage: dvsctl status" in p.stderr, "a bad option is a usage error")
    return 0


if __name__ == "__main__":
    sys.exit(main())
