// SPDX-License-Identifier: LGPL-2.1-or-later
#include "driver/bridge_bandwidth.h"

#include <fmt/format.h>
#include <glib.h>

#include "util/error.h"

namespace dvs::driver {

namespace {

// Runs tc with args; returns its exit status and what it printed on stderr.
std::pair<int, std::string> runTc(const std::vector<std::string>& args)
{
    std::vector<std::string> argv{"tc"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> ptrs;
    for (auto& a : argv) {
        ptrs.push_back(a.data());
    }
    ptrs.push_back(nullptr);
    gchar* err = nullptr;
    gint status = 0;
    GError* error = nullptr;
    gboolean ok =
        g_spawn_sync(nullptr, ptrs.data(), nullptr,
                     static_cast<GSpawnFlags>(G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL),
                     nullptr, nullptr, nullptr, &err, &status, &error);
    std::string text = err != nullptr ? err : "";
    g_free(err);
    if (!ok) {
        text = error->message;
        g_error_free(error);
        return {-1, text};
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    return {g_spawn_check_wait_status(status, nullptr) ? 0 : 1, text};
}

} // namespace

std::vector<std::vector<std::string>> bridgeBandwidthCommands(const std::string& bridge,
                                                              const conf::Bandwidth& bandwidth)
{
    std::vector<std::vector<std::string>> cmds;
    // Swapped: what the network receives leaves the bridge towards the guests.
    const auto& tx = bandwidth.in;
    const auto& rx = bandwidth.out;
    if (tx && tx->average != 0) {
        std::vector<std::string> rate{"rate", fmt::format("{}kbps", tx->average)};
        if (tx->peak != 0) {
            rate.insert(rate.end(), {"ceil", fmt::format("{}kbps", tx->peak)});
        }
        if (tx->burst != 0) {
            rate.insert(rate.end(), {"burst", fmt::format("{}kb", tx->burst)});
        }
        cmds.push_back(
            {"qdisc", "add", "dev", bridge, "root", "handle", "1:", "htb", "default", "2"});
        std::vector<std::string> top{"class", "add",     "dev", bridge, "parent",
                                     "1:",    "classid", "1:1", "htb"};
        top.insert(top.end(), rate.begin(), rate.end());
        cmds.push_back(top);
        // Traffic without a floor: class 1:2, which libvirt narrows as ports with a floor come.
        std::vector<std::string> rest{"class", "add",     "dev", bridge, "parent",
                                      "1:1",   "classid", "1:2", "htb"};
        rest.insert(rest.end(), rate.begin(), rate.end());
        cmds.push_back(rest);
        cmds.push_back({"qdisc", "add", "dev", bridge, "parent", "1:2", "handle", "2:", "sfq",
                        "perturb", "10"});
        cmds.push_back({"filter", "add", "dev", bridge, "parent", "1:0", "protocol", "all", "prio",
                        "1", "handle", "1", "fw", "flowid", "1"});
    }
    if (rx && rx->average != 0) {
        cmds.push_back({"qdisc", "add", "dev", bridge, "ingress"});
        cmds.push_back({"filter",   "add",
                        "dev",      bridge,
                        "parent",   "ffff:",
                        "protocol", "all",
                        "u32",      "match",
                        "u32",      "0",
                        "0",        "police",
                        "rate",     fmt::format("{}kbps", rx->average),
                        "burst",    fmt::format("{}kb", rx->burst != 0 ? rx->burst : rx->average),
                        "mtu",      "64kb",
                        "drop",     "flowid",
                        ":1"});
    }
    return cmds;
}

void clearBridgeBandwidth(const std::string& bridge) noexcept
{
    try {
        (void)runTc({"qdisc", "del", "dev", bridge, "root"});
        (void)runTc({"qdisc", "del", "dev", bridge, "ingress"});
    } catch (...) {
        // Nothing to undo.
    }
}

void setBridgeBandwidth(const std::string& bridge, const conf::Bandwidth& bandwidth)
{
    auto cmds = bridgeBandwidthCommands(bridge, bandwidth);
    if (cmds.empty()) {
        return;
    }
    clearBridgeBandwidth(bridge);
    for (const auto& cmd : cmds) {
        auto [rc, err] = runTc(cmd);
        if (rc != 0) {
            clearBridgeBandwidth(bridge);
            raise(ErrorCode::SystemError, "Cannot set the bandwidth of bridge '{}': tc {}: {}",
                  bridge, fmt::join(cmd, " "), err);
        }
    }
}

} // namespace dvs::driver
