# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtqemud's call sequences on the network connection (driver-spec §3.4), repeated with
libvirt's own client library against dvsd, with dvsd restarted between the steps."""

import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dvsd_harness import Dvsd, check, fail, skip  # noqa: E402

try:
    import libvirt
except ImportError:
    skip("python3-libvirt is not installed for /usr/bin/python3")

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


def quiet_errors():
    # libvirt prints every error to stderr by default; the test checks them itself.
    libvirt.registerErrorHandler(lambda ctx, err: None, None)


def network_connection(d):
    """A fresh connection, as virGetConnectNetwork() opens one for every step."""
    conn = libvirt.open(d.uri())
    conn.setIdentity({
        libvirt.VIR_CONNECT_IDENTITY_USER_NAME: "root",
        libvirt.VIR_CONNECT_IDENTITY_UNIX_USER_ID: 0,
        libvirt.VIR_CONNECT_IDENTITY_GROUP_NAME: "root",
        libvirt.VIR_CONNECT_IDENTITY_UNIX_GROUP_ID: 0,
        libvirt.VIR_CONNECT_IDENTITY_PROCESS_ID: os.getpid(),
    })
    return conn


def expect_error(code, fn, what):
    try:
        fn()
    except libvirt.libvirtError as e:
        check(e.get_error_code() == code, f"{what}: error {e.get_error_code()} "
              f"'{e.get_error_message()}', want {code}")
        return e
    fail(f"{what}: no error")


