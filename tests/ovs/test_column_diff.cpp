// SPDX-License-Identifier: LGPL-2.1-or-later
// Comparing replica rows with wanted values (ovs/column_diff.h): a column is written only when
// its value differs as OVSDB compares datums, and a map column is mutated key by key so the keys
// others wrote survive.
#include <catch2/catch.hpp>

#include "ovs/column_diff.h"
#include "ovsdb/transaction.h"
#include "planner_rows.h"
#include "util/error.h"

using namespace dvs;
using ovsdb::Json;

namespace {

const ovsdb::ColumnType& typeOf(const test::OneRow& r, const char* column)
{
    return ovs::columnType(r.row(), column);
}

// The operations one ColumnDiff writes.
template <typename Fn>
Json diff(test::OneRow& r, Fn&& columns)
{
    ovsdb::Transaction txn(r.replica, "test");
    ovs::ColumnTypes types;
    ovs::ColumnDiff d(r.row(), types);
    columns(d);
    d.write(txn);
    return txn.operations();
}

// The column of the row, as the planner's index finds it.
ovs::Column col(const test::OneRow& r, const char* name)
{
    return {name, r.row().find(name)};
}

} // namespace

TEST_CASE("datums compare as OVSDB compares them", "[column_diff]")
{
    test::OneRow r(R"({"name":"p","tag":10,"trunks":["set",[1,2]]})");
    // A set of one is its bare atom; sets compare in any order.
    CHECK(ovs::sameDatum(typeOf(r, "tag"), r.row().at("tag"), Json(10)));
    CHECK_FALSE(ovs::sameDatum(typeOf(r, "tag"), r.row().at("tag"), Json(11)));
    CHECK(
        ovs::sameDatum(typeOf(r, "trunks"), r.row().at("trunks"), Json::parse(R"(["set",[2,1]])")));
    CHECK_FALSE(
        ovs::sameDatum(typeOf(r, "trunks"), r.row().at("trunks"), Json::parse(R"(["set",[1,3]])")));
    CHECK_FALSE(
        ovs::sameDatum(typeOf(r, "trunks"), r.row().at("trunks"), Json::parse(R"(["set",[1]])")));
    CHECK(ovs::sameDatum(typeOf(r, "name"), r.row().at("name"), Json("p")));
    CHECK_FALSE(
        ovs::sameDatum(typeOf(r, "name"), r.row().at("name"), Json::parse(R"(["set",["p"]])")));
    // Maps compare in canonical form.
    test::OneRow m(R"({"ids":["map",[["a","1"],["b","2"]]]})");
    CHECK(ovs::sameDatum(typeOf(m, "ids"), m.row().at("ids"),
                         Json::parse(R"(["map",[["b","2"],["a","1"]]])")));
}

TEST_CASE("changedColumns keeps only what differs", "[column_diff]")
{
    test::OneRow r(R"({"name":"p","count":3})");
    CHECK(ovs::changedColumns(r.row(), Json::parse(R"({"name":"p","count":3})")).empty());
    CHECK(ovs::changedColumns(r.row(), Json::parse(R"({"name":"p","count":4})")) ==
          Json::parse(R"({"count":4})"));
    CHECK_THROWS_AS(ovs::changedColumns(r.row(), Json::parse(R"({"nope":1})")), Error);
}

TEST_CASE("a column diff writes nothing for a row that matches", "[column_diff]")
{
    test::OneRow r(R"({"name":"p","count":3,"tag":10,"mode":"access","trunks":["set",[]]})");
    auto ops = diff(r, [&](ovs::ColumnDiff& d) {
        d.integer(col(r, "count"), 3)
            .optionalInteger(col(r, "tag"), 10)
            .integers(col(r, "trunks"), {})
            .string(col(r, "name"), "p")
            .optionalString(col(r, "mode"), std::string("access"));
    });
    CHECK(ops.empty());
}

