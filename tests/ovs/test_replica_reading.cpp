// SPDX-License-Identifier: LGPL-2.1-or-later
// Reading replica datums in place (ovs/replica_reading.h): each reader gives what the datum::
// decoders give for what the server sends, and throws where they throw.
#include <vector>

#include <catch2/catch.hpp>

#include "ovs/replica_reading.h"
#include "planner_rows.h"
#include "util/error.h"

using namespace dvs;
using ovsdb::Json;

namespace {

const char* const kA = "aaaaaaaa-0000-4000-8000-000000000001";
const char* const kB = "bbbbbbbb-0000-4000-8000-000000000002";

util::Uuid uuid(const char* text)
{
    return *util::Uuid::parse(text);
}

Json uuidAtom(const std::string& text)
{
    return Json::array({"uuid", text});
}

} // namespace

TEST_CASE("atoms of a set, of a bare atom, and of the empty set", "[replica_reading]")
{
    Json set = Json::parse(R"(["set",[1,2,3]])");
    ovs::Atoms atoms(set);
    CHECK(atoms.size() == 3);
    CHECK(std::vector<Json>(atoms.begin(), atoms.end()) == std::vector<Json>{1, 2, 3});

    Json bare = 7;
    CHECK(ovs::Atoms(bare).size() == 1);
    CHECK(*ovs::Atoms(bare).begin() == 7);

    Json one = uuidAtom(kA); // a uuid atom is one atom, not a pair
    CHECK(ovs::Atoms(one).size() == 1);

    CHECK(ovs::Atoms(Json::parse(R"(["set",[]])")).empty());
    CHECK_THROWS_AS(ovs::Atoms(Json::parse(R"(["map",[]])")), Error);
}

TEST_CASE("uuid atoms are read as decodeAtom reads them", "[replica_reading]")
{
    CHECK(ovs::uuidAtom(uuidAtom(kA)) == uuid(kA));
    // Upper case takes the fast path too; both read the same bytes.
    CHECK(ovs::uuidAtom(uuidAtom("AAAAAAAA-0000-4000-8000-000000000001")) == uuid(kA));
    // Anything the fast path does not take goes to decodeAtom, which refuses it.
    CHECK_THROWS_AS(ovs::uuidAtom(uuidAtom("aaaaaaaa+0000-4000-8000-000000000001")), Error);
    CHECK_THROWS_AS(ovs::uuidAtom(uuidAtom("zaaaaaaa-0000-4000-8000-000000000001")), Error);
    CHECK_THROWS_AS(ovs::uuidAtom(uuidAtom("short")), Error);
    CHECK_THROWS_AS(ovs::uuidAtom(Json("aaaaaaaa-0000-4000-8000-000000000001")), Error);
}

TEST_CASE("optional uuids, sets of uuids and integer-to-uuid maps", "[replica_reading]")
{
    CHECK(ovs::optionalUuid(Json::parse(R"(["set",[]])")) == std::nullopt);
    CHECK(ovs::optionalUuid(uuidAtom(kA)) == uuid(kA));

    std::vector<util::Uuid> seen;
    ovs::forEachUuid(Json::array({"set", Json::array({uuidAtom(kA), uuidAtom(kB)})}),
                     [&](const util::Uuid& u) { seen.push_back(u); });
    CHECK(seen == std::vector<util::Uuid>{uuid(kA), uuid(kB)});

    std::vector<std::pair<std::int64_t, util::Uuid>> queues;
    ovs::forEachQueue(Json::array({"map", Json::array({Json::array({0, uuidAtom(kA)}),
                                                       Json::array({1, uuidAtom(kB)})})}),
                      [&](std::int64_t key, const util::Uuid& u) { queues.emplace_back(key, u); });
    REQUIRE(queues.size() == 2);
    CHECK(queues[0] == std::make_pair(std::int64_t(0), uuid(kA)));
    CHECK(queues[1] == std::make_pair(std::int64_t(1), uuid(kB)));

    auto ignore = [](std::int64_t, const util::Uuid&) {};
    CHECK_THROWS_AS(ovs::forEachQueue(Json::parse(R"(["set",[]])"), ignore), Error);
    CHECK_THROWS_AS(ovs::forEachQueue(Json::parse(R"(["map",[[0]]])"), ignore), Error);
}

TEST_CASE("string datums are read in place", "[replica_reading]")
{
    test::OneRow r(R"({"name":"eth0"})");
    const std::string& name = ovs::stringColumn(r.row(), "name");
    CHECK(name == "eth0");
    CHECK(&name == r.row().at("name").get_ptr<const std::string*>()); // no copy
    CHECK(ovs::stringDatum(Json::parse(R"(["set",["x"]])")) == "x");
    CHECK_THROWS_AS(ovs::stringDatum(Json::parse(R"(["set",[]])")), Error);
    CHECK_THROWS_AS(ovs::stringDatum(Json(3)), Error);
    CHECK_THROWS_AS(ovs::stringColumn(r.row(), "absent"), Error);
}

TEST_CASE("a column cursor finds columns in order and out of order", "[replica_reading]")
{
    test::OneRow r(R"({"name":"p","count":3,"tag":10})");
    ovs::ColumnCursor columns(r.row());
    // In the row's (byte) order...
    CHECK(*columns.find("count") == 3);
    CHECK(columns["name"] == "p");
    CHECK(*columns.find("tag") == Json::parse(R"(["set",[10]])"));
    // ...and behind it.
    CHECK(columns["count"] == 3);
    CHECK(columns.find("nonexistent") == nullptr);
    CHECK_THROWS_AS(columns["nonexistent"], Error);
}

TEST_CASE("a string map finds the first pair of a key", "[replica_reading]")
{
    Json datum = Json::parse(R"(["map",[["a","1"],["b","2"],["a","3"],[4,"x"]]])");
    ovs::StringMap map(datum);
    REQUIRE(map.find("a") != nullptr);
    CHECK(*map.find("a") == "1");
    CHECK(ovs::valueOf(map, "b") == "2");
    CHECK(ovs::valueOf(map, "c").empty());
    CHECK(map.find("4") == nullptr); // not a pair of strings

    std::vector<std::string> keys;
    CHECK(map.all([&](const std::string& key, const std::string&) {
        keys.push_back(key);
        return true;
    }));
    CHECK(keys == std::vector<std::string>{"a", "b", "a"});
    CHECK_FALSE(map.all([](const std::string& key, const std::string&) { return key != "b"; }));

    // Anything that is not a map reads as an empty one.
    CHECK(ovs::StringMap(Json("x")).find("a") == nullptr);
    CHECK(ovs::StringMap(Json::parse(R"(["map",[]])")).all([](auto&, auto&) { return false; }));
}

TEST_CASE("sameText compares as string equality", "[replica_reading]")
{
    CHECK(ovs::sameText("", ""));
    CHECK(ovs::sameText("abc", "abc"));
    CHECK_FALSE(ovs::sameText("abc", "abd"));
    CHECK_FALSE(ovs::sameText("abc", "xbc"));
    CHECK_FALSE(ovs::sameText("axc", "ayc"));
    CHECK_FALSE(ovs::sameText("ab", "abc"));
}
