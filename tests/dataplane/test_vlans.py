# SPDX-License-Identifier: LGPL-2.1-or-later
"""Guests on an OVS network that dvsd programs, with real ovs-vswitchd (userspace datapath):
portgroup VLANs separate them, a live portgroup change moves a port that is in use, a trunk
with a native VLAN carries the guest's untagged traffic in that VLAN, a port that libvirt plugs
with ovs-vsctl is adopted, and bandwidth becomes libvirt's QoS and policing rows, which a live
portgroup change updates in place.

    test_vlans.py DVSD DVSCTL
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataplane as dp  # noqa: E402
from dataplane import Cases, check  # noqa: E402

cases = Cases()

NETWORK = """<network>
  <name>dp</name>
  <forward mode='bridge'/>
  <bridge name='br-dp'/>
  <virtualport type='openvswitch'/>
  <portgroup name='blue' default='yes'><vlan><tag id='10'/></vlan></portgroup>
  <portgroup name='red'><vlan><tag id='20'/></vlan></portgroup>
  <portgroup name='trunk'>
    <vlan trunk='yes'><tag id='10' nativeMode='untagged'/><tag id='20'/></vlan>
  </portgroup>
  <portgroup name='limited'>
    <vlan><tag id='10'/></vlan>
    <bandwidth>
      <inbound average='1000' peak='2000' burst='256'/>
      <outbound average='500' burst='128'/>
    </bandwidth>
  </portgroup>
</network>"""

# libvirt's units (virnetdevopenvswitch.c): QoS and Queue rates in bit/s (KiB/s x 8000), burst
# in bits (KiB x 8192); ingress policing in kbit/s (x 8) and kbit (x 8).
QOS_MIN_RATE = str(1000 * 8000)
QOS_MAX_RATE = str(2000 * 8000)
QOS_BURST = str(256 * 8192)
POLICING_RATE = str(500 * 8)
POLICING_BURST = str(128 * 8)


def red_portgroup(tag):
    return f"<portgroup name='red'><vlan><tag id='{tag}'/></vlan></portgroup>"


def libvirt_plug(ovs, bridge, ifname, port_xml):
    """What virtqemud runs for a tap on an openvswitch network (libvirt 9.0): the
    plug with the port's VLAN and external_ids, then the domain's inbound as a QoS with one
    Queue on the Port, then its outbound as ingress policing on the Interface."""
    tag = re.search(r"<vlan>\s*<tag id='(\d+)'/>", port_xml).group(1)
    mac = dp.port_mac(port_xml)
    ifaceid = dp.interface_id(port_xml)
    vmid = dp.owner_uuid(port_xml)
    ovs.vsctl("--timeout=5", "--", "--may-exist", "add-port", bridge, ifname, f"tag={tag}",
              "--", "set", "Interface", ifname, f'external-ids:attached-mac="{mac}"',
              "--", "set", "Interface", ifname, f'external-ids:iface-id="{ifaceid}"',
              "--", "set", "Interface", ifname, f'external-ids:vm-id="{vmid}"',
              "--", "set", "Interface", ifname, "external-ids:iface-status=active")
    ids = [f'external-ids:vm-id="{vmid}"', f'external-ids:ifname="{ifname}"']
    rates = [f"other_config:min-rate={QOS_MIN_RATE}", f"other_config:burst={QOS_BURST}",
             f"other_config:max-rate={QOS_MAX_RATE}"]
    created = ovs.vsctl("--timeout=5", "--", "set", "port", ifname, "qos=@qos1", *ids,
                        "--", "--id=@qos1", "create", "qos", "type=linux-htb", *rates,
                        "queues:0=@queue0", *ids, "--", "--id=@queue0", "create", "queue",
                        *rates, *ids).split()
    ovs.vsctl("--timeout=5", "set", "Interface", ifname,
              f"ingress_policing_rate={POLICING_RATE}", f"ingress_policing_burst={POLICING_BURST}")
    # ovs-vsctl prints the uuid of each row it created, in order.
    return vmid, created[0], created[1]


def check_bandwidth_rows(ovs, ifname, vmid, what):
    """One QoS and one Queue for the port, with libvirt's rates, ids and units."""
    ovs.wait_until("Interface", ifname, f"ingress_policing_rate={POLICING_RATE}",
                   f"ingress_policing_burst={POLICING_BURST}")
    qos = ovs.get("Port", ifname, "qos")
    check(qos != "[]", f"{what}: the Port has a QoS")
    check(ovs.get("QoS", qos, "type") == "linux-htb", f"{what}: the QoS is linux-htb")
    for key, want in (("min-rate", QOS_MIN_RATE), ("max-rate", QOS_MAX_RATE),
                      ("burst", QOS_BURST)):
        got = ovs.get("QoS", qos, f"other_config:{key}")
        check(got == want, f"{what}: QoS {key} is {want} ({got})")
    queues = ovs.get("QoS", qos, "queues")
    check(re.fullmatch(r"\{0=[0-9a-f-]{36}\}", queues) is not None,
          f"{what}: one Queue, number 0 ({queues})")
    queue = ovs.get("QoS", qos, "queues:0")
    for key, want in (("min-rate", QOS_MIN_RATE), ("max-rate", QOS_MAX_RATE),
                      ("burst", QOS_BURST)):
        got = ovs.get("Queue", queue, f"other_config:{key}")
        check(got == want, f"{what}: Queue {key} is {want} ({got})")
    for table, row in (("QoS", qos), ("Queue", queue)):
        check(ovs.get(table, row, "external_ids:vm-id") == vmid and
              ovs.get(table, row, "external_ids:ifname") == ifname,
              f"{what}: the {table} carries libvirt's vm-id and ifname")
    owned = ovs.find("QoS", f'external_ids:vm-id="{vmid}"', f'external_ids:ifname="{ifname}"')
    check(len(owned) == 1, f"{what}: exactly one QoS row for the port ({len(owned)})")
    owned = ovs.find("Queue", f'external_ids:vm-id="{vmid}"', f'external_ids:ifname="{ifname}"')
    check(len(owned) == 1, f"{what}: exactly one Queue row for the port ({len(owned)})")
    shown = ovs.appctl("qos/show", ifname)
    check("QoS: linux-htb" in shown or "linux-htb" in shown,
          f"{what}: ovs-vswitchd applied linux-htb to the device ({shown.strip()[:60]!r})")


