# SPDX-License-Identifier: LGPL-2.1-or-later
"""What every script test needs: skipping with exit 77, failing, checking, polling a condition
with a deadline, running a program, temporary folders, and named cases.

Nothing here sleeps for an outcome: wait_for() polls a condition until a deadline.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

SKIP = 77
# The default deadline of a wait, in seconds: generous, since CI runs an ASan build on 2 cores.
DEADLINE = 30.0


class TestFailure(AssertionError):
    """A failed check. Raised (not exited) so that a case fails and the next one runs."""


def skip(reason):
    """Prints why the test cannot run on this machine and exits with 77 (meson's skip)."""
    print(f"SKIP: {reason}", flush=True)
    sys.exit(SKIP)


def fail(message):
    raise TestFailure(message)


def check(condition, message):
    """Fails with message unless condition holds; prints it as passed otherwise."""
    if not condition:
        fail(message)
    print(f"ok: {message}", flush=True)
    return condition


def wait_for(condition, timeout=DEADLINE, what="a condition"):
    """Polls condition() until it returns a true value, which it returns, or fails naming what
    once timeout seconds have passed. The poll interval starts at 10 ms and grows to 200 ms."""
    if isinstance(timeout, str):
        raise TypeError(f"wait_for(condition, timeout, what): timeout {timeout!r} is a string")
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            fail(f"timed out after {timeout:g} s waiting for {what}")
        # A poll interval, not a wait for an outcome: the loop re-checks the condition.
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def run(*cmd, check_rc=True, env=None, timeout=60, input=None, preexec_fn=None, cwd=None):
    """Runs a program; returns the CompletedProcess (text). Fails with its stderr when it exits
    non-zero and check_rc holds."""
    argv = [str(c) for c in cmd]
    try:
        p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout,
                           input=input, preexec_fn=preexec_fn, cwd=cwd)
    except subprocess.TimeoutExpired:
        fail(f"{' '.join(argv)} did not finish within {timeout} s")
    if check_rc and p.returncode != 0:
        fail(f"{' '.join(argv)} failed ({p.returncode}): {(p.stderr or p.stdout).strip()}")
    return p


def temp_root(prefix="dvs-test-"):
    """A new temporary folder, on tmpfs when there is one (fsync is free there). TMPDIR, which
    the meson tests set, wins."""
    base = None
    if not os.environ.get("TMPDIR") and os.access("/dev/shm", os.W_OK):
        base = "/dev/shm"
    return tempfile.mkdtemp(prefix=prefix, dir=base)


def require_root(why):
    if os.geteuid() != 0:
        skip(f"needs root ({why})")


def which(program):
    """The program's path, looking in the sbin folders too (Debian's PATH for users lacks them)."""
    found = shutil.which(program)
    if found:
        return found
    for folder in ("/usr/sbin", "/sbin", "/usr/local/sbin"):
        path = os.path.join(folder, program)
        if os.access(path, os.X_OK):
            return path
    return None


def require_programs(*programs):
    """Skips naming every program that is missing."""
    missing = [p for p in programs if which(p) is None]
    if missing:
        skip(f"missing programs: {', '.join(missing)}")


def require_libvirt_python():
    """The libvirt module (python3-libvirt lives in Debian's /usr/bin/python3)."""
    try:
        import libvirt  # noqa: F401
    except ImportError:
        skip("python3-libvirt is missing (run the tests with /usr/bin/python3)")
    return sys.modules["libvirt"]


def read_text(path, tail=None):
    """A file's text ("" when it cannot be read); only its last tail characters when given."""
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except OSError:
        return ""
    return text[-tail:] if tail else text


class Cases:
    """Named test cases, run in order; one failing does not stop the others.

        cases = Cases()

        @cases.case
        def web_guests_ping(world): ...

        sys.exit(cases.run(world))

    A case fails when it raises (fail(), an AssertionError or anything else); skip() inside a
    case skips the whole script. DVS_TEST_CASES (comma-separated names) runs a subset.
    on_failure(name, exc) is called after a failed case (to print logs)."""

    def __init__(self, env_var="DVS_TEST_CASES"):
        self.env_var = env_var
        self.cases = []
        self.results = {}

    def case(self, fn=None, *, name=None):
        def register(f):
            self.cases.append((name or f.__name__, f))
            return f

        return register(fn) if fn is not None else register

    def selected(self):
        wanted = os.environ.get(self.env_var) if self.env_var else None
        if not wanted:
            return self.cases
        names = {n.strip() for n in wanted.split(",") if n.strip()}
        unknown = names - {n for n, _ in self.cases}
        if unknown:
            fail(f"{self.env_var} names unknown cases: {', '.join(sorted(unknown))}")
        return [(n, f) for n, f in self.cases if n in names]

    def run(self, *args, on_failure=None):
        """Runs every case with args; returns the exit status (0, or 1 when any failed)."""
        for name, fn in self.selected():
            print(f"==== case {name}", flush=True)
            start = time.monotonic()
            try:
                fn(*args)
            except SystemExit:
                raise
            except BaseException as exc:  # noqa: BLE001 - every failure is reported
                self.results[name] = exc
                print(f"FAIL: case {name}: {exc}", flush=True)
                if not isinstance(exc, TestFailure):
                    traceback.print_exc()
                if on_failure is not None:
                    try:
                        on_failure(name, exc)
                    except Exception:  # noqa: BLE001 - diagnostics must not hide the failure
                        traceback.print_exc()
                if isinstance(exc, KeyboardInterrupt):
                    raise
                continue
            self.results[name] = None
            print(f"ok: case {name} ({time.monotonic() - start:.1f} s)", flush=True)
        failed = [n for n, e in self.results.items() if e is not None]
        passed = len(self.results) - len(failed)
        print(f"==== {passed} of {len(self.results)} cases passed"
              + (f"; failed: {', '.join(failed)}" if failed else ""), flush=True)
        return 1 if failed else 0
