// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mgmt/rbac.h"

#include <map>

#include "util/error.h"

namespace dvs::mgmt {

namespace {

struct Grant
{
    std::string_view table;
    std::string_view authorization; // the column that must equal the host's name
    std::vector<std::string> update;
};

std::vector<Grant> hostGrants()
{
    return {
        {db::HostStatus::kTable,
         "name",
         {"agent_version", "connected_at", "last_seen", "heartbeat_interval", "disconnected_since",
          "external_ids"}},
        {db::MemberStatus::kTable,
         "host",
         {"generation", "applying_generation", "reverted_generation", "reverted_at", "state",
          "reason", "network_state", "network_reason", "uplink_state", "port_count",
          "ports_holding", "last_error", "last_error_at", "updated_at", "external_ids"}},
    };
}

} // namespace

std::vector<std::string_view> dbInitTables()
{
    return {db::DVSGlobal::kTable, db::Connection::kTable, db::SSL::kTable, db::RBACRole::kTable,
            db::RBACPermission::kTable};
}

void initDatabase(ovsdb::Transaction& txn, const DbInitOptions& options)
{
    const auto& replica = txn.replica();
    bool tls =
        !options.privateKey.empty() || !options.certificate.empty() || !options.caCert.empty();
    if (tls &&
        (options.privateKey.empty() || options.certificate.empty() || options.caCert.empty())) {
        raise(ErrorCode::InvalidArg,
              "TLS needs the server's private key, its certificate and the CA certificate");
    }

    // The host role, rebuilt from scratch so that an older one is replaced.
    std::map<std::string, ovsdb::Ref> permissions;
    for (const auto& grant : hostGrants()) {
        permissions.emplace(std::string(grant.table),
                            txn.insert(db::RBACPermission::Values()
                                           .setTable(std::string(grant.table))
                                           .setAuthorization({std::string(grant.authorization)})
                                           .setInsertDelete(true)
                                           .setUpdate(grant.update)));
    }
    std::optional<db::RBACRole::View> role;
    for (const auto& row : db::RBACRole::all(replica)) {
        if (row.name() == kHostRole) {
            role = row;
        }
    }
    if (role) {
        for (const auto& [table, uuid] : role->permissions()) {
            txn.remove(db::RBACPermission::kTable, uuid);
        }
        txn.update(role->uuid(), db::RBACRole::Values().setPermissions(permissions));
    } else {
        txn.verifyAbsent(db::RBACRole::kTable, "name", std::string(kHostRole));
        txn.insert(
            db::RBACRole::Values().setName(std::string(kHostRole)).setPermissions(permissions));
    }

    auto globals = db::DVSGlobal::all(replica);
    std::optional<ovsdb::Ref> global;
    std::vector<ovsdb::Ref> connections;
    std::optional<util::Uuid> ssl;
    if (!globals.empty()) {
        global = globals.front().uuid();
        for (const auto& c : globals.front().connections()) {
            connections.emplace_back(c);
        }
        ssl = globals.front().ssl();
    }
    auto values = db::DVSGlobal::Values();
    bool changed = !global.has_value();
    auto addRemote = [&](const std::string& target, const std::string& role) {
        std::optional<db::Connection::View> existing;
        for (const auto& c : db::Connection::all(replica)) {
            if (c.target() == target) {
                existing = c;
            }
        }
        if (existing) {
            txn.update(existing->uuid(), db::Connection::Values().setRole(role));
        } else {
            connections.push_back(
                txn.insert(db::Connection::Values().setTarget(target).setRole(role)));
            values.setConnections(connections);
            changed = true;
        }
    };
    if (!options.hostRemote.empty() && options.hostRemote == options.adminRemote) {
        raise(ErrorCode::InvalidArg,
              "the hosts' remote and the administrators' remote must differ: '{}'",
              options.hostRemote);
    }
    if (!options.hostRemote.empty()) {
        addRemote(options.hostRemote, std::string(kHostRole));
    }
    if (!options.adminRemote.empty()) {
        addRemote(options.adminRemote, "");
    }
    if (tls) {
        auto sslValues = db::SSL::Values()
                             .setPrivateKey(options.privateKey)
                             .setCertificate(options.certificate)
                             .setCaCert(options.caCert);
        if (ssl && db::SSL::get(replica, *ssl)) {
            txn.update(*ssl, sslValues);
        } else {
            values.setSsl(std::optional<ovsdb::Ref>(txn.insert(sslValues)));
            changed = true;
        }
    }
    if (!global) {
        txn.insert(values.setConnections(connections));
    } else if (changed) {
        txn.update(global->uuid(), values);
    }
}

} // namespace dvs::mgmt
