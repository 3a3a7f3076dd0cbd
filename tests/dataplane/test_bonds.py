# SPDX-License-Identifier: LGPL-2.1-or-later
"""The dvs: uplink, an OVS bond or a single interface, with real ovs-vswitchd (userspace
datapath). The bond's members are veth pairs to a second bridge, "the physical switch", where
a peer bond and the remote guest live:

    guest g1 -- br-X (dvsd: network, uplink bond) == veth x2 == bond -- br-peer -- guest g2

An active-backup bond keeps ping flowing when its active member goes down; balance-tcp with
active, fast LACP negotiates with the peer bond and survives a member going down; a single
interface as the uplink carries the VLAN to the peer switch.

    test_bonds.py DVSD DVSCTL
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataplane as dp  # noqa: E402
from dataplane import Cases, check  # noqa: E402

cases = Cases()

NETWORK = """<network>
  <name>{name}</name>
  <metadata>
    <dvs:network xmlns:dvs='https://libvirt-dvs.org/xmlns/network/1.0' role='vm'>
      <dvs:uplink type='ovs-bond' name='{bond}' mode='{mode}'>{lacp}
        <dvs:interface name='{bond}-0'/>
        <dvs:interface name='{bond}-1'/>
      </dvs:uplink>
    </dvs:network>
  </metadata>
  <forward mode='bridge'/>
  <bridge name='br-{name}'/>
  <virtualport type='openvswitch'/>
  <portgroup name='v10' default='yes'><vlan><tag id='10'/></vlan></portgroup>
