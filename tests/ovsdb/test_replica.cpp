// SPDX-License-Identifier: LGPL-2.1-or-later
#include <catch2/catch.hpp>

#include "ovsdb/replica.h"
#include "util/error.h"

using namespace dvs::ovsdb;

namespace {

const char* const kSchema = R"({"name":"T","version":"1.0.0","tables":{
  "Port":{"columns":{"name":{"type":"string"},
                     "tag":{"type":{"key":"integer","min":0,"max":1}},
                     "ids":{"type":{"key":"string","value":"string","min":0,"max":"unlimited"}}},
          "isRoot":true}}})";
const char* const kU1 = "11111111-1111-4111-8111-111111111111";
const char* const kU2 = "22222222-2222-4222-8222-222222222222";

dvs::util::Uuid uuid(const char* text)
{
    return *dvs::util::Uuid::parse(text);
}

struct Fixture
{
    Replica replica;
    std::vector<std::vector<RowChange>> batches;

    Fixture()
    {
        replica.setSchema(Schema::parse(Json::parse(kSchema)), {{"Port", {"name", "tag", "ids"}}});
        replica.addListener(
            [this](const std::vector<RowChange>& batch) { batches.push_back(batch); });
    }
};

} // namespace

TEST_CASE("update2 insert, modify and delete reach rows, seqno and listeners", "[replica]")
{
    Fixture f;
    auto seq0 = f.replica.seqno();
    // Default values are left out of inserts; the replica fills them in.
    f.replica.applyUpdates(
        UpdateFormat::Update2,
        Json::parse(fmt::format(R"({{"Port":{{"{}":{{"insert":{{"name":"p1"}}}}}}}})", kU1)));
    CHECK(f.replica.seqno() == seq0 + 1);
    const Row* row = f.replica.find("Port", uuid(kU1));
    REQUIRE(row != nullptr);
    CHECK(row->at("name") == "p1");
    CHECK(row->at("tag") == Json::parse(R"(["set",[]])"));
    CHECK(row->at("ids") == Json::parse(R"(["map",[]])"));
    REQUIRE(f.batches.size() == 1);
    CHECK(f.batches[0][0].kind == ChangeKind::Insert);

    f.replica.applyUpdates(
        UpdateFormat::Update2,
        Json::parse(fmt::format(
            R"({{"Port":{{"{}":{{"modify":{{"tag":10,"ids":["map",[["k","v"]]]}}}}}}}})", kU1)));
    CHECK(f.replica.find("Port", uuid(kU1))->at("tag") == Json::parse(R"(["set",[10]])"));
    REQUIRE(f.batches.size() == 2);
    CHECK(f.batches[1][0].kind == ChangeKind::Modify);
    CHECK(f.batches[1][0].columns == std::set<std::string>{"ids", "tag"});
    REQUIRE(f.batches[1][0].old.has_value());
    CHECK(f.batches[1][0].old->at("tag") == Json::parse(R"(["set",[]])"));

    f.replica.applyUpdates(
        UpdateFormat::Update2,
        Json::parse(fmt::format(R"({{"Port":{{"{}":{{"delete":null}}}}}})", kU1)));
    CHECK(f.replica.find("Port", uuid(kU1)) == nullptr);
    REQUIRE(f.batches.size() == 3);
    CHECK(f.batches[2][0].kind == ChangeKind::Delete);
    CHECK(f.batches[2][0].old->at("name") == "p1");
    CHECK(f.replica.seqno() == seq0 + 3);

    // Insert then delete since the last look: nothing to report.
    CHECK(f.replica.trackedChanges().empty());
}

