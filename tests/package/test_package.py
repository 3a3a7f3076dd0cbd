# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Debian package: builds it with dpkg-buildpackage from a temporary copy of the source tree,
checks what it ships, installs it into a throw-away root made from this host's own packages,
runs dvsd and dvsctl from there, and purges it again.

The throw-away root: in a private mount namespace, the host's /usr, /etc and /var are mounted
as overlays whose writes go to a temporary folder, and dpkg runs chrooted there. dpkg's database
is the host's (in the overlay), so the package's dependencies are checked against what the host
really has installed, and its maintainer scripts run as on a host, but nothing of the host
changes. Needs root, dpkg-buildpackage, debhelper, scdoc and overlayfs; skipped otherwise.
Arguments: the source tree."""

import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
PACKAGE = "libvirt-dvs"

# What the package must ship (paths in the .deb).
SHIPPED = [
    "./usr/sbin/dvsd",
    "./usr/bin/dvsctl",
    "./etc/dvs/dvsd.conf",
    "./etc/libvirt/hooks/network.d/libvirt-dvs",
    "./usr/share/libvirt-dvs/schemas/network.rng",
    "./usr/share/libvirt-dvs/schemas/dvsctl-status.json",
    "./usr/share/libvirt-dvs/schemas/dvsctl-switch-status.json",
    "./usr/sbin/dvs-controller",
    "./usr/share/man/man8/dvs-controller.8.gz",
    "./usr/share/man/man8/dvs-leaseshelper.8.gz",
    "./usr/share/man/man8/dvsd.8.gz",
    "./usr/share/man/man8/dvsctl.8.gz",
    "./usr/share/man/man5/dvsd.conf.5.gz",
    "./usr/share/bash-completion/completions/dvsctl",
]
UNITS = ["dvsd.service", "dvsd.socket", "dvsd-ro.socket", "dvs-controller.service"]


def skip(reason):
    print(f"SKIP: {reason}", flush=True)
    sys.exit(SKIP)


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)
    print(f"ok: {message}", flush=True)


def run(*argv, timeout=60, **kwargs):
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, **kwargs)


def copy_tree(source, dest):
    """The source tree without build folders and version control."""
    files = None
    if os.path.isdir(os.path.join(source, ".git")) or os.path.isfile(os.path.join(source, ".git")):
        p = run("git", "-C", source, "ls-files", "-z", "--cached", "--others",
                "--exclude-standard")
        if p.returncode == 0:
            files = [f for f in p.stdout.split("\0") if f]
    if files is None:
        shutil.copytree(source, dest, symlinks=True,
                        ignore=shutil.ignore_patterns("build*", ".git", "__pycache__"))
        return
    for f in files:
        src = os.path.join(source, f)
        if not os.path.lexists(src):
            continue  # deleted in the work tree
        target = os.path.join(dest, f)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(src, target, follow_symlinks=False)


# Runs in a private mount namespace (unshare -m): $1 the throw-away root's folder, $2 the .deb.
IN_ROOT = r"""
set -eu
top=$1 deb=$2
root=$top/root
mount --make-rprivate /
for d in usr etc var; do
    mkdir -p "$top/upper/$d" "$top/work/$d" "$root/$d"
    mount -t overlay overlay \
        -o "lowerdir=/$d,upperdir=$top/upper/$d,workdir=$top/work/$d" "$root/$d"
done
for l in bin lib lib64 sbin; do
    if [ -L "/$l" ]; then ln -s "$(readlink "/$l")" "$root/$l"; fi
done
mkdir -p "$root/dev" "$root/proc" "$root/tmp" "$root/run"
mount --rbind /dev "$root/dev"
mount -t proc proc "$root/proc"
mount -t tmpfs tmpfs "$root/tmp"
mount -t tmpfs tmpfs "$root/run"
cp "$deb" "$root/tmp/package.deb"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

echo "== dpkg -i"
in_root dpkg -i /tmp/package.deb
echo "== status"
in_root dpkg-query -W -f='${Status}\n' libvirt-dvs
echo "== conffiles"
in_root dpkg-query -W -f='${Conffiles}\n' libvirt-dvs
echo "== versions"
in_root dvsd --version
in_root dvsctl --version
echo "== units"
ls "$root/lib/systemd/system/" | grep -E '^(dvsd|dvs-controller)' || true
echo "== enabled"
ls "$root/etc/systemd/system/"*.wants 2>/dev/null | grep -E 'dvsd|dvs-controller' || echo none
echo "== hook"
printf '<hookData><network><name>other</name></network></hookData>' |
    in_root /etc/libvirt/hooks/network.d/libvirt-dvs other start begin - && echo "hook exit 0"
