# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtqemud's call sequences on the network connection (driver-spec §3.4), repeated with
libvirt's own client library against dvsd, with dvsd restarted between the steps."""

import os
import sys
import uuid

from dvstest import Cases, Dvsd, check, fail, require_libvirt_python

libvirt = require_libvirt_python()

NETWORK = """<network>
  <name>hostbr</name>
  <forward mode='bridge'/>
  <bridge name='br0test'/>
  <virtualport type='openvswitch'/>
  <portgroup name='trusted' default='yes' trustGuestRxFilters='yes'>
    <vlan><tag id='42'/></vlan>
  </portgroup>
</network>
"""

# What qemu builds from <interface type='network'> (virDomainNetDefToNetworkPort): a fresh
# port UUID, the owner, the MAC, the interface's own bandwidth, no plug.
PORT = """<networkport>
  <uuid>{port}</uuid>
  <owner>
    <name>{vm}</name>
    <uuid>{owner}</uuid>
  </owner>
  <mac address='{mac}'/>
  <bandwidth>
    <inbound average='100'/>
    <outbound average='100'/>
  </bandwidth>
</networkport>
"""

# What qemu rebuilds from a saved <actual> after its own restart: the same, plus the plug.
RECLAIM_PORT = """<networkport>
  <uuid>{port}</uuid>
  <owner>
    <name>{vm}</name>
    <uuid>{owner}</uuid>
  </owner>
  <mac address='{mac}'/>
  <virtualport type='openvswitch'>
    <parameters interfaceid='{ifaceid}'/>
  </virtualport>
  <vlan>
    <tag id='42'/>
  </vlan>
  <rxfilters trustGuest='yes'/>
  <plug type='bridge' bridge='br0test'/>
</networkport>
"""


cases = Cases()


class World:
    def __init__(self, dvsd):
        self.d = dvsd
        self.net_uuid = None
        self.vm_uuid = str(uuid.uuid4())
        self.port_uuid = str(uuid.uuid4())
        self.vm2_port = str(uuid.uuid4())
        self.mac = "52:54:00:aa:bb:cc"

    def connection(self):
        """A fresh connection, as virGetConnectNetwork() opens one for every step."""
        conn = libvirt.open(self.d.uri())
        conn.setIdentity({
            libvirt.VIR_CONNECT_IDENTITY_USER_NAME: "root",
            libvirt.VIR_CONNECT_IDENTITY_UNIX_USER_ID: 0,
            libvirt.VIR_CONNECT_IDENTITY_GROUP_NAME: "root",
            libvirt.VIR_CONNECT_IDENTITY_UNIX_GROUP_ID: 0,
            libvirt.VIR_CONNECT_IDENTITY_PROCESS_ID: os.getpid(),
        })
        return conn

    def network(self, fn):
        """fn(network) on a fresh connection, closed afterwards."""
        conn = self.connection()
        try:
            return fn(conn.networkLookupByName("hostbr"))
        finally:
            conn.close()


def expect_error(code, fn, what):
    try:
        fn()
    except libvirt.libvirtError as e:
        check(e.get_error_code() == code, f"{what}: error {e.get_error_code()} "
              f"'{e.get_error_message()}', want {code}")
        return e
    fail(f"{what}: no error")


@cases.case
def start_reads_the_forward_mode(w):
    # Domain start, connection A: what kind of network is it?
    w.d.restart()
    xml = w.network(lambda net: net.XMLDesc(0))
    check("<forward mode='bridge'/>" in xml, "connection A reads the forward mode")


@cases.case
def start_allocates_the_port(w):
    # Domain start, connection B: allocate the port, read it back.
    w.d.restart()

    def allocate(net):
        port = net.portCreateXML(PORT.format(port=w.port_uuid, vm="vm1", owner=w.vm_uuid,
                                             mac=w.mac), 0)
        return port.UUIDString(), port.XMLDesc(0)

    port_uuid, port_xml = w.network(allocate)
    check(port_uuid == w.port_uuid, "the port keeps the UUID qemu chose")
    check("<plug type='bridge' bridge='br0test'/>" in port_xml,
          f"the allocated port is plugged into the bridge:\n{port_xml}")
    check("<tag id='42'/>" in port_xml, "the default portgroup's VLAN is on the port")
    check("<rxfilters trustGuest='yes'/>" in port_xml,
          "the default portgroup's trustGuestRxFilters is on the port")
    check("interfaceid=" in port_xml, "an openvswitch interfaceid was generated")


