// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ovs_sandbox.h"

#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <glib.h>

namespace dvs::test {

namespace {

constexpr auto kStartTimeout = std::chrono::seconds(10);
// Interval between checks while polling for a daemon's socket (with a deadline).
constexpr auto kPollInterval = std::chrono::milliseconds(5);

std::string readAll(const std::filesystem::path& path)
{
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace

int OvsSandbox::freeTcpPort()
{
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        throw std::runtime_error("cannot create a socket to find a free port");
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot bind a socket to find a free port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

namespace {

bool canConnect(const std::filesystem::path& path)
{
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string p = path.string();
    if (p.size() >= sizeof(addr.sun_path)) {
        ::close(fd);
        return false;
    }
    p.copy(addr.sun_path, p.size());
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    return ok;
}

std::vector<char*> cArgv(const std::vector<std::string>& argv)
{
    std::vector<char*> out;
    for (const auto& a : argv) {
        out.push_back(const_cast<char*>(a.c_str()));
    }
    out.push_back(nullptr);
    return out;
}

} // namespace

std::filesystem::path OvsSandbox::vswitchSchema()
{
    const char* env = std::getenv("DVS_VSWITCH_SCHEMA");
    if (env != nullptr && *env != '\0') {
        return env;
    }
    return "/usr/share/openvswitch/vswitch.ovsschema";
}

std::optional<std::string> OvsSandbox::unavailable(const OvsSandboxOptions& options)
{
    std::vector<const char*> programs{"ovsdb-server", "ovsdb-tool", "ovs-vsctl", "ovsdb-client"};
    if (options.vswitchd) {
        programs.push_back("ovs-vswitchd");
    }
    for (const char* program : programs) {
        gchar* found = g_find_program_in_path(program);
        if (found == nullptr) {
            return std::string(program) + " is not installed (package openvswitch-switch)";
        }
        g_free(found);
    }
    auto schema = options.schema.empty() ? vswitchSchema() : options.schema;
    if (!std::filesystem::is_regular_file(schema)) {
        return "the OVSDB schema " + schema.string() + " is missing";
    }
    return std::nullopt;
}

OvsSandbox::OvsSandbox(OvsSandboxOptions options) : options_(std::move(options))
{
    schema_ = options_.schema.empty() ? vswitchSchema() : options_.schema;
    database_ = run({"ovsdb-tool", "schema-name", schema_.string()});
    int count = options_.clustered ? std::max(options_.clusterSize, 1) : 1;
    for (int i = 0; i < count; ++i) {
        std::string suffix = i == 0 ? "" : "-" + std::to_string(i);
        Server server;
        server.name = "ovsdb-server" + suffix;
        server.db = dir() / ("conf" + suffix + ".db");
        server.socket = dir() / ("db" + suffix + ".sock");
        if (options_.clustered) {
            server.raftPort = freeTcpPort();
            std::string address = "tcp:127.0.0.1:" + std::to_string(server.raftPort);
            if (i == 0) {
                run({"ovsdb-tool", "create-cluster", server.db.string(), schema_.string(),
                     address});
            } else {
                run({"ovsdb-tool", "join-cluster", server.db.string(), database_, address,
                     "tcp:127.0.0.1:" + std::to_string(servers_.front().raftPort)});
            }
        } else {
            run({"ovsdb-tool", "create", server.db.string(), schema_.string()});
        }
        servers_.push_back(std::move(server));
    }
    if (options_.tcp) {
        tcpPort_ = freeTcpPort();
    }
    for (int i = 0; i < count; ++i) {
        startServer(i);
    }
    if (options_.init && database_ == "Open_vSwitch") {
        vsctl({"init"});
    }
    if (options_.vswitchd) {
        startVswitchd();
    }
}

OvsSandbox::~OvsSandbox()
{
    try {
        stopProcess(vswitchdPid_, SIGTERM);
        for (auto& server : servers_) {
            stopProcess(server.pid, SIGTERM);
        }
    } catch (...) {
        // Best effort: the temporary folder goes away regardless.
    }
}

std::string OvsSandbox::unixRemote(int server) const
{
    return "unix:" + servers_.at(server).socket.string();
}

int OvsSandbox::leaderIndex() const
{
    for (int i = 0; i < serverCount(); ++i) {
        if (servers_[i].pid <= 0) {
            continue;
        }
        std::string status =
            run({"ovs-appctl", "-t", (dir() / (servers_[i].name + ".ctl")).string(),
                 "cluster/status", database_});
        if (status.find("Role: leader") != std::string::npos) {
            return i;
        }
    }
    return -1;
}

std::string OvsSandbox::tcpRemote() const
{
    if (tcpPort_ == 0) {
        throw std::runtime_error("the sandbox was started without tcp");
    }
    return "tcp:127.0.0.1:" + std::to_string(tcpPort_);
}

pid_t OvsSandbox::spawn(const std::vector<std::string>& argv,
                        const std::filesystem::path& log) const
{
    gchar** env = g_get_environ();
    for (const char* name : {"OVS_RUNDIR", "OVS_LOGDIR", "OVS_DBDIR", "OVS_SYSCONFDIR"}) {
        env = g_environ_setenv(env, name, dir().c_str(), TRUE);
    }
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    auto args = cArgv(argv);
    GPid pid = 0;
    GError* error = nullptr;
    gboolean ok = g_spawn_async_with_fds(
        dir().c_str(), args.data(), env,
        static_cast<GSpawnFlags>(G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD), nullptr, nullptr,
        &pid, -1, out, out, &error);
    g_strfreev(env);
    if (out >= 0) {
        ::close(out);
    }
    if (!ok) {
        std::string message = error->message;
        g_error_free(error);
        throw std::runtime_error("cannot start " + argv.front() + ": " + message);
    }
    return pid;
}

void OvsSandbox::waitForSocket(const std::filesystem::path& path, pid_t pid) const
{
    auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (!canConnect(path)) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            throw std::runtime_error("daemon exited before listening on " + path.string() + ": " +
                                     readAll(dir() / "daemons.out"));
        }
        if (std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error("daemon did not listen on " + path.string() + " in time");
        }
        std::this_thread::sleep_for(kPollInterval);
    }
}

void OvsSandbox::startServer(int index)
{
    Server& server = servers_.at(index);
    if (server.pid > 0) {
        return;
    }
    std::error_code ec;
    std::filesystem::remove(server.socket, ec);
    std::vector<std::string> argv{"ovsdb-server",
                                  server.db.string(),
                                  "--remote=punix:" + server.socket.string(),
                                  "--pidfile=" + (dir() / (server.name + ".pid")).string(),
                                  "--log-file=" + (dir() / (server.name + ".log")).string(),
                                  "--unixctl=" + (dir() / (server.name + ".ctl")).string(),
                                  "--no-chdir"};
    if (tcpPort_ != 0 && index == 0) {
        argv.push_back("--remote=ptcp:" + std::to_string(tcpPort_) + ":127.0.0.1");
    }
    if (index == 0) {
        argv.insert(argv.end(), options_.serverArgs.begin(), options_.serverArgs.end());
    }
    if (database_ == "Open_vSwitch") {
        argv.push_back("--remote=db:Open_vSwitch,Open_vSwitch,manager_options");
    }
    server.pid = spawn(argv, dir() / "daemons.out");
    waitForSocket(server.socket, server.pid);
    if (options_.clustered) {
        run({"ovsdb-client", "--timeout=10", "wait", unixRemote(index), database_, "connected"});
    }
}

void OvsSandbox::killServer(int signal, int server)
{
    stopProcess(servers_.at(server).pid, signal);
}

void OvsSandbox::startVswitchd()
{
    if (vswitchdPid_ > 0) {
        return;
    }
    auto ctl = dir() / "ovs-vswitchd.ctl";
    vswitchdPid_ =
        spawn({"ovs-vswitchd", unixRemote(), "--pidfile=" + (dir() / "ovs-vswitchd.pid").string(),
               "--log-file=" + (dir() / "ovs-vswitchd.log").string(), "--unixctl=" + ctl.string(),
               "--no-chdir"},
              dir() / "daemons.out");
    waitForSocket(ctl, vswitchdPid_);
}

void OvsSandbox::stopVswitchd()
{
    stopProcess(vswitchdPid_, SIGTERM);
}

void OvsSandbox::killVswitchd(int signal)
{
    stopProcess(vswitchdPid_, signal);
}

void OvsSandbox::stopProcess(pid_t& pid, int signal)
{
    if (pid <= 0) {
        return;
    }
    ::kill(pid, signal);
    auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            break;
        }
        std::this_thread::sleep_for(kPollInterval);
    }
    pid = -1;
}