mkdir -p "$root/etc/dvs/networks" "$root/var/lib/dvs"
echo "== remove"
in_root dpkg --remove libvirt-dvs
[ -e "$root/etc/dvs/dvsd.conf" ] && echo "conffile kept"
[ -e "$root/usr/sbin/dvsd" ] && echo "binary kept" || true
echo "== purge"
in_root dpkg --purge libvirt-dvs
[ -e "$root/etc/dvs" ] && echo "etc kept" || true
[ -e "$root/var/lib/dvs" ] && echo "state kept" || true
in_root dpkg-query -W -f='${Status}\n' libvirt-dvs 2>&1 || true
echo "== done"
"""


def main():
    source = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0:
        skip("installing into a throw-away root needs root")
    for program in ("dpkg-buildpackage", "dh", "scdoc", "unshare", "chroot", "dpkg-deb"):
        if shutil.which(program) is None:
            skip(f"{program} is missing (scripts/install-deps installs it)")
    with open("/proc/filesystems") as f:
        if "overlay" not in f.read():
            skip("the kernel has no overlayfs")
    p = run("dpkg-checkbuilddeps", cwd=source)
    if p.returncode != 0:
        skip(f"build dependencies are missing: {p.stderr.strip()}")

    top = tempfile.mkdtemp(prefix="dvs-package-", dir=os.environ.get("TMPDIR"))
    try:
        tree = os.path.join(top, "src", PACKAGE)
        copy_tree(source, tree)
        # Quick: no optimisation, no debug symbols package, and a fast compression of the .deb.
        env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck noopt noautodbgsym parallel=2",
                   DPKG_DEB_COMPRESSOR_TYPE="gzip", DPKG_DEB_COMPRESSOR_LEVEL="1")
        # The copy's path changes from run to run: keep it out of the compiler's arguments, so
        # that ccache (when installed) serves the next run's build from this one's.
        prefix_map = f"-ffile-prefix-map={tree}=."
        env.update(DEB_CFLAGS_STRIP=prefix_map, DEB_CXXFLAGS_STRIP=prefix_map,
                   CCACHE_NOHASHDIR="1", CCACHE_BASEDIR=tree)
        for var in ("DVS_SOURCE_ROOT", "DVS_BUILD_ROOT", "MESON_TEST_ITERATION"):
            env.pop(var, None)
        p = run("dpkg-buildpackage", "-us", "-uc", "-b", cwd=tree, env=env, timeout=600)
        if p.returncode != 0:
            print(p.stdout[-6000:], p.stderr[-3000:])
        check(p.returncode == 0, "dpkg-buildpackage -us -uc -b builds the package")
        debs = [f for f in os.listdir(os.path.dirname(tree))
                if f.startswith(PACKAGE + "_") and f.endswith(".deb")]
        check(len(debs) == 1, f"one package: {debs}")
        deb = os.path.join(os.path.dirname(tree), debs[0])

        contents = run("dpkg-deb", "-c", deb).stdout
        paths = {line.split()[5] for line in contents.splitlines()}
        for path in SHIPPED:
            check(path in paths, f"the package ships {path}")
        for unit in UNITS:
            check(f"./lib/systemd/system/{unit}" in paths or
                  f"./usr/lib/systemd/system/{unit}" in paths, f"the package ships {unit}")
        control = os.path.join(top, "control")
        run("dpkg-deb", "-e", deb, control)
        with open(os.path.join(control, "conffiles")) as f:
            conffiles = f.read().split()
        check("/etc/dvs/dvsd.conf" in conffiles, f"/etc/dvs/dvsd.conf is a conffile: {conffiles}")
        for script in ("postinst", "prerm", "postrm", "preinst"):
            path = os.path.join(control, script)
            if os.path.exists(path):
                with open(path) as f:
                    text = f.read()
                for starts in ("systemctl start", "systemctl restart", "deb-systemd-invoke start",
                               "deb-systemd-invoke restart", "virtnetworkd"):
                    check(starts not in text, f"{script} does not run '{starts}'")

        if shutil.which("lintian") is not None:
            p = run("lintian", "--fail-on", "error", deb, timeout=300)
            check(p.returncode == 0, f"lintian reports no error:\n{p.stdout}{p.stderr}")
        else:
            print("note: lintian is not installed; the package's lint is not checked")

        p = run("unshare", "-m", "sh", "-c", IN_ROOT, "sh", os.path.join(top, "chroot"), deb,
                timeout=300)
        out = p.stdout
        print(out)
        check(p.returncode == 0, f"install, run and purge in the throw-away root: {p.stderr}")
        section = {}
        name = None
        for line in out.splitlines():
            if line.startswith("== "):
                name = line[3:]
                section[name] = []
            elif name:
                section[name].append(line)
        check(section["status"] == ["install ok installed"], "dpkg -i installs it")
        check(any(line.strip().startswith("/etc/dvs/dvsd.conf ") for line in section["conffiles"]),
              "dpkg records /etc/dvs/dvsd.conf as a conffile")
        with open(os.path.join(source, "meson.build")) as f:
            version = f.read().split("version: '", 1)[1].split("'", 1)[0]
        check(section["versions"] == [f"dvsd {version}", f"dvsctl {version}"],
              f"dvsd --version and dvsctl --version run from it: {section['versions']}")
        check(sorted(section["units"]) == sorted(UNITS), f"the units are installed: "
              f"{section['units']}")
        check(section["enabled"] == ["none"], "installing enables no unit")
        check(section["hook"] == ["hook exit 0"],
              "the installed hook leaves a network dvsd did not publish alone")
        check("conffile kept" in section["remove"] and "binary kept" not in section["remove"],
              "remove takes the programs away and keeps the configuration")
        purge = " ".join(section["purge"])
        check("etc kept" not in purge and "state kept" not in purge and
              "ok installed" not in purge,
              f"purge leaves nothing behind: {section['purge']}")
    finally:
        shutil.rmtree(top, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
