// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ovsdb/datum.h"

#include <algorithm>
#include <set>

#include "util/error.h"

namespace dvs::ovsdb {

Json Ref::toJson() const
{
    if (isNamed()) {
        return Json::array({"named-uuid", name()});
    }
    return datum::encode(uuid());
}

namespace datum {

namespace {

[[noreturn]] void mismatch(std::string_view expected, const Json& json)
{
    std::string text = json.dump();
    if (text.size() > 80) {
        text.resize(77);
        text += "...";
    }
    raise(ErrorCode::Rpc, "OVSDB value '{}' is not {}.", text, expected);
}

bool isTagged(const Json& json, std::string_view tag)
{
    const auto* pair = json.get_ptr<const Json::array_t*>();
    if (pair == nullptr || pair->size() != 2) {
        return false;
    }
    const auto* first = (*pair)[0].get_ptr<const std::string*>();
    return first != nullptr && *first == tag;
}

// a < b as nlohmann orders values, with the comparisons of strings and of tagged atoms such as
// ["uuid", "..."] made directly.
bool lessThan(const Json& a, const Json& b)
{
    const auto* x = a.get_ptr<const std::string*>();
    const auto* y = b.get_ptr<const std::string*>();
    if (x != nullptr && y != nullptr) {
        return *x < *y;
    }
    const auto* p = a.get_ptr<const Json::array_t*>();
    const auto* q = b.get_ptr<const Json::array_t*>();
    if (p != nullptr && q != nullptr && p->size() == 2 && q->size() == 2) {
        const auto* tagA = (*p)[0].get_ptr<const std::string*>();
        const auto* tagB = (*q)[0].get_ptr<const std::string*>();
        x = (*p)[1].get_ptr<const std::string*>();
        y = (*q)[1].get_ptr<const std::string*>();
        if (tagA != nullptr && tagB != nullptr && x != nullptr && y != nullptr && *tagA == *tagB) {
            return *x < *y;
        }
    }
    return a < b;
}

// ["set", [atom]], built without an initializer list.
Json setOfOne(Json&& atom)
{
    Json::array_t atoms;
    atoms.reserve(1);
    atoms.push_back(std::move(atom));
    Json::array_t set;
    set.reserve(2);
    set.emplace_back("set");
    set.emplace_back(std::move(atoms));
    return Json(std::move(set));
}

bool isAtom(const Json& json)
{
    return json.is_primitive() || isTagged(json, "uuid") || isTagged(json, "named-uuid");
}

void checkAtom(const BaseType& base, const Json& atom)
{
    switch (base.type) {
    case AtomicType::Integer:
        if (!atom.is_number_integer()) {
            mismatch("an integer", atom);
        }
        break;
    case AtomicType::Real:
        if (!atom.is_number()) {
            mismatch("a real number", atom);
        }
        break;
    case AtomicType::Boolean:
        if (!atom.is_boolean()) {
            mismatch("a boolean", atom);
        }
        break;
    case AtomicType::String:
        if (!atom.is_string()) {
            mismatch("a string", atom);
        }
        break;
    case AtomicType::Uuid:
        // The text too: a reader decodes it later and must not be the first to find it bad
        // (found by the mgmt-rows fuzz target).
        if (!isTagged(atom, "uuid") || !atom[1].is_string() ||
            !util::Uuid::parse(atom[1].get_ref<const std::string&>())) {
            mismatch("a uuid", atom);
        }
        break;
    case AtomicType::Last:
        break;
    }
}

// A real column holds doubles even when the server wrote "1"; canonical keeps one JSON form.
Json canonicalAtom(const BaseType& base, const Json& atom)
{
    checkAtom(base, atom);
    if (base.type == AtomicType::Real) {
        return atom.get<double>();
    }
    return atom;
}

} // namespace

Json encode(const util::Uuid& value)
{
    return Json::array({"uuid", value.toString()});
}

template <>
std::int64_t decodeAtom<std::int64_t>(const Json& json)
{
    if (!json.is_number_integer()) {
        mismatch("an integer", json);
    }
    return json.get<std::int64_t>();
}

template <>
double decodeAtom<double>(const Json& json)
{
    if (!json.is_number()) {
        mismatch("a real number", json);
    }
    return json.get<double>();
}

template <>
bool decodeAtom<bool>(const Json& json)
{
    if (!json.is_boolean()) {
        mismatch("a boolean", json);
    }
    return json.get<bool>();
}

template <>
std::string decodeAtom<std::string>(const Json& json)
{
    if (!json.is_string()) {
        mismatch("a string", json);
    }
    return json.get<std::string>();
}

template <>
util::Uuid decodeAtom<util::Uuid>(const Json& json)
{
    if (!isTagged(json, "uuid") || !json[1].is_string()) {
        mismatch("a uuid", json);
    }
    auto uuid = util::Uuid::parse(json[1].get_ref<const std::string&>());
    if (!uuid) {
        mismatch("a uuid", json);
    }
    return *uuid;
}

std::vector<Json> setElements(const Json& datum)
{
    if (isTagged(datum, "set")) {
        if (!datum[1].is_array()) {
            mismatch("a set", datum);
        }
        return {datum[1].begin(), datum[1].end()};
    }
    if (!isAtom(datum)) {
        mismatch("a set or an atom", datum);
    }
    return {datum};
}

std::vector<std::pair<Json, Json>> mapPairs(const Json& datum)
{
    if (!isTagged(datum, "map") || !datum[1].is_array()) {
        mismatch("a map", datum);
    }
    std::vector<std::pair<Json, Json>> pairs;
    for (const auto& pair : datum[1]) {
        if (!pair.is_array() || pair.size() != 2) {
            mismatch("a map", datum);
        }
        pairs.emplace_back(pair[0], pair[1]);
    }
    return pairs;
}

Json canonical(const ColumnType& type, const Json& datum)
{
    return canonical(type, Json(datum));
}

namespace {

// Checks an atom of a received datum and puts it in canonical form where it stands.
void canonicalizeAtom(const BaseType& base, Json& atom)
{
    checkAtom(base, atom);
    if (base.type == AtomicType::Real && !atom.is_number_float()) {
        atom = atom.get<double>();
    }
}

} // namespace

Json canonical(const ColumnType& type, Json&& datum)
{
    // ovsdb-server keeps its datums sorted and sends them so: each datum is checked and, when
    // already in order, kept as it came instead of being rebuilt (the bulk of a monitor reply).
    if (type.isMap()) {
        if (!isTagged(datum, "map") || !datum[1].is_array()) {
            mismatch("a map", datum);
        }
        auto& pairs = datum[1].get_ref<Json::array_t&>();
        bool sorted = true;
        for (std::size_t i = 0; i < pairs.size(); ++i) {
            auto* pair = pairs[i].get_ptr<Json::array_t*>();
            if (pair == nullptr || pair->size() != 2) {
                mismatch("a map", datum);
            }
            canonicalizeAtom(type.key, (*pair)[0]);
            canonicalizeAtom(*type.value, (*pair)[1]);
            if (sorted && i > 0 && !lessThan(pairs[i - 1][0], (*pair)[0])) {
                sorted = false;
            }
        }
        if (sorted) {
            return std::move(datum);
        }
        // Out of order or a repeated key (the last value wins).
        std::map<Json, Json> byKey;
        for (auto& pair : pairs) {
            byKey.insert_or_assign(std::move(pair[0]), std::move(pair[1]));
        }
        Json out = Json::array();
        for (auto& [key, value] : byKey) {
            out.push_back(Json::array({key, std::move(value)}));
        }
        return Json::array({"map", std::move(out)});
    }
    if (!isTagged(datum, "set")) {
        if (!isAtom(datum)) {
            mismatch("a set or an atom", datum);
        }
        canonicalizeAtom(type.key, datum);
        if (type.isScalar()) {
            return std::move(datum);
        }
        return setOfOne(std::move(datum));
    }
    if (!datum[1].is_array()) {
        mismatch("a set", datum);
    }
    auto& elements = datum[1].get_ref<Json::array_t&>();
    if (type.isScalar()) {
        if (elements.size() != 1) {
            mismatch("a single value", datum);
        }
        canonicalizeAtom(type.key, elements[0]);
        return std::move(elements[0]);
    }
    bool sorted = true;
    for (std::size_t i = 0; i < elements.size(); ++i) {
        canonicalizeAtom(type.key, elements[i]);
        if (sorted && i > 0 && !lessThan(elements[i - 1], elements[i])) {
            sorted = false;
        }
    }
    if (!sorted) {
        std::sort(elements.begin(), elements.end());
        elements.erase(std::unique(elements.begin(), elements.end()), elements.end());
    }
    return std::move(datum);
}

Json defaultValue(const ColumnType& type)
{
    if (type.isMap()) {
        return Json::array({"map", Json::array()});
    }
    if (!type.isScalar()) {
        return Json::array({"set", Json::array()});
    }
    switch (type.key.type) {
    case AtomicType::Integer:
        return std::int64_t{0};
    case AtomicType::Real:
        return 0.0;
    case AtomicType::Boolean:
        return false;
    case AtomicType::String:
        return "";
    case AtomicType::Uuid:
        return encode(util::Uuid{});
    case AtomicType::Last:
        break;
    }
    return nullptr;
}

Json applyDiff(const ColumnType& type, const Json& old, const Json& diff)
{
    if (!type.isMap() && type.max == 1) {
        // A column of at most one value carries its new value (empty when cleared).
        return canonical(type, diff);
    }
    if (type.isMap()) {
        std::map<Json, Json> values;
        for (auto& [key, value] : mapPairs(old)) {
            values.insert_or_assign(key, value);
        }
        for (auto& [key, value] : mapPairs(diff)) {
            Json k = canonicalAtom(type.key, key);
            Json v = canonicalAtom(*type.value, value);
            auto it = values.find(k);
            if (it != values.end() && it->second == v) {
                values.erase(it);
            } else {
                values.insert_or_assign(std::move(k), std::move(v));
            }
        }
        Json pairs = Json::array();
        for (auto& [key, value] : values) {
            pairs.push_back(Json::array({key, value}));
        }
        return Json::array({"map", std::move(pairs)});
    }
    std::set<Json> current;
    for (auto& atom : setElements(old)) {
        current.insert(std::move(atom));
    }
    for (const auto& atom : setElements(diff)) {
        Json a = canonicalAtom(type.key, atom);
        if (auto it = current.find(a); it != current.end()) {
            current.erase(it);
        } else {
            current.insert(std::move(a));
        }
    }
    Json atoms = Json::array();
    for (const auto& atom : current) {
        atoms.push_back(atom);
    }
    return Json::array({"set", std::move(atoms)});
}

} // namespace datum

} // namespace dvs::ovsdb
