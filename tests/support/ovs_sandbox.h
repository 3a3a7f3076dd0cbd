// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "test_support.h"

namespace dvs::test {

struct OvsSandboxOptions
{
    // The schema of the database; empty: the vswitch schema (DVS_VSWITCH_SCHEMA, else the
    // path openvswitch-common installs).
    std::filesystem::path schema{};
    // Also listen on tcp:127.0.0.1 (a free port picked at start).
    bool tcp = false;
    // A Raft cluster of clusterSize servers instead of a standalone database (the cluster
    // talks over tcp on free ports of 127.0.0.1). Server 0 creates the cluster, the others
    // join it; each has its own unix socket.
    bool clustered = false;
    int clusterSize = 1;
    // Start ovs-vswitchd too (bridges then need datapath_type=netdev: no kernel module).
    bool vswitchd = false;
    // Initialise the Open_vSwitch table (ovs-vsctl init), as the system's ovs-ctl does.
    bool init = true;
    // More arguments for server 0 (e.g. --remote=pssl:PORT:127.0.0.1 and its key files).
    std::vector<std::string> serverArgs{};
};

// A private Open vSwitch in a temporary folder: ovsdb-server on a unix socket (and optionally
// tcp), optionally ovs-vswitchd with the userspace datapath. Nothing outside the folder is used;
// the processes are stopped when the sandbox is destroyed. Methods throw std::runtime_error
// when a tool fails.
class OvsSandbox
{
public:
    // Why a sandbox cannot run here (a missing program or schema), or nullopt.
    static std::optional<std::string> unavailable(const OvsSandboxOptions& options = {});
    // The vswitch schema path to use.
    static std::filesystem::path vswitchSchema();
    // A tcp port on 127.0.0.1 that was free a moment ago.
    static int freeTcpPort();

    explicit OvsSandbox(OvsSandboxOptions options = {});
    ~OvsSandbox();
    OvsSandbox(const OvsSandbox&) = delete;
    OvsSandbox& operator=(const OvsSandbox&) = delete;

    const std::filesystem::path& dir() const { return dir_.path(); }
    const std::filesystem::path& socketPath(int server = 0) const
    {
        return servers_.at(server).socket;
    }
    // "unix:PATH" for clients.
    std::string unixRemote(int server = 0) const;
    // "tcp:127.0.0.1:PORT" of server 0; only with options.tcp.
    std::string tcpRemote() const;
    int serverCount() const { return static_cast<int>(servers_.size()); }
    // The index of the cluster's leader (by cluster/status), or -1.
    int leaderIndex() const;
    // The database name of the schema (e.g. "Open_vSwitch").
    const std::string& database() const { return database_; }

    // ovsdb-server: its pid, killing it with a signal (waits until it is gone), and starting it
    // again on the same database file, socket and port.
    pid_t serverPid(int server = 0) const { return servers_.at(server).pid; }
    void killServer(int signal, int server = 0);
    void startServer(int server = 0);
    bool serverRunning(int server = 0) const { return servers_.at(server).pid > 0; }

    void startVswitchd();
    void stopVswitchd();
    // A crash of ovs-vswitchd: signal (SIGKILL) and reap it; startVswitchd() brings it back.
    void killVswitchd(int signal);
    bool vswitchdRunning() const { return vswitchdPid_ > 0; }

    // Runs ovs-vsctl against the sandbox (--no-wait unless vswitchd runs) and returns its
    // standard output without the trailing newline.
    std::string vsctl(const std::vector<std::string>& args) const;
    // Runs any program with the sandbox's environment (OVS_RUNDIR etc.) and returns its output.
    std::string run(const std::vector<std::string>& argv) const;

private:
    pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& log) const;
    void waitForSocket(const std::filesystem::path& path, pid_t pid) const;
    void stopProcess(pid_t& pid, int signal);

    struct Server
    {
        std::filesystem::path db;
        std::filesystem::path socket;
        std::string name; // file name prefix: ovsdb-server, ovsdb-server-1, ...
        int raftPort = 0;
        pid_t pid = -1;
    };

    OvsSandboxOptions options_;
    TempDir dir_;
    std::filesystem::path schema_;
    std::string database_;
    int tcpPort_ = 0;
    std::vector<Server> servers_;
    pid_t vswitchdPid_ = -1;
};

// Runs the default GLib main context until pred() is true or the deadline passes; returns
// pred()'s last value. Never sleeps: it blocks in the main loop, waking at least every 10 ms.
template <typename Pred>
bool runUntil(Pred pred, std::chrono::milliseconds deadline = std::chrono::seconds(10));

bool iterateMainContext(std::chrono::steady_clock::time_point until);

template <typename Pred>
bool runUntil(Pred pred, std::chrono::milliseconds deadline)
{
    auto until = std::chrono::steady_clock::now() + deadline;
    while (!static_cast<bool>(pred())) {
        if (!iterateMainContext(until)) {
            return static_cast<bool>(pred());
        }
    }
    return true;
}

} // namespace dvs::test
