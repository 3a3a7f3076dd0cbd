# SPDX-License-Identifier: LGPL-2.1-or-later
"""A daemon under test: started with its output in a log file, optionally inside a network
namespace, killed with the test whatever happens (parent death signal), ready when a condition
holds, stopped with SIGTERM (SIGKILL after a deadline) or killed with any signal."""

import os
import signal as _signal
import subprocess

from .core import DEADLINE, fail, read_text, wait_for
from .netns import die_with_parent


class Daemon:
    def __init__(self, argv, log, env=None, netns=None, cwd=None, name=None):
        self.argv = [str(a) for a in argv]
        self.log_path = log
        self.env = env
        self.netns = netns
        self.cwd = cwd
        self.name = name or os.path.basename(self.argv[0])
        self.proc = None

    def start(self, ready=None, timeout=DEADLINE):
        """Starts the program; when ready (a callable) is given, waits until it holds, failing
        with the log's tail if the program exits first."""
        out = open(self.log_path, "a")
        preexec = self.netns.enter if self.netns is not None else die_with_parent
        self.proc = subprocess.Popen(self.argv, stdout=out, stderr=out, stdin=subprocess.DEVNULL,
                                     env=self.env, cwd=self.cwd, preexec_fn=preexec)
        out.close()
        if ready is not None:
            self.wait_ready(ready, timeout)
        return self

    def wait_ready(self, ready, timeout=DEADLINE):
        def check():
            if self.proc.poll() is not None:
                fail(f"{self.name} exited with {self.proc.returncode}:\n{self.log(4000)}")
            return ready()

        wait_for(check, timeout, f"{self.name} to be ready")

    @property
    def pid(self):
        return self.proc.pid if self.proc is not None else None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self, tail=None):
        return read_text(self.log_path, tail)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def kill(self, sig=_signal.SIGKILL):
        """Sends sig and waits until the process is gone (a crash when SIGKILL)."""
        if self.proc is None:
            return None
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=DEADLINE)
        self.proc = None
        return rc

    def stop(self, timeout=DEADLINE):
        """SIGTERM, then SIGKILL if it has not exited by the deadline. Returns the exit status
        (None when it had to be killed or was not running)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(_signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = None
        self.proc = None
        return rc


def socket_exists(path):
    return lambda: os.path.exists(path)


def unix_socket_accepts(path):
    """A condition: a unix stream socket at path accepts connections."""
    import socket

    def accepts():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return True
        except OSError:
            return False
        finally:
            s.close()

    return accepts


def tcp_accepts(host, port):
    """A condition: host:port accepts tcp connections (from the test's own namespace)."""
    import socket

    def accepts():
        try:
            socket.create_connection((host, port), timeout=1).close()
            return True
        except OSError:
            return False

    return accepts


def free_tcp_port(host="127.0.0.1"):
    """A tcp port that was free on host a moment ago (in the test's own namespace)."""
    import socket

    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]
