// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ovsdb/replica.h"

#include <algorithm>
#include <type_traits>

#include "ovsdb/datum.h"
#include "util/error.h"

namespace dvs::ovsdb {

namespace {

[[noreturn]] void badUpdate(std::string_view what)
{
    raise(ErrorCode::Rpc, "Invalid table update from the OVSDB server: {}.", what);
}

util::Uuid parseRowUuid(const std::string& text)
{
    auto uuid = util::Uuid::parse(text);
    if (!uuid || text.size() != 36) {
        badUpdate(fmt::format("'{}' is not a row uuid", text));
    }
    return *uuid;
}

const Replica::Rows kNoRows;

} // namespace

const Json* Row::find(std::string_view column) const
{
    auto it = columns_.find(column);
    return it == columns_.end() ? nullptr : &it->second;
}

const Json& Row::at(std::string_view column) const
{
    const Json* value = find(column);
    if (value == nullptr) {
        raise(ErrorCode::OperationInvalid, "Column '{}' of table '{}' is not replicated.", column,
              table_->name);
    }
    return *value;
}

void Replica::setSchema(const Schema& schema,
                        const std::map<std::string, std::vector<std::string>>& columns)
{
    schema_ = schema;
    columns_.clear();
    for (const auto& [table, names] : columns) {
        const TableSchema* ts = schema_->table(table);
        if (ts == nullptr) {
            continue;
        }
        auto& kept = columns_[table];
        for (const auto& name : names) {
            if (ts->column(name) != nullptr &&
                std::find(kept.begin(), kept.end(), name) == kept.end()) {
                kept.push_back(name);
            }
        }
    }
    for (auto it = tables_.begin(); it != tables_.end();) {
        const TableSchema* ts = schema_->table(it->first);
        if (ts == nullptr || !columns_.contains(it->first)) {
            it = tables_.erase(it);
            continue;
        }
        for (auto& [uuid, row] : it->second) {
            row.table_ = ts;
        }
        ++it;
    }
    tracked_.clear();
}

const Replica::Rows& Replica::rows(std::string_view table) const
{
    auto it = tables_.find(table);
    return it == tables_.end() ? kNoRows : it->second;
}

const Row* Replica::find(std::string_view table, const util::Uuid& uuid) const
{
    const Rows& rows = this->rows(table);
    auto it = rows.find(uuid);
    return it == rows.end() ? nullptr : &it->second;
}

std::vector<RowChange> Replica::trackedChanges() const
{
    std::vector<RowChange> out;
    out.reserve(tracked_.size());
    for (const auto& [key, tracked] : tracked_) {
        out.push_back(RowChange{key.first, key.second, tracked.kind, tracked.columns, tracked.old});
    }
    return out;
}

void Replica::clearTrackedChanges()
{
    tracked_.clear();
}

std::uint64_t Replica::addListener(Listener listener)
{
    auto id = nextListener_++;
    listeners_.emplace(id, std::move(listener));
    return id;
}

void Replica::removeListener(std::uint64_t id)
{
    listeners_.erase(id);
}

const TableSchema& Replica::tableSchema(std::string_view table) const
{
    if (!schema_) {
        badUpdate("no schema is known");
    }
    const TableSchema* ts = schema_->table(table);
    if (ts == nullptr || !columns_.contains(std::string(table))) {
        badUpdate(fmt::format("table '{}' is not monitored", table));
    }
    return *ts;
}

Row Replica::emptyRow(const TableSchema& table, const util::Uuid& uuid) const
{
    Row row(table, uuid);
    for (const auto& name : columns_.at(table.name)) {
        row.columns_.emplace(name, datum::defaultValue(table.column(name)->type));
    }
    return row;
}

Row Replica::newRow(const TableSchema& table, const util::Uuid& uuid, Json&& values) const
{
    static_assert(std::is_same_v<Json::object_t, std::map<std::string, Json, std::less<>>>,
                  "a row's columns are stored as the JSON object they arrive in");
    if (!values.is_object()) {
        badUpdate("a row is not an object");
    }
    // The row takes the update's object with its nodes as they are: the columns that were not
    // asked for are dropped, the others made canonical in place, and the monitored columns the
    // update leaves out get their default.
    const auto& monitored = columns_.at(table.name);
    Row row(table, uuid);
    row.columns_ = std::move(values.get_ref<Json::object_t&>());
    for (auto it = row.columns_.begin(); it != row.columns_.end();) {
        if (std::find(monitored.begin(), monitored.end(), it->first) == monitored.end()) {
            it = row.columns_.erase(it); // _uuid, _version or a column we did not ask for
            continue;
        }
        it->second = datum::canonical(table.column(it->first)->type, std::move(it->second));
        ++it;
    }
    if (row.columns_.size() < monitored.size()) {
        for (const auto& name : monitored) {
            if (!row.columns_.contains(name)) {
                row.columns_.emplace(name, datum::defaultValue(table.column(name)->type));
            }
        }
    }
    return row;
}

void Replica::setColumns(Row& row, Json&& values, bool diff) const
{
    if (!values.is_object()) {
        badUpdate("a row is not an object");
    }
    for (auto& [name, value] : values.get_ref<Json::object_t&>()) {
        auto it = row.columns_.find(name);
        if (it == row.columns_.end()) {
            continue; // _uuid, _version or a column we did not ask for
        }
        const ColumnType& type = row.table_->column(name)->type;
        it->second = diff ? datum::applyDiff(type, it->second, value)
                          : datum::canonical(type, std::move(value));
    }
}

void Replica::applyUpdates(UpdateFormat format, const Json& updates)
{
    applyUpdates(format, Json(updates));
}

void Replica::applyUpdates(UpdateFormat format, Json&& updates)
{
    if (!updates.is_object()) {
        badUpdate("the updates are not an object");
    }
    std::vector<Pending> pending;
    for (auto& [tableName, rows] : updates.get_ref<Json::object_t&>()) {
        const TableSchema& table = tableSchema(tableName);
        if (!rows.is_object()) {
            badUpdate(fmt::format("the updates of table '{}' are not an object", tableName));
        }
        for (auto& [uuidText, change] : rows.get_ref<Json::object_t&>()) {
            util::Uuid uuid = parseRowUuid(uuidText);
            if (!change.is_object()) {
                badUpdate("a row update is not an object");
            }
            const Row* current = find(tableName, uuid);
            Pending next{tableName, uuid, std::nullopt};
            if (format == UpdateFormat::Update2) {
                if (auto it = change.find("modify"); it != change.end()) {
                    if (current == nullptr) {
                        badUpdate(fmt::format("row '{}' to modify is unknown", uuidText));
                    }
                    next.row = *current;
                    setColumns(*next.row, std::move(*it), true);
                } else if (change.contains("delete")) {
                    if (current == nullptr) {
                        continue;
                    }
                } else {
                    auto it2 = change.find("insert");
                    if (it2 == change.end()) {
                        it2 = change.find("initial");
                    }
                    if (it2 == change.end()) {
                        badUpdate("a row update is neither insert, initial, modify nor delete");
                    }
                    next.row = newRow(table, uuid, std::move(*it2));
                }
            } else {
                auto it = change.find("new");
                if (it != change.end()) {
                    next.row = current != nullptr ? *current : emptyRow(table, uuid);
                    setColumns(*next.row, std::move(*it), false);
                } else if (current == nullptr) {
                    continue;
                }
            }
            pending.push_back(std::move(next));
        }
    }
    commit(std::move(pending));
}

void Replica::applySnapshot(UpdateFormat format, const Json& updates)
{
    applySnapshot(format, Json(updates));
}

void Replica::applySnapshot(UpdateFormat format, Json&& updates)
{
    if (!updates.is_object()) {
        badUpdate("the updates are not an object");
    }
    std::vector<Pending> pending;
    // The rows the snapshot holds, by table; needed only to find the rows it drops.
    bool hadRows = false;
    for (const auto& [tableName, rows] : tables_) {
        hadRows = hadRows || !rows.empty();
    }
    std::map<std::string, std::set<util::Uuid>, std::less<>> seen;
    for (auto& [tableName, rows] : updates.get_ref<Json::object_t&>()) {
        const TableSchema& table = tableSchema(tableName);
        if (!rows.is_object()) {
            badUpdate(fmt::format("the updates of table '{}' are not an object", tableName));
        }
        auto& rowsObject = rows.get_ref<Json::object_t&>();
        pending.reserve(pending.size() + rowsObject.size());
        std::set<util::Uuid>* seenRows = hadRows ? &seen[tableName] : nullptr;
        for (auto& [uuidText, change] : rowsObject) {
            util::Uuid uuid = parseRowUuid(uuidText);
            if (!change.is_object()) {
                badUpdate("a row update is not an object");
            }
            const char* key = format == UpdateFormat::Update2 ? "initial" : "new";
            auto it = change.find(key);
            if (it == change.end()) {
                badUpdate(fmt::format("a snapshot row has no '{}'", key));
            }
            Row row = newRow(table, uuid, std::move(*it));
            if (seenRows != nullptr) {
                seenRows->insert(uuid);
            }
            pending.push_back(Pending{tableName, uuid, std::move(row)});
        }
    }
    for (const auto& [tableName, rows] : tables_) {
        auto kept = seen.find(tableName);
        for (const auto& [uuid, row] : rows) {
            if (kept == seen.end() || !kept->second.contains(uuid)) {
                pending.push_back(Pending{tableName, uuid, std::nullopt});
            }
        }
    }
    commit(std::move(pending));
}

void Replica::commit(std::vector<Pending>&& pending)
{
    std::vector<RowChange> batch;
    for (auto& next : pending) {
        Rows& rows = tables_[next.table];
        auto it = rows.find(next.uuid);
        RowChange change{next.table, next.uuid, ChangeKind::Insert, {}, std::nullopt};
        if (!next.row) {
            if (it == rows.end()) {
                continue;
            }
            change.kind = ChangeKind::Delete;
            change.old = std::move(it->second);
            rows.erase(it);
        } else if (it == rows.end()) {
            rows.emplace(next.uuid, std::move(*next.row));
        } else {
            for (const auto& [name, value] : next.row->columns_) {
                const Json* before = it->second.find(name);
                if (before == nullptr || *before != value) {
                    change.columns.insert(name);
                }
            }
            if (change.columns.empty()) {
                continue;
            }
            change.kind = ChangeKind::Modify;
            change.old = std::move(it->second);
            it->second = std::move(*next.row);
        }
        batch.push_back(std::move(change));
    }
    if (batch.empty()) {
        return;
    }
    ++seqno_;
    for (const auto& change : batch) {
        auto key = std::make_pair(change.table, change.uuid);
        auto it = tracked_.find(key);
        if (it == tracked_.end()) {
            tracked_.emplace(key, Tracked{change.kind, change.columns, change.old});
            continue;
        }
        Tracked& t = it->second;
        if (t.kind == ChangeKind::Insert && change.kind == ChangeKind::Delete) {
            tracked_.erase(it);
        } else if (t.kind == ChangeKind::Delete && change.kind == ChangeKind::Insert) {
            t.kind = ChangeKind::Modify;
            t.columns.clear();
            for (const auto& [name, value] : find(change.table, change.uuid)->columns()) {
                const Json* before = t.old ? t.old->find(name) : nullptr;
                if (before == nullptr || *before != value) {
                    t.columns.insert(name);
                }
            }
        } else if (change.kind == ChangeKind::Delete) {
            t.kind = ChangeKind::Delete; // keeps the oldest known state
            t.columns.clear();
        } else if (t.kind == ChangeKind::Modify) {
            t.columns.insert(change.columns.begin(), change.columns.end());
        }
    }
    // A listener may add or remove listeners; iterate over a snapshot of the ids.
    std::vector<std::uint64_t> ids;
    for (const auto& [id, listener] : listeners_) {
        ids.push_back(id);
    }
    for (auto id : ids) {
        auto it = listeners_.find(id);
        if (it != listeners_.end()) {
            auto listener = it->second;
            listener(batch);
        }
    }
}

void Replica::clear()
{
    tables_.clear();
    tracked_.clear();
}

} // namespace dvs::ovsdb