TEST_CASE("a column diff writes one update with the columns that differ", "[column_diff]")
{
    test::OneRow r(R"({"name":"p","count":3,"tag":10,"mode":"access"})");
    auto ops = diff(r, [&](ovs::ColumnDiff& d) {
        d.integer(col(r, "count"), 3)
            .optionalInteger(col(r, "tag"), std::nullopt)
            .integers(col(r, "trunks"), {5, 6})
            .string(col(r, "name"), "q")
            .optionalString(col(r, "mode"), std::nullopt);
    });
    REQUIRE(ops.size() == 1);
    CHECK(ops[0]["op"] == "update");
    CHECK(ops[0]["table"] == "T");
    CHECK(ops[0]["row"] == Json::parse(R"({"mode":["set",[]],"name":"q","tag":["set",[]],
                                           "trunks":["set",[5,6]]})"));
    // A column the index did not find is read from the row.
    auto again = diff(r, [&](ovs::ColumnDiff& d) { d.integer({"count", nullptr}, 4); });
    REQUIRE(again.size() == 1);
    CHECK(again[0]["row"] == Json::parse(R"({"count":4})"));
}

TEST_CASE("key values stay sorted, replace values and have a capacity", "[column_diff]")
{
    ovs::KeyValues kv{{"b", "2"}, {"a", "1"}};
    kv.set("c", "3").set("a", "one");
    REQUIRE(kv.size() == 3);
    CHECK(kv.begin()[0] == ovs::KeyValues::Pair{"a", "one"});
    CHECK(kv.begin()[1] == ovs::KeyValues::Pair{"b", "2"});
    CHECK(kv.contains("c"));
    CHECK_FALSE(kv.contains("d"));
    CHECK(kv.indexOf("d") == kv.size());
    CHECK(kv.strings() == std::map<std::string, std::string>{{"a", "one"}, {"b", "2"}, {"c", "3"}});

    ovs::KeyValues full;
    static const std::array<std::string, 9> kKeys{"k0", "k1", "k2", "k3", "k4",
                                                  "k5", "k6", "k7", "k8"};
    for (std::size_t i = 0; i < ovs::KeyValues::kCapacity; ++i) {
        full.set(kKeys[i], "v");
    }
    CHECK_THROWS_AS(full.set(kKeys[8], "v"), Error);
    CHECK_NOTHROW(full.set(kKeys[0], "w")); // replacing needs no room
}

TEST_CASE("holds: wanted keys with their values, dropped keys absent", "[column_diff]")
{
    Json datum = Json::parse(R"(["map",[["a","1"],["b","2"],["other","x"],["a","9"]]])");
    ovs::StringMap current(datum);
    CHECK(ovs::holds(current, {{"a", "1"}, {"b", "2"}}));
    CHECK(ovs::holds(current, {{"a", "1"}})); // the second "a" is not the one find() sees
    CHECK_FALSE(ovs::holds(current, {{"a", "9"}}));
    CHECK_FALSE(ovs::holds(current, {{"c", "3"}}));
    CHECK_FALSE(ovs::holds(current, {{"a", "1"}}, {"other"}));
    CHECK(ovs::holds(current, {{"a", "1"}}, {"gone"}));
    CHECK(ovs::holds(current, {{"other", "x"}}, {"other"})); // wanted wins over dropped
}

TEST_CASE("fixKeys mutates only the keys that differ", "[column_diff]")
{
    Json datum = Json::parse(R"(["map",[["a","1"],["b","2"],["theirs","x"],["stale","s"]]])");
    ovs::StringMap current(datum);
    std::vector<ovsdb::Mutation> out;
    ovs::fixKeys(out, "T", "ids", current, {{"a", "1"}, {"b", "2"}});
    CHECK(out.empty());

    ovs::fixKeys(out, "T", "ids", current, {{"a", "1"}, {"b", "3"}, {"c", "4"}}, {"stale"});
    REQUIRE(out.size() == 2);
    CHECK(out[0].column == "ids");
    CHECK(out[0].mutator == "delete");
    CHECK(out[0].value == Json::parse(R"(["set",["b","stale"]])"));
    CHECK(out[1].mutator == "insert");
    CHECK(out[1].value == Json::parse(R"(["map",[["b","3"],["c","4"]]])"));
}