std::string OvsSandbox::vsctl(const std::vector<std::string>& args) const
{
    std::vector<std::string> argv{"ovs-vsctl", "--db=" + unixRemote(), "--timeout=10"};
    if (vswitchdPid_ <= 0) {
        argv.push_back("--no-wait");
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
}

std::string OvsSandbox::run(const std::vector<std::string>& argv) const
{
    gchar** env = g_get_environ();
    for (const char* name : {"OVS_RUNDIR", "OVS_LOGDIR", "OVS_DBDIR", "OVS_SYSCONFDIR"}) {
        env = g_environ_setenv(env, name, dir().c_str(), TRUE);
    }
    auto args = cArgv(argv);
    gchar* out = nullptr;
    gchar* err = nullptr;
    gint status = 0;
    GError* error = nullptr;
    gboolean ok = g_spawn_sync(dir().c_str(), args.data(), env, G_SPAWN_SEARCH_PATH, nullptr,
                               nullptr, &out, &err, &status, &error);
    g_strfreev(env);
    std::string stdoutText = out != nullptr ? out : "";
    std::string stderrText = err != nullptr ? err : "";
    g_free(out);
    g_free(err);
    if (!ok) {
        std::string message = error->message;
        g_error_free(error);
        throw std::runtime_error("cannot run " + argv.front() + ": " + message);
    }
    if (!g_spawn_check_wait_status(status, nullptr)) {
        std::string command;
        for (const auto& a : argv) {
            command += a + " ";
        }
        throw std::runtime_error("command failed: " + command + ": " + stderrText);
    }
    while (!stdoutText.empty() && stdoutText.back() == '\n') {
        stdoutText.pop_back();
    }
    return stdoutText;
}

bool iterateMainContext(std::chrono::steady_clock::time_point until)
{
    auto now = std::chrono::steady_clock::now();
    if (now >= until) {
        return false;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count();
    // A wakeup source bounds the blocking iteration by the deadline.
    GSource* wake = g_timeout_source_new(static_cast<guint>(std::min<long>(left + 1, 10)));
    g_source_set_callback(
        wake, [](gpointer) -> gboolean { return G_SOURCE_REMOVE; }, nullptr, nullptr);
    g_source_attach(wake, nullptr);
    g_main_context_iteration(nullptr, TRUE);
    g_source_destroy(wake);
    g_source_unref(wake);
    return true;
}

} // namespace dvs::test
