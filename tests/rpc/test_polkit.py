#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""auth_unix_rw / auth_unix_ro = polkit, as libvirtd has them: a client that is not root must
pass polkit (org.libvirt.unix.manage on the read-write socket, org.libvirt.unix.monitor on the
read-only one) before any call but AUTH_LIST and AUTH_POLKIT; root is never asked; the decision
is polkitd's, through its rules. A real polkitd on a private system bus (dbus-daemon), in a
private mount namespace whose polkit folders hold only this test's action file and rules; the
clients are virsh, dvsctl and a raw peer, run as the unprivileged user nobody.

usage: test_polkit.py DVSD DVSCTL"""

import json
import os
import pwd
import select
import shutil
import subprocess
import sys

from dvstest import (Cases, Daemon, Dvsd, check, client_env, fail, require_programs, require_root,
                     run, skip, wait_for)
from dvstest.wire import (DVS_PROGRAM, RawClient, connected_clients, decode_error, handshake,
                          pack_message)

POLKITD = "/usr/lib/polkit-1/polkitd"
ACTIONS = "/usr/share/polkit-1/actions"
RULES = ("/etc/polkit-1/rules.d", "/usr/share/polkit-1/rules.d")

# libvirt's two actions with libvirt's defaults: managing needs an administrator (no agent here,
# so polkit can only say "challenge"), monitoring is open to anyone.
POLICY = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE policyconfig PUBLIC "-//freedesktop//DTD PolicyKit Policy Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/PolicyKit/1/policyconfig.dtd">
<policyconfig>
  <action id="org.libvirt.unix.monitor">
    <description>Monitor local virtualized systems</description>
    <message>System policy prevents monitoring of local virtualized systems</message>
    <defaults>
      <allow_any>yes</allow_any>
      <allow_inactive>yes</allow_inactive>
      <allow_active>yes</allow_active>
    </defaults>
  </action>
  <action id="org.libvirt.unix.manage">
    <description>Manage local virtualized systems</description>
    <message>System policy prevents management of local virtualized systems</message>
    <defaults>
      <allow_any>auth_admin_keep</allow_any>
      <allow_inactive>auth_admin_keep</allow_inactive>
      <allow_active>auth_admin_keep</allow_active>
    </defaults>
  </action>
</policyconfig>
"""

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""

NOBODY = pwd.getpwnam("nobody")


def as_nobody():
    os.setgroups([])
    os.setgid(NOBODY.pw_gid)
    os.setuid(NOBODY.pw_uid)


def rule(action, result, user="nobody"):
    """A polkit rule: result (YES/NO) for action when the subject is user."""
    return (f'polkit.addRule(function(action, subject) {{\n'
            f'    if (action.id == "{action}" && subject.user == "{user}")\n'
            f'        return polkit.Result.{result};\n'
            f'}});\n')


