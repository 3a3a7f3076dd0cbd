// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ovsdb/json_stream.h"
#include "ovsdb/schema.h"
#include "util/enum_table.h"
#include "util/uuid.h"

namespace dvs::ovsdb {

// One row of the replica: the monitored columns' values in canonical wire form.
class Row
{
public:
    Row(const TableSchema& table, const util::Uuid& uuid) : table_(&table), uuid_(uuid) {}

    const util::Uuid& uuid() const noexcept { return uuid_; }
    const TableSchema& table() const noexcept { return *table_; }
    // The column's value, or nullptr when the column is not monitored.
    const Json* find(std::string_view column) const;
    // The column's value; throws Error(OperationInvalid) when the column is not monitored.
    const Json& at(std::string_view column) const;
    const std::map<std::string, Json, std::less<>>& columns() const noexcept { return columns_; }

    friend bool operator==(const Row& a, const Row& b)
    {
        return a.uuid_ == b.uuid_ && a.columns_ == b.columns_;
    }

private:
    friend class Replica;
    const TableSchema* table_;
    util::Uuid uuid_;
    std::map<std::string, Json, std::less<>> columns_;
};

enum class ChangeKind
{
    Insert,
    Modify,
    Delete,
    Last
};

} // namespace dvs::ovsdb

template <>
struct dvs::util::EnumNames<dvs::ovsdb::ChangeKind>
{
    static constexpr std::array<std::string_view, 3> kNames{"insert", "modify", "delete"};
};

namespace dvs::ovsdb {

// A change to one row. For Modify, columns names the columns whose value changed; for Delete,
// old holds the row as it was.
struct RowChange
{
    std::string table;
    util::Uuid uuid;
    ChangeKind kind = ChangeKind::Insert;
    std::set<std::string> columns;
    std::optional<Row> old;
};

// Which form of table updates a monitor reply or notification carries.
enum class UpdateFormat
{
    Update,
    Update2
};

// The client's copy of the monitored tables and columns of one database: tables → rows by uuid →
// column values. A sequence number grows with every batch of changes; changes are tracked until
// the owner clears them, and listeners hear about each batch as it is applied.
class Replica
{
public:
    using Rows = std::map<util::Uuid, Row>;
    using Listener = std::function<void(const std::vector<RowChange>&)>;

    Replica() = default;
    // clear() frees the rows' values leaves first, much faster than their own destructors.
    ~Replica() { clear(); }
    Replica(const Replica&) = delete;
    Replica& operator=(const Replica&) = delete;

    // Sets the schema the rows are interpreted with and the columns replicated per table (rows
    // get every listed column, with its default value when an update leaves it out). Rows of
    // tables no longer listed are dropped without reporting changes; a snapshot should follow.
    void setSchema(const Schema& schema,
                   const std::map<std::string, std::vector<std::string>>& columns);
    const Schema* schema() const noexcept { return schema_ ? &*schema_ : nullptr; }

    // Bumped once for every applied batch that changed something.
    std::uint64_t seqno() const noexcept { return seqno_; }

    // The rows of a table; an empty set when the table is not replicated.
    const Rows& rows(std::string_view table) const;
    // The row, or nullptr.
    const Row* find(std::string_view table, const util::Uuid& uuid) const;

    // Changes since the last clearTrackedChanges(), one entry per row, merged (an insert then a
    // modify is an insert; an insert then a delete is nothing).
    std::vector<RowChange> trackedChanges() const;
    void clearTrackedChanges();

    // Calls listener after each batch that changed something, with that batch's changes.
    // Returns an id for removeListener().
    std::uint64_t addListener(Listener listener);
    void removeListener(std::uint64_t id);

    // Applies a batch of incremental table updates ("update" or "update2" notification
    // contents). Throws Error(Rpc) when they do not fit the schema; the replica is then
    // unchanged. The overload taking an rvalue moves the values into the rows.
    void applyUpdates(UpdateFormat format, const Json& updates);
    void applyUpdates(UpdateFormat format, Json&& updates);

    // Replaces the monitored tables with a full snapshot (a monitor reply), reporting the
    // difference to the previous contents as changes. tables lists the tables the snapshot
    // covers. The overload taking an rvalue moves the values into the rows.
    void applySnapshot(UpdateFormat format, const Json& updates);
    void applySnapshot(UpdateFormat format, Json&& updates);

    // Drops every row without reporting changes.
    void clear();

private:
    struct Tracked
    {
        ChangeKind kind;
        std::set<std::string> columns;
        std::optional<Row> old;
    };

    // One row's new state (nullopt: deleted) computed before anything is changed.
    struct Pending
    {
        std::string table;
        util::Uuid uuid;
        std::optional<Row> row;
    };

    const TableSchema& tableSchema(std::string_view table) const;
    Row emptyRow(const TableSchema& table, const util::Uuid& uuid) const;
    // A row of the monitored columns from the values of an insert or a snapshot.
    Row newRow(const TableSchema& table, const util::Uuid& uuid, Json&& values) const;
    void setColumns(Row& row, Json&& values, bool diff) const;
    void commit(std::vector<Pending>&& pending);

    std::optional<Schema> schema_;
    std::map<std::string, std::vector<std::string>> columns_;
    std::map<std::string, Rows, std::less<>> tables_;
    std::uint64_t seqno_ = 0;
    std::map<std::pair<std::string, util::Uuid>, Tracked> tracked_;
    std::map<std::uint64_t, Listener> listeners_;
    std::uint64_t nextListener_ = 1;
};

} // namespace dvs::ovsdb
