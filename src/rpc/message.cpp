// SPDX-License-Identifier: LGPL-2.1-or-later
#include "message.h"

#include <algorithm>
#include <cstring>

namespace dvs::rpc {

namespace {

// XDR wrappers from libtirpc take non-const pointers even when encoding.
char* mutableBytes(const void* value)
{
    return static_cast<char*>(const_cast<void*>(value));
}

std::uint32_t readLength(const char* data)
{
    std::uint32_t len = 0;
    XDR xdr;
    xdrmem_create(&xdr, const_cast<char*>(data), kLengthWord, XDR_DECODE);
    xdr_u_int(&xdr, &len);
    xdr_destroy(&xdr);
    return len;
}

} // namespace

std::vector<char> xdrEncode(xdrproc_t proc, const void* value, std::size_t limit)
{
    // Sizing first (a dry run without copying) spares zero-filling a large buffer per reply,
    // which showed in every cheap call's profile. A size of 0 is a void payload, or a value the
    // dry run could not size; encoding then tells them apart.
    unsigned long size = xdr_sizeof(proc, mutableBytes(value));
    if (size > limit) {
        throw Error(ErrorCode::Rpc, "Unable to encode message payload", ErrorDomain::Rpc);
    }
    std::vector<char> buffer(size);
    XDR xdr;
    xdrmem_create(&xdr, buffer.data(), static_cast<unsigned>(buffer.size()), XDR_ENCODE);
    bool ok = proc(&xdr, mutableBytes(value)) != 0;
    unsigned used = xdr_getpos(&xdr);
    xdr_destroy(&xdr);
    if (!ok) {
        throw Error(ErrorCode::Rpc, "Unable to encode message payload", ErrorDomain::Rpc);
    }
    buffer.resize(used);
    return buffer;
}

bool xdrDecode(xdrproc_t proc, const char* data, std::size_t size, void* value)
{
    XDR xdr;
    xdrmem_create(&xdr, const_cast<char*>(data), static_cast<unsigned>(size), XDR_DECODE);
    bool ok = proc(&xdr, static_cast<char*>(value)) != 0;
    xdr_destroy(&xdr);
    return ok;
}

std::vector<char> encodeMessage(const Header& header, const std::vector<char>& payload)
{
    std::size_t total = kLengthWord + kHeaderSize + payload.size();
    if (total > kMessageMax) {
        throw Error(ErrorCode::Rpc,
                    fmt::format("message payload is too large: {} bytes, the maximum is {}",
                                payload.size(), kPayloadMax),
                    ErrorDomain::Rpc);
    }
    std::vector<char> out(kLengthWord + kHeaderSize);
    XDR xdr;
    xdrmem_create(&xdr, out.data(), static_cast<unsigned>(out.size()), XDR_ENCODE);
    auto len = static_cast<std::uint32_t>(total);
    bool ok = xdr_u_int(&xdr, &len) && xdr_dvs_message_header(&xdr, const_cast<Header*>(&header));
    xdr_destroy(&xdr);
    if (!ok) {
        throw Error(ErrorCode::Rpc, "Unable to encode message header", ErrorDomain::Rpc);
    }
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

std::vector<char> encodeError(const Error& error)
{
    std::string message = error.fullMessage();
    char* messagePtr = message.data();
    remote_error wire{};
    wire.code = static_cast<int>(error.code());
    wire.domain = static_cast<int>(error.domain());
    wire.message = &messagePtr;
    wire.level = 2; // VIR_ERR_ERROR
    return xdrEncode(reinterpret_cast<xdrproc_t>(xdr_remote_error), &wire);
}

void FrameReader::feed(const char* data, std::size_t size)
{
    if (offset_ > 0 && offset_ == buffer_.size()) {
        buffer_.clear();
        offset_ = 0;
    }
    buffer_.insert(buffer_.end(), data, data + size);
}

std::optional<Message> FrameReader::next()
{
    std::size_t available = buffer_.size() - offset_;
    if (available < kLengthWord) {
        return std::nullopt;
    }
    std::uint32_t len = readLength(buffer_.data() + offset_);
    if (len < kLengthWord + kHeaderSize) {
        throw Error(ErrorCode::Rpc,
                    fmt::format("packet {} bytes received from client too small, want {}", len,
                                kLengthWord + kHeaderSize),
                    ErrorDomain::Rpc);
    }
    if (len > kMessageMax) {
        throw Error(ErrorCode::Rpc,
                    fmt::format("packet {} bytes received from client too large, want {}", len,
                                kMessageMax),
                    ErrorDomain::Rpc);
    }
    if (available < len) {
        return std::nullopt;
    }
    const char* frame = buffer_.data() + offset_;
    Message message;
    if (!xdrDecode(reinterpret_cast<xdrproc_t>(xdr_dvs_message_header), frame + kLengthWord,
                   kHeaderSize, &message.header)) {
        throw Error(ErrorCode::Rpc, "Unable to decode message header", ErrorDomain::Rpc);
    }
    message.payload.assign(frame + kLengthWord + kHeaderSize, frame + len);
    offset_ += len;
    // Keep the buffer from growing without bound while a client pipelines calls.
    if (offset_ >= kInitialBuffer && offset_ * 2 >= buffer_.size()) {
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(offset_));
        offset_ = 0;
    }
    return message;
}

} // namespace dvs::rpc
