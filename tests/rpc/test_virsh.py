# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every virsh command of driver-spec §3.3, run by the real virsh against a real dvsd."""

import os
import re
import shutil
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dvsd_harness import Dvsd, check, fail, skip, virsh, virsh_ok  # noqa: E402

NETWORK = """<network>
  <name>{name}</name>
  <forward mode='bridge'/>
  <bridge name='br-{name}'/>
  <virtualport type='openvswitch'/>
  <portgroup name='pg10' default='yes'>
    <vlan>
      <tag id='10'/>
    </vlan>
  </portgroup>
</network>
"""

PORT = """<networkport>
  <uuid>{port}</uuid>
  <owner>
    <name>vm1</name>
    <uuid>{owner}</uuid>
  </owner>
  <mac address='52:54:00:aa:bb:cc'/>
</networkport>
"""

UPDATE_PORTGROUP = "<portgroup name='pg20'><vlan><tag id='20'/></vlan></portgroup>"


def table(output):
    """The rows of a virsh table (header and rule dropped), split into columns."""
    rows = []
    for line in output.splitlines():
        if not line.strip() or set(line.strip()) == {"-"}:
            continue
        rows.append(line.split())
    return rows[1:] if rows else rows


def info(output):
    fields = {}
    for line in output.splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            fields[key.strip()] = value.strip()
    return fields


