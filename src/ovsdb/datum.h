// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ovsdb/json_stream.h"
#include "ovsdb/schema.h"
#include "util/uuid.h"

// OVSDB values ("datums", RFC 7047 §5.1) in their wire form, and conversions between them and
// C++ types. The generated row accessors are thin wrappers over these.
namespace dvs::ovsdb {

// A reference to a row in a transaction: an existing row's uuid, or the uuid-name of a row
// inserted earlier in the same transaction.
class Ref
{
public:
    Ref(const util::Uuid& uuid) : value_(uuid) {}
    static Ref named(std::string name)
    {
        Ref ref;
        ref.value_ = std::move(name);
        return ref;
    }

    bool isNamed() const noexcept { return std::holds_alternative<std::string>(value_); }
    // The uuid; only when !isNamed().
    const util::Uuid& uuid() const { return std::get<util::Uuid>(value_); }
    // The uuid-name; only when isNamed().
    const std::string& name() const { return std::get<std::string>(value_); }

    Json toJson() const;

    friend bool operator==(const Ref&, const Ref&) = default;
    friend auto operator<=>(const Ref&, const Ref&) = default;

private:
    Ref() = default;
    std::variant<util::Uuid, std::string> value_;
};

namespace datum {

// Atom encoders.
inline Json encode(std::int64_t value)
{
    return value;
}
inline Json encode(int value)
{
    return static_cast<std::int64_t>(value);
}
inline Json encode(double value)
{
    return value;
}
inline Json encode(bool value)
{
    return value;
}
inline Json encode(const std::string& value)
{
    return value;
}
inline Json encode(const char* value)
{
    return std::string(value);
}
Json encode(const util::Uuid& value);
inline Json encode(const Ref& value)
{
    return value.toJson();
}

// Atom decoders; each throws Error(Rpc) when the JSON is not an atom of that type.
template <typename T>
T decodeAtom(const Json& json);
template <>
std::int64_t decodeAtom<std::int64_t>(const Json& json);
template <>
double decodeAtom<double>(const Json& json);
template <>
bool decodeAtom<bool>(const Json& json);
template <>
std::string decodeAtom<std::string>(const Json& json);
template <>
util::Uuid decodeAtom<util::Uuid>(const Json& json);

// The atoms of a set datum (a bare atom is a set of one).
std::vector<Json> setElements(const Json& datum);
// The pairs of a map datum.
std::vector<std::pair<Json, Json>> mapPairs(const Json& datum);

template <typename T>
Json encodeSet(const std::vector<T>& values)
{
    Json atoms = Json::array();
    for (const auto& value : values) {
        atoms.push_back(encode(value));
    }
    return Json::array({"set", std::move(atoms)});
}

template <typename T>
Json encodeOptional(const std::optional<T>& value)
{
    if (!value) {
        return Json::array({"set", Json::array()});
    }
    return encode(*value);
}

template <typename K, typename V>
Json encodeMap(const std::map<K, V>& values)
{
    Json pairs = Json::array();
    for (const auto& [key, value] : values) {
        pairs.push_back(Json::array({encode(key), encode(value)}));
    }
    return Json::array({"map", std::move(pairs)});
}

template <typename T>
T decodeScalar(const Json& datum)
{
    auto atoms = setElements(datum);
    if (atoms.size() != 1) {
        return decodeAtom<T>(datum); // reports the error
    }
    return decodeAtom<T>(atoms.front());
}

template <typename T>
std::optional<T> decodeOptional(const Json& datum)
{
    auto atoms = setElements(datum);
    if (atoms.empty()) {
        return std::nullopt;
    }
    return decodeAtom<T>(atoms.front());
}

template <typename T>
std::vector<T> decodeSet(const Json& datum)
{
    std::vector<T> out;
    for (const auto& atom : setElements(datum)) {
        out.push_back(decodeAtom<T>(atom));
    }
    return out;
}

template <typename K, typename V>
std::map<K, V> decodeMap(const Json& datum)
{
    std::map<K, V> out;
    for (const auto& [key, value] : mapPairs(datum)) {
        out.insert_or_assign(decodeAtom<K>(key), decodeAtom<V>(value));
    }
    return out;
}

// The canonical form of a datum of the given type: a bare atom for a scalar, ["set", sorted
// atoms] for sets and optional values, ["map", pairs sorted by key] for maps. Two datums are
// equal when their canonical forms are. Throws Error(Rpc) when the datum does not fit the type.
// The overload taking an rvalue reuses the datum's storage.
Json canonical(const ColumnType& type, const Json& datum);
Json canonical(const ColumnType& type, Json&& datum);

// The default value of a column type (RFC 7047 §5.1: 0, 0.0, false, "", the all-zero uuid for a
// scalar; empty for the rest), canonical.
Json defaultValue(const ColumnType& type);

// Applies an update2 "modify" diff (ovsdb-server(7) §4.1.14) to a canonical datum: a column of
// at most one value (scalar or optional) is replaced, a set gets the symmetric difference, a map
// loses the pairs that equal the diff's, takes the changed values and gains the new keys. Returns
// the new canonical datum.
Json applyDiff(const ColumnType& type, const Json& old, const Json& diff);

} // namespace datum

} // namespace dvs::ovsdb
