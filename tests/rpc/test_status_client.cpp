// SPDX-License-Identifier: LGPL-2.1-or-later
// The client library for our own program (what dvsctl status uses), against a real dvsd.
#include <chrono>
#include <csignal>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "dvs_config.h"
#include "rpc/client.h"
#include "test_support.h"

using namespace dvs::rpc;

namespace {

// dvsd on a private root, stopped with SIGTERM on destruction.
class Daemon
{
public:
    explicit Daemon(const std::filesystem::path& root) : root_(root)
    {
        std::string binaryPath = (dvs::test::buildRoot() / "src/daemon/dvsd").native();
        const char* binary = binaryPath.c_str();
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            std::string rootArg = root.native();
            ::execl(binary, binary, "--root", rootArg.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        // Poll for the socket with a deadline.
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (!connectable(rw())) {
            int status = 0;
            REQUIRE(::waitpid(pid_, &status, WNOHANG) == 0);
            REQUIRE(std::chrono::steady_clock::now() < deadline);
            std::this_thread::yield();
        }
    }
    ~Daemon()
    {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    std::filesystem::path rw() const { return root_ / "run/libvirt/virtnetworkd-sock"; }
    std::filesystem::path ro() const { return root_ / "run/libvirt/virtnetworkd-sock-ro"; }

private:
    static bool connectable(const std::filesystem::path& path)
    {
        try {
            ClientConnection probe(path, std::chrono::seconds(1));
            return true;
        } catch (const dvs::Error&) {
            return false;
        }
    }

    std::filesystem::path root_;
    pid_t pid_ = -1;
};

std::vector<char> stringArg(const std::string& text)
{
    std::string copy = text;
    char* ptr = copy.data();
    return xdrEncode(reinterpret_cast<xdrproc_t>(xdr_remote_nonnull_string), &ptr);
}

void open(ClientConnection& connection)
{
    connection.call(REMOTE_PROGRAM, REMOTE_PROTOCOL_VERSION, REMOTE_PROC_AUTH_LIST);
    remote_connect_open_args args{};
    std::string uri = "network:///system";
    char* uriPtr = uri.data();
    args.name = &uriPtr;
    connection.call(REMOTE_PROGRAM, REMOTE_PROTOCOL_VERSION, REMOTE_PROC_CONNECT_OPEN,
                    xdrEncode(reinterpret_cast<xdrproc_t>(xdr_remote_connect_open_args), &args));
}

} // namespace

TEST_CASE("daemon status over both sockets")
{
    dvs::test::TempDir dir;
    Daemon daemon(dir.path());

    auto status = fetchDaemonStatus(daemon.rw());
    CHECK(status.version == DVS_VERSION);
    CHECK(status.networks.empty());
    CHECK_FALSE(status.readOnly);
    CHECK(status.clients >= 1);

    // Define a network through the remote program, then see it in the status.
    ClientConnection connection(daemon.rw());
    open(connection);
    connection.call(REMOTE_PROGRAM, REMOTE_PROTOCOL_VERSION, REMOTE_PROC_NETWORK_DEFINE_XML,
                    stringArg("<network><name>st</name><forward mode='bridge'/>"
                              "<bridge name='br-st'/></network>"));
    status = fetchDaemonStatus(daemon.ro());
    CHECK(status.readOnly);
    REQUIRE(status.networks.size() == 1);
    CHECK(status.networks[0].name == "st");
    CHECK_FALSE(status.networks[0].active);
    CHECK(status.networks[0].persistent);
    CHECK(status.networks[0].ports == 0);
    CHECK(status.clients >= 2);
}

TEST_CASE("errors come back as dvs::Error with libvirt's code and detail")
{
    dvs::test::TempDir dir;
    Daemon daemon(dir.path());
    ClientConnection connection(daemon.rw());
    open(connection);
    try {
        connection.call(REMOTE_PROGRAM, REMOTE_PROTOCOL_VERSION, REMOTE_PROC_NETWORK_LOOKUP_BY_NAME,
                        stringArg("nosuch"));
        FAIL("no error");
    } catch (const dvs::Error& e) {
        CHECK(e.code() == dvs::ErrorCode::NoNetwork);
        CHECK(e.domain() == dvs::ErrorDomain::Network);
        CHECK(e.message() == "no network with matching name 'nosuch'");
        CHECK(e.fullMessage() == "Network not found: no network with matching name 'nosuch'");
    }
    try {
        connection.call(DVS_PROGRAM, DVS_PROTOCOL_VERSION, 77);
        FAIL("no error");
    } catch (const dvs::Error& e) {
        CHECK(e.code() == dvs::ErrorCode::Rpc);
        CHECK(e.domain() == dvs::ErrorDomain::Rpc);
        CHECK(e.message() == "unknown procedure: 77");
    }
}

TEST_CASE("a socket nobody listens on is a clear error")
{
    dvs::test::TempDir dir;
    try {
        fetchDaemonStatus(dir.path() / "absent-sock");
        FAIL("no error");
    } catch (const dvs::Error& e) {
        CHECK(e.code() == dvs::ErrorCode::SystemError);
        CHECK_THAT(e.message(), Catch::Contains("Failed to connect socket to '"));
    }
}
