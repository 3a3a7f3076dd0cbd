# SPDX-License-Identifier: LGPL-2.1-or-later
"""libvirt's virtual networks on dvsd, end to end, with the real parts: dvsd, virsh, dnsmasq (as
dvsd runs it, with dvs-leaseshelper), nftables, and guests that are network namespaces on the
bridge with a real DHCP client (busybox udhcpc). An "outside" namespace stands for the world
beyond the host: a veth to the host with 203.0.113.0/24 and a TCP service that answers each
connection with the address it came from, so NAT is seen from outside.

    test_virtual_networks.py DVSD DVSCTL LEASESHELPER

The script re-runs itself in a private network namespace (unshare -n): bridges, the firewall
table and the forwarding sysctls are that namespace's. It needs root, dnsmasq, udhcpc, nft and
virsh, and is skipped, saying why, without them. Every wait polls with a deadline.
"""

import glob
import json
import os
import re
import signal
import subprocess
import sys
import time

from dvstest import (Cases, Dvsd, Netns, check, enter_private_netns, fail, read_text, run,
                     temp_root, veth, wait_for)

# libvirt's stock network (src/network/default.xml.in), as every distribution installs it.
DEFAULT_XML = """<network>
  <name>default</name>
  <bridge name='virbr0'/>
  <forward/>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
    </dhcp>
  </ip>
</network>
"""

ROUTED_XML = """<network>
  <name>routed</name>
  <forward mode='route'/>
  <bridge name='virbr1' stp='off'/>
  <ip address='192.168.150.1' netmask='255.255.255.0'/>
  <route address='10.99.0.0' prefix='16' gateway='192.168.150.10'/>
</network>
"""

ISOLATED_XML = """<network>
  <name>isolated</name>
  <bridge name='virbr2' stp='off'/>
  <ip address='192.168.160.1' netmask='255.255.255.0'/>
</network>
"""

OUTSIDE = "203.0.113.2"
HOST_OUTSIDE = "203.0.113.1"
WHOAMI_PORT = 8080
GUEST_MAC = "52:54:00:aa:00:01"

# udhcpc's script: configures what it got, and writes it where the test reads it.
UDHCPC_SCRIPT = """#!/bin/sh
case "$1" in
  deconfig) ip addr flush dev "$interface"; ip link set "$interface" up ;;
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    [ -n "$router" ] && ip route replace default via "${router%% *}" dev "$interface"
    echo "$ip" > "$LEASE_OUT" ;;
esac
"""

# The outside service: answers every connection with the peer's address.
WHOAMI = f"""
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", {WHOAMI_PORT}))
s.listen(16)
while True:
    c, peer = s.accept()
    c.sendall(peer[0].encode())
    c.close()
"""

# A DNS A query from the guest to dnsmasq, printing the first answer's address.
DNS_QUERY = """
import socket, struct, sys
name, server = sys.argv[1], sys.argv[2]
q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
for part in name.split("."):
    q += bytes([len(part)]) + part.encode()
q += b"\\0" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(q, (server, 53))
r = s.recv(512)
ancount = struct.unpack(">H", r[6:8])[0]
if ancount == 0:
    sys.exit(1)
print(socket.inet_ntoa(r[-4:]))
"""


