// SPDX-License-Identifier: LGPL-2.1-or-later
// Wire faults from a scripted peer on a unix socket: each must reset the connection and deliver
// the error to the pending request, never crash or hang. (Behaviour of a real server is tested
// against ovsdb-server itself.)
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "ovs_sandbox.h"
#include "ovsdb/connection.h"
#include "test_support.h"
#include "util/cdeleter.h"

using namespace dvs::ovsdb;
using dvs::test::runUntil;
using dvs::util::UniqueFd;

namespace {

class ScriptedPeer
{
public:
    explicit ScriptedPeer(const std::filesystem::path& path) : path_(path)
    {
        listen_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        path.string().copy(addr.sun_path, sizeof(addr.sun_path) - 1);
        REQUIRE(::bind(listen_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
        REQUIRE(::listen(listen_.get(), 4) == 0);
    }

    std::string remote() const { return "unix:" + path_.string(); }

    // Accepts the client's next connection (running the main loop while it connects).
    void accept()
    {
        REQUIRE(runUntil([&] { return readable(listen_.get()); }));
        peer_.reset(::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        REQUIRE(peer_.valid());
        stream_.reset();
    }

    // The next JSON text the client sends.
    Json receive()
    {
        std::optional<Json> message;
        REQUIRE(runUntil([&] {
            if (!message) {
                message = stream_.next();
            }
            if (!message && readable(peer_.get())) {
                char buffer[4096];
                ssize_t n = ::read(peer_.get(), buffer, sizeof(buffer));
                if (n > 0) {
                    stream_.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
                    message = stream_.next();
                }
            }
            return message.has_value();
        }));
        return *message;
    }

    void send(std::string_view bytes)
    {
        REQUIRE(::write(peer_.get(), bytes.data(), bytes.size()) ==
                static_cast<ssize_t>(bytes.size()));
    }
    void close() { peer_.reset(); }

private:
    static bool readable(int fd)
    {
        pollfd p{fd, POLLIN, 0};
        return ::poll(&p, 1, 0) == 1;
    }

    std::filesystem::path path_;
    UniqueFd listen_;
    UniqueFd peer_;
    JsonStream stream_{1 << 20};
};

struct Case
{
    const char* name;
    // What the peer sends after reading the client's request (the request id is 1).
    std::string bytes;
    bool closeAfter;
    dvs::ErrorCode expected;
};

} // namespace

TEST_CASE("wire faults reset the connection and fail pending requests", "[wire]")
{
    const std::vector<Case> cases{
        {"truncated JSON then close", R"({"id":1,"result":["Open_vSw)", true,
         dvs::ErrorCode::SystemError},
        {"message over the limit", R"({"id":1,"result":[")" + std::string(4096, 'x') + R"("]})",
         false, dvs::ErrorCode::Rpc},
        {"reply with an unknown id", R"({"id":999,"result":[],"error":null})", false,
         dvs::ErrorCode::Rpc},
        {"garbage", "HTTP/1.1 400 Bad Request\r\n\r\n", false, dvs::ErrorCode::Rpc},
        {"invalid JSON", R"({"id":1,"result":[01x]})", false, dvs::ErrorCode::Rpc},
        {"a JSON text that is not an object", "[1,2,3]", false, dvs::ErrorCode::Rpc},
        {"a reply without result or error", R"({"id":1})", false, dvs::ErrorCode::Rpc},
    };
    for (const auto& c : cases) {
        DYNAMIC_SECTION(c.name)
        {
            dvs::test::TempDir dir;
            ScriptedPeer peer(dir.path() / "peer.sock");
            ConnectionOptions options;
            options.remotes = {peer.remote()};
            options.maxMessageSize = 1024;
            options.backoffMin = std::chrono::milliseconds(10);
            Connection conn(nullptr, options);
            std::vector<std::string> lost;
            conn.setStateHandler([&](const dvs::Error* error) {
                if (error != nullptr) {
                    lost.push_back(error->message());
                }
            });
            conn.start();
            peer.accept();
            REQUIRE(runUntil([&] { return conn.connected(); }));

            std::vector<Result<Json>> replies;
            conn.call("list_dbs", Json::array(), [&](Result<Json> r) { replies.push_back(r); });
            conn.call("echo", Json::array(), [&](Result<Json> r) { replies.push_back(r); });
            Json request = peer.receive();
            CHECK(request["method"] == "list_dbs");
            CHECK(request["id"] == 1);
            peer.send(c.bytes);
            if (c.closeAfter) {
                peer.close();
            }
            REQUIRE(runUntil([&] { return replies.size() == 2; }));
            for (const auto& r : replies) {
                REQUIRE_FALSE(r.ok());
                CHECK(r.error().code() == c.expected);
            }
            CHECK(lost.size() == 1);
            CHECK(conn.stats().resets == 1);
            CHECK_FALSE(conn.connected());

            // It reconnects by itself, and the new session works.
            peer.accept();
            REQUIRE(runUntil([&] { return conn.connected(); }));
            std::optional<Json> answer;
            conn.call("list_dbs", Json::array(), [&](Result<Json> r) { answer = r.value(); });
            Json again = peer.receive();
            peer.send(R"({"id":)" + again["id"].dump() + R"(,"result":["X"],"error":null})");
            REQUIRE(runUntil([&] { return answer.has_value(); }));
            CHECK((*answer)[0] == "X");
        }
    }
}
