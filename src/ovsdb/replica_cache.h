// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ovsdb/replica.h"

namespace dvs::ovsdb {

// What a replica cache file must match to be used: the database, its schema version and the
// columns replicated per table.
struct ReplicaCacheKey
{
    std::string database;
    std::string schemaVersion;
    std::map<std::string, std::vector<std::string>> columns;
};

// A replica kept in a file between runs, with the transaction id it is current at, so that a
// new client asks monitor_cond_since only for what changed since (Client's replicaCache
// option). Only a real transaction id is worth keeping: a standalone database's is all zeros.

// Fills replica from the file and returns its transaction id. Returns nullopt, leaving replica
// alone, when there is no file or it holds another database, schema version or column set.
// Throws an Error saying why when the file is not a valid cache (or cannot be read); replica
// may then hold part of it and should be cleared.
std::optional<std::string> loadReplicaCache(const std::filesystem::path& path,
                                            const ReplicaCacheKey& key, Replica& replica);

// Writes the replica and its transaction id to the file, atomically. Throws the Error of the
// write.
void saveReplicaCache(const std::filesystem::path& path, const ReplicaCacheKey& key,
                      const Replica& replica, const std::string& txnId);

} // namespace dvs::ovsdb
