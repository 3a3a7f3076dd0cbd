// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <rpc/rpc.h>

#include "dvs_protocol.h"
#include "util/error.h"

namespace dvs::rpc {

// libvirt's message limits (virnetprotocol.x).
inline constexpr std::size_t kMessageMax = DVS_MESSAGE_MAX;
inline constexpr std::size_t kLengthWord = DVS_MESSAGE_LEN_MAX;
inline constexpr std::size_t kHeaderSize = DVS_MESSAGE_HEADER_MAX;
inline constexpr std::size_t kPayloadMax = DVS_MESSAGE_PAYLOAD_MAX;
inline constexpr std::size_t kInitialBuffer = DVS_MESSAGE_INITIAL;

using Header = dvs_message_header;

// One complete message as read from or written to the wire: its header and its XDR payload.
struct Message
{
    Header header{};
    std::vector<char> payload;
};

// Encodes *value with proc into XDR, in a buffer of exactly its encoded size. Throws Error(Rpc)
// when the encoding is larger than limit or cannot be made.
std::vector<char> xdrEncode(xdrproc_t proc, const void* value, std::size_t limit = kPayloadMax);

// Decodes data into *value (zero-initialised by the caller) with proc. Returns false on malformed
// input; what was decoded so far must still be freed (XdrValue does).
bool xdrDecode(xdrproc_t proc, const char* data, std::size_t size, void* value);

// An XDR-decoded value that frees what the decoder allocated when it goes away.
template <typename T>
class XdrValue
{
public:
    explicit XdrValue(xdrproc_t proc) : proc_(proc) {}
    ~XdrValue() { xdr_free(proc_, reinterpret_cast<char*>(&value_)); }
    XdrValue(const XdrValue&) = delete;
    XdrValue& operator=(const XdrValue&) = delete;

    // Decodes data; returns false on malformed input.
    bool decode(const char* data, std::size_t size)
    {
        return xdrDecode(proc_, data, size, &value_);
    }
    T& get() noexcept { return value_; }
    T* operator->() noexcept { return &value_; }

private:
    xdrproc_t proc_;
    T value_{};
};

// A whole message on the wire: length word, header, payload. Throws Error(Rpc) when the result
// would exceed kMessageMax.
std::vector<char> encodeMessage(const Header& header, const std::vector<char>& payload);

// The encoded remote_error payload for error (code, domain, full message, level ERROR).
std::vector<char> encodeError(const Error& error);

// Reassembles messages from a byte stream (one client's). feed() appends bytes; next() returns
// each complete message in order. A frame whose length word is below the header size or above
// kMessageMax, or whose header does not decode, makes next() throw Error(Rpc): the stream
// cannot be resynchronised and the caller drops the connection.
class FrameReader
{
public:
    void feed(const char* data, std::size_t size);
    std::optional<Message> next();
    // Bytes of an incomplete frame still buffered.
    std::size_t pending() const noexcept { return buffer_.size() - offset_; }

private:
    std::vector<char> buffer_;
    std::size_t offset_ = 0;
};

} // namespace dvs::rpc
