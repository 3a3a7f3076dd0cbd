// SPDX-License-Identifier: LGPL-2.1-or-later
// bench-fleet: a simulated fleet of hosts for bench/switch-convergence. Runs N host agents (the
// real mgmt::HostAgent, as dvsd runs it) in one process on one GLib main context, each with its
// own network driver whose backends only record the desired state, each with its own connection
// to the management database. Every second it prints one line of counters:
//
//   stats agents=N connected=C in_sync=S applies=A full_syncs=F resumed_syncs=R rss_kib=K
//
//   bench-fleet --db REMOTES --agents N [--first I] [--prefix fleet-] --root DIR
//
// Hosts are named PREFIX0, PREFIX1, ... from --first. DIR holds the drivers' state (tmpfs is
// best) and a sysfs stand-in where each member's uplink NICs are up.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <glib-unix.h>
#include <glib.h>

#include "driver/backend.h"
#include "driver/network_driver.h"
#include "mgmt/agent.h"
#include "mgmt/database.h"
#include "util/error.h"

namespace {

struct Options
{
    std::string db;
    int agents = 100;
    int first = 0;
    std::string prefix = "fleet-";
    std::filesystem::path root;
    std::vector<std::string> uplinks{"eth1"};
};

long rssKib()
{
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::stol(line.substr(6));
        }
    }
    return 0;
}

int usage()
{
    std::fputs("usage: bench-fleet --db REMOTES --agents N [--first I] [--prefix P] "
               "[--uplink NIC[,NIC...]] --root DIR\n",
               stderr);
    return 2;
}

struct Fleet
{
    std::vector<std::unique_ptr<dvs::driver::NetworkDriver>> drivers;
    std::vector<std::unique_ptr<dvs::mgmt::HostAgent>> agents;
    std::uint64_t failures = 0;
};

void printStats(Fleet& fleet)
{
    std::uint64_t connected = 0, inSync = 0, applies = 0, full = 0, resumed = 0;
    for (auto& agent : fleet.agents) {
        connected += agent->connected() ? 1 : 0;
        bool synced = !agent->members().empty();
        for (const auto& [name, member] : agent->members()) {
            synced = synced && member.state == "in-sync" && member.applied == member.desired;
        }
        inSync += synced ? 1 : 0;
        applies += agent->stats().applies;
        full += agent->client().stats().snapshots;
        resumed += agent->client().stats().fastResyncs;
        for (auto& text : agent->takeNotices()) {
            if (text.find("could not") != std::string::npos ||
                text.find("Cannot") != std::string::npos) {
                if (fleet.failures++ < 5) {
                    std::printf("notice %s: %s\n", agent->options().host.c_str(), text.c_str());
                }
            }
        }
    }
    std::printf("stats agents=%zu connected=%llu in_sync=%llu applies=%llu full_syncs=%llu "
                "resumed_syncs=%llu rss_kib=%ld\n",
                fleet.agents.size(), static_cast<unsigned long long>(connected),
                static_cast<unsigned long long>(inSync), static_cast<unsigned long long>(applies),
                static_cast<unsigned long long>(full), static_cast<unsigned long long>(resumed),
                rssKib());
    std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv)
{
    Options opt;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (i + 1 >= argc) {
            return usage();
        }
        std::string value = argv[++i];
        if (arg == "--db") {
            opt.db = value;
        } else if (arg == "--agents") {
            opt.agents = std::stoi(value);
        } else if (arg == "--first") {
            opt.first = std::stoi(value);
        } else if (arg == "--prefix") {
            opt.prefix = value;
        } else if (arg == "--root") {
            opt.root = value;
        } else if (arg == "--uplink") {
            opt.uplinks.clear();
            std::string rest = value;
            for (std::size_t pos; (pos = rest.find(',')) != std::string::npos;
                 rest.erase(0, pos + 1)) {
                opt.uplinks.push_back(rest.substr(0, pos));
            }
            opt.uplinks.push_back(rest);
        } else {
            return usage();
        }
    }
    if (opt.db.empty() || opt.root.empty() || opt.agents <= 0) {
        return usage();
    }
    try {
        // A sysfs stand-in: the members' uplink NICs exist and are up.
        auto sysfs = opt.root / "sys";
        for (const auto& nic : opt.uplinks) {
            std::filesystem::create_directories(sysfs / "class" / "net" / nic);
            std::ofstream(sysfs / "class" / "net" / nic / "operstate") << "up\n";
            std::ofstream(sysfs / "class" / "net" / nic / "carrier") << "1\n";
        }
        std::printf("base_rss_kib=%ld\n", rssKib());
        auto remotes = dvs::mgmt::splitRemotes(opt.db);
        GMainContext* context = g_main_context_default();
        Fleet fleet;
        for (int i = 0; i < opt.agents; ++i) {
            std::string host = opt.prefix + std::to_string(opt.first + i);
            auto dir = opt.root / host;
            std::filesystem::create_directories(dir);
            fleet.drivers.push_back(std::make_unique<dvs::driver::NetworkDriver>(
                dvs::driver::DriverPaths::underRoot(dir),
                dvs::driver::makeRecordingBackends(sysfs.string())));
            dvs::mgmt::AgentOptions options;
            options.remotes = remotes;
            options.host = host;
            options.sysfsRoot = sysfs;
            options.stateDir = dir / "mgmt";
            options.agentVersion = "bench-fleet";
            fleet.agents.push_back(std::make_unique<dvs::mgmt::HostAgent>(
                context, *fleet.drivers.back(), std::move(options)));
            fleet.agents.back()->start();
        }
        GMainLoop* loop = g_main_loop_new(context, FALSE);
        auto quit = [](gpointer data) -> gboolean {
            g_main_loop_quit(static_cast<GMainLoop*>(data));
            return G_SOURCE_REMOVE;
        };
        g_unix_signal_add(SIGTERM, quit, loop);
        g_unix_signal_add(SIGINT, quit, loop);
        g_timeout_add(
            1000,
            [](gpointer data) -> gboolean {
                printStats(*static_cast<Fleet*>(data));
                return G_SOURCE_CONTINUE;
            },
            &fleet);
        g_main_loop_run(loop);
        printStats(fleet);
        fleet.agents.clear();
        fleet.drivers.clear();
        g_main_loop_unref(loop);
    } catch (const dvs::Error& e) {
        std::fprintf(stderr, "bench-fleet: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench-fleet: %s\n", e.what());
        return 1;
    }
    return 0;
}
