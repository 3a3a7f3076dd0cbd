// SPDX-License-Identifier: LGPL-2.1-or-later
#include <cstring>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "rpc/message.h"

using namespace dvs::rpc;

namespace {

std::uint32_t be32(const std::vector<char>& bytes, std::size_t offset)
{
    auto b = [&](std::size_t i) {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[offset + i]));
    };
    return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

Header callHeader(int proc, unsigned serial)
{
    Header h{};
    h.prog = REMOTE_PROGRAM;
    h.vers = REMOTE_PROTOCOL_VERSION;
    h.proc = proc;
    h.type = DVS_MESSAGE_TYPE_CALL;
    h.serial = serial;
    h.status = DVS_MESSAGE_STATUS_OK;
    return h;
}

} // namespace

TEST_CASE("an empty message is 28 bytes with the header in libvirt's order")
{
    auto bytes = encodeMessage(callHeader(REMOTE_PROC_AUTH_LIST, 7), {});
    REQUIRE(bytes.size() == 28);
    CHECK(be32(bytes, 0) == 28);
    CHECK(be32(bytes, 4) == 0x20008086u);
    CHECK(be32(bytes, 8) == 1);
    CHECK(be32(bytes, 12) == 66);
    CHECK(be32(bytes, 16) == 0);
    CHECK(be32(bytes, 20) == 7);
    CHECK(be32(bytes, 24) == 0);
}

TEST_CASE("a payload follows the header and is counted in the length word")
{
    remote_network_lookup_by_name_args args{};
    std::string name = "web";
    args.name = name.data();
    auto payload =
        xdrEncode(reinterpret_cast<xdrproc_t>(xdr_remote_network_lookup_by_name_args), &args);
    // XDR string: length word, bytes, padding to 4.
    REQUIRE(payload.size() == 8);
    auto bytes = encodeMessage(callHeader(REMOTE_PROC_NETWORK_LOOKUP_BY_NAME, 0), payload);
    CHECK(be32(bytes, 0) == 36);
    CHECK(be32(bytes, 28) == 3);
    CHECK(std::string(bytes.data() + 32, 3) == "web");
}

TEST_CASE("the frame reader reassembles messages split anywhere")
{
    std::vector<char> stream;
    for (unsigned serial = 0; serial < 3; ++serial) {
        std::vector<char> payload(serial * 4, static_cast<char>(serial));
        auto bytes = encodeMessage(callHeader(60, serial), payload);
        stream.insert(stream.end(), bytes.begin(), bytes.end());
    }
    for (std::size_t chunk : {1u, 3u, 5u, 28u, 1000u}) {
        FrameReader reader;
        std::vector<Message> got;
        for (std::size_t i = 0; i < stream.size(); i += chunk) {
            reader.feed(stream.data() + i, std::min(chunk, stream.size() - i));
            while (auto m = reader.next()) {
                got.push_back(std::move(*m));
            }
        }
        REQUIRE(got.size() == 3);
        for (unsigned serial = 0; serial < 3; ++serial) {
            CHECK(got[serial].header.serial == serial);
            CHECK(got[serial].header.proc == 60);
            CHECK(got[serial].payload.size() == serial * 4);
        }
        CHECK(reader.pending() == 0);
    }
}

TEST_CASE("a truncated frame waits for the rest")
{
    auto bytes = encodeMessage(callHeader(1, 0), std::vector<char>(8, 0));
    FrameReader reader;
    reader.feed(bytes.data(), bytes.size() - 1);
    CHECK_FALSE(reader.next().has_value());
    CHECK(reader.pending() == bytes.size() - 1);
}

TEST_CASE("lengths outside libvirt's limits are refused")
{
    auto frame = [](std::uint32_t len) {
        std::vector<char> bytes(28, 0);
        bytes[0] = static_cast<char>(len >> 24);
        bytes[1] = static_cast<char>(len >> 16);
        bytes[2] = static_cast<char>(len >> 8);
        bytes[3] = static_cast<char>(len);
        return bytes;
    };
    SECTION("too large")
    {
        FrameReader reader;
        auto bytes = frame(kMessageMax + 1);
        reader.feed(bytes.data(), 4);
        try {
            reader.next();
            FAIL("no error");
        } catch (const dvs::Error& e) {
            CHECK(e.code() == dvs::ErrorCode::Rpc);
            CHECK(e.message().find("too large") != std::string::npos);
        }
    }
    SECTION("smaller than a header")
    {
        FrameReader reader;
        auto bytes = frame(27);
        reader.feed(bytes.data(), bytes.size());
        CHECK_THROWS_AS(reader.next(), dvs::Error);
    }
    SECTION("exactly the maximum is accepted while incomplete")
    {
        FrameReader reader;
        auto bytes = frame(kMessageMax);
        reader.feed(bytes.data(), bytes.size());
        CHECK_FALSE(reader.next().has_value());
    }
}

TEST_CASE("an error payload has remote_error's layout")
{
    dvs::Error error(dvs::ErrorCode::NoNetwork, "no network with matching name 'x'");
    auto payload = encodeError(error);
    XdrValue<remote_error> decoded(reinterpret_cast<xdrproc_t>(xdr_remote_error));
    REQUIRE(decoded.decode(payload.data(), payload.size()));
    CHECK(decoded->code == 43);
    CHECK(decoded->domain == 19);
    CHECK(decoded->level == 2);
    REQUIRE(decoded->message != nullptr);
    CHECK(std::string(*decoded->message) == "Network not found: no network with matching name 'x'");
    CHECK(decoded->dom == nullptr);
    CHECK(decoded->str1 == nullptr);
    CHECK(decoded->net == nullptr);
    // code, domain, present flag + string, level, dom, str1-3, int1, int2, net.
    std::size_t text = std::string(*decoded->message).size();
    CHECK(payload.size() == 4 + 4 + 4 + 4 + ((text + 3) / 4) * 4 + 4 + 4 + 12 + 8 + 4);
}

TEST_CASE("decoding rejects a short payload")
{
    remote_connect_open_args args{};
    std::string uri = "network:///system";
    char* uriPtr = uri.data();
    args.name = &uriPtr;
    args.flags = 1;
    auto payload = xdrEncode(reinterpret_cast<xdrproc_t>(xdr_remote_connect_open_args), &args);
    {
        XdrValue<remote_connect_open_args> ok(
            reinterpret_cast<xdrproc_t>(xdr_remote_connect_open_args));
        REQUIRE(ok.decode(payload.data(), payload.size()));
        CHECK(std::string(*ok->name) == uri);
        CHECK(ok->flags == 1);
    }
    XdrValue<remote_connect_open_args> bad(
        reinterpret_cast<xdrproc_t>(xdr_remote_connect_open_args));
    CHECK_FALSE(bad.decode(payload.data(), payload.size() - 4));
}
