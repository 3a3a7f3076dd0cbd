# SPDX-License-Identifier: LGPL-2.1-or-later
"""dvsctl status against a real dvsd: the daemon, its networks, ports and dataplane in words, the
exit status that says whether every active network is ready, --json against its schema, and
bash completion's names from the daemon."""

import json
import os
import sys
import uuid

from dvstest import Cases, Dvsctl, Dvsd, check, require_libvirt_python, skip, wait_for

SCHEMA = os.path.join(os.environ.get("DVS_SOURCE_ROOT", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")), "json-schemas", "dvsctl-status.json")

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

cases = Cases()


class World:
    def __init__(self, dvsd, dvsctl):
        self.dvsd = dvsd
        self.dvsctl = Dvsctl(dvsctl)
        self.at = Dvsctl(dvsctl, "--root", dvsd.root)
        self.port = None

    def status(self, *args):
        return self.at("status", *args, check_rc=False)

    def json_status(self):
        p = self.status("--json")
        doc = json.loads(p.stdout)
        validate(doc)
        return p.returncode, doc


def validate(document):
    try:
        import jsonschema
    except ImportError:
        skip("python3-jsonschema is not installed")
    with open(SCHEMA) as f:
        jsonschema.validate(document, json.load(f))


@cases.case
def table(w):
    p = w.status()
    check(p.returncode == 0, f"dvsctl status exits 0 when every active network is ready "
          f"({p.returncode}: {p.stderr.strip()})")
    lines = p.stdout.splitlines()
    check(lines[0].startswith("dvsd 0.1.0, up "), f"the daemon line: {lines[0]!r}")
    rows = {line.split()[0]: line.split(maxsplit=7) for line in lines[2:]}
    check(set(rows) == {"web", "idle"}, f"both networks are listed: {sorted(rows)}")
    web = rows["web"]
    check(web[1:7] == ["active", "yes", "no", "bridge", "1", "1"],
          f"web: active, persistent, no autostart, bridge, 1 port, 1 connection: {web}")
    check(web[7].startswith("ready: OVS bridge 'br-web' present, ports 0 programmed, 1 pending; "
                            "ovsdb ready"),
          f"web's dataplane in words: the OVS bridge is there, the port waits for its "
          f"Interface: {web[7]}")
    check(rows["idle"][1] == "inactive" and rows["idle"][7] == "inactive", "idle is inactive")


@cases.case
def json_document(w):
    rc, doc = w.json_status()
    check(rc == 0, f"--json exits 0 too ({rc})")
    check(doc["format"] == 1 and doc["ready"] is True and doc["daemon"]["version"] == "0.1.0",
          f"the JSON document's head: {doc['format']}, {doc['ready']}, {doc['daemon']}")
    nets = {n["name"]: n for n in doc["networks"]}
    web = nets["web"]
    check(web["dataplane"]["kind"] == "ovs-bridge" and web["dataplane"]["state"] == "ready" and
          web["ready"] and web["ports"] == 1 and web["libvirtd"] is None,
          f"web in JSON: an OVS bridge, ready, one port, no libvirtd: {web}")
    check(nets["idle"]["dataplane"] == {"kind": "ovs-bridge", "state": "inactive",
                                        "description": ""} and not nets["idle"]["ready"],
          f"idle in JSON: inactive, not ready: {nets['idle']}")


@cases.case
def explicit_socket(w):
    p = w.dvsctl("status", "--socket", w.dvsd.sock_ro, check_rc=False)
    check(p.returncode == 0 and "web" in p.stdout, "an explicit read-only socket works")


@cases.case
def completion_asks_the_daemon(w):
    words = w.dvsctl.out("__complete", "status", "--root", w.dvsd.root, "--").split()
    check(words == ["--root", "--socket", "--json", "--help"],
          f"completion offers status's options: {words}")
    words = w.dvsctl.out("__complete", "port-plug", "--root", w.dvsd.root, "").split()
    check(sorted(words) == ["idle", "web"], f"completion offers the daemon's networks: {words}")
    words = w.dvsctl.out("__complete", "port-unplug", "--root", w.dvsd.root, "web", "").split()
    check(words == [str(w.port)], f"completion offers the network's ports: {words}")
    words = w.dvsctl.out("__complete", "port-plug", "--root", w.dvsd.root, "web", str(w.port),
                         "").split()
    check("lo" in words, f"an IFNAME is one of the host's interfaces: {words}")


@cases.case
def degraded_exits_2(w):
    # OVSDB goes away: web is degraded, and the exit status says so.
    w.dvsd.ovsdb.kill_server()
    rc, doc = wait_for(lambda: (lambda r: r if r[0] == 2 else None)(w.json_status()),
                       what="dvsctl status to exit 2 once OVSDB is gone")
    web = next(n for n in doc["networks"] if n["name"] == "web")
    check(not doc["ready"] and web["dataplane"]["state"] == "degraded" and not web["ready"],
          f"web is degraded without OVSDB: {web['dataplane']}")
    p = w.status()
    check(p.returncode == 2 and "degraded: OVS bridge 'br-web'" in p.stdout,
          f"the table says so too and exits 2: {p.returncode}")


@cases.case
def no_daemon(w):
    w.dvsd.stop()
    p = w.status()
    check(p.returncode == 1 and p.stderr.startswith("error: ") and "dvsd is not running" in
          p.stderr, f"a stopped dvsd is a clear error: {p.stderr.strip()}")
    p = w.dvsctl("__complete", "port-plug", "--root", w.dvsd.root, "", check_rc=False)
    check(p.returncode == 0 and p.stdout == "", "completion without a daemon offers nothing")
    p = w.dvsctl("status", "--bogus", check_rc=False)
    check(p.returncode == 1 and "usage: dvsctl status" in p.stderr,
          "a bad option is a usage error")


def main():
    dvsd_binary, dvsctl_binary = sys.argv[1], sys.argv[2]
    libvirt = require_libvirt_python()
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    with Dvsd(dvsd_binary) as d:
        if d.ovsdb is None:
            skip("ovsdb-server or the vswitch schema is missing")
        d.start()
        w = World(d, dvsctl_binary)
        conn = d.open()
        net = conn.networkDefineXML(NETWORK)
        net.create()
        w.port = uuid.uuid4()
        net.portCreateXML(PORT.format(port=w.port, owner=uuid.uuid4()), 0)
        conn.networkDefineXML(NETWORK.replace("web", "idle"))
        conn.close()
        return cases.run(w)


if __name__ == "__main__":
    sys.exit(main())
