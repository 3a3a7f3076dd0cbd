#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Generates typed row accessors (a C++ header) from an OVSDB schema (.ovsschema).

For every table: column-name constants, a read-only View over a replica row with one getter per
column, a Values builder for insert/update with one setter per column, mutations for set, map
and integer columns, and lookups by single-column index. Run by meson at build time; the output
is never committed.
"""

import argparse
import json
import keyword
import re
import sys

CPP_KEYWORDS = {
    "alignas", "alignof", "and", "asm", "auto", "bitand", "bitor", "bool", "break", "case",
    "catch", "char", "class", "compl", "concept", "const", "consteval", "constexpr", "continue",
    "default", "delete", "do", "double", "else", "enum", "explicit", "export", "extern", "false",
    "float", "for", "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new",
    "noexcept", "not", "nullptr", "operator", "or", "private", "protected", "public", "register",
    "requires", "return", "short", "signed", "sizeof", "static", "struct", "switch", "template",
    "this", "throw", "true", "try", "typedef", "typename", "union", "unsigned", "using",
    "virtual", "void", "volatile", "while", "xor",
}
# Names the generated classes use themselves.
RESERVED = {"uuid", "row", "json", "all", "get"}

READ_ATOM = {
    "integer": "std::int64_t",
    "real": "double",
    "boolean": "bool",
    "string": "std::string",
    "uuid": "util::Uuid",
}
WRITE_ATOM = dict(READ_ATOM, uuid="Ref")


class SchemaError(Exception):
    pass


def pascal(name):
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", name) if p]
    out = "".join(p[0].upper() + p[1:] for p in parts)
    if not out or out[0].isdigit():
        out = "T" + out
    return out


def camel(name):
    p = pascal(name)
    out = p[0].lower() + p[1:]
    if out in CPP_KEYWORDS or out in RESERVED or keyword.iskeyword(out):
        out += "Column"
    return out


def base_type(base):
    if isinstance(base, str):
        return base
    if isinstance(base, dict) and isinstance(base.get("type"), str):
        return base["type"]
    raise SchemaError("invalid base type %r" % (base,))


class Column:
    def __init__(self, name, spec):
        self.name = name
        t = spec["type"]
        if isinstance(t, str):
            t = {"key": t}
        self.key = base_type(t["key"])
        self.value = base_type(t["value"]) if "value" in t else None
        self.min = t.get("min", 1)
        mx = t.get("max", 1)
        self.max = None if mx == "unlimited" else mx
        for atom in (self.key, self.value):
            if atom is not None and atom not in READ_ATOM:
                raise SchemaError("column %s has unknown type %s" % (name, atom))
        if self.value is not None:
            self.kind = "map"
        elif self.min == 1 and self.max == 1:
            self.kind = "scalar"
        elif self.min == 0 and self.max == 1:
            self.kind = "optional"
        else:
            self.kind = "set"
        self.ident = camel(name)
        self.const = "k" + pascal(name)

    def cpp_type(self, atoms):
        k = atoms[self.key]
        if self.kind == "scalar":
            return k
        if self.kind == "optional":
            return "std::optional<%s>" % k
        if self.kind == "set":
            return "std::vector<%s>" % k
        return "std::map<%s, %s>" % (k, atoms[self.value])

    def decode(self, expr):
        k = READ_ATOM[self.key]
        if self.kind == "scalar":
            return "datum::decodeScalar<%s>(%s)" % (k, expr)
        if self.kind == "optional":
            return "datum::decodeOptional<%s>(%s)" % (k, expr)
        if self.kind == "set":
            return "datum::decodeSet<%s>(%s)" % (k, expr)
        return "datum::decodeMap<%s, %s>(%s)" % (k, READ_ATOM[self.value], expr)

    def encode(self, expr):
        if self.kind == "scalar":
            return "datum::encode(%s)" % expr
        if self.kind == "optional":
            return "datum::encodeOptional(%s)" % expr
        if self.kind == "set":
            return "datum::encodeSet(%s)" % expr
        return "datum::encodeMap(%s)" % expr


def generate(schema, namespace, source_name):
    if not isinstance(schema, dict) or "name" not in schema or "tables" not in schema:
        raise SchemaError("not an OVSDB schema")
    out = []
    w = out.append
    w("// SPDX-License-Identifier: LGPL-2.1-or-later")
    w("// Generated from %s (schema %s %s) by generate_accessors.py. Do not edit."
      % (source_name, schema["name"], schema.get("version", "")))
    w("#pragma once")
    w("")
    w("#include <cstdint>")
    w("#include <map>")
    w("#include <optional>")
    w("#include <string>")
    w("#include <string_view>")
    w("#include <vector>")
    w("")
    w('#include "ovsdb/datum.h"')
    w('#include "ovsdb/replica.h"')
    w('#include "ovsdb/transaction.h"')
    w('#include "util/uuid.h"')
    w("")
    w("namespace dvs::ovsdb::%s {" % namespace)
    w("")
    w('inline constexpr std::string_view kSchemaName = "%s";' % schema["name"])
    w('inline constexpr std::string_view kSchemaVersion = "%s";' % schema.get("version", ""))
    for table_name in sorted(schema["tables"]):
        table = schema["tables"][table_name]
        cls = pascal(table_name)
        columns = [Column(n, c) for n, c in sorted(table["columns"].items())]
        w("")
        w("// Table %s%s." % (table_name, " (root)" if table.get("isRoot") else
                             " (not root: a row must be referenced or it is collected)"))
        w("struct %s" % cls)
        w("{")
        w('    static constexpr std::string_view kTable = "%s";' % table_name)
        w("    static constexpr bool kIsRoot = %s;" % ("true" if table.get("isRoot") else "false"))
        w("")
        w("    // Column names.")
        w("    struct Col")
        w("    {")
        for c in columns:
            w('        static constexpr std::string_view %s = "%s";' % (c.const, c.name))
        w("    };")
        w("")
        w("    // Every column, for monitor requests.")
        w("    static std::vector<std::string> allColumns()")
        w("    {")
        w("        return {%s};" % ", ".join('"%s"' % c.name for c in columns))
        w("    }")
        w("")
        w("    // A row of the replica. Getters throw Error(OperationInvalid) for a column that is")
        w("    // not replicated.")
        w("    class View")
        w("    {")
        w("    public:")
        w("        explicit View(const ovsdb::Row& row) : row_(&row) {}")
        w("        const util::Uuid& uuid() const { return row_->uuid(); }")
        w("        const ovsdb::Row& row() const { return *row_; }")
        for c in columns:
            w("        %s %s() const { return %s; }"
              % (c.cpp_type(READ_ATOM), c.ident, c.decode("row_->at(Col::%s)" % c.const)))
        w("")
        w("    private:")
        w("        const ovsdb::Row* row_;")
        w("    };")
        w("")
        w("    // Column values for Transaction::insert() and Transaction::update().")
        w("    class Values")
        w("    {")
        w("    public:")
        w("        static constexpr std::string_view kTable = %s::kTable;" % cls)
        for c in columns:
            setter = "set" + pascal(c.name)
            w("        Values& %s(const %s& value)" % (setter, c.cpp_type(WRITE_ATOM)))
            w("        {")
            w("            json_[std::string(Col::%s)] = %s;" % (c.const, c.encode("value")))
            w("            return *this;")
            w("        }")
        w("        const Json& json() const { return json_; }")
        w("")
        w("    private:")
        w("        Json json_ = Json::object();")
        w("    };")
        for c in columns:
            p = pascal(c.name)
            if c.kind in ("set", "optional"):
                t = "std::vector<%s>" % WRITE_ATOM[c.key]
                w("")
                w("    static Mutation insert%s(const %s& values)" % (p, t))
                w("    {")
                w('        return Mutation{kTable, std::string(Col::%s), "insert", '
                  "datum::encodeSet(values)};" % c.const)
                w("    }")
                w("    static Mutation delete%s(const %s& values)" % (p, t))
                w("    {")
                w('        return Mutation{kTable, std::string(Col::%s), "delete", '
                  "datum::encodeSet(values)};" % c.const)
                w("    }")
            elif c.kind == "map":
                t = "std::map<%s, %s>" % (WRITE_ATOM[c.key], WRITE_ATOM[c.value])
                kt = "std::vector<%s>" % WRITE_ATOM[c.key]
                w("")
                w("    // Adds pairs whose keys are absent (a present key keeps its value).")
                w("    static Mutation insert%s(const %s& pairs)" % (p, t))
                w("    {")
                w('        return Mutation{kTable, std::string(Col::%s), "insert", '
                  "datum::encodeMap(pairs)};" % c.const)
                w("    }")
                w("    // Removes the keys, whatever their values.")
                w("    static Mutation delete%sKeys(const %s& keys)" % (p, kt))
                w("    {")
                w('        return Mutation{kTable, std::string(Col::%s), "delete", '
                  "datum::encodeSet(keys)};" % c.const)
                w("    }")
            elif c.kind == "scalar" and c.key in ("integer", "real"):
                w("")
                w("    static Mutation add%s(%s delta)" % (p, READ_ATOM[c.key]))
                w("    {")
                w('        return Mutation{kTable, std::string(Col::%s), "+=", datum::encode(delta)};'
                  % c.const)
                w("    }")
        w("")
        w("    static std::vector<View> all(const Replica& replica)")
        w("    {")
        w("        std::vector<View> rows;")
        w("        for (const auto& [uuid, row] : replica.rows(kTable)) {")
        w("            rows.emplace_back(row);")
        w("        }")
        w("        return rows;")
        w("    }")
        w("    static std::optional<View> get(const Replica& replica, const util::Uuid& uuid)")
        w("    {")
        w("        const ovsdb::Row* row = replica.find(kTable, uuid);")
        w("        return row != nullptr ? std::optional<View>(View(*row)) : std::nullopt;")
        w("    }")
        by_name = {c.name: c for c in columns}
        for index in table.get("indexes", []):
            if len(index) != 1 or index[0] not in by_name:
                continue
            c = by_name[index[0]]
            if c.kind != "scalar":
                continue
            w("    // The row with this %s (a unique index), when replicated." % c.name)
            w("    static std::optional<View> findBy%s(const Replica& replica, const %s& value)"
              % (pascal(c.name), READ_ATOM[c.key]))
            w("    {")
            w("        for (const auto& [uuid, row] : replica.rows(kTable)) {")
            w("            const Json* v = row.find(Col::%s);" % c.const)
            w("            if (v != nullptr && %s == value) {" % c.decode("*v"))
            w("                return View(row);")
            w("            }")
            w("        }")
            w("        return std::nullopt;")
            w("    }")
        w("};")
    w("")
    w("} // namespace dvs::ovsdb::%s" % namespace)
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--namespace", required=True,
                        help="C++ namespace under dvs::ovsdb for the generated code")
    parser.add_argument("schema", help=".ovsschema file")
    parser.add_argument("output", help="header to write")
    args = parser.parse_args()
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", args.namespace):
        sys.exit("generate_accessors: invalid namespace '%s'" % args.namespace)
    try:
        with open(args.schema, encoding="utf-8") as f:
            schema = json.load(f)
        text = generate(schema, args.namespace, args.schema.rsplit("/", 1)[-1])
    except (OSError, ValueError, KeyError, SchemaError) as e:
        sys.exit("generate_accessors: %s: %s" % (args.schema, e))
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