</network>"""


def build(w, name, bond, mode, lacp, peer_options, subnet):
    """The network with its bond, the peer switch with its bond and guest; returns (g1, g2)."""
    ovs = w.ovs
    members = [f"{bond}-0", f"{bond}-1"]
    peers = [f"{bond}-p0", f"{bond}-p1"]
    for member, peer in zip(members, peers):
        dp.veth_pair(member, peer)
    lacp_xml = f"\n        <dvs:lacp mode='{lacp[0]}' rate='{lacp[1]}'/>" if lacp else ""
    net = w.define_network(NETWORK.format(name=name, bond=bond, mode=mode, lacp=lacp_xml))
    ovs.wait_until("Port", bond, f"bond_mode={mode}")
    check(sorted(ovs.find("Interface", f"name={members[0]}", columns="name") +
                 ovs.find("Interface", f"name={members[1]}", columns="name")) == members,
          f"net-start made the uplink bond {bond} of {members[0]} and {members[1]} ({mode})")

    peer_bridge = f"br-{name}-peer"
    ovs.vsctl("add-br", peer_bridge, "--", "set", "bridge", peer_bridge,
              "datapath_type=netdev")
    ovs.vsctl("add-bond", peer_bridge, f"{bond}-peer", *peers, *peer_options)
    g1 = w.plugged_guest(net, "g1", f"{subnet}.1", f"{name}g1")
    g2 = w.guest("g2", f"{subnet}.2", f"{name}g2")
    ovs.vsctl("add-port", peer_bridge, g2.ifname, "tag=10")
    ovs.wait_until("Port", g1.ifname, "tag=10")
    return g1, g2


@cases.case
def active_backup(w):
    ovs = w.ovs
    g1, g2 = build(w, "ab", "bond-ab", "active-backup", None, ["bond_mode=active-backup"],
                   "10.30.0")
    dp.wait_bond(ovs, "bond-ab", r"^active[- ](member|slave) mac: .*\(bond-ab-\d\)",
                 "the bond has an active member")
    active = dp.active_member(ovs, "bond-ab")
    # An active-backup bond drops what arrives on its backup member: the peer switch must use
    # the same link, as a real switch's own failover would.
    ovs.appctl("bond/set-active-member", "bond-ab-peer", active.replace("bond-ab-", "bond-ab-p"))
    check(g1.reaches(g2), f"ping crosses the active-backup bond (active member {active})")

    # A stream of pings (one every 20 ms, 8 s in all) while the active member's link goes down.
    stream = g1.ping_stream(g2, count=400)
    dp.wait_for(lambda: stream.replies() >= 10, what="the first replies")
    before_down = stream.replies()
    dp.run("ip", "link", "set", active, "down")
    other = "bond-ab-1" if active == "bond-ab-0" else "bond-ab-0"
    dp.wait_bond(ovs, "bond-ab", rf"^active[- ](member|slave) mac: .*\({other}\)",
                 f"the bond fails over to {other}")
    check(True, f"with {active} down, ovs-vswitchd made {other} the active member")
    after_failover = stream.replies()
    sent, received = stream.finish()
    check(received > after_failover and received >= before_down + 20,
          f"ping kept flowing across the failover: {received} of {sent} replies, "
          f"{received - after_failover} after the failover")
    check(g2.reaches(g1), "... and the remote guest reaches the local one over the other member")


@cases.case
def lacp(w):
    ovs = w.ovs
    g1, g2 = build(w, "tcp", "bond-tcp", "balance-tcp", ("active", "fast"),
                   ["bond_mode=balance-tcp", "lacp=active", "other_config:lacp-time=fast"],
                   "10.31.0")
    check(ovs.get("Port", "bond-tcp", "lacp") == "active" and
          ovs.get("Port", "bond-tcp", "other_config:lacp-time") == "fast",
          "the uplink bond has active, fast LACP")
    dp.wait_bond(ovs, "bond-tcp", r"^lacp_status: negotiated", "LACP negotiates")
    shown = dp.wait_bond(ovs, "bond-tcp",
                         r"^member bond-tcp-0: enabled(.|\n)*^member bond-tcp-1: enabled",
                         "both members are enabled")
    check("bond_mode: balance-tcp" in shown, "bond/show: balance-tcp, lacp_status negotiated, "
                                             "both members enabled")
    lacp_shown = ovs.appctl("lacp/show", "bond-tcp")
    check(re.search(r"status: active negotiated", lacp_shown) is not None and
          re.search(r"lacp_time: fast", lacp_shown) is not None,
          "lacp/show: status active negotiated, lacp_time fast")
    current = re.findall(r"^member: (bond-tcp-\d): current attached", lacp_shown, re.M)
    check(sorted(current) == ["bond-tcp-0", "bond-tcp-1"],
          f"lacp/show: both members current and attached ({current})")
    check(g1.reaches(g2), "ping crosses the LACP bond")

    stream = g1.ping_stream(g2, count=100)
    dp.wait_for(lambda: stream.replies() >= 10, what="the first replies")
    dp.run("ip", "link", "set", "bond-tcp-1", "down")
    dp.wait_bond(ovs, "bond-tcp", r"^member bond-tcp-1: disabled", "a member goes down")
    sent, received = stream.finish()
    check(received >= sent - 5 and "member bond-tcp-0: enabled" in ovs.appctl("bond/show",
                                                                               "bond-tcp"),
          f"with one LACP member down the other carries the traffic ({received}/{sent} replies)")
    check(g2.reaches(g1), "... both ways")


SINGLE = """<network>
  <name>one</name>
  <metadata>
    <dvs:network xmlns:dvs='https://libvirt-dvs.org/xmlns/network/1.0' role='vm'>
      <dvs:uplink type='interface'><dvs:interface name='up-one'/></dvs:uplink>
    </dvs:network>
  </metadata>
  <forward mode='bridge'/>
  <bridge name='br-one'/>
  <virtualport type='openvswitch'/>
  <portgroup name='v10' default='yes'><vlan><tag id='10'/></vlan></portgroup>
</network>"""


@cases.case
def single_interface(w):
    ovs = w.ovs
    dp.veth_pair("up-one", "up-one-p")
    net = w.define_network(SINGLE)
    ovs.wait_until("Port", "up-one", 'external_ids:dvs-uplink="one"')
    check(ovs.get("Port", "up-one", "bond_mode") == "[]" and
          ovs.get("Port", "up-one", "tag") == "[]",
          "net-start put the single uplink interface on br-one as a trunk, not a bond")
    ovs.vsctl("add-br", "br-one-peer", "--", "set", "bridge", "br-one-peer",
              "datapath_type=netdev")
    ovs.vsctl("add-port", "br-one-peer", "up-one-p")
    g1 = w.plugged_guest(net, "g1", "10.32.0.1", "oneg1")
    g2 = w.guest("g2", "10.32.0.2", "oneg2")
    ovs.vsctl("add-port", "br-one-peer", g2.ifname, "tag=10")
    ovs.wait_until("Port", g1.ifname, "tag=10")
    check(g1.reaches(g2) and g2.reaches(g1),
          "VLAN 10 crosses the single-interface uplink to a guest behind it")


def main():
    dp.enter_private_netns()
    dvsd_binary, dvsctl = sys.argv[1], sys.argv[2]
    with dp.World(dvsd_binary, dvsctl) as w:
        return cases.run(w, on_failure=lambda name, exc: w.dump())


if __name__ == "__main__":
    sys.exit(main())
