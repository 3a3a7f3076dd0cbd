// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace dvs::ovsdb {

using Json = nlohmann::json;

// Splits a byte stream of concatenated JSON texts (RFC 7047 framing: no length prefix, no
// delimiter) into whole texts and parses each. The scanner keeps its state between feeds, so
// every byte is looked at once however the stream is cut.
class JsonStream
{
public:
    explicit JsonStream(std::size_t maxMessageSize) : maxMessageSize_(maxMessageSize) {}

    // Appends received bytes.
    void feed(std::string_view bytes);

    // The next complete JSON text, parsed (parseJson()), or nullopt when more bytes are needed.
    // Throws Error(Rpc) when the stream is not a sequence of JSON objects or arrays, when a text
    // is not valid JSON or nests deeper than kMaxJsonDepth, or when a text grows beyond the
    // maximum message size. After a throw the stream is unusable until reset().
    std::optional<Json> next();

    // Bytes received but not yet returned as a text.
    std::size_t pending() const noexcept { return buffer_.size() - start_; }

    // Forgets everything buffered (used when the connection is reset).
    void reset();

private:
    std::size_t maxMessageSize_;
    std::string buffer_;
    std::size_t start_ = 0; // first byte of the current text
    std::size_t scan_ = 0;  // next byte to scan
    std::size_t depth_ = 0;
    bool inString_ = false;
    bool escape_ = false;
    bool broken_ = false;
};

} // namespace dvs::ovsdb
