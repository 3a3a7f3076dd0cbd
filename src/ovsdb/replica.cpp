// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ovsdb/replica.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <type_traits>

#include "ovsdb/datum.h"
#include "util/error.h"

namespace dvs::ovsdb {

namespace {

[[noreturn]] void badUpdate(std::string_view what)
{
    raise(ErrorCode::Rpc, "Invalid table update from the OVSDB server: {}.", what);
}

// The value of each hex digit, -1 for other bytes.
constexpr std::array<std::int8_t, 256> kHexDigits = [] {
    std::array<std::int8_t, 256> digits{};
    for (std::size_t c = 0; c < digits.size(); ++c) {
        digits[c] = c >= '0' && c <= '9'   ? static_cast<std::int8_t>(c - '0')
                    : c >= 'a' && c <= 'f' ? static_cast<std::int8_t>(c - 'a' + 10)
                    : c >= 'A' && c <= 'F' ? static_cast<std::int8_t>(c - 'A' + 10)
                                           : -1;
    }
    return digits;
}();

// A uuid in the 8-4-4-4-12 form ovsdb-server writes, or nullopt.
std::optional<util::Uuid> parseCanonicalUuid(std::string_view text)
{
    static constexpr std::array<std::uint8_t, 16> kOffsets{0,  2,  4,  6,  9,  11, 14, 16,
                                                           19, 21, 24, 26, 28, 30, 32, 34};
    if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' ||
        text[23] != '-') {
        return std::nullopt;
    }
    std::array<std::uint8_t, 16> bytes;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        int high = kHexDigits[static_cast<unsigned char>(text[kOffsets[i]])];
        int low = kHexDigits[static_cast<unsigned char>(text[kOffsets[i] + 1])];
        if (high < 0 || low < 0) {
            return std::nullopt;
        }
        bytes[i] = static_cast<std::uint8_t>(high << 4 | low);
    }
    return util::Uuid(bytes);
}

util::Uuid parseRowUuid(const std::string& text)
{
    if (auto uuid = parseCanonicalUuid(text)) {
        return *uuid;
    }
    auto uuid = util::Uuid::parse(text);
    if (!uuid || text.size() != 36) {
        badUpdate(fmt::format("'{}' is not a row uuid", text));
    }
    return *uuid;
}

const Replica::Rows kNoRows;

// How deep release() goes; deeper values are left to nlohmann's destructor.
constexpr int kMaxReleaseDepth = 64;

// Frees the containers of a value from the leaves up and leaves it empty. nlohmann's destructor
// moves the children of every array and object it frees into a vector of its own, one allocation
// and a copy per container; a value emptied bottom-up is freed without them, in less than half
// the time for a monitor reply.
void release(Json& value, int depth = 0) noexcept
{
    if (depth > kMaxReleaseDepth) {
        return;
    }
    if (auto* elements = value.get_ptr<Json::array_t*>(); elements != nullptr) {
        for (auto& element : *elements) {
            release(element, depth + 1);
        }
        elements->clear();
    } else if (auto* members = value.get_ptr<Json::object_t*>(); members != nullptr) {
        for (auto& [name, member] : *members) {
            release(member, depth + 1);
        }
        members->clear();
    }
}

void releaseColumns(Json::object_t& columns) noexcept
{
    for (auto& [name, value] : columns) {
        release(value);
    }
}

// A monitored column of a table as rows are built: its type and its default value, made once
// per batch and copied into every row that leaves the column out.
struct ColumnLayout
{
    const std::string* name;
    const ColumnType* type;
    Json defaultValue;
};

// The monitored columns of a table, sorted by name like a row's columns.
std::vector<ColumnLayout> columnLayout(const TableSchema& table,
                                       const std::vector<std::string>& monitored)
{
    std::vector<ColumnLayout> layout;
    layout.reserve(monitored.size());
    for (const auto& name : monitored) {
        const ColumnType& type = table.column(name)->type;
        layout.push_back(ColumnLayout{&name, &type, datum::defaultValue(type)});
    }
    std::sort(layout.begin(), layout.end(),
              [](const ColumnLayout& a, const ColumnLayout& b) { return *a.name < *b.name; });
    return layout;
}

