// SPDX-License-Identifier: LGPL-2.1-or-later
// ovs::FlatMap, the planner's per-pass hash table: every key inserted is found again with its
// value through growth, and keys never inserted are not found, even when their hashes collide.
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "ovs/flat_map.h"

using namespace dvs;

namespace {

// Every key lands in the same bucket: probing alone tells them apart.
struct CollidingHash
{
    std::size_t operator()(int) const noexcept { return 7; }
};

util::Uuid nthUuid(unsigned n)
{
    std::array<std::uint8_t, 16> bytes{};
    bytes[15] = static_cast<std::uint8_t>(n);
    bytes[14] = static_cast<std::uint8_t>(n >> 8);
    return util::Uuid(bytes);
}

} // namespace

TEST_CASE("a flat map finds what was inserted and nothing else", "[flat_map]")
{
    ovs::FlatMap<int, std::string> map;
    CHECK(map.find(1) == nullptr); // no slots yet
    CHECK(map.empty());
    map[1] = "one";
    map[2] = "two";
    REQUIRE(map.find(1) != nullptr);
    CHECK(*map.find(1) == "one");
    CHECK(*map.find(2) == "two");
    CHECK(map.find(3) == nullptr);
    CHECK(map.size() == 2);

    // operator[] of a present key returns its value; of a new one, a value-initialised one.
    map[1] += "!";
    CHECK(*map.find(1) == "one!");
    CHECK(map[4].empty());
    CHECK(map.size() == 3);
}

TEST_CASE("a flat map keeps every entry across its growth", "[flat_map]")
{
    ovs::FlatMap<util::Uuid, unsigned, ovs::UuidHash> map;
    constexpr unsigned kCount = 5000; // many rehashes from 16 slots
    for (unsigned i = 0; i < kCount; ++i) {
        map[nthUuid(i)] = i;
    }
    CHECK(map.size() == kCount);
    for (unsigned i = 0; i < kCount; ++i) {
        const unsigned* value = map.find(nthUuid(i));
        REQUIRE(value != nullptr);
        CHECK(*value == i);
    }
    CHECK(map.find(nthUuid(kCount)) == nullptr);
}

TEST_CASE("reserve makes room without losing entries", "[flat_map]")
{
    ovs::FlatMap<std::string_view, int> map;
    map["a"] = 1;
    map.reserve(1000);
    map.reserve(10); // smaller: nothing to do
    map["b"] = 2;
    CHECK(*map.find("a") == 1);
    CHECK(*map.find("b") == 2);
    CHECK(map.find("c") == nullptr);
}

TEST_CASE("colliding keys are told apart by probing", "[flat_map]")
{
    ovs::FlatMap<int, int, CollidingHash> map;
    for (int i = 0; i < 100; ++i) {
        map[i] = -i;
    }
    for (int i = 0; i < 100; ++i) {
        REQUIRE(map.find(i) != nullptr);
        CHECK(*map.find(i) == -i);
    }
    CHECK(map.find(100) == nullptr);
}

TEST_CASE("the uuid hash uses both halves of a uuid", "[flat_map]")
{
    std::array<std::uint8_t, 16> low{};
    std::array<std::uint8_t, 16> high{};
    low[15] = 1;
    high[0] = 1;
    ovs::UuidHash hash;
    CHECK(hash(util::Uuid(low)) != hash(util::Uuid()));
    CHECK(hash(util::Uuid(high)) != hash(util::Uuid()));
    CHECK(hash(util::Uuid(low)) != hash(util::Uuid(high)));
}
