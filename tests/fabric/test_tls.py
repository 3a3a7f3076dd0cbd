# SPDX-License-Identifier: LGPL-2.1-or-later
"""The management database over TLS with role-based access control, as OVN guards its southbound
database: certificates from ovs-pki (one per host, its CN the host's name), ovsdb-server's SSL
with the hosts' remote in role dvs-host (a Connection row), administrators on the unix socket.

- dvsd connects over ssl: with its key, certificate and the CA, and writes its own status;
- a host's certificate may write its own status rows, but writing another host's status or a
  switch definition gets ovsdb-server's "permission error";
- a client whose certificate the CA did not sign cannot connect;
- an administrator's certificate writes a switch definition with dvsctl over ssl: (the remote
  without a role that db-init --admin-remote adds), its files given as options or read from
  [management] of dvsd.conf; dvsctl with a host's certificate gets "permission error".

    test_tls.py DVSD DVSCTL
"""

import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fabric import DB_ADDRESS, Fabric, missing_parts  # noqa: E402

import dvstest as t  # noqa: E402
from dvstest import check, xmlbuild as X  # noqa: E402

SSL_PORT = 6650
ADMIN_PORT = 6651
SWITCH = "secure"
cases = t.Cases()


class Pki:
    """ovs-pki's CA in a folder, and certificates signed by it (CN = the name, -u)."""

    def __init__(self, folder):
        self.dir = folder
        os.makedirs(folder)
        self.pki = os.path.join(folder, "pki")
        t.run("ovs-pki", f"--dir={self.pki}", "init", timeout=120)
        self.cacert = os.path.join(self.pki, "switchca", "cacert.pem")

    def sign(self, name):
        t.run("ovs-pki", f"--dir={self.pki}", "-u", "req+sign", name, "switch", cwd=self.dir,
              timeout=120)
        return self.key(name), self.cert(name)

    def self_signed(self, name):
        t.run("ovs-pki", f"--dir={self.pki}", "-u", "req", name, cwd=self.dir, timeout=120)
        t.run("ovs-pki", f"--dir={self.pki}", "self-sign", name, cwd=self.dir, timeout=120)
        return self.key(name), self.cert(name)

    def key(self, name):
        return os.path.join(self.dir, f"{name}-privkey.pem")

    def cert(self, name):
        return os.path.join(self.dir, f"{name}-cert.pem")


def ssl_remote():
    return f"ssl:{DB_ADDRESS}:{SSL_PORT}"


def as_host(w, name, *args, key=None, cert=None):
    """ovsdb-client with name's certificate, from that host's namespace, over ssl."""
    key = key or w.pki.key(name)
    cert = cert or w.pki.cert(name)
    return w.f.hosts["h1"].ns.run("ovsdb-client", "-p", key, "-c", cert, "-C", w.pki.cacert,
                                  "--timeout=10", *args[:1], ssl_remote(), *args[1:],
                                  check_rc=False, timeout=30)


def transact_as(w, name, *ops):
    p = as_host(w, name, "transact", json.dumps(["DVS", *ops]))
    return p.stdout + p.stderr


@cases.case
def dvsd_writes_its_status_over_tls(w):
    f = w.f

    def status_row():
        return next((r for r in f.rows("Host_Status") if r["name"] == "h1"), None)

    t.wait_for(status_row, 60, "h1's dvsd to write its Host_Status over ssl")
    check(True, "h1's dvsd connected over ssl: with its certificate and wrote its status")
    f.dvsctl("host-add", SWITCH, "h1", "--uplink", "eth1")
    t.wait_for(lambda: f.hosts["h1"].has_network(SWITCH), 60,
               "h1 to carry the switch it reads over ssl")


