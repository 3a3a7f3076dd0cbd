# SPDX-License-Identifier: LGPL-2.1-or-later
"""dvsctl's own interface, without a daemon: --version, help for every command, the man pages
covering every command and option the binaries know, and bash completion through the installed
completion script. The lists of commands and options come from the binaries themselves (dvsctl's
usage grammar, dvsd --help), so documentation that falls behind the code fails here."""

import os
import re
import shlex
import subprocess
import sys

from dvstest import Cases, require_programs, run as run_checked, which

cases = Cases()


def run(*args, **kwargs):
    return run_checked(*args, check_rc=False, timeout=30, **kwargs)


class Cli:
    def __init__(self, dvsctl, dvsd, source, controller=None):
        self.dvsctl, self.dvsd, self.source = (os.path.abspath(p) for p in (dvsctl, dvsd, source))
        self.controller = os.path.abspath(controller) if controller else None

    def ctl(self, *args):
        return run(self.dvsctl, *args)

    def commands(self):
        p = self.ctl("__complete", "")
        names = [w for w in p.stdout.split() if not w.startswith("-") and w != "help"]
        assert p.returncode == 0 and names, f"dvsctl lists its commands: {p.stdout!r}"
        return names

    def options(self, command):
        p = self.ctl("__complete", command, "--")
        return [w for w in p.stdout.split() if w != "--help"]

    def man(self, name):
        with open(os.path.join(self.source, "docs", "man", name)) as f:
            return f.read()


@cases.case
def version(cli):
    p = cli.ctl("--version")
    assert p.returncode == 0 and re.fullmatch(r"dvsctl \d+\.\d+\.\d+\n", p.stdout), p
    p = run(cli.dvsd, "--version")
    assert p.returncode == 0 and re.fullmatch(r"dvsd \d+\.\d+\.\d+\n", p.stdout), p


@cases.case
def help_for_every_command(cli):
    p = cli.ctl("help")
    assert p.returncode == 0, p
    for command in cli.commands():
        assert f"\n  {command} " in p.stdout or f"\n  {command}\n" in p.stdout, \
            f"'dvsctl help' lists {command}"
        by_help = cli.ctl("help", command)
        by_option = cli.ctl(command, "--help")
        assert by_help.returncode == 0 and by_option.returncode == 0, (by_help, by_option)
        assert by_help.stdout == by_option.stdout, f"both helps of {command} agree"
        assert by_help.stdout.startswith(f"Usage: dvsctl {command}"), by_help.stdout
        for option in cli.options(command):
            assert option in by_help.stdout, f"'dvsctl help {command}' shows {option}"
    p = cli.ctl("help", "no-such-command")
    assert p.returncode == 1 and p.stderr.startswith("error: "), p
    p = cli.ctl("no-such-command")
    assert p.returncode == 1 and "unknown command 'no-such-command'" in p.stderr, p


@cases.case
def dvsctl_man_page_covers_every_command_and_option(cli):
    man = cli.man("dvsctl.8.scd")
    for command in cli.commands():
        heading = f"\n## {command}\n"
        assert heading in man, f"dvsctl(8) has a section for {command}"
        section = man.split(heading, 1)[1].split("\n## ", 1)[0].split("\n# ", 1)[0]
        for option in cli.options(command):
            assert f"*{option}*" in section, f"dvsctl(8) shows {command}'s {option}"
    for option in ("--version", "--help"):
        assert f"*{option}*" in man, f"dvsctl(8) shows {option}"


@cases.case
def dvsd_man_page_covers_every_option(cli):
    p = run(cli.dvsd, "--help")
    assert p.returncode == 0, p
    options = set(re.findall(r"(--[a-z][a-z-]*)", p.stdout)) - {"--help-all"}
    assert {"--root", "--config", "--version"} <= options, options
    man = cli.man("dvsd.8.scd")
    options_section = man.split("\n# OPTIONS\n", 1)[1].split("\n# ", 1)[0]
    for option in sorted(options):
        assert f"*{option}*" in options_section, f"dvsd(8) shows {option}"


@cases.case
def dvs_controller_man_page_covers_every_option(cli):
    if cli.controller is None:
        print("  (dvs-controller is not built)")
        return
    p = run(cli.controller, "--help")
    assert p.returncode == 0, p
    options = set(re.findall(r"(--[a-z][a-z-]*)", p.stdout))
    assert {"--db", "--private-key", "--certificate", "--ca-cert", "--id", "--tick",
            "--version"} <= options, options
    man = cli.man("dvs-controller.8.scd")
    options_section = man.split("\n# OPTIONS\n", 1)[1].split("\n# ", 1)[0]
    for option in sorted(options):
        assert f"*{option}*" in options_section, f"dvs-controller(8) shows {option}"
    with open(os.path.join(cli.source, "systemd", "dvs-controller.service.in")) as f:
        unit = f.read()
    assert "ExecStart=@sbindir@/dvs-controller" in unit and "man:dvs-controller(8)" in unit, unit


@cases.case
def man_pages_build(cli):
    scdoc = which("scdoc")
    if scdoc is None:
        print("  (scdoc is missing: the man pages' format is not checked)")
        return
    for name in ("dvsd.8.scd", "dvsctl.8.scd", "dvsd.conf.5.scd", "dvs-controller.8.scd"):
        with open(os.path.join(cli.source, "docs", "man", name)) as f:
            p = subprocess.run([scdoc], stdin=f, capture_output=True, text=True, timeout=30)
        assert p.returncode == 0 and p.stdout.startswith(".\\\" Generated by scdoc"), \
            f"scdoc turns {name} into a man page: {p.stderr}"


@cases.case
def completion(cli):
    script = os.path.join(cli.source, "completion", "dvsctl")

    def complete(*words):
        # What bash offers when the cursor is at the end of the last word.
        line = " ".join(["dvsctl", *words])
        quoted = " ".join(shlex.quote(w) for w in words)
        program = (f"source {shlex.quote(script)}\n"
                   f"COMP_WORDS=(dvsctl {quoted})\n"
                   f"COMP_CWORD={len(words)}\nCOMP_LINE={line!r}\nCOMP_POINT={len(line)}\n"
                   "_dvsctl\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
        env = dict(os.environ, PATH=os.path.dirname(cli.dvsctl) + ":" + os.environ["PATH"])
        p = run("bash", "--norc", "-c", program, env=env)
        assert p.returncode == 0, p
        return [w for w in p.stdout.split("\n") if w]

    commands = complete("")
    assert set(cli.commands()) <= set(commands) and "help" in commands, commands
    assert complete("sta") == ["status"], complete("sta")
    assert complete("status", "--j") == ["--json"], complete("status", "--j")
    assert complete("xml-format", "") == ["network", "networkport"], complete("xml-format", "")
    assert complete("help", "port-u") == ["port-unplug"], complete("help", "port-u")
    # A FILE is completed by the shell: the source tree's README is there.
    os.chdir(cli.source)
    assert "README.md" in complete("xml-format", "network", "READ"), \
        complete("xml-format", "network", "READ")


def main():
    require_programs("bash")
    return cases.run(Cli(*sys.argv[1:5]))


if __name__ == "__main__":
    sys.exit(main())
