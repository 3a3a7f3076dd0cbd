// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ovsdb/json_stream.h"

#include <cstring>

#include "ovsdb/json_parser.h"
#include "util/error.h"

namespace dvs::ovsdb {

namespace {

bool isBlank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

} // namespace

void JsonStream::feed(std::string_view bytes)
{
    // Drop what was already returned before growing the buffer.
    if (start_ > 0 && start_ == buffer_.size()) {
        buffer_.clear();
        scan_ = start_ = 0;
    } else if (start_ > 65536 && start_ > buffer_.size() / 2) {
        buffer_.erase(0, start_);
        scan_ -= start_;
        start_ = 0;
    }
    buffer_.append(bytes);
}

std::optional<Json> JsonStream::next()
{
    if (broken_) {
        raise(ErrorCode::Rpc, "The JSON stream from the OVSDB server is unusable after an error.");
    }
    while (scan_ < buffer_.size()) {
        char c = buffer_[scan_];
        if (depth_ == 0) {
            if (isBlank(c)) {
                ++scan_;
                start_ = scan_;
                continue;
            }
            if (c != '{' && c != '[') {
                broken_ = true;
                raise(ErrorCode::Rpc,
                      "Unexpected character '{}' between JSON messages from the OVSDB server.",
                      static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f
                          ? std::string(1, c)
                          : fmt::format("\\x{:02x}", static_cast<unsigned char>(c)));
            }
            depth_ = 1;
            ++scan_;
            continue;
        }
        if (inString_ && !escape_) {
            // Most bytes of a message are inside strings: jump to the next quote or backslash.
            const char* from = buffer_.data() + scan_;
            scan_ += findQuoteOrBackslash(from, buffer_.data() + buffer_.size()) - from;
            if (scan_ - start_ > maxMessageSize_) {
                broken_ = true;
                raise(ErrorCode::Rpc,
                      "A message from the OVSDB server is larger than the limit of {} bytes.",
                      maxMessageSize_);
            }
            if (scan_ == buffer_.size()) {
                break;
            }
        }
        c = buffer_[scan_];
        ++scan_;
        if (inString_) {
            if (escape_) {
                escape_ = false;
            } else if (c == '\\') {
                escape_ = true;
            } else if (c == '"') {
                inString_ = false;
            }
        } else if (c == '"') {
            inString_ = true;
        } else if (c == '{' || c == '[') {
            ++depth_;
        } else if (c == '}' || c == ']') {
            if (--depth_ == 0) {
                std::string_view text(buffer_.data() + start_, scan_ - start_);
                start_ = scan_;
                try {
                    return parseJson(text);
                } catch (const Error& e) {
                    broken_ = true;
                    raise(ErrorCode::Rpc, "Invalid JSON message from the OVSDB server: {}",
                          e.message());
                }
            }
        }
        if (scan_ - start_ > maxMessageSize_) {
            broken_ = true;
            raise(ErrorCode::Rpc,
                  "A message from the OVSDB server is larger than the limit of {} bytes.",
                  maxMessageSize_);
        }
    }
    return std::nullopt;
}

void JsonStream::reset()
{
    buffer_.clear();
    start_ = scan_ = depth_ = 0;
    inString_ = escape_ = broken_ = false;
}

} // namespace dvs::ovsdb
