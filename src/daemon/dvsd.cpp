// SPDX-License-Identifier: LGPL-2.1-or-later
// dvsd: the libvirt-dvs daemon. Serves libvirt's network driver protocol on unix sockets
// (docs/architecture.md), in the foreground, logging to stderr or the journal.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>
#include <glib-unix.h>
#include <glib.h>

#ifdef DVS_HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "config/daemon_config.h"
#include "driver/backend.h"
#include "driver/dhcp_leases.h"
#include "driver/dnsmasq_supervisor.h"
#include "driver/host_backends.h"
#include "driver/network_driver.h"
#include "driver/virtual_backend.h"
#include "dvs_config.h"
#include "hook/hook_mode.h"
#include "mgmt/agent.h"
#include "rpc/server.h"
#include "util/error.h"
#include "util/notice.h"

namespace dvs::daemon {

namespace {

constexpr auto kFlushTimeout = std::chrono::seconds(5);

// The most verbose level written; changed by SIGHUP.
std::atomic<int> gLogLevel = G_LOG_LEVEL_INFO;
bool gUseJournal = false;

GLogWriterOutput writeLog(GLogLevelFlags level, const GLogField* fields, gsize nFields,
                          gpointer data) noexcept
{
    int severity = level & G_LOG_LEVEL_MASK;
    if (severity > gLogLevel.load()) {
        return G_LOG_WRITER_HANDLED;
    }
    if (gUseJournal &&
        g_log_writer_journald(level, fields, nFields, data) == G_LOG_WRITER_HANDLED) {
        return G_LOG_WRITER_HANDLED;
    }
    return g_log_writer_standard_streams(level, fields, nFields, data);
}

template <typename... Args>
void logMessage(GLogLevelFlags level, fmt::format_string<Args...> format, Args&&... args)
{
    std::string text = fmt::format(format, std::forward<Args>(args)...);
    g_log_structured("dvsd", level, "MESSAGE", "%s", text.c_str());
}

// Where the lower layers' notices go: logged in their own domain (docs/architecture.md,
// "Logging").
util::NoticeSink noticeLogger(const char* domain)
{
    return util::NoticeSink([domain](util::Notice notice) {
        auto level =
            notice.level == util::NoticeLevel::Warning ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_INFO;
        g_log_structured(domain, level, "MESSAGE", "%s", notice.text.c_str());
    });
}

void notify([[maybe_unused]] const char* state)
{
#ifdef DVS_HAVE_LIBSYSTEMD
    sd_notify(0, state);
#endif
}

bool socketPathIs(int fd, const std::filesystem::path& path)
{
    sockaddr_un addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) < 0 ||
        addr.sun_family != AF_UNIX) {
        return false;
    }
    return std::strncmp(addr.sun_path, path.c_str(), sizeof addr.sun_path) == 0;
}

struct Activated
{
    bool rw = false;
    bool ro = false;
};

// Takes the sockets systemd passed (dvsd.socket, dvsd-ro.socket), matching them by path, then
// by name.
Activated adoptSystemdSockets([[maybe_unused]] rpc::Server& server,
                              [[maybe_unused]] const std::filesystem::path& rwPath,
                              [[maybe_unused]] const std::filesystem::path& roPath)
{
    Activated activated;
#ifdef DVS_HAVE_LIBSYSTEMD
    char** names = nullptr;
    int n = sd_listen_fds_with_names(1, &names);
    if (n < 0) {
        throw Error(
            ErrorCode::SystemError,
            fmt::format("Failed to get the sockets passed by systemd: {}", std::strerror(-n)));
    }
    for (int i = 0; i < n; ++i) {
        int fd = SD_LISTEN_FDS_START + i;
        std::string name = names != nullptr && names[i] != nullptr ? names[i] : "";
        bool readOnly = false;
        if (socketPathIs(fd, roPath)) {
            readOnly = true;
        } else if (socketPathIs(fd, rwPath)) {
            readOnly = false;
        } else {
            readOnly = name.find("-ro") != std::string::npos;
        }
        server.adoptListener(util::UniqueFd(fd), readOnly);
        (readOnly ? activated.ro : activated.rw) = true;
        logMessage(G_LOG_LEVEL_INFO, "Using the {} socket passed by systemd ({})",
                   readOnly ? "read-only" : "read-write", name.empty() ? "unnamed" : name);
    }
    if (names != nullptr) {
        for (int i = 0; i < n; ++i) {
            std::free(names[i]);
        }
        std::free(names);
    }
#endif
    return activated;
}