@cases.case
def three_guests_on_portgroup_vlans(w):
    w.net = w.define_network(NETWORK)
    w.ovs.wait_until("Bridge", "br-dp", "datapath_type=netdev")
    check(True, "net-start created the bridge br-dp with the userspace datapath")

    w.g1 = w.plugged_guest(w.net, "g1", "10.20.0.1", "vdp1")
    w.g2 = w.plugged_guest(w.net, "g2", "10.20.0.2", "vdp2")
    w.g3 = w.plugged_guest(w.net, "g3", "10.20.0.3", "vdp3", portgroup="red")
    for g, tag in ((w.g1, 10), (w.g2, 10), (w.g3, 20)):
        w.ovs.wait_until("Port", g.ifname, f"tag={tag}")
        w.ovs.wait_until("Interface", g.ifname,
                       f'external_ids:iface-id="{dp.interface_id(g.port_xml)}"',
                       f'external_ids:vm-id="{dp.owner_uuid(g.port_xml)}"',
                       f'external_ids:attached-mac="{dp.port_mac(g.port_xml)}"',
                       "external_ids:iface-status=active")
    check(True, "dvsctl port-plug put three guests on br-dp: VLAN 10, 10 and 20, "
                "with libvirt's external_ids")

    check(w.g1.reaches(w.g2), "two guests on VLAN 10 ping each other")
    check(w.g2.reaches(w.g1), "... both ways")
    check(w.g1.isolated_from(w.g3), "a guest on VLAN 20 cannot reach a guest on VLAN 10")
    check(w.g3.isolated_from(w.g2), "... nor the other one")


@cases.case
def live_portgroup_change_moves_a_port(w):
    # A live portgroup change moves the port that is in use.
    w.virsh("net-update", "dp", "modify", "portgroup", red_portgroup(10), "--live",
            "--config")
    w.ovs.wait_until("Port", w.g3.ifname, "tag=10")
    check(w.g3.reaches(w.g1), "after 'red' moved to VLAN 10 (net-update --live) its live port "
                          "reaches VLAN 10")
    w.virsh("net-update", "dp", "modify", "portgroup", red_portgroup(20), "--live",
            "--config")
    w.ovs.wait_until("Port", w.g3.ifname, "tag=20")
    check(w.g3.isolated_from(w.g1), "moved back to VLAN 20, it is cut off again")
    check(w.g1.reaches(w.g2), "the VLAN 10 guests were not disturbed")


