// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ovsdb/json_stream.h"
#include "util/enum_table.h"

namespace dvs::ovsdb {

// RFC 7047 §3.2 atomic types.
enum class AtomicType
{
    Integer,
    Real,
    Boolean,
    String,
    Uuid,
    Last
};

} // namespace dvs::ovsdb

template <>
struct dvs::util::EnumNames<dvs::ovsdb::AtomicType>
{
    static constexpr std::array<std::string_view, 5> kNames{"integer", "real", "boolean", "string",
                                                            "uuid"};
};

namespace dvs::ovsdb {

// The key or value part of a column type.
struct BaseType
{
    AtomicType type = AtomicType::String;
    std::string refTable; // for uuid atoms that reference a table
    bool strongRef = true;
};

// A column's type: a scalar, an optional value, a set or a map.
struct ColumnType
{
    static constexpr std::uint64_t kUnlimited = std::numeric_limits<std::uint64_t>::max();

    BaseType key;
    std::optional<BaseType> value;
    std::uint64_t min = 1;
    std::uint64_t max = 1;

    bool isMap() const noexcept { return value.has_value(); }
    // Exactly one atom: encoded as the bare atom on the wire.
    bool isScalar() const noexcept { return !value && min == 1 && max == 1; }
    // Zero or one atom.
    bool isOptional() const noexcept { return !value && min == 0 && max == 1; }
    bool isSet() const noexcept { return !value && !isScalar(); }
};

struct ColumnSchema
{
    std::string name;
    ColumnType type;
    bool ephemeral = false;
    bool mutableColumn = true;
};

struct TableSchema
{
    std::string name;
    bool isRoot = false;
    std::map<std::string, ColumnSchema, std::less<>> columns;
    std::vector<std::vector<std::string>> indexes;

    // The column, or nullptr. The implicit _uuid and _version columns are not listed.
    const ColumnSchema* column(std::string_view name) const;
};

// A database schema (RFC 7047 §3.2) as get_schema returns it or an .ovsschema file holds it.
class Schema
{
public:
    // Throws Error(Rpc) when json is not a valid schema.
    static Schema parse(const Json& json);

    const std::string& name() const noexcept { return name_; }
    const std::string& version() const noexcept { return version_; }
    const std::map<std::string, TableSchema, std::less<>>& tables() const noexcept
    {
        return tables_;
    }
    // The table, or nullptr.
    const TableSchema* table(std::string_view name) const;

private:
    static Schema parseUnchecked(const Json& json);

    std::string name_;
    std::string version_;
    std::map<std::string, TableSchema, std::less<>> tables_;
};

} // namespace dvs::ovsdb
