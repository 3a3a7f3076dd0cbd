# SPDX-License-Identifier: LGPL-2.1-or-later
"""The script tests' shared library (tests/support/python, on PYTHONPATH in meson's test
environment). A script that runs outside meson adds it itself:

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support", "python"))
    from dvstest import wait_for, skip, check, ...

Modules: core (skip/fail/check/wait_for/run/Cases), netns (namespaces, veths), process
(daemons), ovs (OVS sandbox, ovsdb-server clusters), dvsd (dvsd, virsh, dvsctl), guest (guests
and pings), xmlbuild (XML builders), wire (libvirt's wire protocol for fault injection).
"""

from .core import (DEADLINE, SKIP, Cases, TestFailure, check, fail, read_text, require_libvirt_python,
                   require_programs, require_root, run, skip, temp_root, wait_for, which)
from .dvsd import Dvsctl, Dvsd, client_env, config_text, virsh, virsh_ok
from .guest import Guest, PingStream
from .netns import Netns, die_with_parent, enter_private_netns, veth, veth_pair
from .ovs import OvsdbCluster, OvsSandbox, ovs_missing, ovsdb_value, vswitch_schema
from .process import Daemon, free_tcp_port, tcp_accepts, unix_socket_accepts
