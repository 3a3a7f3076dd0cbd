// SPDX-License-Identifier: LGPL-2.1-or-later
// dvsctl db-init: prepares the management database for hosts that connect over the network:
// the host role for ovsdb-server's RBAC, the remote hosts use and the server's TLS files.
// dvsctl db-upgrade: converts a running management database to the installed schema.
#include <array>
#include <charconv>
#include <optional>
#include <ostream>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/mgmt_args.h"
#include "mgmt/database.h"
#include "mgmt/rbac.h"
#include "ovsdb/json_parser.h"
#include "ovsdb/schema.h"
#include "util/error.h"
#include "util/file.h"

namespace dvs::cli {

namespace {

// "1.10.2" as three numbers, for ordering; nullopt for anything else.
std::optional<std::array<unsigned, 3>> schemaVersion(std::string_view text)
{
    std::array<unsigned, 3> parts{};
    for (std::size_t i = 0; i < parts.size(); ++i) {
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parts[i]);
        if (ec != std::errc() || end == text.data()) {
            return std::nullopt;
        }
        text.remove_prefix(static_cast<std::size_t>(end - text.data()));
        if (i + 1 < parts.size()) {
            if (text.empty() || text.front() != '.') {
                return std::nullopt;
            }
            text.remove_prefix(1);
        }
    }
    if (!text.empty()) {
        return std::nullopt;
    }
    return parts;
}

} // namespace

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

int runDbUpgrade(std::span<const std::string> args, std::ostream& out)
{
    auto parsed =
        parseMgmtArgs(args, "db-upgrade [--db REMOTE] [--schema FILE]", {"--schema"}, {}, 0);
    std::filesystem::path path = parsed.value("--schema").value_or(mgmt::schemaPath().string());
    ovsdb::Json wanted;
    std::string wantedVersion;
    try {
        wanted = ovsdb::parseJson(util::readFile(path, 4 << 20));
        auto schema = ovsdb::Schema::parse(wanted);
        if (schema.name() != mgmt::kDatabase) {
            raise(ErrorCode::InvalidArg, "it is the schema of database '{}', not '{}'",
                  schema.name(), mgmt::kDatabase);
        }
        wantedVersion = schema.version();
    } catch (const std::exception& e) {
        raise(ErrorCode::InvalidArg, "cannot use '{}' as the management database's schema: {}",
              path.string(), e.what());
    }
    auto wantedParts = schemaVersion(wantedVersion);
    if (!wantedParts) {
        raise(ErrorCode::InvalidArg, "the schema '{}' has no usable version ('{}')", path.string(),
              wantedVersion);
    }

    // A session that replicates nothing: the database's own schema may be older than the
    // columns this dvsctl knows.
    auto session = openSession(parsed, {});
    const ovsdb::Schema* current = session->client().schema();
    if (current == nullptr) {
        raise(ErrorCode::InternalError, "the management database's schema is not known");
    }
    const std::string currentVersion = current->version();
    auto currentParts = schemaVersion(currentVersion);
    if (currentParts && *currentParts == *wantedParts) {
        out << fmt::format("The management database is at schema version {} already\n",
                           currentVersion);
        return 0;
    }
    if (currentParts && *currentParts > *wantedParts) {
        raise(ErrorCode::OperationUnsupported,
              "the management database's schema version {} is newer than this dvsctl's ({}): "
              "upgrade libvirt-dvs here first",
              currentVersion, wantedVersion);
    }

    // ovsdb-server's online conversion (what ovsdb-client convert asks): the rows are kept,
    // clients are told, and a cluster converts as one.
    std::optional<ovsdb::Result<ovsdb::Json>> reply;
    session->client().call("convert",
                           ovsdb::Json::array({std::string(mgmt::kDatabase), std::move(wanted)}),
                           [&](ovsdb::Result<ovsdb::Json> r) { reply = std::move(r); });
    session->runUntil([&] { return reply.has_value(); },
                      std::chrono::steady_clock::now() + std::chrono::seconds(60));
    if (!reply) {
        raise(ErrorCode::OperationTimeout,
              "the management database did not answer the conversion to schema {} in 60 "
              "seconds",
              wantedVersion);
    }
    session.reset();
    if (!reply->ok()) {
        // ovsdb-server cancels the monitors of the database it converts, which may end this
        // session before the reply arrives: the version the database has now tells.
        auto check = openSession(parsed, {});
        const ovsdb::Schema* now = check->client().schema();
        if (now == nullptr || now->version() != wantedVersion) {
            raise(ErrorCode::OperationFailed,
                  "the management database refused the conversion from schema {} to {}: {}",
                  currentVersion, wantedVersion, reply->error().message());
        }
    }
    out << fmt::format("Management database converted from schema {} to {}\n", currentVersion,
                       wantedVersion);

    // A new schema may give hosts new status columns to write: the host role is rebuilt (only
    // where db-init made one).
    auto init = openSession(parsed, mgmt::dbInitTables());
    bool initialised = false;
    for (const auto& role : mgmt::db::RBACRole::all(init->replica())) {
        initialised = initialised || role.name() == mgmt::kHostRole;
    }
    if (initialised) {
        init->transact("dvsctl db-upgrade",
                       [&](ovsdb::Transaction& txn) { mgmt::initDatabase(txn, {}); });
        out << fmt::format("Role '{}' updated for the new schema\n", mgmt::kHostRole);
    }
    return 0;
}

} // namespace dvs::cli