class World:
    def __init__(self, dvsd_binary, dvsctl):
        self.dvsctl = dvsctl
        self.dvsd = Dvsd(dvsd_binary, ovsdb=False)
        self.root = self.dvsd.root
        os.chmod(self.root, 0o755)
        self.bus_socket = os.path.join(self.root, "system_bus_socket")
        self.bus_address = f"unix:path={self.bus_socket}"
        self.env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.bus_address)
        self.bus = None
        self.polkitd = None
        self.home = os.path.join(self.root, "client-home")
        self.client_env = client_env(self.root)
        shutil.chown(self.home, NOBODY.pw_uid, NOBODY.pw_gid)
        self.client_env["DBUS_SYSTEM_BUS_ADDRESS"] = self.bus_address

    # ---- the private polkit

    def isolate_polkit(self):
        """This mount namespace's polkit folders hold only the test's action file and rules."""
        for folder in (ACTIONS, *RULES):
            os.makedirs(folder, exist_ok=True)
            run("mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", folder)
        with open(os.path.join(ACTIONS, "org.libvirt.unix.policy"), "w") as f:
            f.write(POLICY)

    def start_bus(self):
        config = os.path.join(self.root, "bus.conf")
        with open(config, "w") as f:
            f.write(BUS_CONFIG.format(socket=self.bus_socket))
        self.bus = Daemon(["dbus-daemon", "--nofork", "--nopidfile", f"--config-file={config}"],
                          os.path.join(self.root, "dbus.log"), name="dbus-daemon")
        self.bus.start(ready=lambda: os.path.exists(self.bus_socket))

    def polkit_on_bus(self):
        p = subprocess.run(["dbus-send", "--system", "--print-reply",
                            "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                            "org.freedesktop.DBus.NameHasOwner",
                            "string:org.freedesktop.PolicyKit1"],
                           capture_output=True, text=True, env=self.env, timeout=30)
        return p.returncode == 0 and "boolean true" in p.stdout

    def set_rules(self, text):
        """Restarts polkitd with these rules (an empty text: only the actions' defaults)."""
        if self.polkitd is not None:
            self.polkitd.stop()
            wait_for(lambda: not self.polkit_on_bus(), what="polkitd to leave the bus")
        with open(os.path.join(RULES[0], "50-test.rules"), "w") as f:
            f.write(text)
        self.polkitd = Daemon([POLKITD, "--no-debug"], os.path.join(self.root, "polkitd.log"),
                              env=self.env, name="polkitd")
        self.polkitd.start(ready=self.polkit_on_bus)

    # ---- dvsd and its clients

    def start_dvsd(self, **keys):
        config = {"auth_unix_rw": "polkit", "auth_unix_ro": "polkit",
                  "unix_sock_rw_perms": "0666", "unix_sock_ro_perms": "0666"}
        config.update({k: str(v) for k, v in keys.items()})
        self.dvsd.write_config({"dvsd": config})
        self.dvsd.env = self.env
        self.dvsd.start()
        # The folders dvsd made for its sockets must let nobody reach them.
        folder = os.path.dirname(self.dvsd.sock)
        while folder.startswith(self.root) and folder != self.root:
            os.chmod(folder, 0o755)
            folder = os.path.dirname(folder)

    def stop_dvsd(self):
        self.dvsd.stop()

    def virsh(self, *args, ro_socket=False, user="nobody"):
        cmd = ["virsh"]
        if ro_socket:
            cmd.append("-r")
        cmd += ["-c", self.dvsd.uri(ro_socket)] + [str(a) for a in args]
        p = subprocess.run(cmd, capture_output=True, text=True, env=self.client_env, timeout=120,
                           preexec_fn=as_nobody if user == "nobody" else None)
        return p.returncode, p.stdout, p.stderr

    def raw_as_nobody(self, script, on_value=None):
        """Runs script(report, wait) in a child as nobody: report(obj) sends a JSON value back,
        wait() blocks until the parent's on_value(value) returned for the last value reported.
        Returns the values reported."""
        read_fd, write_fd = os.pipe()
        go_read, go_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            os.close(go_write)
            code = 0
            try:
                as_nobody()
                out = os.fdopen(write_fd, "w")
                script(lambda value: (out.write(json.dumps(value) + "\n"), out.flush()),
                       lambda: os.read(go_read, 1))
            except BaseException as exc:  # noqa: BLE001 - reported to the parent
                try:
                    os.write(write_fd, (json.dumps({"peer_failed": repr(exc)}) + "\n").encode())
                except OSError:
                    pass
                code = 1
            os._exit(code)
        os.close(write_fd)
        os.close(go_read)
        values = []
        with os.fdopen(read_fd) as f:
            for line in f:
                value = json.loads(line)
                values.append(value)
                if on_value is not None:
                    on_value(value)
                try:
                    os.write(go_write, b"g")
                except BrokenPipeError:
                    pass  # the peer is done and gone
        os.close(go_write)
        _, status = os.waitpid(pid, 0)
        errors = [v["peer_failed"] for v in values if "peer_failed" in v]
        check(not errors and status == 0, f"the peer run as nobody finished: {errors}")
        return values

    def cleanup(self):
        self.dvsd.cleanup()
        for daemon in (self.polkitd, self.bus):
            if daemon is not None:
                daemon.kill()


