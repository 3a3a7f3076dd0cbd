// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ovsdb/schema.h"

#include "util/error.h"

namespace dvs::ovsdb {

namespace {

[[noreturn]] void invalid(std::string_view what)
{
    raise(ErrorCode::Rpc, "Invalid OVSDB schema: {}.", what);
}

BaseType parseBase(const Json& json)
{
    BaseType base;
    const Json* typeName = &json;
    if (json.is_object()) {
        auto it = json.find("type");
        if (it == json.end()) {
            invalid("a base type has no 'type'");
        }
        typeName = &*it;
        if (auto ref = json.find("refTable"); ref != json.end() && ref->is_string()) {
            base.refTable = ref->get<std::string>();
        }
        if (auto kind = json.find("refType"); kind != json.end() && kind->is_string()) {
            base.strongRef = kind->get<std::string>() != "weak";
        }
    }
    if (!typeName->is_string()) {
        invalid("a base type is not a string");
    }
    auto type = util::fromString<AtomicType>(typeName->get<std::string>());
    if (!type) {
        invalid(fmt::format("unknown atomic type '{}'", typeName->get<std::string>()));
    }
    base.type = *type;
    return base;
}

ColumnType parseType(const Json& json)
{
    ColumnType type;
    if (json.is_string()) {
        type.key = parseBase(json);
        return type;
    }
    if (!json.is_object() || !json.contains("key")) {
        invalid("a column type has no 'key'");
    }
    type.key = parseBase(json["key"]);
    if (auto it = json.find("value"); it != json.end()) {
        type.value = parseBase(*it);
    }
    if (auto it = json.find("min"); it != json.end()) {
        if (!it->is_number_unsigned()) {
            invalid("'min' is not a non-negative integer");
        }
        type.min = it->get<std::uint64_t>();
    }
    if (auto it = json.find("max"); it != json.end()) {
        if (it->is_string() && it->get<std::string>() == "unlimited") {
            type.max = ColumnType::kUnlimited;
        } else if (it->is_number_unsigned()) {
            type.max = it->get<std::uint64_t>();
        } else {
            invalid("'max' is neither an integer nor 'unlimited'");
        }
    }
    if (type.min > 1 || type.max < 1 || type.min > type.max) {
        invalid("a column has an impossible 'min'/'max'");
    }
    return type;
}

} // namespace

const ColumnSchema* TableSchema::column(std::string_view name) const
{
    auto it = columns.find(name);
    return it == columns.end() ? nullptr : &it->second;
}

Schema Schema::parse(const Json& json)
{
    try {
        return parseUnchecked(json);
    } catch (const Json::exception& e) {
        invalid(e.what());
    }
}

Schema Schema::parseUnchecked(const Json& json)
{
    if (!json.is_object() || !json.contains("name") || !json["name"].is_string() ||
        !json.contains("tables") || !json["tables"].is_object()) {
        invalid("it is not an object with 'name' and 'tables'");
    }
    Schema schema;
    schema.name_ = json["name"].get<std::string>();
    if (auto it = json.find("version"); it != json.end() && it->is_string()) {
        schema.version_ = it->get<std::string>();
    }
    for (const auto& [tableName, tableJson] : json["tables"].items()) {
        if (!tableJson.is_object() || !tableJson.contains("columns") ||
            !tableJson["columns"].is_object()) {
            invalid(fmt::format("table '{}' has no columns", tableName));
        }
        TableSchema table;
        table.name = tableName;
        if (auto it = tableJson.find("isRoot"); it != tableJson.end() && it->is_boolean()) {
            table.isRoot = it->get<bool>();
        }
        for (const auto& [columnName, columnJson] : tableJson["columns"].items()) {
            if (!columnJson.is_object() || !columnJson.contains("type")) {
                invalid(
                    fmt::format("column '{}' of table '{}' has no type", columnName, tableName));
            }
            ColumnSchema column;
            column.name = columnName;
            column.type = parseType(columnJson["type"]);
            if (auto it = columnJson.find("ephemeral");
                it != columnJson.end() && it->is_boolean()) {
                column.ephemeral = it->get<bool>();
            }
            if (auto it = columnJson.find("mutable"); it != columnJson.end() && it->is_boolean()) {
                column.mutableColumn = it->get<bool>();
            }
            table.columns.emplace(columnName, std::move(column));
        }
        if (auto it = tableJson.find("indexes"); it != tableJson.end() && it->is_array()) {
            for (const auto& index : *it) {
                std::vector<std::string> columns;
                for (const auto& column : index) {
                    columns.push_back(column.get<std::string>());
                }
                table.indexes.push_back(std::move(columns));
            }
        }
        schema.tables_.emplace(tableName, std::move(table));
    }
    return schema;
}

const TableSchema* Schema::table(std::string_view name) const
{
    auto it = tables_.find(name);
    return it == tables_.end() ? nullptr : &it->second;
}

} // namespace dvs::ovsdb
