// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ovsdb/replica_cache.h"

#include <iterator>

#include <fmt/format.h>

#include "ovsdb/json_parser.h"
#include "util/error.h"
#include "util/file.h"
#include "util/uuid.h"

namespace dvs::ovsdb {

namespace {

// The version of the file's layout.
constexpr int kCacheFormat = 1;
// A file larger than this is not read.
constexpr std::size_t kMaxCacheSize = std::size_t{1} << 30;

const char* const kZeroTxnId = "00000000-0000-0000-0000-000000000000";

} // namespace

std::optional<std::string> loadReplicaCache(const std::filesystem::path& path,
                                            const ReplicaCacheKey& key, Replica& replica)
{
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        return std::nullopt;
    }
    Json cache = parseJson(util::readFile(path, kMaxCacheSize));
    auto field = [&](const char* name) -> Json& {
        auto it = cache.find(name);
        if (it == cache.end()) {
            raise(ErrorCode::InternalError, "it has no '{}'", name);
        }
        return *it;
    };
    if (!cache.is_object() || field("format") != kCacheFormat) {
        raise(ErrorCode::InternalError, "it is not a replica cache of format {}", kCacheFormat);
    }
    if (field("database") != key.database || field("schema-version") != key.schemaVersion ||
        field("columns") != Json(key.columns)) {
        return std::nullopt; // another database, schema or column set: start over
    }
    const Json& txnId = field("txn-id");
    if (!txnId.is_string() || !util::Uuid::parse(txnId.get<std::string>()) || txnId == kZeroTxnId) {
        raise(ErrorCode::InternalError, "its transaction id is not valid");
    }
    std::string id = txnId.get<std::string>();
    replica.applySnapshot(UpdateFormat::Update2, std::move(field("tables")));
    return id;
}

void saveReplicaCache(const std::filesystem::path& path, const ReplicaCacheKey& key,
                      const Replica& replica, const std::string& txnId)
{
    // Written by hand rather than as one JSON value: no copy of the replica is made. Table,
    // column and uuid texts need no escaping.
    std::string text = fmt::format(R"({{"format":{},"database":{},"schema-version":{},)"
                                   R"("columns":{},"txn-id":"{}","tables":{{)",
                                   kCacheFormat, Json(key.database).dump(),
                                   Json(key.schemaVersion).dump(), Json(key.columns).dump(), txnId);
    const char* tableSep = "";
    for (const auto& [table, columns] : key.columns) {
        fmt::format_to(std::back_inserter(text), R"({}"{}":{{)", tableSep, table);
        tableSep = ",";
        const char* rowSep = "";
        for (const auto& [uuid, row] : replica.rows(table)) {
            fmt::format_to(std::back_inserter(text), R"({}"{}":{{"initial":{{)", rowSep,
                           uuid.toString());
            rowSep = ",";
            const char* colSep = "";
            for (const auto& [name, value] : row.columns()) {
                fmt::format_to(std::back_inserter(text), R"({}"{}":)", colSep, name);
                colSep = ",";
                text += value.dump();
            }
            text += "}}";
        }
        text += "}";
    }
    text += "}}";
    util::writeFileAtomic(path, text, 0600);
}

} // namespace dvs::ovsdb