cases = Cases()


@cases.case
def root_is_not_asked(w):
    w.set_rules(rule("org.libvirt.unix.manage", "NO", user="root")
                + rule("org.libvirt.unix.monitor", "NO", user="root"))
    rc, out, err = w.virsh("net-list", "--all", user="root")
    check(rc == 0, f"root's virsh is served on the polkit socket without asking polkit: {err}")


@cases.case
def denied_by_policy(w):
    w.set_rules(rule("org.libvirt.unix.manage", "NO"))
    offset = w.dvsd.log_size()
    rc, _, err = w.virsh("net-list", "--all")
    check(rc != 0 and "authentication failed: access denied by policy" in err,
          f"a rule saying NO refuses nobody on the read-write socket: {err.strip()}")
    check("Policy kit denied action org.libvirt.unix.manage" in w.dvsd.log_since(offset),
          "dvsd logs the refusal with the action and the peer")


@cases.case
def no_agent_to_authenticate(w):
    # No rule: libvirt's default for managing is auth_admin_keep, which needs an agent.
    w.set_rules("")
    rc, _, err = w.virsh("net-list", "--all")
    check(rc != 0 and "authentication unavailable: no polkit agent available to authenticate "
          "action 'org.libvirt.unix.manage'" in err,
          f"without a rule and an agent nobody is refused as libvirt refuses: {err.strip()}")


@cases.case
def allowed_by_policy(w):
    w.set_rules(rule("org.libvirt.unix.manage", "YES"))
    xml = os.path.join(w.root, "pk.xml")
    with open(xml, "w") as f:
        f.write("<network><name>pk</name><forward mode='bridge'/><bridge name='br-pk'/>"
                "</network>")
    os.chmod(xml, 0o644)
    rc, out, err = w.virsh("net-define", xml)
    check(rc == 0 and "Network pk defined" in out,
          f"a rule saying YES lets nobody define a network: {(out + err).strip()}")
    rc, out, err = w.virsh("net-list", "--all", "--name")
    check(rc == 0 and "pk" in out.split(), f"and list it: {(out + err).strip()}")


@cases.case
def read_only_socket_asks_monitor(w):
    # The monitor action is open to anyone by default; a rule can close it.
    w.set_rules("")
    rc, out, err = w.virsh("net-list", "--all", ro_socket=True)
    check(rc == 0, f"nobody lists networks on the read-only socket: {err.strip()}")
    p = run(w.dvsctl, "status", "--root", w.root, check_rc=False, env=w.client_env,
            preexec_fn=as_nobody)
    check(p.returncode in (0, 2) and "dvsd" in p.stdout,
          f"dvsctl run by nobody passes polkit on the read-only socket: {p.stderr.strip()}")
    w.set_rules(rule("org.libvirt.unix.monitor", "NO"))
    rc, _, err = w.virsh("net-list", "--all", ro_socket=True)
    check(rc != 0 and "access denied by policy" in err,
          f"a rule saying NO to monitoring refuses the read-only socket too: {err.strip()}")
    p = run(w.dvsctl, "status", "--root", w.root, check_rc=False, env=w.client_env,
            preexec_fn=as_nobody)
    check(p.returncode == 1 and "access denied by policy" in p.stderr,
          f"and dvsctl says why: {p.stderr.strip()}")


