// SPDX-License-Identifier: LGPL-2.1-or-later
#include <fstream>

#include <catch2/catch.hpp>

#include "config/daemon_config.h"
#include "test_support.h"
#include "util/error.h"

using namespace dvs::config;

namespace {

std::filesystem::path write(const dvs::test::TempDir& dir, const std::string& text)
{
    auto path = dir.path() / "dvsd.conf";
    std::ofstream(path) << text;
    return path;
}

// Checks that loadConfig() refuses text as a syntax error whose message contains needle.
void refused(const dvs::test::TempDir& dir, const std::string& text, const std::string& needle,
             bool mustExist = true)
{
    try {
        loadConfig(write(dir, text), mustExist);
        FAIL("accepted: " << text);
    } catch (const dvs::Error& e) {
        CHECK(e.code() == dvs::ErrorCode::ConfSyntax);
        CHECK_THAT(e.message(), Catch::Contains(needle));
    }
}

} // namespace

TEST_CASE("a missing file gives libvirt's socket defaults")
{
    dvs::test::TempDir dir;
    auto config = loadConfig(dir.path() / "absent.conf", false);
    CHECK(config.rwSocket("/") == "/run/libvirt/virtnetworkd-sock");
    CHECK(config.roSocket("/") == "/run/libvirt/virtnetworkd-sock-ro");
    CHECK(config.unixSockRwPerms == 0600);
    CHECK(config.unixSockRoPerms == 0666);
    CHECK(config.keepaliveInterval == 5);
    CHECK(config.keepaliveCount == 5);
    CHECK_FALSE(config.socketGroup().has_value());
}

TEST_CASE("a missing file that was asked for is an error")
{
    dvs::test::TempDir dir;
    CHECK_THROWS_AS(loadConfig(dir.path() / "absent.conf", true), dvs::Error);
}

TEST_CASE("--root prefixes the socket paths")
{
    DaemonConfig config;
    CHECK(config.rwSocket("/tmp/r") == "/tmp/r/run/libvirt/virtnetworkd-sock");
    config.mode = SocketMode::Hook;
    CHECK(config.roSocket("/tmp/r") == "/tmp/r/run/dvs/dvsd-sock-ro");
    config.unixSockDir = "/srv/sock";
    CHECK(config.rwSocket("/tmp/r") == "/tmp/r/srv/sock/dvsd-sock");
    CHECK(underRoot("/", "/etc/dvs/dvsd.conf") == "/etc/dvs/dvsd.conf");
}

TEST_CASE("every key is read")
{
    dvs::test::TempDir dir;
    auto path = write(dir, "[dvsd]\nmode=hook\nunix_sock_dir=/x\nunix_sock_rw_perms=0660\n"
                           "unix_sock_ro_perms=0644\nunix_sock_group=root\n"
                           "keepalive_interval=-1\nkeepalive_count=3\nmax_clients=7\n"
                           "max_anonymous_clients=8\nmax_client_requests=9\nmin_workers=1\n"
                           "max_workers=10\nprio_workers=2\nlog_level=debug\n");
    auto config = loadConfig(path, true);
    CHECK(config.mode == SocketMode::Hook);
    CHECK(config.rwSocket("/") == "/x/dvsd-sock");
    CHECK(config.unixSockRwPerms == 0660);
    CHECK(config.unixSockRoPerms == 0644);
    CHECK(config.socketGroup() == std::optional<gid_t>(0));
    CHECK(config.keepaliveInterval == -1);
    CHECK(config.keepaliveCount == 3);
    CHECK(config.maxClients == 7);
    CHECK(config.maxAnonymousClients == 8);
    CHECK(config.maxClientRequests == 9);
    CHECK(config.minWorkers == 1);
    CHECK(config.maxWorkers == 10);
    CHECK(config.prioWorkers == 2);
    CHECK(config.logLevel == G_LOG_LEVEL_DEBUG);
}

TEST_CASE("the shipped example parses and keeps the defaults")
{
    auto config = loadConfig(dvs::test::sourceRoot() / "systemd" / "dvsd.conf", true);
    DaemonConfig defaults;
    CHECK(config.rwSocket("/") == defaults.rwSocket("/"));
    CHECK(config.unixSockRwPerms == defaults.unixSockRwPerms);
    CHECK(config.keepaliveInterval == defaults.keepaliveInterval);
}

