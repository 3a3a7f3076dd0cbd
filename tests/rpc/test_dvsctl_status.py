# SPDX-License-Identifier: LGPL-2.1-or-later
"""dvsctl status against a real dvsd: the daemon, its networks, ports and dataplane in words, the
exit status that says whether every active network is ready, and --json against its schema."""

import json
import os
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dvsd_harness import Dvsd, check, skip, wait_for  # noqa: E402

import libvirt  # noqa: E402

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "json-schemas",
                      "dvsctl-status.json")

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


def validate(document):
    try:
        import jsonschema
    except ImportError:
        skip("python3-jsonschema is not installed")
    with open(SCHEMA) as f:
        jsonschema.validate(document, json.load(f))


def main():
    dvsd_binary, dvsctl_binary = sys.argv[1], sys.argv[2]
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    with Dvsd(dvsd_binary) as d:
        if d.ovsdb is None or d.ovsdb.proc is None:
            skip("ovsdb-server or the vswitch schema is missing")
        d.start()
        conn = libvirt.open(d.uri())
        net = conn.networkDefineXML(NETWORK)
        net.create()
        port = uuid.uuid4()
        net.portCreateXML(PORT.format(port=port, owner=uuid.uuid4()), 0)
        conn.networkDefineXML(NETWORK.replace("web", "idle"))

        p = dvsctl(dvsctl_binary, "status", "--root", d.root)
        check(p.returncode == 0, f"dvsctl status exits 0 when every active network is ready "
              f"({p.returncode}: {p.stderr.strip()})")
        lines = p.stdout.splitlines()
        check(lines[0].startswith("dvsd 0.1.0, up "), f"the daemon line: {lines[0]!r}")
        rows = {line.split()[0]: line.split(maxsplit=7) for line in lines[2:]}
        check(set(rows) == {"web", "idle"}, f"both networks are listed: {sorted(rows)}")
        web = rows["web"]
        check(web[1:7] == ["active", "yes", "no", "bridge", "1", "1"],
              f"web: active, persistent, no autostart, bridge, 1 port, 1 connection: {web}")
        check(web[7].startswith("ready: OVS bridge 'br-web' present, ports 0 programmed, "
                                "1 pending; ovsdb ready"),
              f"web's dataplane in words: the OVS bridge is there, the port waits for its "
              f"Interface: {web[7]}")
        check(rows["idle"][1] == "inactive" and rows["idle"][7] == "inactive", "idle is inactive")

        p = dvsctl(dvsctl_binary, "status", "--root", d.root, "--json")
        check(p.returncode == 0, f"--json exits 0 too ({p.returncode}: {p.stderr.strip()})")
        doc = json.loads(p.stdout)
        validate(doc)
        check(doc["format"] == 1 and doc["ready"] is True and doc["daemon"]["version"] == "0.1.0",
              f"the JSON document's head: {doc['format']}, {doc['ready']}, {doc['daemon']}")
        nets = {n["name"]: n for n in doc["networks"]}
        check(nets["web"]["dataplane"]["kind"] == "ovs-bridge" and
              nets["web"]["dataplane"]["state"] == "ready" and nets["web"]["ready"] and
              nets["web"]["ports"] == 1 and nets["web"]["libvirtd"] is None,
              f"web in JSON: an OVS bridge, ready, one port, no libvirtd: {nets['web']}")
        check(nets["idle"]["dataplane"] == {"kind": "ovs-bridge", "state": "inactive",
                                            "description": ""} and not nets["idle"]["ready"],
              f"idle in JSON: inactive, not ready: {nets['idle']}")

        p = dvsctl(dvsctl_binary, "status", "--socket", d.sock_ro)
        check(p.returncode == 0 and "web" in p.stdout, "an explicit read-only socket works")

        # Completion asks the daemon for names.
        p = dvsctl(dvsctl_binary, "__complete", "status", "--root", d.root, "--")
        check(p.stdout.split() == ["--root", "--socket", "--json", "--help"],
              f"completion offers status's options: {p.stdout.split()}")
        p = dvsctl(dvsctl_binary, "__complete", "port-plug", "--root", d.root, "")
        check(sorted(p.stdout.split()) == ["idle", "web"],
              f"completion offers the daemon's networks: {p.stdout.split()}")
        p = dvsctl(dvsctl_binary, "__complete", "port-unplug", "--root", d.root, "web", "")
        check(p.stdout.split() == [str(port)],
              f"completion offers the network's ports: {p.stdout.split()}")
        p = dvsctl(dvsctl_binary, "__complete", "port-plug", "--root", d.root, "web",
                   str(port), "")
        check("lo" in p.stdout.split(), f"an IFNAME is one of the host's interfaces: {p.stdout}")

        # OVSDB goes away: web is degraded, and the exit status says so.
        d.ovsdb.stop()

        def degraded():
            p = dvsctl(dvsctl_binary, "status", "--root", d.root, "--json")
            return p if p.returncode == 2 else None

        p = wait_for(degraded, "dvsctl status to exit 2 once OVSDB is gone")
        doc = json.loads(p.stdout)
        validate(doc)
        web = next(n for n in doc["networks"] if n["name"] == "web")
        check(not doc["ready"] and web["dataplane"]["state"] == "degraded" and not web["ready"],
              f"web is degraded without OVSDB: {web['dataplane']}")
        p = dvsctl(dvsctl_binary, "status", "--root", d.root)
        check(p.returncode == 2 and "degraded: OVS bridge 'br-web'" in p.stdout,
              f"the table says so too and exits 2: {p.returncode}")
        conn.close()

    p = dvsctl(dvsctl_binary, "status", "--root", d.root)
    check(p.returncode == 1 and p.stderr.startswith("error: ") and "dvsd is not running" in
          p.stderr, f"a stopped dvsd is a clear error: {p.stderr.strip()}")
    p = dvsctl(dvsctl_binary, "__complete", "port-plug", "--root", d.root, "")
    check(p.returncode == 0 and p.stdout == "", "completion without a daemon offers nothing")
    p = dvsctl(dvsctl_binary, "status", "--bogus")
    check(p.returncode == 1 and "usage: dvsctl status" in p.stderr, "a bad option is a usage error")
    return 0


if __name__ == "__main__":
    sys.exit(main())