@cases.case
def calls_before_authentication_are_refused(w):
    w.set_rules(rule("org.libvirt.unix.manage", "YES"))
    sock = w.dvsd.sock

    def peer(report, wait):
        c = RawClient(sock)
        reply = c.call(66)  # AUTH_LIST
        report({"auth_list": list(reply["payload"])})
        reply = c.call(1, b"\0\0\0\0" + b"\0\0\0\0")  # CONNECT_OPEN(NULL, 0)
        report({"open": reply["status"], "open_error": decode_error(reply["payload"])
                if reply["status"] else None})
        reply = c.call(1, prog=DVS_PROGRAM)  # our own status
        report({"dvs": reply["status"]})
        reply = c.call(70)  # AUTH_POLKIT
        report({"polkit": reply["status"]})
        handshake(c)
        report({"handshake": True})
        c.close()

    values = w.raw_as_nobody(peer)
    by_key = {k: v for value in values for k, v in value.items()}
    check(by_key.get("auth_list") == [0, 0, 0, 1, 0, 0, 0, 2],
          f"AUTH_LIST offers polkit to nobody: {by_key.get('auth_list')}")
    check(by_key.get("open") == 1 and (by_key.get("open_error") or [None])[0] == 39
          and by_key["open_error"][2] == "authentication required",
          f"CONNECT_OPEN before AUTH_POLKIT is refused as libvirt refuses it: {by_key}")
    check(by_key.get("dvs") == 1, "so is our own program's status call")
    check(by_key.get("polkit") == 0 and by_key.get("handshake"),
          f"after AUTH_POLKIT the connection opens: {by_key}")


@cases.case
def max_anonymous_clients(w):
    # At max_anonymous_clients connections waiting to authenticate, dvsd stops accepting, as
    # libvirtd does; root's connection made before does not count.
    w.stop_dvsd()
    w.start_dvsd(max_anonymous_clients=1)
    w.set_rules(rule("org.libvirt.unix.manage", "YES"))
    admin = RawClient(w.dvsd.sock)
    handshake(admin)
    sock = w.dvsd.sock

    def peer(report, wait):
        a = RawClient(sock)
        a.call(66)  # accepted: the one anonymous client
        b = RawClient(sock)
        b.send(pack_message(0x20008086, 1, 66, 0, 7))  # AUTH_LIST, waits in the backlog
        a.call(66)  # dvsd went round its loop since b connected
        report({"b_waiting": True})
        wait()  # the parent counts dvsd's clients
        readable, _, _ = select.select([b.sock], [], [], 0)
        report({"b_answered_early": bool(readable)})
        a.call(70)  # a authenticates: no longer anonymous
        reply = b.receive()
        report({"b_answered": reply is not None and reply["serial"] == 7})
        a.close()
        b.close()

    counts = []

    def on_value(value):
        if "b_waiting" in value:
            counts.append(connected_clients(admin))

    values = w.raw_as_nobody(peer, on_value)
    by_key = {k: v for value in values for k, v in value.items()}
    check(counts == [2], f"dvsd serves root's and the first client only: {counts}")
    check(by_key.get("b_answered_early") is False,
          "a second unauthenticated client is not taken at max_anonymous_clients=1")
    check(by_key.get("b_answered") is True,
          "it is taken once the first authenticated")
    admin.close()


def main():
    if len(sys.argv) != 3:
        fail(__doc__)
    require_root("mounts over polkit's folders in a private mount namespace and runs as nobody")
    if not os.path.exists(POLKITD):
        skip(f"{POLKITD} is missing (Debian package polkitd)")
    require_programs("unshare", "dbus-daemon", "dbus-send", "virsh")
    if os.environ.get("DVS_POLKIT_NAMESPACE") != "1":
        # Again, in a mount namespace of its own: the polkit folders it mounts over stay private.
        env = dict(os.environ, DVS_POLKIT_NAMESPACE="1")
        p = subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable,
                            *sys.argv], env=env)
        sys.exit(p.returncode)

    w = World(sys.argv[1], sys.argv[2])
    try:
        w.isolate_polkit()
        w.start_bus()
        w.set_rules("")
        w.start_dvsd()

        def logs(name, exc):
            print(f"---- dvsd log ----\n{w.dvsd.log(6000)}")
            if w.polkitd is not None:
                print(f"---- polkitd log ----\n{w.polkitd.log(3000)}")

        rc = cases.run(w, on_failure=logs)
    finally:
        w.cleanup()
    sys.exit(rc)


if __name__ == "__main__":
    main()
