// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include <glib.h>

namespace dvs::config {

// Which libvirt daemon's sockets dvsd takes (docs/architecture.md, "Two entry points, one core").
enum class SocketMode
{
    Driver, // virtnetworkd's: /run/libvirt/virtnetworkd-sock, -sock-ro
    Hook,   // our own, beside monolithic libvirtd: /run/dvs/dvsd-sock, -sock-ro
};

// How clients of a unix socket authenticate (libvirt's auth_unix_rw / auth_unix_ro).
enum class UnixAuth
{
    None,
    Polkit,
};

// [management]: the distributed switch's management database and this host's name in it.
struct ManagementConfig
{
    // remote: one or more OVSDB remotes, comma-separated (unix:PATH, tcp:IP:PORT,
    // ssl:IP:PORT), tried in turn. Empty: no host agent, dvsd is a single-host driver.
    std::vector<std::string> remotes;
    // host: this host's name in the database; empty = the hostname.
    std::string host;
    // private-key, certificate, ca-cert: PEM files for ssl: remotes (under --root).
    std::filesystem::path privateKey;
    std::filesystem::path certificate;
    std::filesystem::path caCert;
    // heartbeat-interval: seconds between refreshes of Host_Status.last_seen (0: none).
    unsigned heartbeatInterval = 15;
    // snapshot-dir: the administrator's folder of switch snapshots (dvsctl snapshot-*), as
    // DIR/SWITCH/NAME.xml. dvsd itself keeps its own copies under its state folder.
    std::filesystem::path snapshotDir;
    // revert-timeout: seconds a host has, after a generation changed its network, to prove it
    // still reaches the database and passes the switch's probes before it returns to the last
    // known good generation (a switch's own revert timeout wins). 0: no automatic revert.
    unsigned revertTimeout = 30;

    // host, or the machine's hostname.
    std::string hostName() const;
};

// dvsd.conf: groups [dvsd], [libvirt], [ovs] and [management]. Every path is a host path, placed
// under --root.
struct DaemonConfig
{
    // [libvirt] mode: driver (dvsd is libvirt's network driver) or hook (dvsd publishes its
    // networks into a monolithic libvirtd and takes its ports from hooks/network). The key was
    // first in [dvsd]; it is still read there when [libvirt] does not set it.
    SocketMode mode = SocketMode::Driver;
    // [libvirt] uri: the libvirtd that hook mode publishes networks into.
    std::string libvirtUri = "qemu:///system";
    // [ovs] remote: the Open vSwitch database, "unix:PATH" or "tcp:IP:PORT"; empty = the
    // default unix:/run/openvswitch/db.sock, placed under --root (see ovsRemoteUnder()). An
    // explicit remote is used as given.
    std::string ovsRemote;
    // [ovs] datapath-type: Bridge.datapath_type of the bridges dvsd creates, "system" (the
    // kernel module) or "netdev" (the userspace datapath).
    std::string ovsDatapathType = "system";
    // Folder of the sockets; empty = the mode's default (/run/libvirt or /run/dvs).
    std::filesystem::path unixSockDir;
    mode_t unixSockRwPerms = 0600;
    mode_t unixSockRoPerms = 0666;
    // Group name owning both sockets; empty = the daemon's.
    std::string unixSockGroup;
    // libvirt's auth_unix_rw and auth_unix_ro: "none" or "polkit" (sasl is not offered).
    UnixAuth authUnixRw = UnixAuth::None;
    UnixAuth authUnixRo = UnixAuth::None;
    int keepaliveInterval = 5;
    unsigned keepaliveCount = 5;
    // libvirt's max_clients: at this many connections dvsd stops accepting; more wait.
    unsigned maxClients = 5000;
    // libvirt's max_anonymous_clients: at this many connections still waiting to pass polkit,
    // dvsd stops accepting; more wait.
    unsigned maxAnonymousClients = 20;
    // libvirt's other daemon limits, with its defaults. dvsd reads them so that a libvirt
    // configuration carries over; they bind nothing further here: dvsd answers one
    // connection's calls one at a time, in order (at most max_client_requests), and one loop
    // thread serves every client, with one more thread for large definitions.
    unsigned maxClientRequests = 5;
    unsigned minWorkers = 5;
    unsigned maxWorkers = 20;
    unsigned prioWorkers = 5;
    // The most verbose level written: G_LOG_LEVEL_{CRITICAL,WARNING,MESSAGE,INFO,DEBUG}.
    GLogLevelFlags logLevel = G_LOG_LEVEL_INFO;
    ManagementConfig management;

    // The read-write and read-only socket paths under root.
    std::filesystem::path rwSocket(const std::filesystem::path& root) const;
    std::filesystem::path roSocket(const std::filesystem::path& root) const;
    // The OVSDB remote dvsd uses: ovsRemote, or the default socket under root.
    std::string ovsRemoteUnder(const std::filesystem::path& root) const;
    // The group id of unixSockGroup; nullopt when unset. Throws Error(ConfSyntax) when unknown.
    std::optional<gid_t> socketGroup() const;
};

// One key dvsd.conf may hold.
struct ConfigKey
{
    std::string_view group;
    std::string_view key;
};

// Every key dvsd.conf may hold, by group; loadConfig() refuses any other, so this list is what
// the documentation must cover (the test suite checks dvsd.conf(5) against it).
std::span<const ConfigKey> configKeys();

// Reads dvsd.conf. A file that does not exist gives the defaults unless mustExist; a file that
// cannot be read or parsed, an unknown key or a bad value throws Error(ConfSyntax) naming the
// file, the key and the value.
DaemonConfig loadConfig(const std::filesystem::path& file, bool mustExist);

// Places an absolute host path under root ("/" leaves it unchanged).
std::filesystem::path underRoot(const std::filesystem::path& root,
                                const std::filesystem::path& path);

} // namespace dvs::config