@cases.case
def trunk_with_a_native_vlan(w):
    # A trunk of VLANs 10 and 20 with 10 native and untagged: the guest's untagged frames
    # belong to VLAN 10 (the kernel here has no 8021q module for tagged ones).
    w.g6 = w.plugged_guest(w.net, "g6", "10.20.0.6", "vdp6", portgroup="trunk")
    w.ovs.wait_until("Port", w.g6.ifname, "vlan_mode=native-untagged", "tag=10",
                   "trunks=[10,20]")
    check(True, "a trunk portgroup: vlan_mode native-untagged, tag 10, trunks 10 and 20")
    check(w.g6.reaches(w.g1), "the trunk guest's untagged traffic reaches VLAN 10")
    check(w.g6.isolated_from(w.g3), "... and not VLAN 20")


@cases.case
def libvirt_plugged_port_is_adopted(w):
    # A port plugged by libvirt (ovs-vsctl, exactly its arguments) is adopted, and the QoS
    # and Queue libvirt created are kept, not duplicated.
    port_uuid, port_xml = w.create_port(w.net, "limited")
    w.g4 = w.guest("g4", "10.20.0.4", "vdp4")
    vmid, w.qos, queue = libvirt_plug(w.ovs, "br-dp", w.g4.ifname, port_xml)
    w.ovs.wait_until("Port", w.g4.ifname, f'external_ids:dvs-port="{port_uuid}"')
    check(True, "dvsd adopted the port libvirt plugged (found by its iface-id)")
    w.ovs.wait_until("QoS", w.qos, f'external_ids:dvs-port="{port_uuid}"')
    w.ovs.wait_until("Queue", queue, f'external_ids:dvs-port="{port_uuid}"')
    check(w.ovs.get("Port", w.g4.ifname, "qos") == w.qos and
          w.ovs.get("QoS", w.qos, "queues:0") == queue,
          "the QoS and Queue libvirt created are the port's, tagged by dvsd (adopted)")
    check_bandwidth_rows(w.ovs, w.g4.ifname, vmid, "libvirt-plugged port")
    check(w.ovs.get("Port", w.g4.ifname, "tag") == "10", "its VLAN is the portgroup's")
    check(w.g4.reaches(w.g1), "the libvirt-plugged guest reaches VLAN 10")


@cases.case
def bandwidth_on_a_dvsd_plugged_port(w):
    # The same bandwidth on a port dvsd plugs itself.
    w.g5 = w.plugged_guest(w.net, "g5", "10.20.0.5", "vdp5", portgroup="limited")
    w.ovs.wait_until("Port", w.g5.ifname, "tag=10")
    check_bandwidth_rows(w.ovs, w.g5.ifname, dp.owner_uuid(w.g5.port_xml), "dvsd-plugged port")
    check(w.g5.reaches(w.g2), "the rate-limited guest reaches VLAN 10")
    total = len(w.ovs.find("QoS"))
    check(total == 2, f"two QoS rows in all, one per limited port ({total})")


@cases.case
def live_bandwidth_change_updates_rows_in_place(w):
    # A live bandwidth change of the portgroup updates both ports' rows in place.
    w.virsh("net-update", "dp", "modify", "portgroup",
            "<portgroup name='limited'><vlan><tag id='10'/></vlan><bandwidth>"
            "<inbound average='3000' peak='4000' burst='256'/>"
            "<outbound average='700' burst='128'/></bandwidth></portgroup>",
            "--live", "--config")
    for g in (w.g4, w.g5):
        w.ovs.wait_until("Interface", g.ifname, f"ingress_policing_rate={700 * 8}")
        queue = w.ovs.get("QoS", w.ovs.get("Port", g.ifname, "qos"), "queues:0")
        w.ovs.wait_until("Queue", queue, f'other_config:min-rate="{3000 * 8000}"',
                       f'other_config:max-rate="{4000 * 8000}"')
    check(w.ovs.get("Port", w.g4.ifname, "qos") == w.qos,
          "net-update of the portgroup's bandwidth changed both ports' rates; the adopted "
          "port keeps libvirt's QoS row")
    total = len(w.ovs.find("QoS"))
    check(total == 2 and len(w.ovs.find("Queue")) == 2,
          f"still two QoS and two Queue rows ({total})")
    check(w.g4.reaches(w.g5), "the two rate-limited guests reach each other")


def main():
    dp.enter_private_netns()
    dvsd_binary, dvsctl = sys.argv[1], sys.argv[2]
    with dp.World(dvsd_binary, dvsctl) as w:
        return cases.run(w, on_failure=lambda name, exc: w.dump())


if __name__ == "__main__":
    sys.exit(main())