class DhcpGuest:
    """A guest namespace with eth0 (MAC mac) whose host end (ifname) is on bridge."""

    def __init__(self, world, name, ifname, bridge, mac):
        self.world = world
        self.ns = Netns(f"guest {name}")
        self.ifname = ifname
        veth(None, ifname, self.ns, "eth0", up=False)
        self.ns.sh(f"sysctl -qw net.ipv6.conf.all.disable_ipv6=1 && ip link set eth0 address {mac}"
                   " && ip link set eth0 up")
        run("ip", "link", "set", ifname, "master", bridge)
        run("ip", "link", "set", ifname, "up")
        self.lease_out = os.path.join(world.root, f"lease-{name}")

    def dhcp(self):
        """Runs udhcpc once (DISCOVER ... ACK) and returns the address it was given."""
        try:
            os.unlink(self.lease_out)
        except FileNotFoundError:
            pass
        p = self.ns.run("udhcpc", "-i", "eth0", "-f", "-q", "-n", "-t", "30", "-T", "1",
                        "-s", self.world.udhcpc_script, check_rc=False, timeout=60,
                        env=dict(os.environ, LEASE_OUT=self.lease_out))
        if p.returncode != 0 or not os.path.exists(self.lease_out):
            fail(f"udhcpc got no lease ({p.returncode}): {p.stderr.strip()}")
        return read_text(self.lease_out).strip()

    def static(self, address, gateway):
        self.ns.sh(f"ip addr flush dev eth0 && ip addr add {address}/24 dev eth0"
                   f" && ip route replace default via {gateway}")

    def pings(self, address):
        return self.ns.sh(f"ping -n -q -c 1 -W 1 {address}", check_rc=False).returncode == 0

    def whoami(self):
        """Connects to the outside service: the address it saw, or None."""
        code = (f"import socket; s = socket.create_connection(('{OUTSIDE}', {WHOAMI_PORT}), "
                "timeout=2); print(s.recv(64).decode())")
        p = self.ns.run(sys.executable, "-c", code, check_rc=False, timeout=20)
        return p.stdout.strip() if p.returncode == 0 else None

    def resolve(self, name, server):
        p = self.ns.run(sys.executable, "-c", DNS_QUERY, name, server, check_rc=False,
                        timeout=20)
        return p.stdout.strip() if p.returncode == 0 else None

    def close(self):
        self.ns.close()


