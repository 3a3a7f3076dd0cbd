// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mgmt/database.h"
#include "ovsdb/transaction.h"

// Setting up a management database for hosts that reach it over the network, as OVN sets up its
// southbound database: the DVS_Global row, the role hosts connect with (RBAC_Role kHostRole and
// its RBAC_Permission rows) and, optionally, the remote hosts use (a Connection row with that
// role, which ovsdb-server reads with --remote=db:DVS,DVS_Global,connections) and the server's
// TLS files (the SSL row, for --private-key=db:DVS,SSL,private_key etc.).
//
// The role lets a host insert, update and delete only its own status rows: the Host_Status row
// whose name, and the Member_Status rows whose host, equal the common name of its certificate.
// Every other table is read-only to it.
namespace dvs::mgmt {

struct DbInitOptions
{
    // The remote hosts connect to, e.g. "pssl:6641" (empty: none is added).
    std::string hostRemote;
    // A remote without a role, for administrators with their own certificate (full access:
    // ovsdb-server checks every certificate against the one CA, so it belongs on an address
    // only administrators reach). Empty: none is added.
    std::string adminRemote;
    // The server's TLS files (all three, or none).
    std::string privateKey;
    std::string certificate;
    std::string caCert;
};

// The tables db-init reads.
std::vector<std::string_view> dbInitTables();

// Creates or brings up to date the rows above; running it again changes nothing more.
void initDatabase(ovsdb::Transaction& txn, const DbInitOptions& options);

} // namespace dvs::mgmt
