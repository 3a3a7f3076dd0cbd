// SPDX-License-Identifier: LGPL-2.1-or-later
#include <array>
#include <set>
#include <string_view>

#include <catch2/catch.hpp>

#include "util/enum_table.h"
#include "util/mac.h"
#include "util/uuid.h"

using dvs::util::MacAddr;
using dvs::util::Uuid;

TEST_CASE("uuid parsing follows virUUIDParse")
{
    auto u = Uuid::parse("81ff0d90-c91e-6742-64da-4a736edb9a9b");
    REQUIRE(u);
    CHECK(u->toString() == "81ff0d90-c91e-6742-64da-4a736edb9a9b");
    auto compact = Uuid::parse("  81FF0D90C91E674264DA4A736EDB9A9B ");
    REQUIRE(compact);
    CHECK(*compact == *u);
    CHECK_FALSE(Uuid::parse(""));
    CHECK_FALSE(Uuid::parse("81ff0d90-c91e-6742-64da-4a736edb9a9"));
    CHECK_FALSE(Uuid::parse("81ff0d90-c91e-6742-64da-4a736edb9a9bb"));
    CHECK_FALSE(Uuid::parse("g1ff0d90-c91e-6742-64da-4a736edb9a9b"));
}

TEST_CASE("generated uuids are version 4 and distinct")
{
    std::set<Uuid> seen;
    for (int i = 0; i < 100; ++i) {
        auto u = Uuid::generate();
        CHECK((u.bytes()[6] >> 4) == 4);
        CHECK((u.bytes()[8] & 0xC0) == 0x80);
        seen.insert(u);
    }
    CHECK(seen.size() == 100);
}

TEST_CASE("mac addresses parse and format in lower case")
{
    auto m = MacAddr::parse("52:54:00:AA:bb:0c");
    REQUIRE(m);
    CHECK(m->toString() == "52:54:00:aa:bb:0c");
    CHECK(MacAddr::parse("0:1:2:3:4:5")->toString() == "00:01:02:03:04:05");
    CHECK_FALSE(MacAddr::parse("52:54:00:aa:bb"));
    CHECK_FALSE(MacAddr::parse("52:54:00:aa:bb:cc:dd"));
    CHECK_FALSE(MacAddr::parse("52-54-00-aa-bb-cc"));
    CHECK_FALSE(MacAddr::parse("52:54:00:aa:bb:ccc"));
    CHECK(MacAddr::parse("01:00:5e:00:00:01")->isMulticast());
}

namespace {
enum class Colour
{
    Red,
    Green,
    Last
};
} // namespace

template <>
struct dvs::util::EnumNames<Colour>
{
    static constexpr std::array<std::string_view, 2> kNames{"red", "green"};
};

TEST_CASE("enum tables map both ways")
{
    STATIC_REQUIRE(dvs::util::toString(Colour::Green) == "green");
    CHECK(dvs::util::fromString<Colour>("red") == Colour::Red);
    CHECK_FALSE(dvs::util::fromString<Colour>("blue"));
}
