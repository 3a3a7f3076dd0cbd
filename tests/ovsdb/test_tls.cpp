// SPDX-License-Identifier: LGPL-2.1-or-later
// ssl: remotes: the client against ovsdb-server's own SSL (pssl:), with certificates made by
// openssl(1) for the test: a trusted session works, an untrusted server or client does not.
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <glib.h>

#include "client_fixture.h"
#include "ovsdb/connection.h"

using namespace dvs;
using namespace dvs::test;

namespace {

// Runs a program to completion; throws std::runtime_error with its output when it fails.
void runProgram(const std::vector<std::string>& argv)
{
    std::vector<char*> args;
    for (const auto& arg : argv) {
        args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);
    gchar* out = nullptr;
    gchar* err = nullptr;
    gint status = 0;
    GError* error = nullptr;
    bool ok = g_spawn_sync(nullptr, args.data(), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr,
                           &out, &err, &status, &error);
    std::string text = std::string(out != nullptr ? out : "") + (err != nullptr ? err : "");
    g_free(out);
    g_free(err);
    if (!ok) {
        std::string message = error->message;
        g_error_free(error);
        throw std::runtime_error(argv[0] + ": " + message);
    }
    if (!g_spawn_check_wait_status(status, nullptr)) {
        throw std::runtime_error(argv[0] + " failed: " + text);
    }
}

// A certificate authority and the certificates it signs (EC P-256 keys: made at once).
class Pki
{
public:
    explicit Pki(const std::string& name) : name_(name)
    {
        runProgram({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path("ca-key"), "-out",
                    caCert().string(), "-subj", "/CN=" + name + " CA", "-days", "2"});
    }

    std::filesystem::path caCert() const { return dir_.path() / (name_ + "-ca.pem"); }

    // Issues a key and certificate for cn; returns them as TLS options with this CA.
    ovsdb::TlsOptions issue(const std::string& cn)
    {
        runProgram({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", path(cn + "-key"), "-out", path(cn + "-req"), "-subj",
                    "/CN=" + cn});
        runProgram({"openssl", "x509", "-req", "-in", path(cn + "-req"), "-CA", caCert().string(),
                    "-CAkey", path("ca-key"), "-CAcreateserial", "-out", path(cn + "-cert"),
                    "-days", "2"});
        return {path(cn + "-key"), path(cn + "-cert"), caCert()};
    }

private:
    std::string path(const std::string& file) const
    {
        return (dir_.path() / (name_ + "-" + file + ".pem")).string();
    }

    TempDir dir_;
    std::string name_;
};

std::optional<std::string> unavailable()
{
    if (auto why = OvsSandbox::unavailable()) {
        return why;
    }
    gchar* openssl = g_find_program_in_path("openssl");
    bool found = openssl != nullptr;
    g_free(openssl);
    if (!found) {
        return std::string("openssl(1) is not installed");
    }
    return std::nullopt;
}

// A sandbox whose server also listens on pssl: with the server's key and certificate.
OvsSandboxOptions sslSandbox(const ovsdb::TlsOptions& server, int port)
{
    OvsSandboxOptions options;
    options.serverArgs = {"--remote=pssl:" + std::to_string(port) + ":127.0.0.1",
                          "--private-key=" + server.privateKey.string(),
                          "--certificate=" + server.certificate.string(),
                          "--ca-cert=" + server.caCert.string()};
    return options;
}

ovsdb::ClientOptions sslClient(int port, const ovsdb::TlsOptions& tls)
{
    auto options = vswitchClientOptions("ssl:127.0.0.1:" + std::to_string(port));
    options.connection.tls = tls;
    return options;
}

} // namespace

TEST_CASE("a client with a certificate the CA signed talks to ovsdb-server over ssl", "[tls]")
{
    if (auto why = unavailable()) {
        skip(*why);
        return;
    }
    Pki pki("site");
    int port = OvsSandbox::freeTcpPort();
    OvsSandbox ovs(sslSandbox(pki.issue("ovsdb"), port));
    ovsdb::Client client(nullptr, sslClient(port, pki.issue("hv01")));
    client.start();
    REQUIRE(waitReady(client));
    CHECK(client.connection().remote() == "ssl:127.0.0.1:" + std::to_string(port));
    auto result = transactAndWait(client, "add a bridge", [](ovsdb::Transaction& txn) {
        auto bridge = txn.insert(vs::Bridge::Values().setName("br-tls"));
        auto root = vs::OpenVSwitch::all(txn.replica()).front().uuid();
        txn.mutate(root, {vs::OpenVSwitch::insertBridges({bridge})});
    });
    REQUIRE(result.ok());
    CHECK(ovs.vsctl({"list-br"}) == "br-tls");
}

TEST_CASE("a server whose certificate the client's CA did not sign is refused", "[tls]")
{
    if (auto why = unavailable()) {
        skip(*why);
        return;
    }
    Pki site("site");
    Pki rogue("rogue");
    int port = OvsSandbox::freeTcpPort();
    auto server = rogue.issue("ovsdb");
    server.caCert = site.caCert(); // it trusts our clients, but is not trusted by them
    OvsSandbox ovs(sslSandbox(server, port));
    ovsdb::Client client(nullptr, sslClient(port, site.issue("hv01")));
    client.start();
    REQUIRE(runUntil([&] { return client.lastError().has_value(); }));
    CHECK(client.lastError()->code() == ErrorCode::AuthFailed);
    CHECK_THAT(client.lastError()->message(), Catch::Matchers::Contains("not trusted"));
    CHECK(client.state() != ovsdb::ClientState::Ready);
}

TEST_CASE("a client whose certificate the server's CA did not sign cannot connect", "[tls]")
{
    if (auto why = unavailable()) {
        skip(*why);
        return;
    }
    Pki site("site");
    Pki rogue("rogue");
    int port = OvsSandbox::freeTcpPort();
    OvsSandbox ovs(sslSandbox(site.issue("ovsdb"), port));
    auto tls = rogue.issue("intruder");
    tls.caCert = site.caCert(); // it trusts the server, but the server does not trust it
    ovsdb::Client client(nullptr, sslClient(port, tls));
    client.start();
    // The server ends the session; the client never gets its database.
    REQUIRE(
        runUntil([&] { return client.connection().stats().connects > 0 || client.lastError(); }));
    REQUIRE(runUntil([&] { return client.lastError().has_value(); }));
    CHECK(client.state() != ovsdb::ClientState::Ready);
    CHECK(client.replica().rows(vs::OpenVSwitch::kTable).empty());
}

TEST_CASE("ssl remotes need the key, the certificate and the CA", "[tls]")
{
    ovsdb::ConnectionOptions options;
    options.remotes = {"ssl:127.0.0.1:6640"};
    CHECK_THROWS_AS(ovsdb::Connection(nullptr, options), Error);
    options.tls = {"/k.pem", "/c.pem", "/ca.pem"};
    CHECK_NOTHROW(ovsdb::Connection(nullptr, options));
    CHECK(ovsdb::Remote::parse("ssl:[::1]:6640").toString() == "ssl:[::1]:6640");
    CHECK(ovsdb::Remote::parse("ssl:10.0.0.1:6640").kind == ovsdb::Remote::Kind::Ssl);
}