// The columns of a new row from the values of an insert or a snapshot. The row takes the
// update's object with its nodes as they are: in one ordered walk over both, the columns that
// were not asked for are dropped, the others made canonical in place, and the monitored columns
// the update leaves out get their default.
Json::object_t rowColumns(const std::vector<ColumnLayout>& layout, Json&& values)
{
    auto* object = values.get_ptr<Json::object_t*>();
    if (object == nullptr) {
        badUpdate("a row is not an object");
    }
    Json::object_t columns = std::move(*object);
    auto it = columns.begin();
    auto column = layout.begin();
    while (it != columns.end() || column != layout.end()) {
        int order = it == columns.end()      ? 1
                    : column == layout.end() ? -1
                                             : it->first.compare(*column->name);
        if (order < 0) {
            release(it->second);
            it = columns.erase(it); // _uuid, _version or a column we did not ask for
        } else if (order == 0) {
            it->second = datum::canonical(*column->type, std::move(it->second));
            ++it;
            ++column;
        } else {
            columns.emplace_hint(it, *column->name, column->defaultValue);
            ++column;
        }
    }
    return columns;
}

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
    Row row(table, uuid);
    row.columns_ = rowColumns(columnLayout(table, columns_.at(table.name)), std::move(values));
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
    release(updates);
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
    const char* key = format == UpdateFormat::Update2 ? "initial" : "new";
    // One allocation for the pending rows: growing a vector of this size frees blocks large
    // enough to make glibc consolidate its free lists each time.
    std::size_t count = 0;
    for (const auto& [tableName, rows] : updates.get_ref<Json::object_t&>()) {
        count += rows.is_object() ? rows.size() : 0;
    }
    for (const auto& [tableName, rows] : tables_) {
        count += rows.size();
    }
    pending.reserve(count);
    for (auto& [tableName, rows] : updates.get_ref<Json::object_t&>()) {
        const TableSchema& table = tableSchema(tableName);
        if (!rows.is_object()) {
            badUpdate(fmt::format("the updates of table '{}' are not an object", tableName));
        }
        auto& rowsObject = rows.get_ref<Json::object_t&>();
        std::set<util::Uuid>* seenRows = hadRows ? &seen[tableName] : nullptr;
        const auto layout = columnLayout(table, columns_.at(table.name));
        for (auto& [uuidText, change] : rowsObject) {
            util::Uuid uuid = parseRowUuid(uuidText);
            if (!change.is_object()) {
                badUpdate("a row update is not an object");
            }
            auto it = change.find(key);
            if (it == change.end()) {
                badUpdate(fmt::format("a snapshot row has no '{}'", key));
            }
            Pending& next = pending.emplace_back(Pending{tableName, uuid, Row(table, uuid)});
            next.row->columns_ = rowColumns(layout, std::move(*it));
            release(change);
            if (seenRows != nullptr) {
                seenRows->insert(seenRows->end(), uuid);
            }
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
    release(updates);
}

void Replica::commit(std::vector<Pending>&& pending)
{
    std::vector<RowChange> batch;
    batch.reserve(pending.size());
    Rows* rowsOfTable = nullptr;
    const std::string* tableOfRows = nullptr;
    for (auto& next : pending) {
        // Pending rows come table by table, mostly in uuid order: the table is looked up once
        // and a row that goes after the last one is inserted without a search.
        if (tableOfRows == nullptr || *tableOfRows != next.table) {
            rowsOfTable = &tables_[next.table];
            tableOfRows = &next.table;
        }
        Rows& rows = *rowsOfTable;
        auto it = rows.end();
        if (!rows.empty() && !(std::prev(it)->first < next.uuid)) {
            it = rows.lower_bound(next.uuid);
        }
        const bool exists = it != rows.end() && it->first == next.uuid;
        RowChange change{next.table, next.uuid, ChangeKind::Insert, {}, std::nullopt};
        if (!next.row) {
            if (!exists) {
                continue;
            }
            change.kind = ChangeKind::Delete;
            change.old = std::move(it->second);
            rows.erase(it);
        } else if (!exists) {
            rows.emplace_hint(it, next.uuid, std::move(*next.row));
        } else {
            for (const auto& [name, value] : next.row->columns_) {
                const Json* before = it->second.find(name);
                if (before == nullptr || *before != value) {
                    change.columns.insert(name);
                }
            }
            if (change.columns.empty()) {
                releaseColumns(next.row->columns_);
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
        auto it = tracked_.end();
        if (!tracked_.empty() && !(std::prev(it)->first < key)) {
            it = tracked_.lower_bound(key);
        }
        if (it == tracked_.end() || it->first != key) {
            tracked_.emplace_hint(it, std::move(key),
                                  Tracked{change.kind, change.columns, change.old});
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
    for (auto& change : batch) {
        if (change.old) {
            releaseColumns(change.old->columns_);
        }
    }
}

void Replica::clear()
{
    for (auto& [table, rows] : tables_) {
        for (auto& [uuid, row] : rows) {
            releaseColumns(row.columns_);
        }
    }
    tables_.clear();
    tracked_.clear();
}

} // namespace dvs::ovsdb
