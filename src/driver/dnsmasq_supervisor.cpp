// SPDX-License-Identifier: LGPL-2.1-or-later
#include "driver/dnsmasq_supervisor.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <map>
#include <optional>
#include <sys/types.h>
#include <sys/wait.h>
#include <thread>

#include <fmt/format.h>
#include <glib.h>

#include "util/error.h"
#include "util/file.h"
#include "virtnet/dnsmasq_conf.h"
#include "virtnet/dnsmasq_files.h"

namespace fs = std::filesystem;

namespace dvs::driver {

namespace {

std::optional<std::string> readIfExists(const fs::path& path)
{
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        return std::nullopt;
    }
    try {
        return util::readFile(path);
    } catch (const Error&) {
        return std::nullopt;
    }
}

// Whether the process runs (a zombie waiting for a parent that may never reap it does not).
bool alive(pid_t pid)
{
    if (pid <= 0 || (::kill(pid, 0) != 0 && errno != EPERM)) {
        return false;
    }
    auto stat = readIfExists(fs::path("/proc") / std::to_string(pid) / "stat");
    if (!stat) {
        return true;
    }
    auto close = stat->rfind(')');
    return close == std::string::npos || close + 2 >= stat->size() || (*stat)[close + 2] != 'Z';
}

// Waits (polling, with a deadline) until the process is gone.
bool waitGone(pid_t pid, std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (alive(pid)) {
        // A zombie of ours (it should not be: dnsmasq daemonizes) would never go.
        (void)::waitpid(pid, nullptr, WNOHANG);
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

class DnsmasqSupervisor final : public DnsmasqRunner
{
public:
    explicit DnsmasqSupervisor(DnsmasqOptions options) : options_(std::move(options))
    {
        if (options_.checkIntervalSeconds != 0) {
            timer_ = g_timeout_add_seconds(options_.checkIntervalSeconds, &onTimer, this);
        }
    }

    ~DnsmasqSupervisor() override
    {
        if (timer_ != 0) {
            g_source_remove(timer_);
        }
    }

    void start(const conf::NetworkDef& def, bool adopt) override
    {
        if (!virtnet::needsDnsmasq(def)) {
            return;
        }
        auto names = virtnet::DnsmasqFileNames::of(def.name, options_.configDir);
        auto contents = virtnet::dnsmasqContents(def, paths());
        if (adopt) {
            if (auto pid = runningPid(def)) {
                bool same = readIfExists(names.config) == contents.config &&
                            readIfExists(names.hostsFile) == contents.hostsFile &&
                            readIfExists(names.addnHosts) == contents.addnHosts;
                running_[def.name] = {def, *pid};
                if (!same) {
                    restart(def);
                }
                return;
            }
        } else if (auto pid = runningPid(def)) {
            // A dnsmasq left over for this network (dvsd killed before it could stop it).
            terminate(*pid);
        }
        virtnet::writeDnsmasqFiles(def, paths());
        launch(def);
    }

    void stop(const conf::NetworkDef& def) noexcept override
    {
        try {
            auto it = running_.find(def.name);
            std::optional<pid_t> pid;
            if (it != running_.end()) {
                pid = it->second.pid;
                running_.erase(it);
            } else {
                pid = runningPid(def);
            }
            if (pid) {
                terminate(*pid);
            }
            util::removeFileDurable(pidFile(def.name));
            virtnet::removeDnsmasqFiles(def.name, options_.configDir);
        } catch (const std::exception&) {
            // Left for the next start, which stops a leftover dnsmasq.
        }
    }

    void update(const conf::NetworkDef& def) override
    {
        auto it = running_.find(def.name);
        if (it == running_.end()) {
            if (virtnet::needsDnsmasq(def)) {
                start(def, false);
            }
            return;
        }
        if (!virtnet::needsDnsmasq(def)) {
            stop(def);
            return;
        }
        auto names = virtnet::DnsmasqFileNames::of(def.name, options_.configDir);
        auto contents = virtnet::dnsmasqContents(def, paths());
        it->second.def = def;
        if (readIfExists(names.config) != contents.config) {
            // Its configuration changed: dnsmasq cannot reread it (libvirt restarts it too).
            restart(def);
            return;
        }
        if (readIfExists(names.hostsFile) != contents.hostsFile ||
            readIfExists(names.addnHosts) != contents.addnHosts) {
            virtnet::writeDnsmasqHosts(def, paths());
            if (::kill(it->second.pid, SIGHUP) != 0) {
                restart(def);
            }
        }
    }

    std::string describe(const conf::NetworkDef& def) const override
    {
        if (!virtnet::needsDnsmasq(def)) {
            return {};
        }
        auto it = running_.find(def.name);
        if (it == running_.end() || !alive(it->second.pid)) {
            return "dnsmasq not running";
        }
        return fmt::format("dnsmasq pid {}", it->second.pid);
    }

private:
    struct Running
    {
        conf::NetworkDef def;
        pid_t pid = 0;
    };

    virtnet::DnsmasqPaths paths() const
    {
        virtnet::DnsmasqPaths p;
        p.dir = options_.configDir;
        return p;
    }

    fs::path pidFile(const std::string& network) const
    {
        return options_.pidDir / (network + ".pid");
    }

    // The dnsmasq of this network, from its pid file: alive, and started with its
    // configuration file (so a recycled pid is never taken for it).
    std::optional<pid_t> runningPid(const conf::NetworkDef& def) const
    {
        auto text = readIfExists(pidFile(def.name));
        if (!text) {
            return std::nullopt;
        }
        pid_t pid = 0;
        try {
            pid = static_cast<pid_t>(std::stol(*text));
        } catch (const std::exception&) {
            return std::nullopt;
        }
        if (!alive(pid)) {
            return std::nullopt;
        }
        auto cmdline = readIfExists(fs::path("/proc") / std::to_string(pid) / "cmdline");
        auto names = virtnet::DnsmasqFileNames::of(def.name, options_.configDir);
        if (!cmdline ||
            cmdline->find("--conf-file=" + names.config.string()) == std::string::npos) {
            return std::nullopt;
        }
        return pid;
    }

    static void terminate(pid_t pid)
    {
        // Never 0 or negative: kill() would signal a whole process group.
        if (pid <= 0 || ::kill(pid, SIGTERM) != 0) {
            return;
        }
        if (!waitGone(pid, std::chrono::seconds(5))) {
            (void)::kill(pid, SIGKILL);
            waitGone(pid, std::chrono::seconds(5));
        }
    }

    void restart(const conf::NetworkDef& def)
    {
        if (auto it = running_.find(def.name); it != running_.end()) {
            terminate(it->second.pid);
            running_.erase(it);
        }
        virtnet::writeDnsmasqFiles(def, paths());
        launch(def);
    }

    void launch(const conf::NetworkDef& def)
    {
        auto names = virtnet::DnsmasqFileNames::of(def.name, options_.configDir);
        auto pidPath = pidFile(def.name);
        std::error_code ec;
        fs::create_directories(options_.pidDir, ec);
        fs::create_directories(options_.leasesDir, ec);
        util::removeFileDurable(pidPath);

        std::vector<std::string> args{options_.binary, "--conf-file=" + names.config.string(),
                                      "--leasefile-ro", "--pid-file=" + pidPath.string()};
        if (!options_.leaseHelper.empty()) {
            args.push_back("--dhcp-script=" + options_.leaseHelper.string());
        }
        std::vector<char*> argv;
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);

        gchar** env = g_get_environ();
        env = g_environ_setenv(env, "DVS_NETWORK", def.name.c_str(), TRUE);
        env = g_environ_setenv(env, "DVS_LEASES_DIR", options_.leasesDir.string().c_str(), TRUE);
        env = g_environ_setenv(env, "DVS_SOCKET", options_.socket.string().c_str(), TRUE);
        // dnsmasq does not name the interface of the leases it expires as it starts; libvirt
        // passes the bridge for its helper the same way.
        env = g_environ_setenv(env, "VIR_BRIDGE_NAME", def.bridge->c_str(), TRUE);

        gchar* out = nullptr;
        gchar* err = nullptr;
        gint status = 0;
        GError* error = nullptr;
        // dnsmasq daemonizes: its first process exits once the daemon serves (or failed).
        gboolean ok = g_spawn_sync(nullptr, argv.data(), env, G_SPAWN_SEARCH_PATH, nullptr, nullptr,
                                   &out, &err, &status, &error);
        g_strfreev(env);
        std::string errText = err != nullptr ? err : "";
        g_free(out);
        g_free(err);
        if (!ok) {
            std::string why = error->message;
            g_error_free(error);
            raise(ErrorCode::InternalError, "Cannot run '{}': {}", options_.binary, why);
        }
        while (!errText.empty() && (errText.back() == '\n' || errText.back() == ' ')) {
            errText.pop_back();
        }
        if (!g_spawn_check_wait_status(status, nullptr)) {
            int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            raise(ErrorCode::InternalError, "Child process ({}) unexpected exit status {}: {}",
                  fmt::join(args, " "), code, errText);
        }
        // The daemon writes its pid file as it starts serving.
        std::optional<pid_t> pid;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!(pid = runningPid(def))) {
            if (std::chrono::steady_clock::now() >= deadline) {
                raise(ErrorCode::InternalError, "dnsmasq of network '{}' wrote no pid file '{}'",
                      def.name, pidPath.string());
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        running_[def.name] = {def, *pid};
    }

    // A dnsmasq that died is started again.
    static gboolean onTimer(gpointer self)
    {
        auto* sup = static_cast<DnsmasqSupervisor*>(self);
        std::vector<conf::NetworkDef> dead;
        for (const auto& [name, run] : sup->running_) {
            if (!alive(run.pid)) {
                dead.push_back(run.def);
            }
        }
        for (const auto& def : dead) {
            sup->running_.erase(def.name);
            try {
                virtnet::writeDnsmasqFiles(def, sup->paths());
                sup->launch(def);
            } catch (const std::exception&) {
                // Tried again at the next tick; describe() says it is not running.
                sup->running_[def.name] = {def, 0};
            }
        }
        return G_SOURCE_CONTINUE;
    }

    DnsmasqOptions options_;
    std::map<std::string, Running> running_;
    guint timer_ = 0;
};

} // namespace

std::shared_ptr<DnsmasqRunner> makeDnsmasqSupervisor(DnsmasqOptions options)
{
    return std::make_shared<DnsmasqSupervisor>(std::move(options));
}

} // namespace dvs::driver