struct Options
{
    std::filesystem::path root = "/";
    std::filesystem::path config;
    bool configGiven = false;
    bool verbose = false;
};

std::optional<Options> parseOptions(int& argc, char**& argv, int& exitCode)
{
    gchar* root = nullptr;
    gchar* config = nullptr;
    gboolean verbose = FALSE;
    gboolean version = FALSE;
    GOptionEntry entries[] = {
        {"root", 0, 0, G_OPTION_ARG_FILENAME, &root,
         "Place every host path (configuration, state, sockets) under DIR", "DIR"},
        {"config", 0, 0, G_OPTION_ARG_FILENAME, &config,
         "Read the configuration from FILE instead of /etc/dvs/dvsd.conf", "FILE"},
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log debug messages", nullptr},
        {"version", 'V', 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", nullptr},
        {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr},
    };
    std::unique_ptr<GOptionContext, decltype(&g_option_context_free)> context(
        g_option_context_new("- libvirt-dvs network daemon"), &g_option_context_free);
    g_option_context_add_main_entries(context.get(), entries, nullptr);
    GError* error = nullptr;
    bool ok = g_option_context_parse(context.get(), &argc, &argv, &error);
    Options options;
    if (root != nullptr) {
        options.root = root;
    }
    if (config != nullptr) {
        options.config = config;
        options.configGiven = true;
    }
    options.verbose = verbose;
    g_free(root);
    g_free(config);
    if (!ok) {
        std::fprintf(stderr, "dvsd: %s\n", error->message);
        g_error_free(error);
        exitCode = 1;
        return std::nullopt;
    }
    if (version) {
        std::printf("dvsd %s\n", DVS_VERSION);
        exitCode = 0;
        return std::nullopt;
    }
    if (argc > 1) {
        std::fprintf(stderr, "dvsd: unexpected argument '%s'\n", argv[1]);
        exitCode = 1;
        return std::nullopt;
    }
    if (!options.root.is_absolute()) {
        options.root = std::filesystem::absolute(options.root);
    }
    if (!options.configGiven) {
        options.config = config::underRoot(options.root, "/etc/dvs/dvsd.conf");
    }
    return options;
}

// Everything the main loop's callbacks need.
struct Daemon
{
    Options options;
    config::DaemonConfig config;
    std::unique_ptr<driver::NetworkDriver> driver;
    std::unique_ptr<rpc::Server> server;
    std::unique_ptr<hook::HookMode> hookMode; // in hook mode only
    std::unique_ptr<mgmt::HostAgent> agent;   // with [management] remote only
    GMainLoop* loop = nullptr;
    bool stopping = false;
};

// Logs what the driver recovered from (files moved aside, ports dropped, ...), once each.
void logDriverNotices(driver::NetworkDriver& driver)
{
    for (const auto& notice : driver.takeNotices()) {
        logMessage(G_LOG_LEVEL_WARNING, "{}", notice);
    }
}

gboolean onTerminate(gpointer data) noexcept
{
    auto* daemon = static_cast<Daemon*>(data);
    if (daemon->stopping) {
        return G_SOURCE_CONTINUE;
    }
    daemon->stopping = true;
    logMessage(G_LOG_LEVEL_INFO, "Shutting down");
    notify("STOPPING=1");
    try {
        daemon->server->stopAccepting();
        daemon->server->flush(kFlushTimeout);
    } catch (const std::exception& error) {
        logMessage(G_LOG_LEVEL_WARNING, "Flushing replies failed: {}, ignoring", error.what());
    }
    g_main_loop_quit(daemon->loop);
    return G_SOURCE_CONTINUE;
}

gboolean onHangup(gpointer data) noexcept
{
    auto* daemon = static_cast<Daemon*>(data);
    notify("RELOADING=1");
    try {
        daemon->driver->reloadHooks();
        logMessage(G_LOG_LEVEL_INFO, "Reloaded hooks");
        logDriverNotices(*daemon->driver);
    } catch (const Error& error) {
        logMessage(G_LOG_LEVEL_CRITICAL, "Reloading hooks failed: {}", error.fullMessage());
    } catch (const std::exception& error) {
        logMessage(G_LOG_LEVEL_CRITICAL, "Reloading hooks failed: {}", error.what());
    }
    try {
        config::DaemonConfig next =
            config::loadConfig(daemon->options.config, daemon->options.configGiven);
        if (next.rwSocket(daemon->options.root) != daemon->config.rwSocket(daemon->options.root) ||
            next.unixSockRwPerms != daemon->config.unixSockRwPerms ||
            next.unixSockRoPerms != daemon->config.unixSockRoPerms ||
            next.unixSockGroup != daemon->config.unixSockGroup ||
            next.keepaliveInterval != daemon->config.keepaliveInterval ||
            next.keepaliveCount != daemon->config.keepaliveCount ||
            next.maxClients != daemon->config.maxClients ||
            next.libvirtUri != daemon->config.libvirtUri) {
            logMessage(
                G_LOG_LEVEL_WARNING,
                "Socket, keepalive and [libvirt] settings in '{}' take effect at the next start, "
                "ignoring",
                daemon->options.config.native());
        }
        daemon->config.logLevel = next.logLevel;
        if (!daemon->options.verbose) {
            gLogLevel = next.logLevel;
        }
        logMessage(G_LOG_LEVEL_INFO, "Reloaded configuration from '{}'",
                   daemon->options.config.native());
    } catch (const Error& error) {
        logMessage(G_LOG_LEVEL_CRITICAL, "Keeping the current configuration: {}",
                   error.fullMessage());
    } catch (const std::exception& error) {
        logMessage(G_LOG_LEVEL_CRITICAL, "Keeping the current configuration: {}", error.what());
    }
    notify("READY=1");
    return G_SOURCE_CONTINUE;
}

// The host agent of the distributed switch ([management] remote=): follows this host's
// memberships in the management database and applies them through the driver.
void startAgent(Daemon& daemon, const driver::DriverPaths& paths)
{
    const auto& config = daemon.config.management;
    const auto& root = daemon.options.root;
    mgmt::AgentOptions options;
    options.remotes = config.remotes;
    options.host = config.hostName();
    if (!config.privateKey.empty()) {
        options.privateKey = config::underRoot(root, config.privateKey);
        options.certificate = config::underRoot(root, config.certificate);
        options.caCert = config::underRoot(root, config.caCert);
    }
    options.heartbeatInterval = std::chrono::seconds(config.heartbeatInterval);
    options.revertTimeout = std::chrono::seconds(config.revertTimeout);
    options.sysfsRoot = root / "sys";
    options.stateDir = paths.libDir / "mgmt";
    options.snapshots.dir = paths.libDir / "snapshots";
    options.agentVersion = DVS_VERSION;
    daemon.agent = std::make_unique<mgmt::HostAgent>(g_main_context_default(), *daemon.driver,
                                                     std::move(options));
    daemon.agent->setNoticeHandler(
        [](const std::string& text) { logMessage(G_LOG_LEVEL_INFO, "{}", text); });
    daemon.agent->setNetworksChangedHandler([&daemon] {
        logDriverNotices(*daemon.driver);
        if (daemon.hookMode) {
            daemon.hookMode->networksChanged();
        }
    });
    daemon.agent->start();
    logMessage(G_LOG_LEVEL_INFO, "Host agent: host '{}' of the management database at '{}'",
               daemon.agent->options().host, fmt::join(config.remotes, ","));
}

int run(int argc, char** argv)
{
    int exitCode = 0;
    auto options = parseOptions(argc, argv, exitCode);
    if (!options) {
        return exitCode;
    }
    gUseJournal = g_log_writer_is_journald(fileno(stderr));
    g_log_set_writer_func(&writeLog, nullptr, nullptr);

    Daemon daemon;
    daemon.options = *options;
    daemon.config = config::loadConfig(daemon.options.config, daemon.options.configGiven);
    gLogLevel = daemon.options.verbose ? G_LOG_LEVEL_DEBUG : daemon.config.logLevel;

    // Signals are caught from here on (their callbacks run once the loop runs): a SIGTERM or
    // SIGHUP that arrives while the sockets are being set up must not kill the daemon.
    std::unique_ptr<GMainLoop, decltype(&g_main_loop_unref)> loop(g_main_loop_new(nullptr, FALSE),
                                                                  &g_main_loop_unref);
    daemon.loop = loop.get();
    unsigned termId = g_unix_signal_add(SIGTERM, &onTerminate, &daemon);
    unsigned intId = g_unix_signal_add(SIGINT, &onTerminate, &daemon);
    unsigned hupId = g_unix_signal_add(SIGHUP, &onHangup, &daemon);

    // Direct and hostdev networks are programmed through the kernel; the sysfs tree read for
    // SR-IOV is under the same root as every other host path.
    auto paths = driver::DriverPaths::underRoot(daemon.options.root);
    // OVS-backed networks are programmed through the OVSDB remote of [ovs].
    driver::OvsBackendOptions ovs;
    ovs.remote = daemon.config.ovsRemoteUnder(daemon.options.root);
    ovs.datapathType = daemon.config.ovsDatapathType;
    ovs.notices = noticeLogger("dvs-ovsdb");
    // libvirt's virtual networks (nat, route, open, isolated): run by dvsd in driver mode, left
    // to libvirtd in hook mode.
    std::unique_ptr<driver::NetworkBackend> virtualNetworks;
    std::shared_ptr<driver::DhcpLeaseStore> leases;
    if (daemon.config.mode != config::SocketMode::Hook) {
        // dnsmasq's files and leases as libvirt keeps them, in dvsd's folders.
        const auto dnsmasqDir = paths.libDir / "dnsmasq";
        leases = std::make_shared<driver::DhcpLeaseStore>(dnsmasqDir);
        driver::DnsmasqOptions dnsmasq;
        dnsmasq.configDir = dnsmasqDir;
        dnsmasq.leasesDir = dnsmasqDir;
        dnsmasq.pidDir = paths.runDir / "dnsmasq";
        const char* helper = g_getenv("DVS_LEASES_HELPER");
        dnsmasq.leaseHelper = helper != nullptr
                                  ? std::filesystem::path(helper)
                                  : std::filesystem::path(DVS_LIBEXECDIR) / "dvs-leaseshelper";
        dnsmasq.socket = daemon.config.rwSocket(daemon.options.root);
        driver::VirtualNetworkOptions virt;
        virt.firewallRecord = paths.runDir / "firewall" / "networks";
        virt.dnsmasq = driver::makeDnsmasqSupervisor(std::move(dnsmasq));
        virtualNetworks = driver::makeVirtualNetworkBackend(std::move(virt));
    }
    daemon.driver = std::make_unique<driver::NetworkDriver>(
        paths, driver::makeHostBackends(paths.runDir, (daemon.options.root / "sys").string(), ovs,
                                        std::move(virtualNetworks), std::move(leases)));
    logDriverNotices(*daemon.driver);

    rpc::ServerConfig serverConfig;
    serverConfig.keepaliveInterval = daemon.config.keepaliveInterval;
    serverConfig.keepaliveCount = daemon.config.keepaliveCount;
    serverConfig.maxClients = daemon.config.maxClients;
    serverConfig.maxAnonymousClients = daemon.config.maxAnonymousClients;
    auto socketAuth = [](config::UnixAuth auth) {
        return auth == config::UnixAuth::Polkit ? rpc::SocketAuth::Polkit : rpc::SocketAuth::None;
    };
    serverConfig.authRw = socketAuth(daemon.config.authUnixRw);
    serverConfig.authRo = socketAuth(daemon.config.authUnixRo);
    serverConfig.polkitDecided = [](const rpc::Session& session, const std::string& action,
                                    const std::optional<Error>& denied) {
        if (denied) {
            // libvirt's wording: "Policy kit denied action %s from pid %lld, uid %d: %s".
            logMessage(G_LOG_LEVEL_WARNING, "Policy kit denied action {} from {}: {}", action,
                       session.peer, denied->fullMessage());
        } else {
            logMessage(G_LOG_LEVEL_INFO, "Policy kit allowed action {} for {}", action,
                       session.peer);
        }
    };
    serverConfig.clientDropped = [](std::uint64_t id, const std::string& reason) {
        logMessage(G_LOG_LEVEL_INFO, "Closed client {}: {}", id, reason);
    };
    daemon.server = std::make_unique<rpc::Server>(*daemon.driver, serverConfig);
    // Every change with who made it: the identity the client set (virConnectSetIdentity), and
    // the peer of the socket.
    daemon.server->dispatcher().setChangeHandler(
        [](const rpc::Session& session, std::string_view api) {
            logMessage(G_LOG_LEVEL_INFO, "{} by {}{}", api,
                       session.identity.empty() ? "" : session.identity + ", ", session.peer);
        });

    auto rwPath = daemon.config.rwSocket(daemon.options.root);
    auto roPath = daemon.config.roSocket(daemon.options.root);
    Activated activated = adoptSystemdSockets(*daemon.server, rwPath, roPath);
    auto group = daemon.config.socketGroup();
    if (!activated.rw) {
        daemon.server->listenUnix(rwPath, false, daemon.config.unixSockRwPerms, group);
    }
    if (!activated.ro) {
        daemon.server->listenUnix(roPath, true, daemon.config.unixSockRoPerms, group);
    }

    if (daemon.config.mode == config::SocketMode::Hook) {
        // Publish dvsd's networks into libvirtd and take its ports from hooks/network.
        daemon.hookMode = std::make_unique<hook::HookMode>(*daemon.driver, daemon.config.libvirtUri,
                                                           noticeLogger("dvsd-hook"));
        auto& dispatcher = daemon.server->dispatcher();
        dispatcher.setNetworkHookHandler(
            [&daemon](const driver::NetworkHookCall& call) { daemon.hookMode->handle(call); });
        dispatcher.setNetworksChangedHandler([&daemon] { daemon.hookMode->networksChanged(); });
        logMessage(G_LOG_LEVEL_INFO, "Hook mode: publishing networks into libvirtd at '{}'",
                   daemon.config.libvirtUri);
    }

    if (!daemon.config.management.remotes.empty()) {
        startAgent(daemon, paths);
    }
    if (daemon.hookMode || daemon.agent) {
        // dvsctl status: where each network stands in libvirtd and in its switch.
        daemon.server->dispatcher().setPublicationState([&daemon](const std::string& network) {
            std::string text = daemon.hookMode ? daemon.hookMode->publicationState(network) : "";
            std::string member = daemon.agent ? daemon.agent->describe(network) : "";
            if (!text.empty() && !member.empty()) {
                text += "; ";
            }
            return text + member;
        });
    }

    daemon.server->start();
    logMessage(G_LOG_LEVEL_INFO, "dvsd {} listening on '{}' and '{}'", DVS_VERSION, rwPath.native(),
               roPath.native());
    notify("READY=1");

    g_main_loop_run(loop.get());

    g_source_remove(termId);
    g_source_remove(intId);
    g_source_remove(hupId);
    // The server first: a hook that libvirtd runs for a call the publisher is waiting on then
    // finds dvsd gone and lets libvirtd go on, so the publisher's thread can be joined.
    daemon.agent.reset();
    daemon.server.reset();
    daemon.hookMode.reset();
    daemon.driver.reset();
    logMessage(G_LOG_LEVEL_INFO, "Stopped");
    return 0;
}

} // namespace

} // namespace dvs::daemon

int main(int argc, char** argv)
{
    try {
        return dvs::daemon::run(argc, argv);
    } catch (const dvs::Error& error) {
        dvs::daemon::logMessage(G_LOG_LEVEL_CRITICAL, "{}", error.fullMessage());
    } catch (const std::exception& error) {
        dvs::daemon::logMessage(G_LOG_LEVEL_CRITICAL, "{}", error.what());
    }
    return 1;
}