TEST_CASE("bad files are refused with the key and value named")
{
    dvs::test::TempDir dir;
    auto expectError = [&](const std::string& text, const std::string& needle) {
        refused(dir, text, needle, false);
    };
    expectError("not a key file", "cannot read");
    expectError("[dvsd]\nmode=turbo\n", "'turbo' for 'mode'");
    expectError("[dvsd]\nunix_sock_rw_perms=0999\n", "'0999'");
    expectError("[dvsd]\nkeepalive_interval=soon\n", "'soon' for 'keepalive_interval'");
    expectError("[dvsd]\nunix_sock_dir=relative\n", "absolute path");
    expectError("[dvsd]\nlisten_tcp=1\n", "unknown key 'listen_tcp'");
    expectError("[other]\nmode=driver\n", "unknown group 'other'");
    expectError("[dvsd]\nlog_level=loud\n", "'loud'");
}

TEST_CASE("[libvirt] sets the mode and the URI; [dvsd] mode is read when it does not")
{
    dvs::test::TempDir dir;
    auto config = loadConfig(write(dir, "[libvirt]\nmode=hook\nuri=qemu+ssh://h/system\n"), true);
    CHECK(config.mode == SocketMode::Hook);
    CHECK(config.libvirtUri == "qemu+ssh://h/system");
    CHECK(config.rwSocket("/r") == "/r/run/dvs/dvsd-sock");

    CHECK(DaemonConfig{}.libvirtUri == "qemu:///system");
    CHECK(loadConfig(write(dir, "[dvsd]\nmode=hook\n"), true).mode == SocketMode::Hook);
    CHECK(loadConfig(write(dir, "[dvsd]\nmode=hook\n[libvirt]\nmode=driver\n"), true).mode ==
          SocketMode::Driver);
    CHECK(loadConfig(write(dir, "[libvirt]\nmode=hook\n[dvsd]\nmode=driver\n"), true).mode ==
          SocketMode::Hook);

    for (const auto& [text, needle] : std::vector<std::pair<std::string, std::string>>{
             {"[libvirt]\nmode=both\n", "'both' for 'mode'"},
             {"[libvirt]\nuri=\n", "for 'uri'"},
             {"[libvirt]\nsocket=/x\n", "unknown key 'socket' in group 'libvirt'"},
         }) {
        refused(dir, text, needle);
    }
}

TEST_CASE("an unknown socket group is refused")
{
    DaemonConfig config;
    config.unixSockGroup = "no-such-group-dvs-test";
    CHECK_THROWS_AS(config.socketGroup(), dvs::Error);
}

TEST_CASE("[ovs] sets the OVSDB remote and the datapath type")
{
    DaemonConfig defaults;
    CHECK(defaults.ovsRemoteUnder("/") == "unix:/run/openvswitch/db.sock");
    CHECK(defaults.ovsRemoteUnder("/tmp/r") == "unix:/tmp/r/run/openvswitch/db.sock");
    CHECK(defaults.ovsDatapathType == "system");

    dvs::test::TempDir dir;
    auto config =
        loadConfig(write(dir, "[ovs]\nremote=tcp:127.0.0.1:6640\ndatapath-type=netdev\n"), true);
    CHECK(config.ovsRemoteUnder("/tmp/r") == "tcp:127.0.0.1:6640");
    CHECK(config.ovsDatapathType == "netdev");
    config = loadConfig(write(dir, "[ovs]\nremote=unix:/srv/ovs/db.sock\n"), true);
    CHECK(config.ovsRemoteUnder("/tmp/r") == "unix:/srv/ovs/db.sock");
    CHECK(loadConfig(write(dir, "[ovs]\nremote=tcp:[::1]:6640\n"), true).ovsRemote ==
          "tcp:[::1]:6640");

    for (const auto& [text, message] : std::vector<std::pair<std::string, std::string>>{
             {"[ovs]\nremote=ssl:127.0.0.1:6640\n", "ssl remotes are not supported"},
             {"[ovs]\nremote=unix:db.sock\n", "invalid value 'unix:db.sock' for 'remote'"},
             {"[ovs]\nremote=tcp:localhost:6640\n", "expected unix:ABSOLUTE-PATH or tcp:IP:PORT"},
             {"[ovs]\nremote=tcp:127.0.0.1:99999\n", "invalid value"},
             {"[ovs]\ndatapath-type=dpdk\n", "expected 'system' or 'netdev'"},
             {"[ovs]\nbridge=br0\n", "unknown key 'bridge' in group 'ovs'"},
         }) {
        refused(dir, text, message);
    }
}

