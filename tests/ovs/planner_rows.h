// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

// Replica rows for the unit tests of the planner's parts, made in-process: a small schema with a
// column of each kind the planner reads, and one row of it as ovsdb-server would send it.
#include <string>

#include <fmt/format.h>

#include "ovsdb/replica.h"

namespace dvs::test {

inline constexpr const char* kRowUuid = "11111111-1111-4111-8111-111111111111";

// A table T with a column of every kind: string, optional integer and string, a set of integers,
// a string-to-string map, an optional uuid, a set of uuids, and an integer-to-uuid map.
inline constexpr const char* kRowSchema = R"({"name":"T","version":"1.0.0","tables":{
  "T":{"columns":{
    "name":{"type":"string"},
    "count":{"type":"integer"},
    "tag":{"type":{"key":"integer","min":0,"max":1}},
    "mode":{"type":{"key":"string","min":0,"max":1}},
    "trunks":{"type":{"key":"integer","min":0,"max":"unlimited"}},
    "ids":{"type":{"key":"string","value":"string","min":0,"max":"unlimited"}},
    "qos":{"type":{"key":{"type":"uuid"},"min":0,"max":1}},
    "ifaces":{"type":{"key":{"type":"uuid"},"min":0,"max":"unlimited"}},
    "queues":{"type":{"key":"integer","value":{"type":"uuid"},"min":0,"max":"unlimited"}}},
   "isRoot":true}}})";

// A replica holding one row of T (kRowUuid) with the columns of row, an update2 "insert" body.
struct OneRow
{
    ovsdb::Replica replica;

    explicit OneRow(const std::string& row)
    {
        replica.setSchema(
            ovsdb::Schema::parse(ovsdb::Json::parse(kRowSchema)),
            {{"T", {"name", "count", "tag", "mode", "trunks", "ids", "qos", "ifaces", "queues"}}});
        replica.applyUpdates(
            ovsdb::UpdateFormat::Update2,
            ovsdb::Json::parse(fmt::format(R"({{"T":{{"{}":{{"insert":{}}}}}}})", kRowUuid, row)));
    }

    const ovsdb::Row& row() const { return *replica.find("T", *util::Uuid::parse(kRowUuid)); }
};

} // namespace dvs::test
