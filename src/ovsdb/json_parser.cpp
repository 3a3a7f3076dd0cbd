// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ovsdb/json_parser.h"

#include <array>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "util/error.h"

namespace dvs::ovsdb {

namespace {

constexpr std::uint64_t kOnes = 0x0101010101010101;
constexpr std::uint64_t kHighs = 0x8080808080808080;

// The high bit of every byte of v that is zero. Bytes above the lowest flagged one may be
// flagged wrongly (a borrow), the lowest is exact.
constexpr std::uint64_t zeroBytes(std::uint64_t v)
{
    return (v - kOnes) & ~v & kHighs;
}

// The high bit of every byte of w that ends the fast path through a string: a quote, a
// backslash, a control character or a byte of a multibyte UTF-8 sequence. Only the lowest flag
// is exact.
constexpr std::uint64_t specialBytes(std::uint64_t w)
{
    return zeroBytes(w ^ (kOnes * '"')) | zeroBytes(w ^ (kOnes * '\\')) |
           ((w - kOnes * 0x20) & ~w & kHighs) | (w & kHighs);
}

constexpr std::array<bool, 256> kSpecial = [] {
    std::array<bool, 256> special{};
    for (std::size_t c = 0; c < special.size(); ++c) {
        special[c] = c < 0x20 || c >= 0x80 || c == '"' || c == '\\';
    }
    return special;
}();

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

bool isBlank(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

// A recursive descent parser that builds the nlohmann value in place: every string is located
// first and constructed once, every array is collected on a scratch stack and moved into a
// vector of its exact size, every object member is inserted once and parsed where it stands.
class Parser
{
public:
    explicit Parser(std::string_view text)
        : begin_(text.data()), p_(text.data()), end_(text.data() + text.size())
    {}

    Json parseText()
    {
        Json out;
        skipBlanks();
        parseValue(out, 0);
        skipBlanks();
        if (p_ != end_) {
            failExpected(p_, "the end of the text after the value");
        }
        return out;
    }

private:
    [[noreturn]] void fail(const char* at, std::string_view problem) const
    {
        raise(ErrorCode::Rpc, "JSON syntax error at byte {}: {}.", at - begin_, problem);
    }

    [[noreturn]] void failExpected(const char* at, std::string_view expected) const
    {
        std::string found;
        if (at == end_) {
            found = "the end of the text";
        } else if (auto c = static_cast<unsigned char>(*at); c >= 0x20 && c < 0x7f) {
            found = fmt::format("'{}'", static_cast<char>(c));
        } else {
            found = fmt::format("byte 0x{:02x}", c);
        }
        fail(at, fmt::format("expected {}, found {}", expected, found));
    }

    void skipBlanks()
    {
        while (p_ != end_ && isBlank(*p_)) {
            ++p_;
        }
    }

    void parseValue(Json& out, std::size_t depth)
    {
        if (p_ == end_) {
            failExpected(p_, "a value");
        }
        switch (*p_) {
        case '{':
            parseObject(out, depth + 1);
            return;
        case '[':
            parseArray(out, depth + 1);
            return;
        case '"':
            out = parseString();
            return;
        case 't':
            parseLiteral("true");
            out = true;
            return;
        case 'f':
            parseLiteral("false");
            out = false;
            return;
        case 'n':
            parseLiteral("null");
            out = nullptr;
            return;
        default:
            if (*p_ == '-' || isDigit(*p_)) {
                parseNumber(out);
                return;
            }
            failExpected(p_, "a value");
        }
    }

    void checkDepth(std::size_t depth) const
    {
        if (depth > kMaxJsonDepth) {
            fail(p_, fmt::format("arrays and objects nest deeper than {} levels", kMaxJsonDepth));
        }
    }

    void parseObject(Json& out, std::size_t depth)
    {
        checkDepth(depth);
        ++p_;
        out = Json::object();
        auto& members = out.get_ref<Json::object_t&>();
        skipBlanks();
        if (p_ != end_ && *p_ == '}') {
            ++p_;
            return;
        }
        for (;;) {
            if (p_ == end_ || *p_ != '"') {
                failExpected(p_, members.empty() ? "a string key or '}'" : "a string key");
            }
            std::string key = parseString();
            skipBlanks();
            if (p_ == end_ || *p_ != ':') {
                failExpected(p_, "':' after an object key");
            }
            ++p_;
            skipBlanks();
            // One lookup per member, none when the keys come in order; a repeated key gets the
            // last value.
            Json& value = members.try_emplace(members.end(), std::move(key))->second;
            if (!value.is_null()) {
                value = nullptr;
            }
            parseValue(value, depth);
            skipBlanks();
            if (p_ != end_ && *p_ == ',') {
                ++p_;
                skipBlanks();
                continue;
            }
            if (p_ != end_ && *p_ == '}') {
                ++p_;
                return;
            }
            failExpected(p_, "',' or '}' after an object member");
        }
    }

    void parseArray(Json& out, std::size_t depth)
    {
        checkDepth(depth);
        ++p_;
        skipBlanks();
        if (p_ != end_ && *p_ == ']') {
            ++p_;
            out = Json::array();
            return;
        }
        const std::size_t base = elements_.size();
        for (;;) {
            // Parsed aside: a nested array grows the scratch stack.
            Json element;
            parseValue(element, depth);
            elements_.push_back(std::move(element));
            skipBlanks();
            if (p_ != end_ && *p_ == ',') {
                ++p_;
                skipBlanks();
                continue;
            }
            if (p_ != end_ && *p_ == ']') {
                ++p_;
                break;
            }
            failExpected(p_, "',' or ']' after an array element");
        }
        auto first = elements_.begin() + static_cast<std::ptrdiff_t>(base);
        Json::array_t array(std::make_move_iterator(first),
                            std::make_move_iterator(elements_.end()));
        elements_.erase(first, elements_.end());
        out = Json(std::move(array));
    }

    void parseLiteral(std::string_view literal)
    {
        if (static_cast<std::size_t>(end_ - p_) < literal.size() ||
            std::memcmp(p_, literal.data(), literal.size()) != 0) {
            failExpected(p_, "a value");
        }
        p_ += literal.size();
    }

    // The first byte at or after q that a plain string run cannot hold, or end_.
    const char* findSpecial(const char* q) const
    {
        if constexpr (std::endian::native == std::endian::little) {
            while (end_ - q >= 8) {
                std::uint64_t word;
                std::memcpy(&word, q, sizeof word);
                if (std::uint64_t mask = specialBytes(word); mask != 0) {
                    return q + std::countr_zero(mask) / 8;
                }
                q += 8;
            }
        }
        while (q != end_ && !kSpecial[static_cast<unsigned char>(*q)]) {
            ++q;
        }
        return q;
    }

    // Parses the string whose opening quote is at p_.
    std::string parseString()
    {
        const char* run = p_ + 1; // bytes not yet copied
        const char* q = run;
        std::string decoded;
        bool escaped = false;
        for (;;) {
            q = findSpecial(q);
            if (q == end_) {
                failExpected(q, "'\"' to end the string");
            }
            auto c = static_cast<unsigned char>(*q);
            if (c == '"') {
                p_ = q + 1;
                if (!escaped) {
                    return std::string(run, q);
                }
                decoded.append(run, q);
                return decoded;
            }
            if (c == '\\') {
                escaped = true;
                decoded.append(run, q);
                q = decodeEscape(q, decoded);
                run = q;
            } else if (c < 0x20) {
                fail(q, fmt::format("control character 0x{:02x} in a string is not escaped", c));
            } else {
                q = skipUtf8(q);
            }
        }
    }

    // Checks the multibyte UTF-8 sequence (RFC 3629) at q; returns the byte after it.
    const char* skipUtf8(const char* q) const
    {
        auto byte = [&](std::ptrdiff_t i) -> unsigned {
            return i < end_ - q ? static_cast<unsigned char>(q[i]) : 0;
        };
        unsigned lead = byte(0);
        unsigned low = 0x80;
        unsigned high = 0xBF;
        std::ptrdiff_t length = 0;
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            low = lead == 0xE0 ? 0xA0 : 0x80;  // no overlong form
            high = lead == 0xED ? 0x9F : 0xBF; // no surrogate
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            low = lead == 0xF0 ? 0x90 : 0x80;  // no overlong form
            high = lead == 0xF4 ? 0x8F : 0xBF; // nothing above U+10FFFF
        } else {
            fail(q, fmt::format("byte 0x{:02x} in a string is not UTF-8", lead));
        }
        for (std::ptrdiff_t i = 1; i < length; ++i) {
            unsigned next = byte(i);
            if (next < (i == 1 ? low : 0x80) || next > (i == 1 ? high : 0xBF)) {
                fail(q, fmt::format("the UTF-8 sequence starting with byte 0x{:02x} in a string "
                                    "is invalid",
                                    lead));
            }
        }
        return q + length;
    }

    // The value of the four hex digits at q.
    std::uint32_t hex4(const char* q) const
    {
        std::uint32_t value = 0;
        for (int i = 0; i < 4; ++i, ++q) {
            if (q == end_) {
                failExpected(q, "four hex digits after '\\u'");
            }
            char c = *q;
            std::uint32_t digit;
            if (c >= '0' && c <= '9') {
                digit = c - '0';
            } else if (c >= 'a' && c <= 'f') {
                digit = c - 'a' + 10;
            } else if (c >= 'A' && c <= 'F') {
                digit = c - 'A' + 10;
            } else {
                failExpected(q, "four hex digits after '\\u'");
            }
            value = value << 4 | digit;
        }
        return value;
    }

    // Decodes the escape whose backslash is at q into out; returns the byte after it.
    const char* decodeEscape(const char* q, std::string& out) const
    {
        if (end_ - q < 2) {
            failExpected(q + 1, "an escape character after '\\'");
        }
        switch (q[1]) {
        case '"':
            out += '"';
            return q + 2;
        case '\\':
            out += '\\';
            return q + 2;
        case '/':
            out += '/';
            return q + 2;
        case 'b':
            out += '\b';
            return q + 2;
        case 'f':
            out += '\f';
            return q + 2;
        case 'n':
            out += '\n';
            return q + 2;
        case 'r':
            out += '\r';
            return q + 2;
        case 't':
            out += '\t';
            return q + 2;
        case 'u':
            break;
        default:
            failExpected(q + 1, "an escape character ('\"', '\\', '/', 'b', 'f', 'n', 'r', 't' "
                                "or 'u') after '\\'");
        }
        std::uint32_t cp = hex4(q + 2);
        const char* next = q + 6;
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
            fail(q,
                 fmt::format("the low surrogate \\u{:04X} does not follow a high surrogate", cp));
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (end_ - next < 2 || next[0] != '\\' || next[1] != 'u') {
                fail(next, fmt::format("the high surrogate \\u{:04X} is not followed by a low "
                                       "surrogate",
                                       cp));
            }
            std::uint32_t low = hex4(next + 2);
            if (low < 0xDC00 || low > 0xDFFF) {
                fail(next, fmt::format("the high surrogate \\u{:04X} is followed by \\u{:04X}, "
                                       "not by a low surrogate",
                                       cp, low));
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            next += 6;
        }
        appendUtf8(out, cp);
        return next;
    }

    void parseNumber(Json& out)
    {
        const char* start = p_;
        const char* q = p_;
        const bool negative = *q == '-';
        if (negative) {
            ++q;
        }
        const char* digits = q;
        if (q == end_ || !isDigit(*q)) {
            failExpected(q, "a digit after '-'");
        }
        if (*q == '0') {
            ++q;
        } else {
            while (q != end_ && isDigit(*q)) {
                ++q;
            }
        }
        const char* integerEnd = q;
        bool integral = true;
        if (q != end_ && *q == '.') {
            ++q;
            if (q == end_ || !isDigit(*q)) {
                failExpected(q, "a digit after the decimal point");
            }
            while (q != end_ && isDigit(*q)) {
                ++q;
            }
            integral = false;
        }
        const char* exponent = q;
        if (q != end_ && (*q == 'e' || *q == 'E')) {
            ++q;
            if (q != end_ && (*q == '+' || *q == '-')) {
                ++q;
            }
            if (q == end_ || !isDigit(*q)) {
                failExpected(q, "a digit in the exponent");
            }
            while (q != end_ && isDigit(*q)) {
                ++q;
            }
            integral = false;
        }
        p_ = q;
        if (integral) {
            if (negative) {
                std::int64_t value;
                if (std::from_chars(start, q, value).ec == std::errc{}) {
                    out = value;
                    return;
                }
            } else {
                std::uint64_t value;
                if (std::from_chars(start, q, value).ec == std::errc{}) {
                    out = value;
                    return;
                }
            }
            // Beyond 64 bits: a double, as nlohmann does.
        }
        double value;
        auto [end, ec] = std::from_chars(start, q, value);
        if (ec == std::errc::result_out_of_range) {
            if (!isTiny(digits, integerEnd, exponent, q)) {
                fail(start,
                     fmt::format("the number {} is out of range",
                                 std::string_view(start, std::min<std::ptrdiff_t>(q - start, 40))));
            }
            value = negative ? -0.0 : 0.0; // as strtod rounds an underflow
        } else if (ec != std::errc{} || end != q) {
            fail(start, "the number cannot be read");
        }
        out = value;
    }

    // Whether a number that from_chars found out of range is too small rather than too large:
    // the decimal exponent of its first significant digit decides.
    static bool isTiny(const char* digits, const char* integerEnd, const char* exponent,
                       const char* end)
    {
        long magnitude = 0;
        if (*digits != '0') {
            magnitude = integerEnd - digits - 1;
        } else {
            const char* f = integerEnd + 1;
            while (f < exponent && *f == '0') {
                ++f;
            }
            magnitude = -(f - integerEnd);
        }
        if (exponent != end) {
            const char* e = exponent + 1;
            bool negativeExponent = *e == '-';
            if (*e == '+' || *e == '-') {
                ++e;
            }
            long value = 0;
            for (; e != end; ++e) {
                value = std::min(value * 10 + (*e - '0'), 100000000L);
            }
            magnitude += negativeExponent ? -value : value;
        }
        return magnitude < 0;
    }

    const char* begin_;
    const char* p_;
    const char* end_;
    std::vector<Json> elements_; // elements of the arrays being parsed, innermost last
};

} // namespace

Json parseJson(std::string_view text)
{
    return Parser(text).parseText();
}

void appendUtf8(std::string& out, std::uint32_t cp)
{
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

const char* findQuoteOrBackslash(const char* from, const char* end)
{
    if constexpr (std::endian::native == std::endian::little) {
        while (end - from >= 8) {
            std::uint64_t word;
            std::memcpy(&word, from, sizeof word);
            std::uint64_t found =
                zeroBytes(word ^ (kOnes * '"')) | zeroBytes(word ^ (kOnes * '\\'));
            if (found != 0) {
                return from + std::countr_zero(found) / 8;
            }
            from += 8;
        }
    }
    while (from != end && *from != '"' && *from != '\\') {
        ++from;
    }
    return from;
}

} // namespace dvs::ovsdb