def main():
    dvsd_binary = sys.argv[1]
    if shutil.which("virsh") is None:
        skip("virsh is not installed")

    with Dvsd(dvsd_binary) as d:
        d.start()
        files = os.path.join(d.root, "files")
        os.makedirs(files)
        net_file = os.path.join(files, "web.xml")
        with open(net_file, "w") as f:
            f.write(NETWORK.format(name="web"))

        # net-define
        out = virsh_ok(d, "net-define", net_file)
        check(f"Network web defined from {net_file}" in out, "net-define reports the network")

        # net-list --all: inactive, persistent, no autostart
        rows = table(virsh_ok(d, "net-list", "--all"))
        check(["web", "inactive", "no", "yes"] in rows, f"net-list --all shows web inactive: {rows}")
        check(table(virsh_ok(d, "net-list")) == [], "net-list (active only) is empty")

        # net-uuid and net-name agree
        net_uuid = virsh_ok(d, "net-uuid", "web").strip()
        check(uuid.UUID(net_uuid) is not None, f"net-uuid prints a UUID ({net_uuid})")
        check(virsh_ok(d, "net-name", net_uuid).strip() == "web", "net-name finds web by UUID")

        # net-dumpxml carries the definition
        xml = virsh_ok(d, "net-dumpxml", "web")
        check("<name>web</name>" in xml and f"<uuid>{net_uuid}</uuid>" in xml,
              "net-dumpxml has the name and UUID")
        check("<bridge name='br-web'" in xml, "net-dumpxml has the bridge")
        inactive_xml = virsh_ok(d, "net-dumpxml", "--inactive", "web")
        check("<name>web</name>" in inactive_xml, "net-dumpxml --inactive works")

        # net-start, net-info
        out = virsh_ok(d, "net-start", "web")
        check("Network web started" in out, "net-start reports the start")
        fields = info(virsh_ok(d, "net-info", "web"))
        check(fields.get("Name") == "web" and fields.get("UUID") == net_uuid,
              f"net-info names the network: {fields}")
        check(fields.get("Active") == "yes" and fields.get("Persistent") == "yes" and
              fields.get("Autostart") == "no", "net-info: active, persistent, no autostart")
        check(fields.get("Bridge") == "br-web", "net-info shows the bridge")
        rows = table(virsh_ok(d, "net-list"))
        check(["web", "active", "no", "yes"] in rows, "net-list shows web active")

        # net-autostart and --disable
        out = virsh_ok(d, "net-autostart", "web")
        check("Network web marked as autostarted" in out, "net-autostart")
        check(info(virsh_ok(d, "net-info", "web")).get("Autostart") == "yes",
              "net-info shows autostart")
        rows = table(virsh_ok(d, "net-list", "--autostart"))
        check(any(r[0] == "web" for r in rows), "net-list --autostart lists web")
        out = virsh_ok(d, "net-autostart", "web", "--disable")
        check("Network web unmarked as autostarted" in out, "net-autostart --disable")
        check(info(virsh_ok(d, "net-info", "web")).get("Autostart") == "no",
              "net-info shows no autostart")

        # net-port-create, net-port-list, net-port-dumpxml
        port = str(uuid.uuid4())
        port_file = os.path.join(files, "port.xml")
        with open(port_file, "w") as f:
            f.write(PORT.format(port=port, owner=str(uuid.uuid4())))
        out = virsh_ok(d, "net-port-create", "web", port_file)
        check(f"Network port {port} created from {port_file}" in out, "net-port-create")
        out = virsh_ok(d, "net-port-list", "web", "--uuid")
        check(out.split() == [port], f"net-port-list --uuid lists the port: {out.split()}")
        out = virsh_ok(d, "net-port-list", "web")
        check(port in out, "net-port-list lists the port")
        port_xml = virsh_ok(d, "net-port-dumpxml", "web", port)
        check(f"<uuid>{port}</uuid>" in port_xml, "net-port-dumpxml has the port UUID")
        check(re.search(r"<plug type='bridge' bridge='br-web'", port_xml) is not None,
              f"the port is plugged into the bridge:\n{port_xml}")
        check("<tag id='10'/>" in port_xml, "the default portgroup's VLAN reached the port")
        check("<virtualport type='openvswitch'>" in port_xml,
              "the network's openvswitch virtualport reached the port")
        rc, out, err = virsh(d, "net-port-create", "web", port_file)
        check(rc != 0 and "error:" in err, f"creating the same port twice fails: {err.strip()}")

        # net-update add portgroup, live and config
        out = virsh_ok(d, "net-update", "web", "add", "portgroup", UPDATE_PORTGROUP,
                       "--live", "--config")
        check("Updated network web persistent config and live state" in out,
              f"net-update reports both: {out.strip()}")
        check("<portgroup name='pg20'>" in virsh_ok(d, "net-dumpxml", "web"),
              "the live definition has the new portgroup")
        check("<portgroup name='pg20'>" in virsh_ok(d, "net-dumpxml", "--inactive", "web"),
              "the persistent definition has the new portgroup")

        # net-dhcp-leases: no DHCP, no leases, no error
        rc, out, err = virsh(d, "net-dhcp-leases", "web")
        check(rc == 0, f"net-dhcp-leases succeeds: {err.strip()}")

        # net-port-delete
        out = virsh_ok(d, "net-port-delete", "web", port)
        check(f"Network port {port} deleted" in out, "net-port-delete")
        check(virsh_ok(d, "net-port-list", "web", "--uuid").split() == [],
              "the port list is empty again")
        # virsh 9.0 prints the failure but exits 0 for this command: check what it prints.
        rc, out, err = virsh(d, "net-port-dumpxml", "web", port)
        check(f"error: failed to get network port '{port}'" in err,
              f"a deleted port is not found: {err.strip()}")

        # Errors carry libvirt's messages.
        rc, out, err = virsh(d, "net-start", "nosuchnet")
        check(rc == 1 and "error: failed to get network 'nosuchnet'" in err and
              "Network not found: no network with matching name 'nosuchnet'" in err,
              f"a missing network is reported as libvirt does: {err.strip()}")
        rc, out, err = virsh(d, "net-start", "web")
        check(rc == 1 and "network is already active" in err,
              f"starting an active network fails: {err.strip()}")

        # net-destroy, net-undefine
        out = virsh_ok(d, "net-destroy", "web")
        check("Network web destroyed" in out, "net-destroy")
        check(["web", "inactive", "no", "yes"] in table(virsh_ok(d, "net-list", "--all")),
              "web is inactive after net-destroy")
        out = virsh_ok(d, "net-undefine", "web")
        check("Network web has been undefined" in out, "net-undefine")
        check(table(virsh_ok(d, "net-list", "--all")) == [], "no network left")

        # net-create: a transient network, gone after destroy
        with open(os.path.join(files, "tmp.xml"), "w") as f:
            f.write(NETWORK.format(name="tmp"))
        out = virsh_ok(d, "net-create", os.path.join(files, "tmp.xml"))
        check("Network tmp created from" in out, "net-create")
        rows = table(virsh_ok(d, "net-list", "--all"))
        check(["tmp", "active", "no", "no"] in rows, f"tmp is active and transient: {rows}")
        virsh_ok(d, "net-destroy", "tmp")
        check(table(virsh_ok(d, "net-list", "--all")) == [], "a destroyed transient network is gone")

        # Definitions survive a restart of dvsd.
        virsh_ok(d, "net-define", net_file)
        d.restart()
        check(["web", "inactive", "no", "yes"] in table(virsh_ok(d, "net-list", "--all")),
              "the definition survived a dvsd restart")
        check(virsh_ok(d, "net-uuid", "web").strip() != "",
              "the network is addressable after the restart")

        d.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
