# SPDX-License-Identifier: LGPL-2.1-or-later
"""virsh against dvsd's read-only socket, and `virsh net-event --loop` output."""

import os
import subprocess
import sys
import threading

from dvstest import Cases, Dvsd, check, client_env, require_programs, virsh, virsh_ok, wait_for

NETWORK = """<network>
  <name>{name}</name>
  <forward mode='bridge'/>
  <bridge name='br-{name}'/>
  <virtualport type='openvswitch'/>
</network>
"""

PORT = """<networkport>
  <uuid>8d1ac3a6-7a0e-4b49-9d4c-4c1f1c9a0f11</uuid>
  <owner><name>vm1</name><uuid>0b0c0a55-1b4f-4e7b-a1a0-2f4d5e6f7a8b</uuid></owner>
  <mac address='52:54:00:11:22:33'/>
</networkport>
"""


class Lines:
    """Collects a process's stdout lines in a thread, so the test can poll them."""

    def __init__(self, proc):
        self.lines = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self.thread.start()

    def _read(self, proc):
        for line in proc.stdout:
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def snapshot(self):
        with self.lock:
            return list(self.lines)


def refused(err, api):
    return f"operation forbidden: read only access prevents {api}" in err


cases = Cases()


@cases.case
def socket_permissions(w):
    check(oct(os.stat(w.d.sock).st_mode & 0o777) == "0o600", "the read-write socket is 0600")
    check(oct(os.stat(w.d.sock_ro).st_mode & 0o777) == "0o666", "the read-only socket is 0666")


@cases.case
def reading_works_read_only(w):
    # Reading works on the read-only socket.
    out = virsh_ok(w.d, "net-list", "--all", readonly=True)
    check("ro" in out.split(), "virsh -r net-list sees the network")
    check("<name>ro</name>" in virsh_ok(w.d, "net-dumpxml", "ro", readonly=True),
          "virsh -r net-dumpxml works")
    virsh_ok(w.d, "net-info", "ro", readonly=True)


@cases.case
def changes_are_refused_read_only(w):
    # Every state-changing command is refused. `virsh -r` opens with VIR_CONNECT_RO, so the
    # client library refuses first; a client that opens the read-only socket without the
    # flag reaches dvsd, which must refuse with the same error.
    commands = [
        (["net-define", w.ev_file], "virNetworkDefineXML"),
        (["net-create", w.ev_file], "virNetworkCreateXML"),
        (["net-start", "ro"], "virNetworkCreate"),
        (["net-destroy", "ro"], "virNetworkDestroy"),
        (["net-undefine", "ro"], "virNetworkUndefine"),
        (["net-autostart", "ro"], "virNetworkSetAutostart"),
        (["net-update", "ro", "add", "portgroup", "<portgroup name='x'/>", "--live"],
         "virNetworkUpdate"),
        (["net-port-create", "ro", w.port_file], "virNetworkPortCreateXML"),
    ]
    for args, api in commands:
        rc, out, err = virsh(w.d, *args, readonly=True)
        check(rc == 1 and refused(err, api), f"virsh -r {args[0]} is refused: {err.strip()}")
        rc, out, err = virsh(w.d, *args, ro_socket=True)
        check(rc == 1 and refused(err, api),
              f"{args[0]} on the read-only socket is refused by dvsd: {err.strip()}")


@cases.case
def port_delete_is_refused_read_only(w):
    # A port created read-write cannot be deleted read-only.
    virsh_ok(w.d, "net-port-create", "ro", w.port_file)
    port = "8d1ac3a6-7a0e-4b49-9d4c-4c1f1c9a0f11"
    # virsh 9.0 prints only its own line for this failure (and exits 0): the port staying
    # is the proof.
    rc, out, err = virsh(w.d, "net-port-delete", "ro", port, ro_socket=True)
    check(f"error: Failed to delete network port {port}" in err,
          f"net-port-delete on the read-only socket is refused: {err.strip()}")
    check(port in virsh_ok(w.d, "net-port-list", "ro", "--uuid", readonly=True),
          "the port is still there")
    # Nothing changed through the read-only socket.
    rows = virsh_ok(w.d, "net-list", "--all").split()
    check("ev" not in rows, "no network was defined through the read-only socket")
    virsh_ok(w.d, "net-port-delete", "ro", port)


@cases.case
def net_event_loop_prints_lifecycle(w):
    # net-event --loop prints one line per lifecycle event.
    env = client_env(w.d.root)
    proc = subprocess.Popen(
        ["stdbuf", "-oL", "virsh", "-c", w.d.uri(), "net-event", "--event", "lifecycle",
         "--loop"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines = Lines(proc)

        # The registration is done once an event reaches it: toggle autostart-free probes
        # (define/undefine of a scratch network) until one is printed.
        probe_file = os.path.join(w.files, "probe.xml")
        with open(probe_file, "w") as f:
            f.write(NETWORK.format(name="probe"))

        def registered():
            virsh_ok(w.d, "net-define", probe_file)
            virsh_ok(w.d, "net-undefine", "probe")
            return any("for network probe: Undefined" in l for l in lines.snapshot())

        wait_for(registered, what="net-event to print an event")
        start = len(lines.snapshot())

        virsh_ok(w.d, "net-define", w.ev_file)
        virsh_ok(w.d, "net-start", "ev")
        virsh_ok(w.d, "net-destroy", "ev")
        virsh_ok(w.d, "net-undefine", "ev")
        expected = [
            "event 'lifecycle' for network ev: Defined",
            "event 'lifecycle' for network ev: Started",
            "event 'lifecycle' for network ev: Stopped",
            "event 'lifecycle' for network ev: Undefined",
        ]

        def got_all():
            got = [l for l in lines.snapshot()[start:] if "for network ev:" in l]
            return got if len(got) >= len(expected) else None

        got = wait_for(got_all, what="the four lifecycle events")
        check(got == expected, f"net-event printed the events in order: {got}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


class World:
    def __init__(self, dvsd):
        self.d = dvsd
        self.files = os.path.join(dvsd.root, "files")
        os.makedirs(self.files)
        for name in ("ro", "ev"):
            with open(os.path.join(self.files, f"{name}.xml"), "w") as f:
                f.write(NETWORK.format(name=name))
        self.ev_file = os.path.join(self.files, "ev.xml")
        self.port_file = os.path.join(self.files, "port.xml")
        with open(self.port_file, "w") as f:
            f.write(PORT)


def main():
    # stdbuf: net-event's output is read as it comes.
    require_programs("virsh", "stdbuf")
    with Dvsd(sys.argv[1]) as d:
        d.start()
        w = World(d)
        virsh_ok(d, "net-define", os.path.join(w.files, "ro.xml"))
        virsh_ok(d, "net-start", "ro")
        rc = cases.run(w)
        d.stop()
        return rc


if __name__ == "__main__":
    sys.exit(main())
