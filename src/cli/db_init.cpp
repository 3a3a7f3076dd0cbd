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
                      "db-init [--db REMOTE] [--host-remote pssl:PORT[:IP]] "
                      "[--private-key FILE --certificate FILE --ca-cert FILE]",
                      {"--host-remote", "--private-key", "--certificate", "--ca-cert"}, {}, 0);
    mgmt::DbInitOptions options;
    options.hostRemote = parsed.value("--host-remote").value_or("");
    options.privateKey = parsed.value("--private-key").value_or("");
    options.certificate = parsed.value("--certificate").value_or("");
    options.caCert = parsed.value("--ca-cert").value_or("");
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
    return 0;
}

} // namespace dvs::cli