@cases.case
def a_host_writes_only_its_own_rows(w):
    # h2's certificate writes its own status: allowed.
    out = transact_as(w, "h2", {"op": "insert", "table": "Host_Status",
                                "row": {"name": "h2", "agent_version": "test"}})
    check("error" not in out, f"h2 inserts its own Host_Status ({out.strip()[:200]})")
    # h1's certificate writes h2's status: refused by ovsdb-server.
    out = transact_as(w, "h1", {"op": "update", "table": "Host_Status",
                                "where": [["name", "==", "h2"]],
                                "row": {"agent_version": "forged"}})
    check("permission error" in out, f"h1 updating h2's Host_Status: permission error ({out.strip()[:200]})")
    out = transact_as(w, "h1", {"op": "insert", "table": "Member_Status",
                                "row": {"host": "h2", "switch": SWITCH, "state": "in-sync"}})
    check("permission error" in out, "h1 inserting a Member_Status for h2: permission error")
    row = next(r for r in w.f.rows("Host_Status") if r["name"] == "h2")
    check(row["agent_version"] == "test", "h2's row is unchanged")


@cases.case
def a_host_cannot_write_a_switch_definition(w):
    out = transact_as(w, "h1", {"op": "update", "table": "Switch",
                                "where": [["name", "==", SWITCH]],
                                "row": {"definition": "<network><name>x</name></network>"}})
    check("permission error" in out, f"h1 updating the Switch: permission error ({out.strip()[:200]})")
    out = transact_as(w, "h1", {"op": "insert", "table": "Member",
                                "row": {"switch": ["uuid", w.f.switch_row(SWITCH)["_uuid"]],
                                        "host": "h1", "uplink": "eth9"}})
    check("permission error" in out, "h1 adding itself to a switch: permission error")
    check("<name>x</name>" not in w.f.switch_row(SWITCH)["definition"], "the switch is unchanged")


@cases.case
def a_client_without_a_signed_certificate_cannot_connect(w):
    key, cert = w.pki.self_signed("rogue")
    p = as_host(w, "rogue", "list-dbs", key=key, cert=cert)
    check(p.returncode != 0 and "DVS" not in p.stdout,
          f"a self-signed certificate is refused ({p.stderr.strip()[:200]})")
    p = w.f.hosts["h1"].ns.run("ovsdb-client", "--timeout=5", "list-dbs",
                               f"tcp:{DB_ADDRESS}:{SSL_PORT}", check_rc=False, timeout=30)
    check(p.returncode != 0, "plain tcp to the ssl port gets nothing")


def dvsctl_from_h1(w, *args, env=None):
    """dvsctl from h1's namespace (over the network), never through DVS_DB."""
    env = dict(env or os.environ)
    env.pop("DVS_DB", None)
    return w.f.hosts["h1"].ns.run(w.f.dvsctl_binary, *args, check_rc=False, timeout=60, env=env)


def admin_files(w, short=False):
    key, cert = w.pki.key("admin1"), w.pki.cert("admin1")
    if short:
        return ["-p", key, "-c", cert, "-C", w.pki.cacert]
    return ["--private-key", key, "--certificate", cert, "--ca-cert", w.pki.cacert]


