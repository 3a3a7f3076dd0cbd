# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every virsh command of driver-spec §3.3, run by the real virsh against a real dvsd."""

import os
import re
import sys
import uuid

from dvstest import Cases, Dvsd, check, require_programs, virsh, virsh_ok

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


cases = Cases()


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


@cases.case
def net_define(w):
    # net-define
    out = virsh_ok(w.d, "net-define", w.net_file)
    check(f"Network web defined from {w.net_file}" in out, "net-define reports the network")


@cases.case
def net_list_inactive(w):
    # net-list --all: inactive, persistent, no autostart
    rows = table(virsh_ok(w.d, "net-list", "--all"))
    check(["web", "inactive", "no", "yes"] in rows, f"net-list --all shows web inactive: {rows}")
    check(table(virsh_ok(w.d, "net-list")) == [], "net-list (active only) is empty")


@cases.case
def net_uuid_and_net_name(w):
    # net-uuid and net-name agree
    w.net_uuid = virsh_ok(w.d, "net-uuid", "web").strip()
    check(uuid.UUID(w.net_uuid) is not None, f"net-uuid prints a UUID ({w.net_uuid})")
    check(virsh_ok(w.d, "net-name", w.net_uuid).strip() == "web", "net-name finds web by UUID")


@cases.case
def net_dumpxml(w):
    # net-dumpxml carries the definition
    xml = virsh_ok(w.d, "net-dumpxml", "web")
    check("<name>web</name>" in xml and f"<uuid>{w.net_uuid}</uuid>" in xml,
          "net-dumpxml has the name and UUID")
    check("<bridge name='br-web'" in xml, "net-dumpxml has the bridge")
    inactive_xml = virsh_ok(w.d, "net-dumpxml", "--inactive", "web")
    check("<name>web</name>" in inactive_xml, "net-dumpxml --inactive works")


@cases.case
def net_start_and_net_info(w):
    # net-start, net-info
    out = virsh_ok(w.d, "net-start", "web")
    check("Network web started" in out, "net-start reports the start")
    fields = info(virsh_ok(w.d, "net-info", "web"))
    check(fields.get("Name") == "web" and fields.get("UUID") == w.net_uuid,
          f"net-info names the network: {fields}")
    check(fields.get("Active") == "yes" and fields.get("Persistent") == "yes" and
          fields.get("Autostart") == "no", "net-info: active, persistent, no autostart")
    check(fields.get("Bridge") == "br-web", "net-info shows the bridge")
    rows = table(virsh_ok(w.d, "net-list"))
    check(["web", "active", "no", "yes"] in rows, "net-list shows web active")


@cases.case
def net_autostart(w):
    # net-autostart and --disable
    out = virsh_ok(w.d, "net-autostart", "web")
    check("Network web marked as autostarted" in out, "net-autostart")
    check(info(virsh_ok(w.d, "net-info", "web")).get("Autostart") == "yes",
          "net-info shows autostart")
    rows = table(virsh_ok(w.d, "net-list", "--autostart"))
    check(any(r[0] == "web" for r in rows), "net-list --autostart lists web")
    out = virsh_ok(w.d, "net-autostart", "web", "--disable")
    check("Network web unmarked as autostarted" in out, "net-autostart --disable")
    check(info(virsh_ok(w.d, "net-info", "web")).get("Autostart") == "no",
          "net-info shows no autostart")


@cases.case
def net_port_create_list_dumpxml(w):
    # net-port-create, net-port-list, net-port-dumpxml
    w.port = str(uuid.uuid4())
    w.port_file = os.path.join(w.files, "port.xml")
    with open(w.port_file, "w") as f:
        f.write(PORT.format(port=w.port, owner=str(uuid.uuid4())))
    out = virsh_ok(w.d, "net-port-create", "web", w.port_file)
    check(f"Network port {w.port} created from {w.port_file}" in out, "net-port-create")
    out = virsh_ok(w.d, "net-port-list", "web", "--uuid")
    check(out.split() == [w.port], f"net-port-list --uuid lists the port: {out.split()}")
    out = virsh_ok(w.d, "net-port-list", "web")
    check(w.port in out, "net-port-list lists the port")
    port_xml = virsh_ok(w.d, "net-port-dumpxml", "web", w.port)
    check(f"<uuid>{w.port}</uuid>" in port_xml, "net-port-dumpxml has the port UUID")
    check(re.search(r"<plug type='bridge' bridge='br-web'", port_xml) is not None,
          f"the port is plugged into the bridge:\n{port_xml}")
    check("<tag id='10'/>" in port_xml, "the default portgroup's VLAN reached the port")
    check("<virtualport type='openvswitch'>" in port_xml,
          "the network's openvswitch virtualport reached the port")
    rc, out, err = virsh(w.d, "net-port-create", "web", w.port_file)
    check(rc != 0 and "error:" in err, f"creating the same port twice fails: {err.strip()}")


