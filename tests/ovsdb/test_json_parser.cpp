// SPDX-License-Identifier: LGPL-2.1-or-later
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "ovsdb/json_parser.h"
#include "util/error.h"

using dvs::ovsdb::Json;
using dvs::ovsdb::kMaxJsonDepth;
using dvs::ovsdb::parseJson;

namespace {

// Whether two trees are the same node for node: same types (signed and unsigned integers
// differ), same strings byte for byte, same doubles bit for bit (so 0.0 and -0.0 differ), same
// keys in the same order.
bool sameTree(const Json& a, const Json& b)
{
    if (a.type() != b.type()) {
        return false;
    }
    switch (a.type()) {
    case Json::value_t::number_float: {
        double x = a.get<double>();
        double y = b.get<double>();
        return std::memcmp(&x, &y, sizeof x) == 0;
    }
    case Json::value_t::array:
        if (a.size() != b.size()) {
            return false;
        }
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (!sameTree(a[i], b[i])) {
                return false;
            }
        }
        return true;
    case Json::value_t::object: {
        if (a.size() != b.size()) {
            return false;
        }
        for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j) {
            if (i.key() != j.key() || !sameTree(i.value(), j.value())) {
                return false;
            }
        }
        return true;
    }
    default:
        return a == b;
    }
}

void checkSameAsNlohmann(const std::string& text)
{
    INFO("text: " << text);
    Json ours = parseJson(text);
    Json theirs = Json::parse(text);
    CHECK(sameTree(ours, theirs));
    CHECK(ours == theirs);
}

// The message of the Error parseJson throws, or "" when it accepts the text.
std::string errorOf(const std::string& text)
{
    try {
        parseJson(text);
    } catch (const dvs::Error& e) {
        CHECK(e.code() == dvs::ErrorCode::Rpc);
        return e.message();
    }
    return "";
}

// A random JSON value made of everything the grammar has.
class Generator
{
public:
    explicit Generator(std::uint32_t seed) : random_(seed) {}

    Json value(int depth)
    {
        int kind = pick(depth < 5 ? 9 : 7);
        switch (kind) {
        case 0:
            return nullptr;
        case 1:
            return pick(2) == 0;
        case 2:
            return static_cast<std::int64_t>(random_());
        case 3:
            return pick(2) == 0 ? Json(std::numeric_limits<std::int64_t>::min() + pick(3))
                                : Json(std::numeric_limits<std::uint64_t>::max() - pick(3));
        case 4: {
            // Any finite double, from its bits.
            for (;;) {
                std::uint64_t bits = random_();
                double d;
                std::memcpy(&d, &bits, sizeof d);
                if (std::isfinite(d)) {
                    return d;
                }
            }
        }
        case 5:
            return std::uniform_real_distribution<double>(-1e6, 1e6)(random_);
        case 6:
            return string();
        case 7: {
            Json array = Json::array();
            for (int n = pick(6); n > 0; --n) {
                array.push_back(value(depth + 1));
            }
            return array;
        }
        default: {
            Json object = Json::object();
            for (int n = pick(6); n > 0; --n) {
                object[string()] = value(depth + 1);
            }
            return object;
        }
        }
    }

    // A string of ASCII, control characters, and code points of every UTF-8 length.
    std::string string()
    {
        std::string out;
        for (int n = pick(12); n > 0; --n) {
            std::uint32_t cp;
            switch (pick(5)) {
            case 0:
                cp = pick(0x20);
                break;
            case 1:
            case 2:
                cp = 0x20 + pick(0x60);
                break;
            case 3:
                cp = 0x80 + pick(0xD800 - 0x80);
                break;
            default:
                cp = 0xE000 + pick(0x110000 - 0xE000);
                break;
            }
            dvs::ovsdb::appendUtf8(out, cp);
        }
        return out;
    }

private:
    int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random_); }

    std::mt19937_64 random_;
};

} // namespace

TEST_CASE("hand-written documents parse as nlohmann parses them", "[json_parser]")
{
    const std::vector<std::string> texts{
        "{}",
        "[]",
        "null",
        "true",
        "false",
        "0",
        "-0",
        "7",
        "-7",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "123456789012345678901234567890",
        "0.5",
        "-0.0",
        "1e5",
        "1E+5",
        "1e-5",
        "-2.5e-3",
        "0.1",
        "1.7976931348623157e308",
        "4.9e-324",
        "2.4e-324",
        "-1e-400",
        "1e-400",
        "0.00000000000000000000000000000000000000000000000000000000001e-300",
        "123456789.123456789e-20",
        R"("")",
        R"("plain ascii")",
        R"("a longer string that crosses several eight byte words with no escape in it")",
        R"("\"\\\/\b\f\n\r\t")",
        R"("\u0000\u001f\u0041\u00e9\u20AC\uffff")",
        R"("\ud83d\ude00 and \uD834\uDD1E")",
        "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xee\x80\x80\"",
        R"(["uuid","33006540-f932-423c-99a7-d4fcd6423650"])",
        R"({"b":1,"a":[1,2,{"c":null}],"":{"":[]}})",
        R"({"a":1,"a":2})",
        R"({"a":{"x":1},"b":0,"a":[true]})",
        " \t\r\n[ 1 , 2 ,\n\t{ \"k\" : \"v\" } ] \n",
        R"([[[[[[[[[[]]]]]]]]]])",
    };
    for (const auto& text : texts) {
        checkSameAsNlohmann(text);
    }
}

