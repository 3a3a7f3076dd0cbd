# SPDX-License-Identifier: LGPL-2.1-or-later
"""dvsd as a process: options, configuration, sockets, signals."""

import os
import shutil
import signal
import socket
import sys

from dvstest import Cases, Dvsd, check, run, temp_root, wait_for, which
from dvstest.wire import DVS_PROGRAM, RawClient, decode_error, handshake, xdr_string

cases = Cases()


def dvsd(binary, *args):
    return run(binary, *args, check_rc=False, timeout=30)


class Root:
    """A temporary --root, removed afterwards."""

    def __enter__(self):
        self.path = temp_root()
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)
        return False


@cases.case
def options(binary):
    p = dvsd(binary, "--version")
    check(p.returncode == 0 and p.stdout.startswith("dvsd "), f"--version: {p.stdout.strip()}")
    p = dvsd(binary, "--no-such-option")
    check(p.returncode == 1 and "no-such-option" in p.stderr, "an unknown option exits 1")


@cases.case
def bad_configuration(binary):
    # A bad configuration file: a clear error and exit 1, nothing listening.
    with Root() as root:
        bad = os.path.join(root, "bad.conf")
        with open(bad, "w") as f:
            f.write("[dvsd]\nunix_sock_rw_perms=rw\n")
        p = dvsd(binary, "--root", root, "--config", bad)
        check(p.returncode == 1 and "invalid value 'rw' for 'unix_sock_rw_perms'" in p.stderr,
              f"a bad configuration stops dvsd: {p.stderr.strip()}")
        check(not os.path.exists(os.path.join(root, "run/libvirt/virtnetworkd-sock")),
              "no socket was created")
        p = dvsd(binary, "--root", root, "--config", os.path.join(root, "absent.conf"))
        check(p.returncode == 1 and "absent.conf" in p.stderr,
              "a --config file that does not exist is an error")
        # The default file under --root is read too.
        os.makedirs(os.path.join(root, "etc/dvs"))
        with open(os.path.join(root, "etc/dvs/dvsd.conf"), "w") as f:
            f.write("[dvsd]\nmode=sideways\n")
        p = dvsd(binary, "--root", root)
        check(p.returncode == 1 and "'sideways'" in p.stderr, "ROOT/etc/dvs/dvsd.conf is read")


@cases.case
def defaults_and_signals(binary):
    # A missing default file: libvirt's defaults.
    with Root() as root, Dvsd(binary, root=root) as d:
        d.start()
        check(oct(os.stat(d.sock).st_mode & 0o777) == "0o600", "read-write socket mode 0600")
        check(oct(os.stat(d.sock_ro).st_mode & 0o777) == "0o666", "read-only socket mode 0666")

        # SIGHUP re-reads hooks and configuration and keeps serving.
        os.makedirs(os.path.join(root, "etc/dvs"), exist_ok=True)
        with open(os.path.join(root, "etc/dvs/dvsd.conf"), "w") as f:
            f.write("[dvsd]\nlog_level=debug\n")
        d.signal(signal.SIGHUP)
        wait_for(lambda: "Reloaded configuration" in d.log(), what="the reload to be logged")
        check("Reloaded hooks" in d.log(), "SIGHUP reloads the hooks")
        c = RawClient(d.sock)
        handshake(c)
        reply = c.call(46, xdr_string("absent"))
        check(reply["status"] == 1, "dvsd still answers after SIGHUP")

        # A broken file on SIGHUP keeps the running configuration.
        with open(os.path.join(root, "etc/dvs/dvsd.conf"), "w") as f:
            f.write("[dvsd]\nlog_level=shouting\n")
        d.signal(signal.SIGHUP)
        wait_for(lambda: "Keeping the current configuration" in d.log(),
                 what="the rejected reload to be logged")
        check(d.running(), "a bad file on SIGHUP does not stop dvsd")
        os.unlink(os.path.join(root, "etc/dvs/dvsd.conf"))

        # SIGTERM with a client connected mid-conversation: exit 0, sockets removed.
        reply = c.call(1, prog=DVS_PROGRAM)
        check(reply["status"] == 0, "the status call works")
        d.stop()
        check(not os.path.exists(d.sock), "SIGTERM removes the sockets")
        check(c.closed_by_server(), "clients are disconnected at exit")
        c.close()


@cases.case
def configured_sockets_in_hook_mode(binary):
    # Configured socket folder, modes and hook mode.
    with Root() as root:
        conf = os.path.join(root, "dvsd.conf")
        with open(conf, "w") as f:
            f.write("[dvsd]\nmode=hook\nunix_sock_rw_perms=0660\nunix_sock_ro_perms=0640\n")
        d = Dvsd(binary, root=root)
        d.config = conf
        d.sock = os.path.join(root, "run/dvs/dvsd-sock")
        d.sock_ro = d.sock + "-ro"
        # systemd's readiness protocol: a datagram socket named in NOTIFY_SOCKET.
        notify_path = os.path.join(root, "notify")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        notify.settimeout(30)
        d.env = dict(os.environ, NOTIFY_SOCKET=notify_path)
        with d, notify:
            d.start()
            check(b"READY=1" in notify.recv(4096), "dvsd tells systemd it is ready")
            check(oct(os.stat(d.sock).st_mode & 0o777) == "0o660", "configured read-write mode")
            check(oct(os.stat(d.sock_ro).st_mode & 0o777) == "0o640", "configured read-only mode")
            check(not os.path.exists(os.path.join(root, "run/libvirt/virtnetworkd-sock")),
                  "hook mode leaves virtnetworkd's socket alone")

            # A second daemon on the same root is refused (the driver's state lock).
            p = dvsd(binary, "--root", root, "--config", conf)
            check(p.returncode == 1,
                  f"a second dvsd on the same root exits 1: {p.stderr.strip()}")
            check(os.path.exists(d.sock), "the first daemon's socket is untouched")
            d.stop()
            check(b"STOPPING=1" in notify.recv(4096), "dvsd tells systemd it is stopping")


@cases.case
def socket_activation(binary):
    # systemd (here its test tool) binds both sockets and passes them.
    activate = which("systemd-socket-activate")
    if activate is None:
        print("note: systemd-socket-activate is not installed, socket activation not tested")
        return
    with Root() as root:
        d = Dvsd(binary, root=root)
        os.makedirs(os.path.dirname(d.sock))
        d.wrapper = [activate, "-l", d.sock, "-l", d.sock_ro,
                     "--fdname=dvsd.socket:dvsd-ro.socket"]
        with d:
            d.start()
            wait_for(lambda: "listening on" in d.log(), what="dvsd to start")
            check("Using the read-write socket passed by systemd (dvsd.socket)" in d.log() and
                  "Using the read-only socket passed by systemd (dvsd-ro.socket)" in d.log(),
                  "dvsd takes both sockets from systemd")
            ro = RawClient(d.sock_ro)
            handshake(ro)
            reply = ro.call(41, xdr_string("<network><name>x</name></network>"))
            check(reply["status"] == 1 and decode_error(reply["payload"])[0] == 29,
                  "the passed read-only socket is read-only")
            rw = RawClient(d.sock)
            handshake(rw)
            reply = rw.call(46, xdr_string("x"))
            check(reply["status"] == 1 and decode_error(reply["payload"])[0] == 43,
                  "the passed read-write socket serves calls")
            ro.close()
            rw.close()
            d.stop()
            check(os.path.exists(d.sock), "sockets passed by systemd are left to systemd")


def main():
    return cases.run(sys.argv[1])


if __name__ == "__main__":
    sys.exit(main())