TEST_CASE("[management] sets the host agent's database, host name and TLS files")
{
    DaemonConfig defaults;
    CHECK(defaults.management.remotes.empty());
    CHECK(defaults.management.hostName() == g_get_host_name());

    dvs::test::TempDir dir;
    auto config = loadConfig(write(dir, "[management]\n"
                                        "remote=ssl:10.0.0.1:6644, ssl:10.0.0.2:6644,unix:/run/d\n"
                                        "host=hv01\nprivate-key=/etc/dvs/k.pem\n"
                                        "certificate=/etc/dvs/c.pem\nca-cert=/etc/dvs/ca.pem\n"
                                        "heartbeat-interval=0\n"
                                        "snapshot-dir=/srv/dvs/snapshots\n"),
                             true);
    CHECK(config.management.remotes ==
          std::vector<std::string>{"ssl:10.0.0.1:6644", "ssl:10.0.0.2:6644", "unix:/run/d"});
    CHECK(config.management.hostName() == "hv01");
    CHECK(config.management.privateKey == "/etc/dvs/k.pem");
    CHECK(config.management.certificate == "/etc/dvs/c.pem");
    CHECK(config.management.caCert == "/etc/dvs/ca.pem");
    CHECK(config.management.heartbeatInterval == 0);
    CHECK(config.management.snapshotDir == "/srv/dvs/snapshots");

    for (const auto& [text, message] : std::vector<std::pair<std::string, std::string>>{
             {"[management]\nremote=\n", "invalid value '' for 'remote'"},
             {"[management]\nremote=tcp:127.0.0.1:1,http://x\n", "ssl:IP:PORT remotes"},
             {"[management]\nremote=ssl:127.0.0.1:6644\n", "need private-key, certificate"},
             {"[management]\nhost=two words\n", "expected a host name"},
             {"[management]\nca-cert=relative.pem\n", "expected an absolute path"},
             {"[management]\nsnapshot-dir=snaps\n", "expected an absolute path"},
             {"[management]\nuser=admin\n", "unknown key 'user' in group 'management'"},
         }) {
        refused(dir, text, message);
    }
}

// Every key the parser knows is documented: in dvsd.conf(5) under its group, and in the commented
// dvsd.conf the package installs. configKeys() is what loadConfig() accepts, so a key added to
// the code without its documentation fails here.
TEST_CASE("dvsd.conf(5) and the installed dvsd.conf document every key the code knows")
{
    auto read = [](const std::filesystem::path& path) {
        std::ifstream in(path);
        REQUIRE(in);
        return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    };
    std::string man = read(dvs::test::sourceRoot() / "docs" / "man" / "dvsd.conf.5.scd");
    std::string installed = read(dvs::test::sourceRoot() / "systemd" / "dvsd.conf");
    auto section = [&](std::string_view group) {
        std::string heading = "\n# [" + std::string(group) + "]\n";
        auto start = man.find(heading);
        if (start == std::string::npos) {
            return std::string();
        }
        auto end = man.find("\n# ", start + heading.size());
        return man.substr(start, end == std::string::npos ? std::string::npos : end - start);
    };
    REQUIRE_FALSE(configKeys().empty());
    for (const auto& [group, key] : configKeys()) {
        INFO("[" << group << "] " << key);
        CHECK(section(group).find("*" + std::string(key) + "*=") != std::string::npos);
        std::string groupLine = "[" + std::string(group) + "]";
        auto inGroup = installed.find("\n" + groupLine + "\n");
        CHECK(inGroup != std::string::npos);
        CHECK(installed.find("#" + std::string(key) + "=", inGroup) != std::string::npos);
    }
}

TEST_CASE("every key of configKeys() is read, any other is refused")
{
    dvs::test::TempDir dir;
    for (const auto& [group, key] : configKeys()) {
        INFO("[" << group << "] " << key);
        auto e = [&] {
            try {
                loadConfig(write(dir, "[" + std::string(group) + "]\n" + std::string(key) +
                                          "=\x01not-a-value\n"),
                           true);
            } catch (const dvs::Error& error) {
                return std::string(error.fullMessage());
            }
            return std::string();
        }();
        CHECK(e.find("unknown") == std::string::npos);
    }
    CHECK_THROWS_WITH(loadConfig(write(dir, "[ovs]\nbridges=br0\n"), true),
                      Catch::Matchers::Contains("unknown key 'bridges' in group 'ovs'"));
}