TEST_CASE("integers are unsigned unless negative, doubles beyond 64 bits", "[json_parser]")
{
    // As nlohmann types them: the schema parser relies on is_number_unsigned().
    CHECK(parseJson("5").type() == Json::value_t::number_unsigned);
    CHECK(parseJson("0").type() == Json::value_t::number_unsigned);
    CHECK(parseJson("-0").type() == Json::value_t::number_integer);
    CHECK(parseJson("-5").type() == Json::value_t::number_integer);
    CHECK(parseJson("-5").get<std::int64_t>() == -5);
    Json big = parseJson("18446744073709551615");
    CHECK(big.type() == Json::value_t::number_unsigned);
    CHECK(big.get<std::uint64_t>() == 18446744073709551615u);
    CHECK(parseJson("-9223372036854775808").get<std::int64_t>() ==
          std::numeric_limits<std::int64_t>::min());
    CHECK(parseJson("18446744073709551616").type() == Json::value_t::number_float);
    CHECK(parseJson("-9223372036854775809").type() == Json::value_t::number_float);
    CHECK(parseJson("1.0").type() == Json::value_t::number_float);
    CHECK(std::signbit(parseJson("-1e-400").get<double>()));
}

TEST_CASE("a repeated key keeps its last value", "[json_parser]")
{
    Json object = parseJson(R"({"a":{"x":1},"b":2,"a":"last"})");
    CHECK(object.size() == 2);
    CHECK(object["a"] == "last");
    CHECK(object["b"] == 2);
}

TEST_CASE("random documents round-trip as nlohmann parses them", "[json_parser]")
{
    Generator generator(20240611);
    for (int i = 0; i < 3000; ++i) {
        Json document = generator.value(0);
        // Compact, indented, and with every non-ASCII character escaped (surrogate pairs).
        std::string text;
        switch (i % 3) {
        case 0:
            text = document.dump();
            break;
        case 1:
            text = document.dump(2);
            break;
        default:
            text = document.dump(-1, ' ', true);
            break;
        }
        INFO("document " << i << ": " << text);
        Json ours = parseJson(text);
        REQUIRE(sameTree(ours, Json::parse(text)));
        REQUIRE(ours == document);
    }
}

TEST_CASE("nesting is bounded", "[json_parser]")
{
    std::string deepest = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
    CHECK(parseJson(deepest).is_array());
    std::string objects;
    for (std::size_t i = 0; i < kMaxJsonDepth; ++i) {
        objects += R"({"a":)";
    }
    objects += "1" + std::string(kMaxJsonDepth, '}');
    CHECK(parseJson(objects).is_object());

    std::string tooDeep = std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']');
    CHECK_THAT(errorOf(tooDeep),
               Catch::Contains("nest deeper than 512") && Catch::Contains("byte 512"));
    // Far deeper than any stack would hold if the parser recursed without a bound.
    CHECK_THAT(errorOf(std::string(1000000, '[')), Catch::Contains("nest deeper"));
    CHECK_THAT(errorOf(std::string(1000000, '{')), Catch::Contains("a string key"));
    std::string deepObjects;
    for (int i = 0; i < 100000; ++i) {
        deepObjects += R"({"a":[)";
    }
    CHECK_THAT(errorOf(deepObjects), Catch::Contains("nest deeper"));
}