TEST_CASE("tracked changes merge until cleared", "[replica]")
{
    Fixture f;
    f.replica.applyUpdates(
        UpdateFormat::Update,
        Json::parse(fmt::format(
            R"({{"Port":{{"{}":{{"new":{{"name":"a"}}}},"{}":{{"new":{{"name":"b"}}}}}}}})", kU1,
            kU2)));
    f.replica.clearTrackedChanges();
    f.replica.applyUpdates(
        UpdateFormat::Update,
        Json::parse(fmt::format(
            R"({{"Port":{{"{}":{{"old":{{"name":"a"}},"new":{{"name":"a2"}}}}}}}})", kU1)));
    f.replica.applyUpdates(
        UpdateFormat::Update,
        Json::parse(fmt::format(R"({{"Port":{{"{}":{{"old":{{"name":"b"}}}}}}}})", kU2)));
    auto changes = f.replica.trackedChanges();
    REQUIRE(changes.size() == 2);
    for (const auto& c : changes) {
        if (c.uuid == uuid(kU1)) {
            CHECK(c.kind == ChangeKind::Modify);
            CHECK(c.columns == std::set<std::string>{"name"});
        } else {
            CHECK(c.kind == ChangeKind::Delete);
            CHECK(c.old->at("name") == "b");
        }
    }
    f.replica.clearTrackedChanges();
    CHECK(f.replica.trackedChanges().empty());
}

TEST_CASE("a snapshot is diffed against the replica", "[replica]")
{
    Fixture f;
    f.replica.applySnapshot(
        UpdateFormat::Update2,
        Json::parse(fmt::format(
            R"({{"Port":{{"{}":{{"initial":{{"name":"a"}}}},"{}":{{"initial":{{"name":"b"}}}}}}}})",
            kU1, kU2)));
    f.batches.clear();
    auto seq = f.replica.seqno();
    // Same rows again: no change at all.
    f.replica.applySnapshot(
        UpdateFormat::Update2,
        Json::parse(fmt::format(
            R"({{"Port":{{"{}":{{"initial":{{"name":"a"}}}},"{}":{{"initial":{{"name":"b"}}}}}}}})",
            kU1, kU2)));
    CHECK(f.replica.seqno() == seq);
    CHECK(f.batches.empty());
    // U2 gone and U1 renamed while we were away.
    f.replica.applySnapshot(
        UpdateFormat::Update2,
        Json::parse(fmt::format(R"({{"Port":{{"{}":{{"initial":{{"name":"a9"}}}}}}}})", kU1)));
    REQUIRE(f.batches.size() == 1);
    REQUIRE(f.batches[0].size() == 2);
    std::map<dvs::util::Uuid, ChangeKind> kinds;
    for (const auto& c : f.batches[0]) {
        kinds[c.uuid] = c.kind;
    }
    CHECK(kinds[uuid(kU1)] == ChangeKind::Modify);
    CHECK(kinds[uuid(kU2)] == ChangeKind::Delete);
}

TEST_CASE("a bad update leaves the replica unchanged", "[replica]")
{
    Fixture f;
    f.replica.applyUpdates(
        UpdateFormat::Update2,
        Json::parse(fmt::format(R"({{"Port":{{"{}":{{"insert":{{"name":"a"}}}}}}}})", kU1)));
    auto seq = f.replica.seqno();
    // The second row's tag has the wrong type; the first row's change must not be applied.
    CHECK_THROWS_AS(
        f.replica.applyUpdates(
            UpdateFormat::Update2,
            Json::parse(fmt::format(
                R"({{"Port":{{"{}":{{"modify":{{"name":"z"}}}},"{}":{{"insert":{{"tag":"x"}}}}}}}})",
                kU1, kU2))),
        dvs::Error);
    CHECK(f.replica.seqno() == seq);
    CHECK(f.replica.find("Port", uuid(kU1))->at("name") == "a");
    CHECK_THROWS_AS(f.replica.applyUpdates(UpdateFormat::Update2, Json::parse(R"({"Nope":{}})")),
                    dvs::Error);
    CHECK_THROWS_AS(f.replica.find("Port", uuid(kU1))->at("nope"), dvs::Error);
}
