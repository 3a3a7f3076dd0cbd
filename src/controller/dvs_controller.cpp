// SPDX-License-Identifier: LGPL-2.1-or-later
// dvs-controller: drives the distributed switch's rollouts from their state in the management
// database. Run one on two or three machines: they compete for an OVSDB lock and only its holder
// acts; when it dies, its session ends, the server hands the lock to a standby and the rollouts
// go on from where the database says they are.
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <unistd.h>

#include <glib-unix.h>
#include <glib.h>

#include "dvs_config.h"
#include "mgmt/controller.h"
#include "mgmt/database.h"
#include "util/error.h"

namespace {

constexpr const char* kUsage =
    "Usage: dvs-controller [--db REMOTE] [--private-key FILE --certificate FILE --ca-cert FILE]\n"
    "                      [--id NAME] [--tick MS]\n"
    "\n"
    "Drives the rollouts of the distributed switches in the management database.\n"
    "\n"
    "  --db REMOTE   the database: unix:PATH, tcp:IP:PORT or a comma-separated list of a\n"
    "                cluster's servers (default: $DVS_DB); the controller talks to the\n"
    "                cluster's leader\n"
    "  --private-key FILE, -p FILE\n"
    "                this controller's private key for ssl: remotes (PEM)\n"
    "  --certificate FILE, -c FILE\n"
    "                its certificate, signed by the database's CA\n"
    "  --ca-cert FILE, -C FILE\n"
    "                the CA certificate that checks the server's\n"
    "  --id NAME     this controller's name in rollout-status and its log (default:\n"
    "                HOSTNAME:PID)\n"
    "  --tick MS     how often running rollouts are looked at without a change (default 1000)\n"
    "  --version     print the version\n"
    "\n"
    "Several controllers may run at once: they take the OVSDB lock 'dvs_controller' and only\n"
    "the holder acts (the others say 'standby'). SIGTERM or SIGINT stops it.\n";

gboolean onTerminate(gpointer loop)
{
    g_main_loop_quit(static_cast<GMainLoop*>(loop));
    return G_SOURCE_CONTINUE;
}

void log(const std::string& message)
{
    g_log_structured("dvs-controller", G_LOG_LEVEL_MESSAGE, "MESSAGE", "%s", message.c_str());
}

int run(int argc, char* argv[])
{
    dvs::mgmt::ControllerOptions options;
    std::string db;
    if (const char* env = std::getenv("DVS_DB")) {
        db = env;
    }
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        std::string value;
        bool hasValue = i + 1 < argc;
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            return 0;
        }
        if (arg == "--version") {
            std::cout << "dvs-controller " << DVS_VERSION << "\n";
            return 0;
        }
        if (arg == "-p") {
            arg = "--private-key";
        } else if (arg == "-c") {
            arg = "--certificate";
        } else if (arg == "-C") {
            arg = "--ca-cert";
        }
        if ((arg == "--db" || arg == "--id" || arg == "--tick" || arg == "--private-key" ||
             arg == "--certificate" || arg == "--ca-cert") &&
            hasValue) {
            value = argv[++i];
        } else {
            std::cerr << "error: unknown or incomplete option '" << arg << "'\n" << kUsage;
            return 1;
        }
        if (arg == "--db") {
            db = value;
        } else if (arg == "--private-key") {
            options.tls.privateKey = value;
        } else if (arg == "--certificate") {
            options.tls.certificate = value;
        } else if (arg == "--ca-cert") {
            options.tls.caCert = value;
        } else if (arg == "--id") {
            options.id = value;
        } else {
            char* end = nullptr;
            long ms = std::strtol(value.c_str(), &end, 10);
            if (end == value.c_str() || *end != '\0' || ms < 10 || ms > 600000) {
                std::cerr << "error: invalid --tick '" << value << "': 10 to 600000 ms\n";
                return 1;
            }
            options.tick = std::chrono::milliseconds(ms);
        }
    }
    if (db.empty()) {
        std::cerr << "error: no management database: give --db REMOTE or set DVS_DB\n";
        return 1;
    }
    options.remotes = dvs::mgmt::splitRemotes(db);
    bool ssl = false;
    for (const auto& remote : options.remotes) {
        ssl = ssl || remote.starts_with("ssl:");
    }
    bool someTls = !options.tls.empty();
    bool allTls = !options.tls.privateKey.empty() && !options.tls.certificate.empty() &&
                  !options.tls.caCert.empty();
    if ((ssl || someTls) && !allTls) {
        std::cerr << "error: " << (ssl ? "ssl: remotes need" : "TLS needs all three of")
                  << " --private-key FILE --certificate FILE --ca-cert FILE\n";
        return 1;
    }
    if (options.id.empty()) {
        char host[256] = {};
        gethostname(host, sizeof host - 1);
        options.id = std::string(host) + ":" + std::to_string(getpid());
    }

    GMainLoop* loop = g_main_loop_new(nullptr, FALSE);
    unsigned termId = g_unix_signal_add(SIGTERM, &onTerminate, loop);
    unsigned intId = g_unix_signal_add(SIGINT, &onTerminate, loop);
    {
        dvs::mgmt::RolloutController controller(nullptr, options, &log);
        log("controller " + options.id + ": starting on " + db);
        controller.start();
        g_main_loop_run(loop);
        log("controller " + options.id + ": stopping");
    }
    g_source_remove(termId);
    g_source_remove(intId);
    g_main_loop_unref(loop);
    return 0;
}

} // namespace

int main(int argc, char* argv[])
{
    try {
        return run(argc, argv);
    } catch (const dvs::Error& e) {
        std::cerr << "error: " << e.fullMessage() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
    }
    return 1;
}
