// SPDX-License-Identifier: LGPL-2.1-or-later
#include <catch2/catch.hpp>

#include "ovsdb/json_stream.h"
#include "util/error.h"

using dvs::ovsdb::Json;
using dvs::ovsdb::JsonStream;

TEST_CASE("concatenated JSON texts are split whatever the cut", "[json_stream]")
{
    const std::string stream = R"({"id":1,"result":["a}b","c\"]{","d\\","e\\\""]}  [1,{"x":[]}])"
                               "\n"
                               R"({"method":"echo","params":[],"id":"echo"})";
    // Feed the stream cut at every possible position: the texts must come out the same.
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        JsonStream js(1 << 20);
        std::vector<Json> texts;
        js.feed(std::string_view(stream).substr(0, cut));
        while (auto t = js.next()) {
            texts.push_back(*t);
        }
        js.feed(std::string_view(stream).substr(cut));
        while (auto t = js.next()) {
            texts.push_back(*t);
        }
        REQUIRE(texts.size() == 3);
        CHECK(texts[0]["result"][0] == "a}b");
        CHECK(texts[0]["result"][1] == "c\"]{");
        CHECK(texts[0]["result"][2] == "d\\");
        CHECK(texts[0]["result"][3] == "e\\\"");
        CHECK(texts[1][1]["x"].is_array());
        CHECK(texts[2]["method"] == "echo");
        CHECK(js.pending() == 0);
    }
}

TEST_CASE("an incomplete text waits for more bytes", "[json_stream]")
{
    JsonStream js(1 << 20);
    js.feed(R"({"id":1,"result":)");
    CHECK_FALSE(js.next().has_value());
    CHECK(js.pending() > 0);
    js.feed("[]}");
    auto text = js.next();
    REQUIRE(text.has_value());
    CHECK((*text)["id"] == 1);
}

TEST_CASE("garbage between texts is an RPC error", "[json_stream]")
{
    JsonStream js(1 << 20);
    js.feed("{}x{}");
    CHECK(js.next().has_value());
    try {
        js.next();
        FAIL("garbage was accepted");
    } catch (const dvs::Error& e) {
        CHECK(e.code() == dvs::ErrorCode::Rpc);
    }
    // The stream stays broken until reset.
    CHECK_THROWS_AS(js.next(), dvs::Error);
    js.reset();
    js.feed("{}");
    CHECK(js.next().has_value());
}

TEST_CASE("invalid JSON inside balanced brackets is an RPC error", "[json_stream]")
{
    JsonStream js(1 << 20);
    js.feed(R"({"a":tru})");
    CHECK_THROWS_AS(js.next(), dvs::Error);
}

TEST_CASE("a text over the size limit is refused before it ends", "[json_stream]")
{
    JsonStream js(64);
    js.feed(R"({"result":")" + std::string(100, 'x'));
    try {
        js.next();
        FAIL("an oversized text was accepted");
    } catch (const dvs::Error& e) {
        CHECK(e.code() == dvs::ErrorCode::Rpc);
        CHECK(e.message().find("64") != std::string::npos);
    }
}
