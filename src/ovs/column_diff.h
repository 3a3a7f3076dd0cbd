// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ovs/replica_reading.h"
#include "ovsdb/transaction.h"

// Comparing replica rows with the values the planner wants, and writing only what differs: the
// update of the changed columns, or the mutations of the changed keys of a map column (so keys
// that others wrote survive). A pass over unchanged rows builds no JSON at all.
namespace dvs::ovs {

// Whether a canonical datum of the replica equals a value as the generated Values encode it (a
// bare atom for a single value, ["set", atoms] otherwise; sets in any order), without building
// its canonical form.
bool sameDatum(const ovsdb::ColumnType& type, const ovsdb::Json& current,
               const ovsdb::Json& wanted);

// The columns of values (generated Values' json()) that differ from the row, as the row of an
// update (empty: none).
ovsdb::Json changedColumns(const ovsdb::Row& row, const ovsdb::Json& values);

// The types of the columns a pass compares, looked up once per pass. Columns are told apart by
// the address of their name: callers pass the generated constants (ovsdb/vswitch.h).
class ColumnTypes
{
public:
    const ovsdb::ColumnType& of(const ovsdb::Row& row, std::string_view column)
    {
        for (const auto& entry : entries_) {
            if (entry.table == &row.table() && entry.name == column.data() &&
                entry.size == column.size()) {
                return *entry.type;
            }
        }
        const auto& type = columnType(row, column);
        entries_.push_back({&row.table(), column.data(), column.size(), &type});
        return type;
    }

private:
    struct Entry
    {
        const ovsdb::TableSchema* table;
        const char* name;
        std::size_t size;
        const ovsdb::ColumnType* type;
    };
    std::vector<Entry> entries_;
};

// A column of a replica row as an index found it: its name and its value (nullptr when the
// column is not replicated).
struct Column
{
    std::string_view name;
    const ovsdb::Json* value = nullptr;

    // The value; throws like Row::at() when the column is not replicated.
    const ovsdb::Json& in(const ovsdb::Row& row) const
    {
        return value != nullptr ? *value : row.at(name);
    }
};

// The columns of one row that differ from wanted values, collected as the row of an update.
// Each value is compared as sameDatum() compares its encoding by the generated Values, in place.
class ColumnDiff
{
public:
    ColumnDiff(const ovsdb::Row& row, ColumnTypes& types) : row_(row), types_(types) {}

    // An integer column (Values: a bare atom).
    ColumnDiff& integer(const Column& column, std::int64_t value)
    {
        return generic(column, ovsdb::Json(value));
    }
    // An optional integer column (Values: a bare atom, or the empty set).
    ColumnDiff& optionalInteger(const Column& column, std::optional<std::int64_t> value)
    {
        return value ? integer(column, *value) : emptySet(column);
    }
    // A set of integers (Values: always a set).
    ColumnDiff& integers(const Column& column, const std::vector<std::int64_t>& values)
    {
        return values.empty() ? emptySet(column) : generic(column, ovsdb::datum::encodeSet(values));
    }
    // A string column (Values: a bare atom).
    ColumnDiff& string(const Column& column, std::string_view value);
    // An optional string column (Values: a bare atom, or the empty set).
    ColumnDiff& optionalString(const Column& column, const std::optional<std::string>& value)
    {
        return value ? generic(column, ovsdb::datum::encode(*value)) : emptySet(column);
    }

    // Adds the update of the changed columns to txn, when there are any.
    void write(ovsdb::Transaction& txn);

private:
    ColumnDiff& generic(const Column& column, ovsdb::Json wanted)
    {
        const auto& type = types_.of(row_, column.name);
        return compare(column, type, column.in(row_), std::move(wanted));
    }
    ColumnDiff& compare(const Column& column, const ovsdb::ColumnType& type,
                        const ovsdb::Json& current, ovsdb::Json wanted)
    {
        if (!sameDatum(type, current, wanted)) {
            changed_[std::string(column.name)] = std::move(wanted);
        }
        return *this;
    }
    // The empty set, as encodeOptional(nullopt) and encodeSet({}) write it.
    ColumnDiff& emptySet(const Column& column);

    const ovsdb::Row& row_;
    ColumnTypes& types_;
    // Null until a column differs (operator[] makes it an object): no allocation otherwise.
    ovsdb::Json changed_;
};

// The pairs a map column should hold, sorted by key as a std::map<std::string, std::string>
// would hold them, viewing strings that outlive it: no allocation per port.
class KeyValues
{
public:
    using Pair = std::pair<std::string_view, std::string_view>;
    // The most keys dvsd writes in one column.
    static constexpr std::size_t kCapacity = 8;

    KeyValues() = default;
    KeyValues(std::initializer_list<Pair> pairs)
    {
        for (const auto& [key, value] : pairs) {
            set(key, value);
        }
    }
    explicit KeyValues(const std::map<std::string, std::string>& strings)
    {
        for (const auto& [key, value] : strings) {
            set(key, value);
        }
    }

    // Sets key to value, replacing the value it had. Throws Error(InternalError) beyond
    // kCapacity keys.
    KeyValues& set(std::string_view key, std::string_view value);
    bool contains(std::string_view key) const { return indexOf(key) != size_; }
    // The position of key, or size() when absent.
    std::size_t indexOf(std::string_view key) const
    {
        for (std::size_t i = 0; i < size_; ++i) {
            if (sameText(pairs_[i].first, key)) {
                return i;
            }
        }
        return size_;
    }
    std::size_t size() const noexcept { return size_; }
    const Pair* begin() const noexcept { return pairs_.data(); }
    const Pair* end() const noexcept { return pairs_.data() + size_; }
    // A copy, for the generated Values.
    std::map<std::string, std::string> strings() const;

private:
    std::array<Pair, kCapacity> pairs_{};
    std::size_t size_ = 0;
};

// Whether current holds every key of want with its value (as StringMap::find() sees it: the first
// pair of a key) and none of drop that want lacks; in one walk over the pairs.
bool holds(const StringMap& current, const KeyValues& want,
           std::initializer_list<std::string_view> drop = {});

// Appends to out the mutations that make the keys of want hold their values and remove the keys
// of drop that want lacks; every other key of the column is left alone. Nothing when current
// holds() them already.
void fixKeys(std::vector<ovsdb::Mutation>& out, std::string_view table, std::string_view column,
             const StringMap& current, const KeyValues& want,
             std::initializer_list<std::string_view> drop = {});

} // namespace dvs::ovs