def main():
    quiet_errors()
    with Dvsd(sys.argv[1]) as d:
        d.start()
        conn = libvirt.open(d.uri())
        net = conn.networkDefineXML(NETWORK)
        net.create()
        net_uuid = net.UUIDString()
        conn.close()

        vm_uuid = str(uuid.uuid4())
        port_uuid = str(uuid.uuid4())
        mac = "52:54:00:aa:bb:cc"

        # Domain start, connection A: what kind of network is it?
        d.restart()
        conn = network_connection(d)
        net = conn.networkLookupByName("hostbr")
        xml = net.XMLDesc(0)
        check("<forward mode='bridge'/>" in xml, "connection A reads the forward mode")
        conn.close()

        # Domain start, connection B: allocate the port, read it back.
        d.restart()
        conn = network_connection(d)
        net = conn.networkLookupByName("hostbr")
        port = net.portCreateXML(PORT.format(port=port_uuid, vm="vm1", owner=vm_uuid, mac=mac), 0)
        check(port.UUIDString() == port_uuid, "the port keeps the UUID qemu chose")
        port_xml = port.XMLDesc(0)
        check("<plug type='bridge' bridge='br0test'/>" in port_xml,
              f"the allocated port is plugged into the bridge:\n{port_xml}")
        check("<tag id='42'/>" in port_xml, "the default portgroup's VLAN is on the port")
        check("<rxfilters trustGuest='yes'/>" in port_xml,
              "the default portgroup's trustGuestRxFilters is on the port")
        check("interfaceid=" in port_xml, "an openvswitch interfaceid was generated")
        conn.close()

        # Plug without RECLAIM is refused; RECLAIM without plug too.
        conn = network_connection(d)
        net = conn.networkLookupByName("hostbr")
        stray = str(uuid.uuid4())
        expect_error(libvirt.VIR_ERR_INVALID_ARG, lambda: net.portCreateXML(
            RECLAIM_PORT.format(port=stray, vm="vm9", owner=str(uuid.uuid4()),
                                mac="52:54:00:00:00:09", ifaceid=str(uuid.uuid4())), 0),
            "a plug without RECLAIM")
        expect_error(libvirt.VIR_ERR_INVALID_ARG, lambda: net.portCreateXML(
            PORT.format(port=stray, vm="vm9", owner=str(uuid.uuid4()), mac="52:54:00:00:00:09"),
            libvirt.VIR_NETWORK_PORT_CREATE_RECLAIM), "RECLAIM without a plug")
        conn.close()

        # virtqemud restarts with vm1 running: the port is known, nothing else happens.
        d.restart()
        conn = network_connection(d)
        net = conn.networkLookupByName("hostbr")
        port = net.portLookupByUUIDString(port_uuid)
        check("<plug type='bridge' bridge='br0test'/>" in port.XMLDesc(0),
              "after a dvsd restart the port is still there with its plug")
        conn.close()

        # vm2's port is unknown to dvsd (allocated before dvsd took over): lookup fails, then
        # create with RECLAIM and the saved plug, then read it.
        vm2_port = str(uuid.uuid4())
        vm2_iface = str(uuid.uuid4())
        conn = network_connection(d)
        net = conn.networkLookupByName("hostbr")
        expect_error(libvirt.VIR_ERR_NO_NETWORK_PORT,
                     lambda: net.portLookupByUUIDString(vm2_port), "an unknown port")
        port = net.portCreateXML(
            RECLAIM_PORT.format(port=vm2_port, vm="vm2", owner=str(uuid.uuid4()),
                                mac="52:54:00:aa:bb:02", ifaceid=vm2_iface),
            libvirt.VIR_NETWORK_PORT_CREATE_RECLAIM)
        reclaimed = port.XMLDesc(0)
        check("<plug type='bridge' bridge='br0test'/>" in reclaimed and vm2_iface in reclaimed,
              "the reclaimed port keeps its plug and interfaceid")
        conn.close()
        d.restart()
        conn = network_connection(d)
        net = conn.networkLookupByName("hostbr")
        ports = sorted(p.UUIDString() for p in net.listAllPorts(0))
        check(ports == sorted([port_uuid, vm2_port]), f"both ports survived: {ports}")
        conn.close()

        # domiftune: set the port's bandwidth.
        d.restart()
        conn = network_connection(d)
        net = conn.networkLookupByName("hostbr")
        port = net.portLookupByUUIDString(port_uuid)
        port.setParameters({libvirt.VIR_NETWORK_PORT_BANDWIDTH_IN_AVERAGE: 1000,
                            libvirt.VIR_NETWORK_PORT_BANDWIDTH_IN_BURST: 2048,
                            libvirt.VIR_NETWORK_PORT_BANDWIDTH_OUT_AVERAGE: 500}, 0)
        conn.close()
        d.restart()
        conn = network_connection(d)
        port = conn.networkLookupByName("hostbr").portLookupByUUIDString(port_uuid)
        params = port.parameters(0)
        check(params.get(libvirt.VIR_NETWORK_PORT_BANDWIDTH_IN_AVERAGE) == 1000 and
              params.get(libvirt.VIR_NETWORK_PORT_BANDWIDTH_IN_BURST) == 2048 and
              params.get(libvirt.VIR_NETWORK_PORT_BANDWIDTH_OUT_AVERAGE) == 500,
              f"the bandwidth survived a restart: {params}")
        check("average='1000'" in port.XMLDesc(0), "the port XML shows the new bandwidth")
        conn.close()

        # Domain destroy: lookup, port lookup, delete, for both VMs.
        d.restart()
        for uuid_text in (port_uuid, vm2_port):
            conn = network_connection(d)
            net = conn.networkLookupByName("hostbr")
            net.portLookupByUUIDString(uuid_text).delete(0)
            conn.close()
        d.restart()
        conn = network_connection(d)
        net = conn.networkLookupByName("hostbr")
        check(net.listAllPorts(0) == [], "no port is left after both VMs stopped")
        check(net.UUIDString() == net_uuid, "the network kept its UUID through every restart")
        check(net.isActive() == 1, "the network stayed active through every restart")

        # Connection-level calls a generic client makes.
        check(conn.getType() == "network", "the driver is called 'network'")
        check(conn.getLibVersion() >= 9000000, "a libvirt 9.0 compatible library version")
        check(conn.isSecure() == 1, "a unix socket is secure")
        conn.close()

        d.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