TEST_CASE("invalid documents are RPC errors naming where and what", "[json_parser]")
{
    struct Case
    {
        std::string text;
        std::string message;
    };
    const std::vector<Case> cases{
        // Truncated.
        {"", "byte 0: expected a value, found the end of the text"},
        {"   ", "byte 3: expected a value, found the end of the text"},
        {"[1,2", "byte 4: expected ',' or ']' after an array element, found the end of the text"},
        {"[1,", "byte 3: expected a value, found the end of the text"},
        {R"({"a")", "byte 4: expected ':' after an object key, found the end of the text"},
        {R"({"a":)", "byte 5: expected a value, found the end of the text"},
        {R"({"a":1)", "byte 6: expected ',' or '}' after an object member"},
        {R"(["abc)", "byte 5: expected '\"' to end the string, found the end of the text"},
        {R"(["a\)", "byte 4: expected an escape character"},
        {"tru", "byte 0: expected a value, found 't'"},
        // Structure.
        {"[1,]", "byte 3: expected a value, found ']'"},
        {"[1 2]", "byte 3: expected ',' or ']' after an array element, found '2'"},
        {"{,}", "byte 1: expected a string key or '}', found ','"},
        {R"({"a":1,})", "byte 7: expected a string key, found '}'"},
        {"{1:2}", "byte 1: expected a string key or '}', found '1'"},
        {"[nul]", "byte 1: expected a value, found 'n'"},
        {"'a'", "byte 0: expected a value, found '''"},
        // Trailing garbage.
        {"{} {}", "byte 3: expected the end of the text after the value, found '{'"},
        {"[1]x", "byte 3: expected the end of the text after the value, found 'x'"},
        {"truex", "byte 4: expected the end of the text after the value, found 'x'"},
        {"[1]\x01", "byte 3: expected the end of the text after the value, found byte 0x01"},
        // Escapes.
        {R"(["\x"])", "byte 3: expected an escape character"},
        {R"(["\u12"])", "byte 6: expected four hex digits after '\\u', found '\"'"},
        {R"(["\u12g4"])", "byte 6: expected four hex digits after '\\u', found 'g'"},
        // Surrogates.
        {R"(["\ud800"])", "byte 8: the high surrogate \\uD800 is not followed by a low surrogate"},
        {R"(["\ud800x"])", "byte 8: the high surrogate \\uD800 is not followed"},
        {R"(["\ud800\u0041"])", "byte 8: the high surrogate \\uD800 is followed by \\u0041"},
        {R"(["\ud800\ud800"])", "is followed by \\uD800, not by a low surrogate"},
        {R"(["\udc00"])", "byte 2: the low surrogate \\uDC00 does not follow a high surrogate"},
        // Raw control characters.
        {"[\"a\nb\"]", "byte 3: control character 0x0a in a string is not escaped"},
        {std::string("[\"a\0b\"]", 6), "byte 3: control character 0x00 in a string"},
        {"[\"\x1f\"]", "byte 2: control character 0x1f"},
        // Invalid UTF-8.
        {"[\"\x80\"]", "byte 2: byte 0x80 in a string is not UTF-8"},
        {"[\"\xc0\xaf\"]", "byte 2: byte 0xc0 in a string is not UTF-8"},
        {"[\"\xc3\"]", "byte 2: the UTF-8 sequence starting with byte 0xc3 in a string is invalid"},
        {"[\"\xe0\x80\xaf\"]", "byte 2: the UTF-8 sequence starting with byte 0xe0"},
        {"[\"\xed\xa0\x80\"]", "byte 2: the UTF-8 sequence starting with byte 0xed"},
        {"[\"\xf4\x90\x80\x80\"]", "byte 2: the UTF-8 sequence starting with byte 0xf4"},
        {"[\"\xf5\x80\x80\x80\"]", "byte 2: byte 0xf5 in a string is not UTF-8"},
        {"[\"\xff\"]", "byte 2: byte 0xff in a string is not UTF-8"},
        {"[\"\xe2\x82\"]", "byte 2: the UTF-8 sequence starting with byte 0xe2"},
        {"\"\xf0\x9f\x98", "byte 1: the UTF-8 sequence starting with byte 0xf0"},
        // Numbers.
        {"-", "byte 1: expected a digit after '-', found the end of the text"},
        {"[-a]", "byte 2: expected a digit after '-', found 'a'"},
        {"[01]", "byte 2: expected ',' or ']' after an array element, found '1'"},
        {"[1.]", "byte 3: expected a digit after the decimal point, found ']'"},
        {"[.5]", "byte 1: expected a value, found '.'"},
        {"[1e]", "byte 3: expected a digit in the exponent, found ']'"},
        {"[1e+]", "byte 4: expected a digit in the exponent, found ']'"},
        {"[+1]", "byte 1: expected a value, found '+'"},
        {"[1e400]", "byte 1: the number 1e400 is out of range"},
        {"[-1.5e99999999999999999999]", "byte 1: the number -1.5e99999999999999999999 is out"},
        {"[NaN]", "byte 1: expected a value, found 'N'"},
    };
    for (const auto& c : cases) {
        INFO("text: " << c.text);
        std::string message = errorOf(c.text);
        CHECK_THAT(message, Catch::StartsWith("JSON syntax error at ") &&
                                Catch::Contains(c.message, Catch::CaseSensitive::Yes));
        // nlohmann refuses them all too.
        CHECK_THROWS(Json::parse(c.text));
    }
}

TEST_CASE("stricter than nlohmann where RFC 8259 is", "[json_parser]")
{
    // nlohmann stops reading at a NUL byte and skips a leading byte order mark; both are bytes
    // outside the grammar of a JSON text.
    const std::string nul("[1]\0x", 5);
    CHECK(Json::parse(nul) == Json::array({1}));
    CHECK_THAT(errorOf(nul), Catch::Contains("byte 3: expected the end of the text after the "
                                             "value, found byte 0x00"));
    const std::string bom = "\xef\xbb\xbf[1]";
    CHECK(Json::parse(bom) == Json::array({1}));
    CHECK_THAT(errorOf(bom), Catch::Contains("byte 0: expected a value, found byte 0xef"));
}
