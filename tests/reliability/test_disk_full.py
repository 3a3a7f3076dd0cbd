#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A full state file system: dvsd's state folders are small tmpfs mounts (in a private mount
namespace) filled to the last byte. Every change that must be written (define, update,
autostart, port create and delete) fails with the system's reason and changes nothing, the
previous state stays intact (also across a crash and restart), no temporary file is left
behind, and once space is back every change works again.

usage: test_disk_full.py DVSD"""

import os
import subprocess
import sys
import uuid

from dvstest import (Dvsd, check, fail, require_libvirt_python, require_root, require_programs,
                     run, skip, temp_root, wait_for)

NETWORK = """<network>
  <name>{name}</name>
  <forward mode='bridge'/>
  <bridge name='br-{name}'/>
  <virtualport type='openvswitch'/>
  <portgroup name='web' default='yes'><vlan><tag id='10'/></vlan></portgroup>
</network>
"""

PORT = """<networkport>
  <uuid>{port}</uuid>
  <owner><name>vm{n}</name><uuid>{owner}</uuid></owner>
  <mac address='52:54:00:20:00:{n:02x}'/>
</networkport>
"""


def fill(folder):
    """Writes a filler file until the file system is full; returns its path."""
    path = os.path.join(folder, "filler")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    block = b"\0" * 4096
    try:
        while True:
            os.write(fd, block)
    except OSError:
        pass
    finally:
        os.close(fd)
    # Then every inode (a symlink or an empty file needs no block).
    n = 0
    while True:
        try:
            os.close(os.open(os.path.join(folder, f"filler-{n}"), os.O_WRONLY | os.O_CREAT, 0o600))
        except OSError:
            break
        n += 1
    return path


def unfill(folder):
    for name in os.listdir(folder):
        if name.startswith("filler"):
            os.unlink(os.path.join(folder, name))


def state_files(root):
    out = {}
    for base in ("etc/dvs", "run/dvs"):
        for dirpath, _, files in os.walk(os.path.join(root, base)):
            for f in files:
                if f.startswith("filler") or f == "dvsd.lock":
                    continue
                p = os.path.join(dirpath, f)
                with open(p, "rb") as fh:
                    out[os.path.relpath(p, root)] = fh.read()
    return out


def temporaries(root):
    return [p for p in state_files(root) if os.path.basename(p).startswith(".")]


def inside(dvsd_binary):
    import libvirt

    root = temp_root("dvs-diskfull-")
    for sub in ("etc/dvs", "run/dvs"):
        path = os.path.join(root, sub)
        os.makedirs(path)
        # Small: a definition and a few ports fit, the filler takes the rest.
        run("mount", "-t", "tmpfs", "-o", "size=256k,nr_inodes=200", "tmpfs", path)
    with Dvsd(dvsd_binary, root=root) as d:
        d.start()
        conn = d.open()
        net = conn.networkDefineXML(NETWORK.format(name="kept"))
        net.create()
        owner = str(uuid.uuid4())
        for n in range(3):
            net.portCreateXML(PORT.format(port=uuid.uuid4(), n=n, owner=owner))
        before = state_files(root)
        xml_before = net.XMLDesc(0)

        for sub in ("etc/dvs", "run/dvs"):
            fill(os.path.join(root, sub))

        def refused(what, fn):
            try:
                fn()
            except libvirt.libvirtError as e:
                msg = e.get_error_message()
                check("No space left on device" in msg, f"{what} is refused: {msg}")
                return
            fail(f"{what} succeeded on a full file system")

        refused("define", lambda: conn.networkDefineXML(NETWORK.format(name="new")))
        refused("update", lambda: net.update(4, 9, -1, "<portgroup name='db'/>",
                                             libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE
                                             | libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG))
        refused("autostart", lambda: net.setAutostart(1))
        refused("port create", lambda: net.portCreateXML(
            PORT.format(port=uuid.uuid4(), n=9, owner=owner)))
        check(state_files(root) == before, "no state file changed and none was added")
        check(temporaries(root) == [], "no temporary file is left behind")
        check(sorted(n.name() for n in conn.listAllNetworks()) == ["kept"],
              "the refused definition is not listed")
        check(len(net.listAllPorts()) == 3, "the refused port is not listed")
        check(net.XMLDesc(0) == xml_before, "the live definition is unchanged")
        check(not net.autostart(), "autostart is unchanged")
        check(conn.getVersion() > 0, "dvsd still answers")

        # A crash while full: the state read back is the state before.
        conn.close()
        d.kill()
        d.start()
        conn = d.open()
        net = conn.networkLookupByName("kept")
        check(net.isActive() and len(net.listAllPorts()) == 3,
              "after a crash and restart on the full file system the network and its 3 ports "
              "are back")
        check(net.XMLDesc(0) == xml_before, "and its definition is the one before")

        # Space is back: everything works again, without a restart.
        for sub in ("etc/dvs", "run/dvs"):
            unfill(os.path.join(root, sub))
        conn.networkDefineXML(NETWORK.format(name="new"))
        net.update(4, 9, -1, "<portgroup name='db'/>",
                   libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE | libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG)
        net.setAutostart(1)
        port = net.portCreateXML(PORT.format(port=uuid.uuid4(), n=9, owner=owner))
        port.delete()
        net.listAllPorts()[0].delete()
        check(len(net.listAllPorts()) == 2 and net.autostart()
              and "name='db'" in net.XMLDesc(0)
              and sorted(n.name() for n in conn.listAllNetworks()) == ["kept", "new"],
              "with space back, define, update, autostart and ports work again")
        conn.close()
        d.stop()
    for sub in ("run/dvs", "etc/dvs"):
        run("umount", os.path.join(root, sub), check_rc=False)
    import shutil

    shutil.rmtree(root, ignore_errors=True)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--inside":
        inside(sys.argv[2])
        return
    if len(sys.argv) != 2:
        fail(__doc__)
    require_root("it mounts small tmpfs file systems in a private mount namespace")
    require_programs("unshare", "mount", "ovsdb-server")
    require_libvirt_python()
    p = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable,
                        os.path.abspath(__file__), "--inside", sys.argv[1]])
    sys.exit(p.returncode)


if __name__ == "__main__":
    main()
