# SPDX-License-Identifier: LGPL-2.1-or-later
"""XML builders for the documents tests feed to dvsd, virsh and dvsctl: networks, portgroups,
the dvs: extension, network ports as virtqemud creates them, and guests' interfaces.

Attribute values are escaped; the output is what a person would write, one element per line."""

import os
import uuid as uuidlib
from xml.sax.saxutils import quoteattr

DVS_NS = "https://libvirt-dvs.org/xmlns/network/1.0"


def _attrs(**attrs):
    """ name='value' for each attribute that is not None (a trailing _ is dropped: type_)."""
    return "".join(f" {k.rstrip('_')}={quoteattr(str(v))}" for k, v in attrs.items()
                   if v is not None)


def vlan(*tags, trunk=False, native=None):
    """<vlan>: tags are ids; native=(id, 'untagged'|'tagged') adds nativeMode to that tag."""
    if not tags:
        return ""
    body = ""
    for t in tags:
        mode = native[1] if native and native[0] == t else None
        body += f"<tag{_attrs(id=t, nativeMode=mode)}/>"
    return f"<vlan{' trunk=' + quoteattr('yes') if trunk else ''}>{body}</vlan>"


def bandwidth(inbound=None, outbound=None):
    """<bandwidth> from dicts of attributes (average, peak, burst, floor)."""
    if not inbound and not outbound:
        return ""
    body = ""
    if inbound:
        body += f"<inbound{_attrs(**inbound)}/>"
    if outbound:
        body += f"<outbound{_attrs(**outbound)}/>"
    return f"<bandwidth>{body}</bandwidth>"


def portgroup(name, vlan_id=None, default=False, trunk=None, bandwidth_xml="", extra=""):
    """<portgroup name=...> with one access VLAN (vlan_id), or trunk (a list of ids)."""
    body = ""
    if vlan_id is not None:
        body += vlan(vlan_id)
    elif trunk:
        body += vlan(*trunk, trunk=True)
    body += bandwidth_xml + extra
    return (f"<portgroup{_attrs(name=name, default='yes' if default else None)}>"
            f"{body}</portgroup>")


def dvs_uplink(kind="interface", interfaces=(), name=None, mode=None, lacp=None, **settings):
    """<dvs:uplink type=kind>: kind interface / ovs-bond / linux-bond; interfaces may be empty
    (a distributed switch's uplink names no NICs: each member brings its own)."""
    body = ""
    if lacp:
        body += f"<dvs:lacp{_attrs(**lacp)}/>"
    body += "".join(f"<dvs:interface{_attrs(name=i)}/>" for i in interfaces)
    return f"<dvs:uplink{_attrs(type=kind, name=name, mode=mode, **settings)}>{body}</dvs:uplink>"


def dvs_metadata(role="vm", uplink=""):
    return (f"<metadata><dvs:network xmlns:dvs={quoteattr(DVS_NS)}{_attrs(role=role)}>"
            f"{uplink}</dvs:network></metadata>")


def network(name, bridge=None, portgroups=(), forward="bridge", virtualport="openvswitch",
            uuid=None, metadata="", extra=""):
    """<network>: by default an Open vSwitch bridge network (forward bridge, virtualport
    openvswitch) named name on bridge (default: br-NAME cut to 15 bytes)."""
    bridge = bridge or ("br-" + name)[:15]
    parts = [f"<name>{name}</name>"]
    if uuid:
        parts.append(f"<uuid>{uuid}</uuid>")
    if metadata:
        parts.append(metadata)
    if forward:
        parts.append(f"<forward{_attrs(mode=forward)}/>")
    if bridge:
        parts.append(f"<bridge{_attrs(name=bridge)}/>")
    if virtualport:
        parts.append(f"<virtualport{_attrs(type=virtualport)}/>")
    parts += list(portgroups)
    if extra:
        parts.append(extra)
    return "<network>\n  " + "\n  ".join(parts) + "\n</network>\n"


def random_mac():
    return "52:54:00:%02x:%02x:%02x" % tuple(os.urandom(3))


def networkport(group=None, mac=None, owner=None, port_uuid=None, bandwidth_xml="",
                network_name=None):
    """A <networkport> as virtqemud creates it (no <plug>): returns (xml, port uuid)."""
    port_uuid = port_uuid or str(uuidlib.uuid4())
    owner_uuid = str(uuidlib.uuid4())
    owner = owner or f"vm-{port_uuid[:8]}"
    net = f"<network>{network_name}</network>" if network_name else ""
    xml = (f"<networkport><uuid>{port_uuid}</uuid>{net}"
           f"<owner><name>{owner}</name><uuid>{owner_uuid}</uuid></owner>"
           + (f"<group>{group}</group>" if group else "")
           + f"<mac{_attrs(address=mac or random_mac())}/>{bandwidth_xml}</networkport>")
    return xml, port_uuid


def interface(network_name, portgroup_name=None, model="virtio", mac=None):
    """A domain's <interface type='network'>."""
    mac_xml = f"<mac{_attrs(address=mac)}/>" if mac else ""
    return (f"<interface type='network'>{mac_xml}"
            f"<source{_attrs(network=network_name, portgroup=portgroup_name)}/>"
            f"<model{_attrs(type=model)}/></interface>")
