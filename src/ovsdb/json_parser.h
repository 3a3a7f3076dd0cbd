// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ovsdb/json_stream.h"

namespace dvs::ovsdb {

// The deepest nesting of arrays and objects parseJson() accepts.
constexpr std::size_t kMaxJsonDepth = 512;

// Parses one JSON text (RFC 8259): a value with optional whitespace around it and nothing else.
// The result is node for node what nlohmann::json::parse builds (which, unlike this parser,
// also skips a leading byte order mark and stops at a NUL byte): a non-negative integer is
// unsigned, a negative one signed (the schema parser tells them apart), an integer beyond 64 bits
// a double. Strings must be valid UTF-8 without raw control characters; escapes, including
// surrogate pairs, are decoded to UTF-8. A repeated object key keeps its last value.
// Throws Error(Rpc) naming the byte offset and what was expected when the text is not valid JSON
// or nests arrays and objects deeper than kMaxJsonDepth.
Json parseJson(std::string_view text);

// The first quote or backslash in [from, end), or end; eight bytes at a time.
const char* findQuoteOrBackslash(const char* from, const char* end);

// Appends the UTF-8 encoding of a Unicode code point (at most 0x10FFFF, not a surrogate).
void appendUtf8(std::string& out, std::uint32_t codePoint);

} // namespace dvs::ovsdb
