// SPDX-License-Identifier: LGPL-2.1-or-later
// The accessors generated from vswitch.ovsschema at build time write and read the wire forms.
#include <catch2/catch.hpp>

#include "ovsdb/server_db.h"
#include "ovsdb/vswitch.h"
#include "util/error.h"

using namespace dvs::ovsdb;
namespace vs = dvs::ovsdb::vswitch;

TEST_CASE("generated Values encode each column kind", "[generated]")
{
    auto uuid = *dvs::util::Uuid::parse("0f3c4e7a-1b2c-4d5e-8f90-a1b2c3d4e5f6");
    Json row = vs::Port::Values()
                   .setName("vnet0")
                   .setTag(10)
                   .setTrunks({10, 20})
                   .setInterfaces({Ref(uuid), Ref::named("row1")})
                   .setExternalIds({{"vm-id", "x"}})
                   .json();
    CHECK(row["name"] == "vnet0");
    CHECK(row["tag"] == 10);
    CHECK(row["trunks"] == Json::parse(R"(["set",[10,20]])"));
    CHECK(row["interfaces"] ==
          Json::parse(R"(["set",[["uuid","0f3c4e7a-1b2c-4d5e-8f90-a1b2c3d4e5f6"],)"
                      R"(["named-uuid","row1"]]])"));
    CHECK(row["external_ids"] == Json::parse(R"(["map",[["vm-id","x"]]])"));
    // An optional column cleared is the empty set.
    CHECK(vs::Port::Values().setTag(std::nullopt).json()["tag"] == Json::parse(R"(["set",[]])"));
}

TEST_CASE("generated mutations name the table, column and mutator", "[generated]")
{
    Mutation m = vs::Interface::deleteExternalIdsKeys({"iface-id"});
    CHECK(m.table == "Interface");
    CHECK(m.column == "external_ids");
    CHECK(m.mutator == "delete");
    CHECK(m.value == Json::parse(R"(["set",["iface-id"]])"));
    Mutation add = vs::OpenVSwitch::addNextCfg(1);
    CHECK(add.mutator == "+=");
    CHECK(add.value == 1);
}

TEST_CASE("generated views read replica rows", "[generated]")
{
    Replica replica;
    Json schema = Json::parse(R"({"name":"_Server","version":"1.2.0","tables":{"Database":{
        "columns":{"name":{"type":"string"},"model":{"type":"string"},
                   "connected":{"type":"boolean"},"leader":{"type":"boolean"}}}}})");
    replica.setSchema(Schema::parse(schema), {{"Database", server::Database::allColumns()}});
    replica.applySnapshot(UpdateFormat::Update2, Json::parse(R"({"Database":{
        "11111111-1111-4111-8111-111111111111":{"initial":{"name":"Open_vSwitch",
            "model":"clustered","connected":true}}}})"));
    auto rows = server::Database::all(replica);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].name() == "Open_vSwitch");
    CHECK(rows[0].connected());
    // Left out of the insert: the column's default.
    CHECK_FALSE(rows[0].leader());
    // Not replicated (this schema has no such column): a clear error.
    CHECK_THROWS_AS(rows[0].sid(), dvs::Error);
}