@cases.case
def an_administrator_certificate_writes_a_switch_over_ssl(w):
    f = w.f
    admin = f"ssl:{DB_ADDRESS}:{ADMIN_PORT}"
    path = os.path.join(f.root, "adminsw.xml")
    with open(path, "w") as out:
        out.write(X.network("adminsw", portgroups=[X.portgroup("web", 10)]))
    p = dvsctl_from_h1(w, "switch-define", "--db", admin, *admin_files(w), path)
    check(p.returncode == 0, f"switch-define over ssl: with admin1's certificate ({p.stderr.strip()})")
    check(f.switch_row("adminsw") is not None, "the switch is in the database")
    p = dvsctl_from_h1(w, "switch-list", "--db", admin, *admin_files(w, short=True))
    check(p.returncode == 0 and "adminsw" in p.stdout, "switch-list with -p, -c and -C")
    p = dvsctl_from_h1(w, "switch-list", "--db", admin)
    check(p.returncode == 1 and "--private-key FILE --certificate FILE --ca-cert FILE" in p.stderr,
          f"an ssl: remote without the files is refused, naming them ({p.stderr.strip()})")

    # Without --db, the remote and the files come from [management] of dvsd.conf.
    conf = os.path.join(f.root, "admin-dvsd.conf")
    key, cert = w.pki.key("admin1"), w.pki.cert("admin1")
    with open(conf, "w") as out:
        out.write(f"[management]\nremote={admin}\nprivate-key={key}\ncertificate={cert}\n"
                  f"ca-cert={w.pki.cacert}\n")
    p = dvsctl_from_h1(w, "switch-update", "--config", conf, "adminsw", "add-last", "portgroup",
                       X.portgroup("db", 20))
    check(p.returncode == 0, f"switch-update with dvsd.conf's remote and files ({p.stderr.strip()})")
    check(f.generation("adminsw") == 2, "generation 2 written over ssl:")

    # A host's certificate on the hosts' remote: ovsdb-server refuses the write.
    p = dvsctl_from_h1(w, "switch-undefine", "--db", ssl_remote(), "--private-key",
                       w.pki.key("h1"), "--certificate", w.pki.cert("h1"), "--ca-cert",
                       w.pki.cacert, "adminsw")
    check(p.returncode == 1 and "permission error" in p.stderr,
          f"switch-undefine with h1's certificate: permission error ({p.stderr.strip()[:200]})")
    check(f.switch_row("adminsw") is not None, "the switch is still there")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    why = missing_parts() or (None if t.which("ovs-pki") else "missing programs: ovs-pki")
    if why:
        t.skip(why)
    t.enter_private_netns(mounts=True)
    w = type("World", (), {})()
    root = t.temp_root("dvs-tls-")
    try:
        w.pki = Pki(os.path.join(root, "pki"))
        server_key, server_cert = w.pki.sign("dvs-db")
        for h in ("h1", "h2", "admin1"):
            w.pki.sign(h)
        # ovsdb-server takes its TLS files and the hosts' remote (with its role) from the
        # database, as OVN's southbound does; dvsctl db-init writes them.
        server_args = ["--private-key=db:DVS,SSL,private_key",
                       "--certificate=db:DVS,SSL,certificate", "--ca-cert=db:DVS,SSL,ca_cert",
                       "--remote=db:DVS,DVS_Global,connections"]
        with Fabric(sys.argv[1], sys.argv[2], clustered=False, controllers=0,
                    server_args=server_args) as f:
            w.f = f
            # The administrator, on the unix socket: the hosts' remote with its role, the
            # server's TLS files, and a switch.
            f.dvsctl("db-init", "--host-remote", f"pssl:{SSL_PORT}",
                     "--admin-remote", f"pssl:{ADMIN_PORT}:{DB_ADDRESS}",
                     "--server-private-key", server_key, "--server-certificate", server_cert,
                     "--server-ca-cert", w.pki.cacert)
            t.wait_for(lambda: all(f.db_ns.run("ss", "-ltn", check_rc=False).stdout.find(
                f":{port} ") >= 0 for port in (SSL_PORT, ADMIN_PORT)), 30,
                "ovsdb-server to listen on the hosts' and the administrators' ssl ports")
            f.define_switch(X.network(SWITCH, portgroups=[X.portgroup("web", 10)]), SWITCH)
            host = f.add_host("h1", start=False)
            # dvsd reads its TLS files under its --root, as every path of dvsd.conf.
            etc = os.path.join(host.dvsd.root, "etc", "dvs")
            os.makedirs(etc, exist_ok=True)
            for src, dst in ((w.pki.key("h1"), "h1-privkey.pem"), (w.pki.cert("h1"), "h1-cert.pem"),
                             (w.pki.cacert, "cacert.pem")):
                shutil.copy(src, os.path.join(etc, dst))
            conf = host.config(remote=ssl_remote())
            conf["management"].update({"private-key": "/etc/dvs/h1-privkey.pem",
                                       "certificate": "/etc/dvs/h1-cert.pem",
                                       "ca-cert": "/etc/dvs/cacert.pem"})
            host.dvsd.write_config(conf)
            host.dvsd.start()
            return cases.run(w, on_failure=lambda name, exc: print(f.diagnostics()))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
