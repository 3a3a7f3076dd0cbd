#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the seed corpus of every fuzz target into fuzz/corpus/TARGET/.

XML seeds are the project's own test data (tests/data) and, when a folder of libvirt 9.0's
network test data is given, its network, port and net-update inputs. RPC and OVSDB seeds are
built here: client sessions in libvirt's wire format and OVSDB server messages. Seeds already
in a corpus (including regression inputs named crash-*) are kept; running it again only adds.

usage: fuzz/seeds.py [LIBVIRT_TEST_DATA_DIR]
"""
import hashlib
import json
import os
import struct
import sys
import uuid as uuidlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(HERE, "corpus")


def put(target, data, name=None):
    if isinstance(data, str):
        data = data.encode()
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    name = name or "seed-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def xml_files(folder):
    if not os.path.isdir(folder):
        return []
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".xml"))


def read(path):
    with open(path, "rb") as f:
        return f.read()


# ---- XML targets -------------------------------------------------------------------------------

def xml_seeds(libvirt):
    data = os.path.join(ROOT, "tests", "data")
    for sub in ("in", "out", "xml2xml", "invalid", "parse-error"):
        for path in xml_files(os.path.join(data, "network", sub)):
            put("network-xml", read(path))
        for path in xml_files(os.path.join(data, "networkport", sub)):
            put("networkport-xml", read(path))
        for path in xml_files(os.path.join(data, "dvs", sub)):
            put("dvs-extension", b"\x00" + read(path))
            put("dvs-extension", b"\x82" + read(path))
    for sub in ("in", "out", "status", "xml2xml", "parse-error"):
        for path in xml_files(os.path.join(data, "networkport", sub)):
            put("networkport-xml", read(path))
    for sub in ("config", "parse-error", "status"):
        for path in xml_files(os.path.join(data, "interface", sub)):
            put("domain-interface", (b"\x01" if sub == "status" else b"\x00") + read(path))
    if libvirt:
        for sub in ("networkxml2xmlin", "networkxml2xmlout"):
            for path in xml_files(os.path.join(libvirt, sub)):
                put("network-xml", read(path))
        for path in xml_files(os.path.join(libvirt, "virnetworkportxml2xmldata")):
            put("networkport-xml", read(path))
        update_seeds(libvirt)


COMMANDS = {"MODIFY": 1, "DELETE": 2, "ADD_LAST": 3, "ADD_FIRST": 4}
SECTIONS = {"BRIDGE": 1, "DOMAIN": 2, "IP": 3, "IP_DHCP_HOST": 4, "IP_DHCP_RANGE": 5,
            "FORWARD": 6, "FORWARD_INTERFACE": 7, "FORWARD_PF": 8, "PORTGROUP": 9,
            "DNS_HOST": 10, "DNS_TXT": 11, "DNS_SRV": 12}


def update_seeds(libvirt):
    manifest = os.path.join(libvirt, "networkxml2xmlupdate-manifest.tsv")
    if not os.path.isfile(manifest):
        return
    with open(manifest) as f:
        rows = [line.rstrip("\n").split("\t") for line in f if not line.startswith("#")]
    for row in rows[1:]:
        _, update, base, _, command, section, parent, _ = row
        upd = os.path.join(libvirt, "networkxml2xmlupdatein", update + ".xml")
        net = os.path.join(libvirt, "networkxml2xmlin", base + ".xml")
        if not (os.path.isfile(upd) and os.path.isfile(net)):
            continue
        head = bytes([COMMANDS[command], SECTIONS[section], int(parent.split()[0]) & 0xFF, 0])
        put("net-update", head + read(net) + b"\x00" + read(upd))
        put("net-update", head + read(upd))


# ---- virtual networks: dnsmasq's files and DHCP leases ----------------------------------------

def virtnet_seeds(libvirt):
    for path in xml_files(os.path.join(ROOT, "tests", "data", "network", "in")):
        put("dnsmasq-conf", read(path))
    if libvirt:
        for path in xml_files(os.path.join(libvirt, "networkxml2confdata")):
            put("dnsmasq-conf", read(path))
    v4 = {"ip-address": "192.168.122.10", "mac-address": "52:54:00:aa:00:01",
          "hostname": "web", "client-id": "01:52:54:00:aa:00:01", "expiry-time": 1700003600}
    v6 = {"iaid": "1234", "ip-address": "fd00::20", "mac-address": "52:54:00:aa:00:03",
          "client-id": "00:04:7e:7d:f0:7d", "server-duid": "00:01:00:01:aa:bb",
          "expiry-time": 1700007200}
    infinite = {"ip-address": "192.168.122.11", "mac-address": "52:54:00:AA:00:02"}
    put("dhcp-lease", b"\x00" + json.dumps([v4, v6, infinite], indent=2).encode())
    put("dhcp-lease", b"\x00" + json.dumps([]).encode())
    calls = [
        ("add 52:54:00:aa:00:01 192.168.122.10 web",
         ["DNSMASQ_INTERFACE=virbr0", "DNSMASQ_LEASE_EXPIRES=1700003600",
          "DNSMASQ_CLIENT_ID=01:52:54:00:aa:00:01"]),
        ("old 00:04:7e:7d:f0:7d fd00::20",
         ["VIR_BRIDGE_NAME=virbr0", "DNSMASQ_IAID=1234", "DNSMASQ_MAC=52:54:00:aa:00:03",
          "DNSMASQ_SERVER_DUID=00:01:00:01:aa:bb", "DNSMASQ_LEASE_EXPIRES=0",
          "DNSMASQ_OLD_HOSTNAME=six"]),
        ("add 52:54:00:aa:00:01 192.168.122.10",
         ["DNSMASQ_INTERFACE=virbr0", "DNSMASQ_LEASE_LENGTH=3600"]),
        ("del 52:54:00:aa:00:01 192.168.122.10", ["DNSMASQ_INTERFACE=virbr0"]),
        ("init", ["VIR_BRIDGE_NAME=virbr0"]),
    ]
    for args, env in calls:
        put("dhcp-lease", b"\x01" + "\n".join([args] + env).encode())


# ---- RPC ---------------------------------------------------------------------------------------

REMOTE, DVS = 0x20008086, 0x44565300


def u32(v):
    return struct.pack(">I", v & 0xFFFFFFFF)


def i32(v):
    return struct.pack(">i", v)


def u64(v):
    return struct.pack(">Q", v)


def string(s):
    b = s.encode() if isinstance(s, str) else s
    return u32(len(b)) + b + b"\x00" * ((4 - len(b) % 4) % 4)


def opt_string(s):
    return u32(0) if s is None else u32(1) + string(s)


NET_UUID = uuidlib.UUID("81ff0d90-c91e-6742-64da-4a736edb9a9b").bytes
PORT_UUID = uuidlib.UUID("5d744f21-ba4a-4d6e-bdb4-aa4b2a7a4d03").bytes


def net(name="fuzz"):
    return string(name) + NET_UUID


def port():
    return net() + PORT_UUID


def frame(proc, payload=b"", prog=REMOTE, serial=1):
    header = u32(prog) + u32(1) + i32(proc) + i32(0) + u32(serial) + i32(0)
    body = header + payload
    return u32(len(body) + 4) + body


NETWORK = """<network>
  <name>fuzz</name>
  <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>
  <forward mode='bridge'/>
  <bridge name='br-fuzz'/>
  <virtualport type='openvswitch'/>
  <portgroup name='web' default='yes'>
    <vlan><tag id='10'/></vlan>
  </portgroup>
  <portgroup name='db'>
    <bandwidth><inbound average='1000'/></bandwidth>
  </portgroup>
