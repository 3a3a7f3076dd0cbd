// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ovs/column_diff.h"

#include <algorithm>

#include "util/error.h"

namespace dvs::ovs {

namespace datum = ovsdb::datum;
using ovsdb::Json;

bool sameDatum(const ovsdb::ColumnType& type, const Json& current, const Json& wanted)
{
    if (type.isMap()) {
        return datum::canonical(type, wanted) == current;
    }
    bool wantedIsSet = wanted.is_array() && wanted.size() == 2 && wanted[0] == "set";
    if (type.isScalar()) {
        return !wantedIsSet && current == wanted;
    }
    if (!current.is_array() || current.size() != 2 || !current[1].is_array()) {
        return false;
    }
    const Json& have = current[1];
    if (!wantedIsSet) {
        return have.size() == 1 && have[0] == wanted;
    }
    const Json& want = wanted[1];
    if (want.size() != have.size()) {
        return false;
    }
    for (const auto& atom : want) {
        if (std::find(have.begin(), have.end(), atom) == have.end()) {
            return false;
        }
    }
    return true;
}

Json changedColumns(const ovsdb::Row& row, const Json& values)
{
    Json changed = Json::object();
    for (auto it = values.begin(); it != values.end(); ++it) {
        if (!sameDatum(columnType(row, it.key()), row.at(it.key()), it.value())) {
            changed[it.key()] = it.value();
        }
    }
    return changed;
}

ColumnDiff& ColumnDiff::string(const Column& column, std::string_view value)
{
    const auto& type = types_.of(row_, column.name);
    const Json& current = column.in(row_);
    if (!type.isScalar() || type.isMap()) {
        return compare(column, type, current, datum::encode(std::string(value)));
    }
    const auto* have = current.get_ptr<const std::string*>();
    if (have == nullptr || *have != value) {
        changed_[std::string(column.name)] = datum::encode(std::string(value));
    }
    return *this;
}

ColumnDiff& ColumnDiff::emptySet(const Column& column)
{
    const auto& type = types_.of(row_, column.name);
    const Json& current = column.in(row_);
    if (type.isMap()) {
        return compare(column, type, current, datum::encodeSet(std::vector<std::int64_t>()));
    }
    const auto* pair = current.get_ptr<const Json::array_t*>();
    bool same = !type.isScalar() && pair != nullptr && pair->size() == 2 && (*pair)[1].is_array() &&
                (*pair)[1].empty();
    if (!same) {
        changed_[std::string(column.name)] = datum::encodeSet(std::vector<std::int64_t>());
    }
    return *this;
}

void ColumnDiff::write(ovsdb::Transaction& txn)
{
    if (!changed_.empty()) {
        txn.update(row_.table().name, row_.uuid(), std::move(changed_));
    }
}

KeyValues& KeyValues::set(std::string_view key, std::string_view value)
{
    Pair* end = pairs_.data() + size_;
    Pair* it = std::lower_bound(pairs_.data(), end, key, [](const Pair& pair, std::string_view k) {
        return pair.first < k;
    });
    if (it != end && it->first == key) {
        it->second = value;
        return *this;
    }
    if (size_ == pairs_.size()) {
        raise(ErrorCode::InternalError, "too many keys for column pairs");
    }
    std::move_backward(it, end, end + 1);
    *it = {key, value};
    ++size_;
    return *this;
}

std::map<std::string, std::string> KeyValues::strings() const
{
    std::map<std::string, std::string> out;
    for (const auto& [key, value] : *this) {
        out.emplace(key, value);
    }
    return out;
}

bool holds(const StringMap& current, const KeyValues& want,
           std::initializer_list<std::string_view> drop)
{
    std::array<bool, KeyValues::kCapacity> seen{};
    std::size_t matched = 0;
    bool ok = current.all([&](const std::string& key, const std::string& value) {
        std::size_t i = want.indexOf(key);
        if (i != want.size()) {
            // find() returns the first pair of a key.
            if (!seen[i]) {
                seen[i] = true;
                if (value != want.begin()[i].second) {
                    return false;
                }
                ++matched;
            }
            return true;
        }
        return std::none_of(drop.begin(), drop.end(),
                            [&](std::string_view dropped) { return sameText(key, dropped); });
    });
    return ok && matched == want.size();
}

void fixKeys(std::vector<ovsdb::Mutation>& out, std::string_view table, std::string_view column,
             const StringMap& current, const KeyValues& want,
             std::initializer_list<std::string_view> drop)
{
    // Most passes change nothing: look before building anything.
    if (holds(current, want, drop)) {
        return;
    }
    std::vector<std::string> remove;
    std::map<std::string, std::string> add;
    for (const auto& [key, value] : want) {
        const std::string* have = current.find(key);
        if (have == nullptr) {
            add.emplace(key, value);
        } else if (*have != value) {
            remove.emplace_back(key);
            add.emplace(key, value);
        }
    }
    for (const auto& key : drop) {
        if (current.find(key) != nullptr && !want.contains(key)) {
            remove.emplace_back(key);
        }
    }
    if (!remove.empty()) {
        out.push_back({table, std::string(column), "delete", datum::encodeSet(remove)});
    }
    if (!add.empty()) {
        out.push_back({table, std::string(column), "insert", datum::encodeMap(add)});
    }
}

} // namespace dvs::ovs