@cases.case
def net_update_portgroup(w):
    # net-update add portgroup, live and config
    out = virsh_ok(w.d, "net-update", "web", "add", "portgroup", UPDATE_PORTGROUP,
                   "--live", "--config")
    check("Updated network web persistent config and live state" in out,
          f"net-update reports both: {out.strip()}")
    check("<portgroup name='pg20'>" in virsh_ok(w.d, "net-dumpxml", "web"),
          "the live definition has the new portgroup")
    check("<portgroup name='pg20'>" in virsh_ok(w.d, "net-dumpxml", "--inactive", "web"),
          "the persistent definition has the new portgroup")


@cases.case
def net_dhcp_leases(w):
    # net-dhcp-leases: no DHCP, no leases, no error
    rc, out, err = virsh(w.d, "net-dhcp-leases", "web")
    check(rc == 0, f"net-dhcp-leases succeeds: {err.strip()}")


@cases.case
def net_port_delete(w):
    # net-port-delete
    out = virsh_ok(w.d, "net-port-delete", "web", w.port)
    check(f"Network port {w.port} deleted" in out, "net-port-delete")
    check(virsh_ok(w.d, "net-port-list", "web", "--uuid").split() == [],
          "the port list is empty again")
    # virsh 9.0 prints the failure but exits 0 for this command: check what it prints.
    rc, out, err = virsh(w.d, "net-port-dumpxml", "web", w.port)
    check(f"error: failed to get network port '{w.port}'" in err,
          f"a deleted port is not found: {err.strip()}")


@cases.case
def errors_carry_libvirt_messages(w):
    # Errors carry libvirt's messages.
    rc, out, err = virsh(w.d, "net-start", "nosuchnet")
    check(rc == 1 and "error: failed to get network 'nosuchnet'" in err and
          "Network not found: no network with matching name 'nosuchnet'" in err,
          f"a missing network is reported as libvirt does: {err.strip()}")
    rc, out, err = virsh(w.d, "net-start", "web")
    check(rc == 1 and "network is already active" in err,
          f"starting an active network fails: {err.strip()}")


@cases.case
def net_destroy_and_net_undefine(w):
    # net-destroy, net-undefine
    out = virsh_ok(w.d, "net-destroy", "web")
    check("Network web destroyed" in out, "net-destroy")
    check(["web", "inactive", "no", "yes"] in table(virsh_ok(w.d, "net-list", "--all")),
          "web is inactive after net-destroy")
    out = virsh_ok(w.d, "net-undefine", "web")
    check("Network web has been undefined" in out, "net-undefine")
    check(table(virsh_ok(w.d, "net-list", "--all")) == [], "no network left")


@cases.case
def net_create_transient(w):
    # net-create: a transient network, gone after destroy
    with open(os.path.join(w.files, "tmp.xml"), "w") as f:
        f.write(NETWORK.format(name="tmp"))
    out = virsh_ok(w.d, "net-create", os.path.join(w.files, "tmp.xml"))
    check("Network tmp created from" in out, "net-create")
    rows = table(virsh_ok(w.d, "net-list", "--all"))
    check(["tmp", "active", "no", "no"] in rows, f"tmp is active and transient: {rows}")
    virsh_ok(w.d, "net-destroy", "tmp")
    check(table(virsh_ok(w.d, "net-list", "--all")) == [], "a destroyed transient network is gone")


@cases.case
def definitions_survive_a_restart(w):
    # Definitions survive a restart of dvsd.
    virsh_ok(w.d, "net-define", w.net_file)
    w.d.restart()
    check(["web", "inactive", "no", "yes"] in table(virsh_ok(w.d, "net-list", "--all")),
          "the definition survived a dvsd restart")
    check(virsh_ok(w.d, "net-uuid", "web").strip() != "",
          "the network is addressable after the restart")


class World:
    def __init__(self, dvsd):
        self.d = dvsd
        self.files = os.path.join(dvsd.root, "files")
        os.makedirs(self.files)
        self.net_file = os.path.join(self.files, "web.xml")
        with open(self.net_file, "w") as f:
            f.write(NETWORK.format(name="web"))
        self.net_uuid = None
        self.port = None
        self.port_file = None


def main():
    require_programs("virsh")
    with Dvsd(sys.argv[1]) as d:
        d.start()
        rc = cases.run(World(d))
        d.stop()
        return rc


if __name__ == "__main__":
    sys.exit(main())