</network>
"""

NAT = """<network>
  <name>fuzz</name>
  <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>
  <forward mode='nat'/>
  <ip address='192.168.150.1' netmask='255.255.255.0'>
    <dhcp><range start='192.168.150.2' end='192.168.150.254'/></dhcp>
  </ip>
</network>
"""

PORT = """<networkport>
  <uuid>5d744f21-ba4a-4d6e-bdb4-aa4b2a7a4d03</uuid>
  <owner>
    <name>guest</name>
    <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>
  </owner>
  <group>web</group>
  <mac address='52:54:00:7b:35:93'/>
  <bandwidth><inbound average='100'/></bandwidth>
</networkport>
"""


def typed(field, kind, value):
    out = string(field) + i32(kind)
    if kind in (1, 6):
        out += i32(value)
    elif kind == 2:
        out += u32(value)
    elif kind in (3, 4):
        out += u64(value)
    elif kind == 5:
        out += struct.pack(">d", value)
    else:
        out += string(value)
    return out


def session(calls, read_only=False):
    data = bytes([1 if read_only else 0])
    for serial, (proc, payload, prog) in enumerate(calls, start=1):
        data += frame(proc, payload, prog, serial)
    return data


def call(proc, payload=b"", prog=REMOTE):
    return (proc, payload, prog)


OPEN = call(1, opt_string("network:///system") + u32(0))


def rpc_seeds():
    lifecycle = [
        OPEN,
        call(41, string(NETWORK)),
        call(46, string("fuzz")),
        call(47, NET_UUID),
        call(39, net()),
        call(43, net() + u32(0)),
        call(43, net() + u32(1)),
        call(45, net()),
        call(152, net()),
        call(153, net()),
        call(48, net() + i32(1)),
        call(44, net()),
        call(283, i32(1) + u32(0)),
        call(52, b""),
        call(50, b""),
        call(38, i32(10)),
        call(36, i32(10)),
        call(406, net() + string(PORT) + u32(0)),
        call(404, net() + i32(1) + u32(0)),
        call(405, net() + PORT_UUID),
        call(409, port() + u32(0)),
        call(407, port() + i32(0) + u32(0)),
        call(408, port() + u32(2) + typed("inbound.average", 2, 500)
             + typed("outbound.peak", 2, 900) + u32(0)),
        call(291, net() + u32(3) + u32(9) + i32(-1)
             + string("<portgroup name='new'/>") + u32(0)),
        call(313, i32(0) + u32(1) + net()),
        call(314, i32(1)),
        call(410, port() + u32(0)),
        call(42, net()),
        call(49, net()),
        call(2),
    ]
    put("rpc-dispatch", session(lifecycle), "seed-lifecycle")
    connect = [
        call(66), call(60, i32(10)), OPEN, call(3), call(4), call(157), call(59), call(110),
        call(149), call(60, i32(16)),
        call(419, u32(2) + typed("user-name", 7, "root") + typed("unix-user-id", 4, 0) + u32(0)),
        call(360), call(361),
        call(432, string(NAT) + u32(1)),
        call(437, string(NAT.replace("fuzz", "fuzz2")) + u32(0)),
        call(341, net() + opt_string(None) + i32(1) + u32(0)),
        call(291, net() + u32(3) + u32(4) + i32(0)
             + string("<host mac='52:54:00:00:00:01' ip='192.168.150.9'/>") + u32(0)),
        call(40, string(NAT.replace("fuzz", "transient"))),
        call(9999),
    ]
    put("rpc-dispatch", session(connect), "seed-connect")
    dvs = [
        OPEN,
        call(41, string(NETWORK)),
        call(39, net()),
        call(406, net() + string(PORT) + u32(0)),
        call(1, b"", DVS),
        call(2, string("fuzz") + PORT_UUID + opt_string("tap0"), DVS),
        call(3, string("fuzz") + PORT_UUID, DVS),
        call(4, string("fuzz") + string("port-created") + string("begin")
             + string("<hookData/>"), DVS),
        call(7, b"", DVS),
    ]
    put("rpc-dispatch", session(dvs), "seed-dvs-program")
    put("rpc-dispatch", session([OPEN, call(41, string(NETWORK)), call(1, b"", DVS)],
                                read_only=True), "seed-read-only")
    # A frame of the wrong version, a keepalive, and a truncated frame.
    odd = bytes([0]) + frame(1, opt_string(None) + u32(0))
    odd += u32(28) + u32(REMOTE) + u32(2) + i32(3) + i32(0) + u32(2) + i32(0)
    odd += u32(28) + u32(0x6B656570) + u32(1) + i32(1) + i32(2) + u32(0) + i32(0)
    odd += u32(100) + u32(REMOTE)
    put("rpc-dispatch", odd, "seed-odd-frames")


# ---- OVSDB -------------------------------------------------------------------------------------

def ovsdb_seeds():
    texts = [
        '{"id":1,"result":[{"uuid":["uuid","2f8c6e1e-1d1b-4b0b-9f2e-3c0c1b1a2a3a"]}],"error":null}',
        '[1, -2, 3.5e10, 18446744073709551615, 18446744073709551616, -9223372036854775808, 0.0]',
        '"\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\\\/"',
        '{"a":{"b":[true,false,null,{}]},"a":2}',
        ' \t\r\n{"method":"update2","params":["mon",{"Port":{}}],"id":null} ',
        '[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]',
        '"caf\xc3\xa9"',
        '-0',
        '1e400',
    ]
    for t in texts:
        put("ovsdb-json", b"\x00" + t.encode())
    stream = ('{"id":1,"result":{}}\n{"method":"echo","params":[],"id":"echo"}'
              '[1,"x\\"}"]  {"id":2,"error":{"error":"e"},"result":null}')
    for piece in (0, 3, 15):
        put("ovsdb-json", bytes([1, piece]) + stream.encode())
    bridge = "3f1c0c67-8e4b-4d6a-9d0c-7a2b7d9f0a11"
    port = "6b0d2a4c-9d4e-4c3a-8f0e-1b2c3d4e5f60"
    iface = "7c1e3b5d-ae5f-4d4b-902f-2c3d4e5f6071"
    snapshot2 = {"Bridge": {bridge: {"initial": {"name": "br0", "ports": ["uuid", port]}}},
                 "Port": {port: {"initial": {"name": "p0", "tag": 10,
                                             "interfaces": ["uuid", iface],
                                             "external_ids": ["map", [["k", "v"]]]}}},
                 "Interface": {iface: {"initial": {"name": "p0", "type": "internal",
                                                   "ofport": ["set", [1]]}}}}
    updates2 = [
        {"Port": {port: {"modify": {"tag": 20, "external_ids": ["map", [["k", "w"], ["n", "1"]]],
                                    "trunks": ["set", [1, 2, 3]]}}}},
        {"Port": {port: {"modify": {"trunks": ["set", [2]]}}}},
        {"Interface": {iface: {"delete": None}}},
        {"Bridge": {bridge: {"delete": None}}, "Port": {port: {"delete": None}}},
    ]
    lines = ["s2" + json.dumps(snapshot2)] + ["u2" + json.dumps(u) for u in updates2]
    put("ovsdb-json", b"\x02" + "\n".join(lines).encode())
    snapshot1 = {"Bridge": {bridge: {"new": {"name": "br0", "ports": ["set", []]}}}}
    update1 = {"Bridge": {bridge: {"old": {"name": "br0"}, "new": {"name": "br1",
                                                                   "ports": ["set", []]}}}}
    put("ovsdb-json", b"\x02" + "\n".join(["s1" + json.dumps(snapshot1),
                                           "u1" + json.dumps(update1),
                                           "u1" + json.dumps({"Bridge": {bridge: {
                                               "old": {"name": "br1"}}}})]).encode())
    replies = [
        [{"uuid": ["uuid", port]}, {"count": 1}, {}, {}],
        [{"uuid": ["uuid", port]}, {"count": 1}, {"error": "timed out", "details": "x"}, {}],
        [{"uuid": ["uuid", port]}, {"count": 0}, {}, {}, {"error": "constraint violation",
                                                         "details": "referential integrity"}],
        [{"error": "syntax error"}],
        [],
        {"error": "not a list"},
    ]
    for r in replies:
        put("ovsdb-json", b"\x03" + json.dumps(r).encode())
    schema = os.path.join(ROOT, "src", "ovsdb", "server.ovsschema")
    put("ovsdb-json", b"\x04" + read(schema))
    put("ovsdb-json", b"\x04" + json.dumps({"name": "T", "version": "1.0.0", "tables": {
        "Port": {"columns": {"name": {"type": "string"},
                             "tag": {"type": {"key": {"type": "integer", "minInteger": 0,
                                                      "maxInteger": 4095}, "min": 0, "max": 1}},
                             "mode": {"type": {"key": {"type": "string",
                                                       "enum": ["set", ["a", "b"]]}}},
                             "ref": {"type": {"key": {"type": "uuid", "refTable": "Port",
                                                      "refType": "weak"},
                                              "min": 0, "max": "unlimited"}}},
                 "isRoot": True, "indexes": [["name"]]}}}).encode())


def snapshot_seeds():
    data = os.path.join(ROOT, "tests", "data", "snapshot")
    for sub in ("in", "out", "xml2xml", "invalid", "diff"):
        for path in xml_files(os.path.join(data, sub)):
            put("snapshot-xml", read(path))


def mgmt_seeds():
    sw = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    gen1, gen2 = "6b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e", "7c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"
    pg = "8d4e5f6a-7b8c-4d9e-8f1a-2b3c4d5e6f70"
    m1, m2 = "9e5f6a7b-8c9d-4e0f-9a2b-3c4d5e6f7081", "af6a7b8c-9d0e-4f1a-8b3c-4d5e6f708192"
    p1, p2 = "b07b8c9d-0e1f-4a2b-9c4d-5e6f708192a3", "c18c9d0e-1f2a-4b3c-8d5e-6f708192a3b4"
    ms, hs = "d29d0e1f-2a3b-4c4d-9e6f-708192a3b4c5", "e3ae1f2a-3b4c-4d5e-8f70-8192a3b4c5d6"
    glob = "f4bf2a3b-4c5d-4e6f-9081-92a3b4c5d6e7"
    base = ("<network><name>prod</name><uuid>6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d</uuid>"
            "<metadata><dvs:network xmlns:dvs='https://libvirt-dvs.org/xmlns/network/1.0'>"
            "<dvs:uplink type='ovs-bond' name='bond0' mode='balance-slb'/></dvs:network></metadata>"
            "<forward mode='bridge'/><bridge name='br-prod'/>"
            "<virtualport type='openvswitch'/>")
    web = "<portgroup name='web' default='yes'><vlan><tag id='10'/></vlan></portgroup>"
    db = ("<portgroup name='db'><vlan><tag id='20'/></vlan><bandwidth>"
          "<inbound average='1000' peak='2000' burst='512'/></bandwidth></portgroup>")
    plain = ("<network><name>plain</name><forward mode='bridge'/><bridge name='br-plain'/>"
             "<virtualport type='openvswitch'/>" + web + "</network>")
    snapshot = {
        "DVS_Global": {glob: {"initial": {"options": ["map", [["k", "v"]]]}}},
        "Switch": {sw: {"initial": {
            "name": "prod", "network_uuid": "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d",
            "definition": base + "</network>", "generation": 2, "keep_generations": 10,
            "rollout_canary": ["set", ["host1"]], "rollout_batch": 2, "rollout_max_failed": 0,
            "rollout_soak": 30, "rollout_deadline": 120, "revert_timeout": 30}}},
        "Portgroup": {pg: {"initial": {"switch": ["uuid", sw], "name": "web",
                                       "definition": web}}},
        "Switch_Generation": {
            gen1: {"initial": {"switch": ["uuid", sw], "generation": 1,
                               "definition": base + web + "</network>", "change": "define",
                               "created_at": 1764879600000}},
            gen2: {"initial": {"switch": ["uuid", sw], "generation": 2,
                               "definition": base + web + db + "</network>",
                               "change": "portgroup-add db", "created_at": 1764879660000}}},
        "Member": {
            m1: {"initial": {"switch": ["uuid", sw], "host": "host1",
                             "uplink": ["set", ["ens1f0", "ens1f1"]], "retry": 0}},
            m2: {"initial": {"switch": ["uuid", sw], "host": "host2", "uplink": "eno1",
                             "target_generation": 1, "retry": 1}}},
        "Host": {"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c40": {"initial": {"name": "host1"}}},
        "Switch_Probe": {
            p1: {"initial": {"switch": ["uuid", sw], "name": "gw", "kind": "icmp",
                             "address": "192.0.2.1"}},
            p2: {"initial": {"switch": ["uuid", sw], "name": "iscsi", "kind": "tcp",
                             "address": "fd00::5", "port": 3260, "interface": "eth2"}}},
        "Member_Status": {ms: {"initial": {
            "host": "host1", "switch": "prod", "generation": 2, "state": "in-sync",
            "reason": "", "network_state": "ready", "uplink_state": ["map", [["ens1f0", "up"]]],
            "port_count": 3}}},
        "Host_Status": {hs: {"initial": {"name": "host1", "agent_version": "0.1.0",
                                         "connected_at": 1764879600000,
                                         "last_seen": 1764879660000,
                                         "heartbeat_interval": 15000}}},
    }
    put("mgmt-rows", "s" + json.dumps(snapshot))
    updates = [
        {"Switch": {sw: {"modify": {"generation": 1, "definition": plain}}}},
        {"Member": {m2: {"modify": {"uplink": ["set", ["eno1", "eno2", "bad/name"]]}}}},
        {"Switch_Generation": {gen1: {"modify": {"definition": plain}}}},
        {"Switch_Probe": {p2: {"modify": {"port": ["set", []]}}}},
        {"Portgroup": {pg: {"delete": None}}},
    ]
    put("mgmt-rows", "\n".join(["s" + json.dumps(snapshot)] +
                                ["u" + json.dumps(u) for u in updates]))
    # A switch without dvs:uplink, and one whose generation is not in the database.
    single = dict(snapshot)
    single["Switch_Generation"] = {gen1: {"initial": {
        "switch": ["uuid", sw], "generation": 2, "definition": plain, "change": "define",
        "created_at": 0}}}
    put("mgmt-rows", "s" + json.dumps(single))
    orphan = dict(snapshot)
    orphan["Switch_Generation"] = {}
    put("mgmt-rows", "s" + json.dumps(orphan))


def main():
    libvirt = sys.argv[1] if len(sys.argv) > 1 else None
    xml_seeds(libvirt)
    snapshot_seeds()
    virtnet_seeds(libvirt)
    rpc_seeds()
    ovsdb_seeds()
    mgmt_seeds()
    for target in sorted(os.listdir(CORPUS)):
        print(target, len(os.listdir(os.path.join(CORPUS, target))))


if __name__ == "__main__":
    main()
