// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "ovsdb/datum.h"
#include "ovsdb/replica.h"
#include "util/uuid.h"

// Reading the datums of replica rows in place, as the planner does on every pass over every
// row: the generated Views (ovsdb/vswitch.h) copy what they return, which a pass over thousands
// of unchanged ports cannot afford. Each reader accepts what its datum:: counterpart accepts
// and throws as it throws for anything else.
namespace dvs::ovs {

// The type of a column of the row's table; throws Error(InternalError) when there is none.
const ovsdb::ColumnType& columnType(const ovsdb::Row& row, std::string_view column);

// Whether two strings are equal, telling most different ones apart without calling memcmp.
inline bool sameText(std::string_view a, std::string_view b)
{
    return a.size() == b.size() &&
           (a.empty() || (a.front() == b.front() && a.back() == b.back() && a == b));
}

// The atoms of a set datum (["set", atoms], or a bare atom for a set of one), as
// datum::setElements() reads them.
class Atoms
{
public:
    explicit Atoms(const ovsdb::Json& datum)
    {
        if (datum.is_array() && datum.size() == 2 && datum[0].is_string() &&
            datum[0].get_ref<const std::string&>() == "set" && datum[1].is_array()) {
            const auto& atoms = datum[1].get_ref<const ovsdb::Json::array_t&>();
            begin_ = atoms.data();
            end_ = begin_ + atoms.size();
            return;
        }
        if (!isAtom(datum)) {
            ovsdb::datum::setElements(datum); // throws
        }
        begin_ = &datum;
        end_ = begin_ + 1;
    }

    const ovsdb::Json* begin() const noexcept { return begin_; }
    const ovsdb::Json* end() const noexcept { return end_; }
    std::size_t size() const noexcept { return static_cast<std::size_t>(end_ - begin_); }
    bool empty() const noexcept { return begin_ == end_; }

private:
    static bool isAtom(const ovsdb::Json& datum);

    const ovsdb::Json* begin_ = nullptr;
    const ovsdb::Json* end_ = nullptr;
};

// A string column's datum, in place.
const std::string& stringDatum(const ovsdb::Json& value);
// The row's string column, in place; throws like Row::at() when it is not replicated.
const std::string& stringColumn(const ovsdb::Row& row, std::string_view column);

// A uuid atom (["uuid", "8-4-4-4-12 hex digits"]), as datum::decodeAtom() reads it; the text the
// server writes is converted here directly, anything else goes through decodeAtom().
util::Uuid uuidAtom(const ovsdb::Json& atom);

// An optional uuid column (Port.qos).
std::optional<util::Uuid> optionalUuid(const ovsdb::Json& value);

// Calls fn with each uuid of a set-of-uuids datum (Port.interfaces, Bridge.ports).
template <typename Fn>
void forEachUuid(const ovsdb::Json& value, Fn&& fn)
{
    for (const ovsdb::Json& atom : Atoms(value)) {
        fn(uuidAtom(atom));
    }
}

// Throws as datum::mapPairs() does when value is not a map datum.
void checkMapDatum(const ovsdb::Json& value);

// Calls fn(key, uuid) with each pair of an integer-to-uuid map datum (QoS.queues).
template <typename Fn>
void forEachQueue(const ovsdb::Json& value, Fn&& fn)
{
    checkMapDatum(value);
    for (const ovsdb::Json& pair : value[1]) {
        if (!pair.is_array() || pair.size() != 2) {
            ovsdb::datum::mapPairs(value); // throws
        }
        fn(ovsdb::datum::decodeAtom<std::int64_t>(pair[0]), uuidAtom(pair[1]));
    }
}

// Finds columns of one row in the order the row sorts them (byte order of their names): each
// one walks on from the previous one and compares names for equality only, cheaper than a
// lookup from the root. A column asked for out of order is looked up.
class ColumnCursor
{
public:
    explicit ColumnCursor(const ovsdb::Row& row) : row_(row), next_(row.columns().begin()) {}

    // The column's value, or nullptr when it is not replicated.
    const ovsdb::Json* find(std::string_view column)
    {
        for (auto it = next_; it != row_.columns().end(); ++it) {
            if (sameText(it->first, column)) {
                next_ = std::next(it);
                return &it->second;
            }
        }
        return row_.find(column);
    }
    // The column's value; throws like Row::at() when it is not replicated.
    const ovsdb::Json& operator[](std::string_view column)
    {
        const ovsdb::Json* value = find(column);
        return value != nullptr ? *value : row_.at(column);
    }

private:
    const ovsdb::Row& row_;
    std::map<std::string, ovsdb::Json, std::less<>>::const_iterator next_;
};

// A string-to-string map datum (external_ids, other_config), read in place. Pairs that are not
// two strings are passed over.
class StringMap
{
public:
    explicit StringMap(const ovsdb::Json& datum)
    {
        const auto* d = datum.get_ptr<const ovsdb::Json::array_t*>();
        if (d != nullptr && d->size() == 2) {
            pairs_ = (*d)[1].get_ptr<const ovsdb::Json::array_t*>();
        }
    }

    // The value of key (its first pair), or nullptr.
    const std::string* find(std::string_view key) const
    {
        if (pairs_ != nullptr) {
            for (const auto& pair : *pairs_) {
                auto [k, v] = entry(pair);
                if (k != nullptr && sameText(*k, key)) {
                    return v;
                }
            }
        }
        return nullptr;
    }

    // Calls fn(key, value) with each pair of strings in the datum's order, until it returns
    // false; returns whether it never did.
    template <typename Fn>
    bool all(Fn&& fn) const
    {
        if (pairs_ != nullptr) {
            for (const auto& pair : *pairs_) {
                if (auto [k, v] = entry(pair); k != nullptr && !fn(*k, *v)) {
                    return false;
                }
            }
        }
        return true;
    }

private:
    // A pair's key and value, or nullptrs when it is not a pair of strings.
    static std::pair<const std::string*, const std::string*> entry(const ovsdb::Json& pair)
    {
        const auto* p = pair.get_ptr<const ovsdb::Json::array_t*>();
        if (p == nullptr || p->size() != 2) {
            return {nullptr, nullptr};
        }
        const auto* k = (*p)[0].get_ptr<const std::string*>();
        const auto* v = (*p)[1].get_ptr<const std::string*>();
        if (k == nullptr || v == nullptr) {
            return {nullptr, nullptr};
        }
        return {k, v};
    }

    const ovsdb::Json::array_t* pairs_ = nullptr;
};

// The row's map column; throws like Row::at() when it is not replicated.
inline StringMap stringMap(const ovsdb::Row& row, std::string_view column)
{
    return StringMap(row.at(column));
}

// The value of key, or an empty view.
inline std::string_view valueOf(const StringMap& map, std::string_view key)
{
    const std::string* value = map.find(key);
    return value != nullptr ? std::string_view(*value) : std::string_view();
}

} // namespace dvs::ovs