class World:
    def __init__(self, dvsd_binary, dvsctl, helper):
        self.root = temp_root("dvs-vnet-")
        # dnsmasq rereads its hosts files as the unprivileged user it becomes (as under
        # /var/lib/dvs, the folders must let it through).
        os.chmod(self.root, 0o755)
        self.udhcpc_script = os.path.join(self.root, "udhcpc.sh")
        with open(self.udhcpc_script, "w") as f:
            f.write(UDHCPC_SCRIPT)
        os.chmod(self.udhcpc_script, 0o755)
        self.dvsctl = dvsctl
        run("ip", "link", "set", "lo", "up")
        # The outside world.
        self.outside = Netns("outside")
        veth(None, "uplink0", self.outside, "eth0")
        run("ip", "addr", "add", f"{HOST_OUTSIDE}/24", "dev", "uplink0")
        self.outside.ip("addr", "add", f"{OUTSIDE}/24", "dev", "eth0")
        # Routed networks are reached through the host.
        self.outside.ip("route", "add", "192.168.150.0/24", "via", HOST_OUTSIDE)
        self.whoami = self.outside.popen([sys.executable, "-c", WHOAMI],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.guests = []
        self.dvsd = Dvsd(dvsd_binary, root=os.path.join(self.root, "dvsd"), ovsdb=False)
        self.dvsd.env = dict(os.environ, DVS_LEASES_HELPER=helper)
        self.dvsd.start()

    # ---- host state
    def dnsmasq_pid(self, network):
        try:
            pid = int(read_text(os.path.join(self.dvsd.root, "run/dvs/dnsmasq",
                                             f"{network}.pid")).strip())
        except ValueError:
            return None
        return pid if os.path.exists(f"/proc/{pid}") else None

    def dnsmasq_pids(self):
        """Every dnsmasq running for this dvsd (by its configuration folder)."""
        conf_dir = os.path.join(self.dvsd.root, "var/lib/dvs/dnsmasq")
        pids = []
        for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
            try:
                with open(cmdline, "rb") as f:
                    args = f.read().decode(errors="replace")
            except OSError:
                continue
            if "dnsmasq" in args and conf_dir in args:
                pids.append(int(cmdline.split("/")[2]))
        return pids

    def table(self):
        """dvsd's table with its rule handles (new ones when it is replaced), without the
        counters traffic moves."""
        p = run("nft", "-a", "list", "table", "inet", "dvsd", check_rc=False)
        if p.returncode != 0:
            return None
        return re.sub(r"packets \d+ bytes \d+", "", p.stdout)

    def link_index(self, name):
        p = run("ip", "-o", "link", "show", name, check_rc=False)
        return p.stdout.split(":")[0] if p.returncode == 0 else None

    def virsh_ok(self, *args):
        return self.dvsd.virsh_ok(*args)

    def define(self, xml, name):
        path = os.path.join(self.root, f"{name}.xml")
        with open(path, "w") as f:
            f.write(xml)
        self.virsh_ok("net-define", path)

    def guest(self, *args):
        g = DhcpGuest(self, *args)
        self.guests.append(g)
        return g

    def close(self):
        for g in self.guests:
            g.close()
        self.dvsd.cleanup()
        # dnsmasq outlives dvsd on purpose: end those of this test.
        for pid in self.dnsmasq_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.whoami.kill()
        self.whoami.wait()
        self.outside.close()
        run("rm", "-rf", self.root)


cases = Cases()


@cases.case
def default_network_serves_a_guest(w):
    w.define(DEFAULT_XML, "default")
    w.virsh_ok("net-start", "default")
    check(w.link_index("virbr0") is not None, "net-start created virbr0")
    addrs = run("ip", "-o", "addr", "show", "virbr0").stdout
    check("192.168.122.1/24" in addrs, "virbr0 has 192.168.122.1/24")
    check(read_text("/proc/sys/net/ipv4/ip_forward").strip() == "1", "IPv4 forwarding is on")
    table = w.table()
    check(table is not None and "masquerade" in table, "dvsd's table masquerades the subnet")
    check(w.dnsmasq_pid("default") is not None, "dnsmasq runs for the network")

    g = w.guest("g1", "vnet0", "virbr0", GUEST_MAC)
    w.g1 = g
    address = g.dhcp()
    check(address.startswith("192.168.122."), f"the guest got {address} from dnsmasq")
    w.g1_address = address
    check(wait_for(lambda: g.pings("192.168.122.1"), what="the guest to ping its gateway"),
          "the guest pings the gateway")
    # dnsmasq runs its script after the guest has its lease: poll.
    leases = wait_for(lambda: (lambda out: f"{address}/24" in out and out)(
        w.virsh_ok("net-dhcp-leases", "default")), what="net-dhcp-leases to list the lease")
    check(GUEST_MAC in leases, f"net-dhcp-leases lists the lease:\n{leases}")
    only = w.virsh_ok("net-dhcp-leases", "default", "--mac", GUEST_MAC)
    check(address in only, "net-dhcp-leases --mac finds it")
    seen = wait_for(g.whoami, what="the outside service to answer the guest")
    check(seen == HOST_OUTSIDE, f"the outside sees the host's address ({seen}), not the guest's")
    status = run(w.dvsctl, "status", "--root", w.dvsd.root).stdout
    check("ready: bridge 'virbr0' up" in status, "dvsctl status reports the network ready")


@cases.case
def dns_host_added_live(w):
    pid = w.dnsmasq_pid("default")
    w.virsh_ok("net-update", "default", "add", "dns-host",
               "<host ip='192.168.122.250'><hostname>web.dvs.test</hostname></host>",
               "--live", "--config")
    got = wait_for(lambda: w.g1.resolve("web.dvs.test", "192.168.122.1"),
                   what="dnsmasq to resolve the new <dns><host>")
    check(got == "192.168.122.250", f"the guest resolves web.dvs.test to {got}")
    check(w.dnsmasq_pid("default") == pid, "dnsmasq reread its hosts (SIGHUP), not restarted")


@cases.case
def dhcp_host_added_live(w):
    w.virsh_ok("net-update", "default", "add", "ip-dhcp-host",
               f"<host mac='{GUEST_MAC}' name='g1' ip='192.168.122.50'/>", "--live", "--config")
    address = w.g1.dhcp()
    check(address == "192.168.122.50", f"the guest's next lease is its fixed address ({address})")
    wait_for(lambda: "192.168.122.50/24" in w.virsh_ok("net-dhcp-leases", "default", "--mac",
                                                      GUEST_MAC),
             what="net-dhcp-leases to show the fixed address")
    w.g1_address = address


@cases.case
def restart_keeps_leases_and_traffic(w):
    before = (w.link_index("virbr0"), w.dnsmasq_pid("default"), w.table())
    w.dvsd.stop()
    # While dvsd is away, dnsmasq keeps serving; a renewal meanwhile is kept for dvsd.
    check(w.g1.pings("192.168.122.1") or wait_for(lambda: w.g1.pings("192.168.122.1")),
          "the guest reaches its gateway while dvsd is stopped")
    address = w.g1.dhcp()
    check(address == "192.168.122.50", "dnsmasq renews the lease while dvsd is stopped")
    w.dvsd.start()
    after = (w.link_index("virbr0"), w.dnsmasq_pid("default"), w.table())
    check(after[0] == before[0], "the restarted dvsd kept the bridge")
    check(after[1] == before[1], "the restarted dvsd adopted the running dnsmasq")
    check(after[2] == before[2], "the restarted dvsd left the firewall table as it was")
    leases = wait_for(lambda: (lambda out: "192.168.122.50/24" in out and out)(
        w.virsh_ok("net-dhcp-leases", "default")), what="the lease after the restart")
    check(GUEST_MAC in leases, f"no lease was lost:\n{leases}")
    check(wait_for(w.g1.whoami) == HOST_OUTSIDE, "the guest still reaches the outside by NAT")


@cases.case
def dead_dnsmasq_is_restarted(w):
    pid = w.dnsmasq_pid("default")
    os.kill(pid, signal.SIGKILL)
    new = wait_for(lambda: (w.dnsmasq_pid("default") or 0) not in (0, pid) and
                   w.dnsmasq_pid("default"), what="dvsd to restart dnsmasq")
    check(new != pid, f"dvsd started dnsmasq again (pid {new})")
    check(w.g1.dhcp() == "192.168.122.50", "the new dnsmasq serves the guest")


@cases.case
def routed_network_forwards_without_nat(w):
    w.define(ROUTED_XML, "routed")
    w.virsh_ok("net-start", "routed")
    g = w.guest("g2", "vnet1", "virbr1", "52:54:00:aa:00:02")
    g.static("192.168.150.10", "192.168.150.1")
    seen = wait_for(g.whoami, what="the outside service to answer the routed guest")
    check(seen == "192.168.150.10", f"the outside sees the guest's own address ({seen})")
    route = run("ip", "route", "show", "10.99.0.0/16").stdout
    check("via 192.168.150.10 dev virbr1" in route, f"the network's static route is there: {route}")


@cases.case
def isolated_network_reaches_nothing_beyond(w):
    w.define(ISOLATED_XML, "isolated")
    w.virsh_ok("net-start", "isolated")
    g = w.guest("g3", "vnet2", "virbr2", "52:54:00:aa:00:03")
    g.static("192.168.160.10", "192.168.160.1")
    check(wait_for(lambda: g.pings("192.168.160.1"), what="the isolated guest to ping the host"),
          "the isolated guest reaches the host's bridge address")
    check(g.whoami() is None, "the isolated guest does not reach the outside")
    check(not g.pings(OUTSIDE), "nor pings it")


@cases.case
def refusals_name_what_is_in_use(w):
    clash = ("<network><name>clash</name><bridge name='virbr5'/><forward/>"
             "<ip address='203.0.113.100' netmask='255.255.255.0'/></network>")
    w.define(clash, "clash")
    rc, _, err = w.dvsd.virsh("net-start", "clash")
    check(rc != 0 and "Network is already in use by interface uplink0" in err,
          f"a subnet in use is refused with libvirt's words: {err.strip()}")
    run("ip", "link", "add", "virbr9", "type", "bridge")
    taken = ("<network><name>taken</name><bridge name='virbr9'/>"
             "<ip address='192.168.170.1' netmask='255.255.255.0'/></network>")
    w.define(taken, "taken")
    rc, _, err = w.dvsd.virsh("net-start", "taken")
    check(rc != 0 and "error creating bridge interface virbr9: File exists" in err,
          f"a bridge name in use is refused with libvirt's words: {err.strip()}")
    run("ip", "link", "del", "virbr9")
    for name in ("clash", "taken"):
        w.virsh_ok("net-undefine", name)


@cases.case
def destroy_leaves_nothing(w):
    for name in ("default", "routed", "isolated"):
        w.virsh_ok("net-destroy", name)
    for bridge in ("virbr0", "virbr1", "virbr2"):
        check(w.link_index(bridge) is None, f"{bridge} is gone")
    wait_for(lambda: not w.dnsmasq_pids(), what="every dnsmasq to end")
    check(not w.dnsmasq_pids(), "no dnsmasq runs")
    check(w.table() is None, "dvsd's firewall table is gone")


@cases.case
def autostart_on_a_fresh_run_directory(w):
    w.virsh_ok("net-autostart", "default")
    w.virsh_ok("net-start", "default")
    w.dvsd.stop()
    # A reboot: the kernel's state and /run are gone.
    for pid in w.dnsmasq_pids():
        os.kill(pid, signal.SIGKILL)
    run("ip", "link", "del", "virbr0")
    run("nft", "delete", "table", "inet", "dvsd")
    run("rm", "-rf", os.path.join(w.dvsd.root, "run"))
    # Leases as virtnetworkd's lease helper leaves them (README "Deploying": the file is copied
    # over): a guest that had one keeps its address.
    expiry = int(time.time()) + 3600
    leases = [{"ip-address": "192.168.122.50", "mac-address": GUEST_MAC,
               "client-id": "01:" + GUEST_MAC, "expiry-time": expiry},
              {"ip-address": "192.168.122.77", "mac-address": "52:54:00:aa:00:04",
               "client-id": "01:52:54:00:aa:00:04", "expiry-time": expiry}]
    with open(os.path.join(w.dvsd.root, "var/lib/dvs/dnsmasq/virbr0.status"), "w") as f:
        json.dump(leases, f, indent=2)
    w.dvsd.start()
    check(w.link_index("virbr0") is not None, "the autostarted network has its bridge")
    check(w.dnsmasq_pid("default") is not None, "and its dnsmasq")
    check(w.table() is not None, "and its firewall table")
    run("ip", "link", "set", "vnet0", "master", "virbr0")
    check(w.g1.dhcp() == "192.168.122.50", "and serves the guest its fixed address")
    g4 = w.guest("g4", "vnet4", "virbr0", "52:54:00:aa:00:04")
    address = g4.dhcp()
    check(address == "192.168.122.77",
          f"a guest with a lease from the lease file keeps its address ({address})")
    w.virsh_ok("net-destroy", "default")


def main():
    enter_private_netns(programs=("dnsmasq", "udhcpc", "nft", "virsh", "ping"))
    dvsd_binary, dvsctl, helper = (os.path.abspath(a) for a in sys.argv[1:4])
    w = World(dvsd_binary, dvsctl, helper)
    try:
        rc = cases.run(w, on_failure=lambda name, exc: print(w.dvsd.log(6000)))
    finally:
        w.close()
    sys.exit(rc)


if __name__ == "__main__":
    main()
