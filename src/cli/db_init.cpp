// SPDX-License-Identifier: LGPL-2.1-or-later
// dvsctl db-init: prepares the management database for hosts that connect over the network:
// the host role for ovsdb-server's RBAC, the remote hosts use and the server's TLS files.
#include <ostream>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/mgmt_args.h"
#include "mgmt/rbac.h"

namespace dvs::cli {

int runDbInit(std::span<const std::string> args, std::ostream& out)
{
    auto parsed =
        parseMgmtArgs(args,
                      "db-init [--db REMOTE] [--host-remote pssl:PORT[:IP]] [--admin-remote "
                      "pssl:PORT[:IP]] [--server-private-key FILE --server-certificate FILE "
                      "--server-ca-cert FILE]",
                      {"--host-remote", "--admin-remote", "--server-private-key",
                       "--server-certificate", "--server-ca-cert"},
                      {}, 0);
    mgmt::DbInitOptions options;
    options.hostRemote = parsed.value("--host-remote").value_or("");
    options.adminRemote = parsed.value("--admin-remote").value_or("");
    options.privateKey = parsed.value("--server-private-key").value_or("");
    options.certificate = parsed.value("--server-certificate").value_or("");
    options.caCert = parsed.value("--server-ca-cert").value_or("");
    auto session = openSession(parsed, mgmt::dbInitTables());
    session->transact("dvsctl db-init",
                      [&](ovsdb::Transaction& txn) { mgmt::initDatabase(txn, options); });
    out << fmt::format("Management database initialised: role '{}' lets a host write only its "
                       "own status rows\n",
                       mgmt::kHostRole);
    if (!options.hostRemote.empty()) {
        out << fmt::format("Hosts connect to {} with role '{}' (ovsdb-server "
                           "--remote=db:DVS,DVS_Global,connections)\n",
                           options.hostRemote, mgmt::kHostRole);
    }
    if (!options.adminRemote.empty()) {
        out << fmt::format("Administrators connect to {} with no role (full access)\n",
                           options.adminRemote);
    }
    return 0;
}

} // namespace dvs::cli
