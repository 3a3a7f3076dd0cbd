# SPDX-License-Identifier: LGPL-2.1-or-later
"""The script tests' library tested with the real parts it drives: polling, named cases,
namespaces and veths, an OVS sandbox inside a namespace, an ovsdb-server Raft cluster that
loses its leader, and dvsd on a private root.

    test_dvstest.py DVSD
"""

import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dvstest as t  # noqa: E402
from dvstest import check, fail  # noqa: E402

cases = t.Cases()


@cases.case
def wait_for_returns_the_value_and_fails_naming_what(env):
    values = iter([0, None, "", 42])
    check(t.wait_for(lambda: next(values), 5, "the fourth value") == 42,
          "wait_for returns the first true value")
    try:
        t.wait_for(lambda: False, 0.05, "the impossible")
    except t.TestFailure as e:
        check("the impossible" in str(e), f"a timeout names what it waited for ({e})")
    else:
        fail("wait_for did not fail at its deadline")
    try:
        t.wait_for(lambda: True, "what")
    except TypeError:
        check(True, "wait_for refuses a string as its timeout")


@cases.case
def one_failing_case_does_not_hide_the_next(env):
    inner = t.Cases(env_var=None)
    seen = []
    print("(the case \"first\" below fails on purpose)")
    inner.case(lambda: fail("on purpose"), name="first")
    inner.case(lambda: seen.append("second"), name="second")
    check(inner.run() == 1 and seen == ["second"], "the second case ran after the first failed")
    check(isinstance(inner.results["first"], t.TestFailure) and inner.results["second"] is None,
          "each case has its own result")


@cases.case
def namespaces_joined_by_a_veth_and_a_bridge(env):
    a, b, sw = t.Netns("a"), t.Netns("b"), t.Netns("switch")
    env["cleanup"] += [a.close, b.close, sw.close]
    t.veth(a, "eth0", sw, "pa")
    t.veth(b, "eth0", sw, "pb")
    sw.bridge("phys", "pa", "pb")
    a.add_address("eth0", "10.1.0.1/24")
    b.add_address("eth0", "10.1.0.2/24")
    check(not t.run("ip", "link", "show", "pa", check_rc=False).returncode == 0,
          "the veth ends are not in the test's namespace")
    check(a.run("ping", "-c", "1", "-W", "2", "10.1.0.2", check_rc=False).returncode == 0,
          "a reaches b through the bridge")
    sw.link_up("pb", False)
    check(a.run("ping", "-c", "1", "-W", "1", "10.1.0.2", check_rc=False).returncode != 0,
          "b is cut off once its bridge port is down")


@cases.case
def ovs_sandbox_inside_a_namespace(env):
    if t.ovs_missing():
        t.skip(t.ovs_missing())
    ns = t.Netns("host")
    env["cleanup"].append(ns.close)
    ovs = t.OvsSandbox(env["root"], netns=ns)
    env["cleanup"].append(ovs.cleanup)
    ovs.vsctl("add-br", "br-t", "--", "set", "Bridge", "br-t", "datapath_type=netdev")
    t.wait_for(lambda: ns.has_link("br-t"), 10, "the netdev bridge's tap in the namespace")
    check(not os.path.exists("/sys/class/net/br-t"),
          "ovs-vswitchd made its tap in its namespace, not the test's")
    check(ovs.get("Bridge", "br-t", "datapath_type") == "netdev", "get reads a column")
    check(any(r["name"] == "br-t" for r in ovs.rows("Bridge")), "rows() decodes the table")


@cases.case
def raft_cluster_survives_its_leader(env):
    if t.ovs_missing(vswitchd=False):
        t.skip(t.ovs_missing(vswitchd=False))
    ns = t.Netns("db")
    env["cleanup"].append(ns.close)
    schema = os.path.join(env["root"], "test.ovsschema")
    with open(schema, "w") as f:
        f.write('{"name": "Test", "version": "1.0.0", "tables": {"T": {"columns": '
                '{"name": {"type": "string"}}, "isRoot": true}}}')
    cluster = t.OvsdbCluster(os.path.join(env["root"], "cluster"), schema, size=3, netns=ns)
    env["cleanup"].append(cluster.cleanup)
    leader = t.wait_for(lambda: cluster.leader() is not None and cluster.healthy(), 30,
                        "a leader") and cluster.leader()
    cluster.transact({"op": "insert", "table": "T", "row": {"name": "one"}})
    cluster.kill(leader)
    t.wait_for(lambda: cluster.leader() not in (None, leader), 30, "a new leader")
    cluster.transact({"op": "insert", "table": "T", "row": {"name": "two"}})
    names = sorted(r["name"] for r in cluster.dump("T"))
    check(names == ["one", "two"], f"the rows written before and after are there ({names})")
    cluster.start(leader)
    t.wait_for(cluster.healthy, 30, "the old leader back as a member")
    # Hosts reach every server over tcp from their own namespace.
    host = t.Netns("host")
    env["cleanup"].append(host.close)
    t.veth(host, "mgmt0", ns, "h0")
    ns.add_address("h0", "10.9.0.1/24")
    host.add_address("mgmt0", "10.9.0.2/24")
    cluster.address = "10.9.0.1"
    out = host.run("ovsdb-client", "dump", cluster.tcp_remote(), "Test", "T").stdout
    check("one" in out and "two" in out, "a host reads the database over tcp")


@cases.case
def dvsd_on_a_private_root(env):
    if not env["dvsd"]:
        t.skip("no dvsd given")
    with t.Dvsd(env["dvsd"]) as d:
        d.start()
        check("Name" in d.virsh_ok("net-list", "--all"), "virsh talks to dvsd")
        d.restart()
        check(d.running(), "dvsd restarts on the same root")


def main():
    t.enter_private_netns(programs=("ping",))
    env = {"root": t.temp_root(), "cleanup": [], "dvsd": sys.argv[1] if len(sys.argv) > 1 else None}
    try:
        return cases.run(env)
    finally:
        for c in reversed(env["cleanup"]):
            c()
        shutil.rmtree(env["root"], ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