@cases.case
def plug_needs_reclaim_and_reclaim_a_plug(w):
    stray = str(uuid.uuid4())

    def refusals(net):
        expect_error(libvirt.VIR_ERR_INVALID_ARG, lambda: net.portCreateXML(
            RECLAIM_PORT.format(port=stray, vm="vm9", owner=str(uuid.uuid4()),
                                mac="52:54:00:00:00:09", ifaceid=str(uuid.uuid4())), 0),
            "a plug without RECLAIM")
        expect_error(libvirt.VIR_ERR_INVALID_ARG, lambda: net.portCreateXML(
            PORT.format(port=stray, vm="vm9", owner=str(uuid.uuid4()), mac="52:54:00:00:00:09"),
            libvirt.VIR_NETWORK_PORT_CREATE_RECLAIM), "RECLAIM without a plug")

    w.network(refusals)


@cases.case
def virtqemud_restart_finds_the_port(w):
    w.d.restart()
    xml = w.network(lambda net: net.portLookupByUUIDString(w.port_uuid).XMLDesc(0))
    check("<plug type='bridge' bridge='br0test'/>" in xml,
          "after a dvsd restart the port is still there with its plug")


@cases.case
def unknown_port_is_reclaimed(w):
    # vm2's port is unknown to dvsd (allocated before dvsd took over): lookup fails, then
    # create with RECLAIM and the saved plug, then read it.
    vm2_iface = str(uuid.uuid4())

    def reclaim(net):
        expect_error(libvirt.VIR_ERR_NO_NETWORK_PORT,
                     lambda: net.portLookupByUUIDString(w.vm2_port), "an unknown port")
        port = net.portCreateXML(
            RECLAIM_PORT.format(port=w.vm2_port, vm="vm2", owner=str(uuid.uuid4()),
                                mac="52:54:00:aa:bb:02", ifaceid=vm2_iface),
            libvirt.VIR_NETWORK_PORT_CREATE_RECLAIM)
        return port.XMLDesc(0)

    reclaimed = w.network(reclaim)
    check("<plug type='bridge' bridge='br0test'/>" in reclaimed and vm2_iface in reclaimed,
          "the reclaimed port keeps its plug and interfaceid")
    w.d.restart()
    ports = sorted(w.network(lambda net: [p.UUIDString() for p in net.listAllPorts(0)]))
    check(ports == sorted([w.port_uuid, w.vm2_port]), f"both ports survived: {ports}")


@cases.case
def domiftune_sets_the_bandwidth(w):
    w.d.restart()
    w.network(lambda net: net.portLookupByUUIDString(w.port_uuid).setParameters(
        {libvirt.VIR_NETWORK_PORT_BANDWIDTH_IN_AVERAGE: 1000,
         libvirt.VIR_NETWORK_PORT_BANDWIDTH_IN_BURST: 2048,
         libvirt.VIR_NETWORK_PORT_BANDWIDTH_OUT_AVERAGE: 500}, 0))
    w.d.restart()

    def read(net):
        port = net.portLookupByUUIDString(w.port_uuid)
        return port.parameters(0), port.XMLDesc(0)

    params, xml = w.network(read)
    check(params.get(libvirt.VIR_NETWORK_PORT_BANDWIDTH_IN_AVERAGE) == 1000 and
          params.get(libvirt.VIR_NETWORK_PORT_BANDWIDTH_IN_BURST) == 2048 and
          params.get(libvirt.VIR_NETWORK_PORT_BANDWIDTH_OUT_AVERAGE) == 500,
          f"the bandwidth survived a restart: {params}")
    check("average='1000'" in xml, "the port XML shows the new bandwidth")


@cases.case
def domain_destroy_deletes_the_ports(w):
    w.d.restart()
    for uuid_text in (w.port_uuid, w.vm2_port):
        w.network(lambda net: net.portLookupByUUIDString(uuid_text).delete(0))
    w.d.restart()

    def after(net):
        return net.listAllPorts(0), net.UUIDString(), net.isActive()

    ports, net_uuid, active = w.network(after)
    check(ports == [], "no port is left after both VMs stopped")
    check(net_uuid == w.net_uuid, "the network kept its UUID through every restart")
    check(active == 1, "the network stayed active through every restart")


@cases.case
def connection_calls(w):
    # Connection-level calls a generic client makes.
    conn = w.connection()
    try:
        check(conn.getType() == "network", "the driver is called 'network'")
        check(conn.getLibVersion() >= 9000000, "a libvirt 9.0 compatible library version")
        check(conn.isSecure() == 1, "a unix socket is secure")
    finally:
        conn.close()


def main():
    # libvirt prints every error to stderr by default; the test checks them itself.
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    with Dvsd(sys.argv[1]) as d:
        d.start()
        w = World(d)
        conn = libvirt.open(d.uri())
        net = conn.networkDefineXML(NETWORK)
        net.create()
        w.net_uuid = net.UUIDString()
        conn.close()
        rc = cases.run(w)
        d.stop()
        return rc


if __name__ == "__main__":
    sys.exit(main())
