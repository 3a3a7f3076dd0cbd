// SPDX-License-Identifier: LGPL-2.1-or-later
// dvsctl status [--root DIR] [--socket PATH] [--json]: the daemon and its networks, as dvsd reports
// them through our own RPC program (on the read-only socket by default).
#include <filesystem>
#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "rpc/client.h"
#include "util/error.h"

namespace fs = std::filesystem;

namespace dvs::cli {

namespace {

const char* yesNo(bool value)
{
    return value ? "yes" : "no";
}

} // namespace

fs::path findDaemonSocket(const fs::path& root, bool readOnly)
{
    // virtnetworkd's socket in driver mode, dvsd's own in hook mode.
    std::string suffix = readOnly ? "-ro" : "";
    const fs::path candidates[] = {root / ("run/libvirt/virtnetworkd-sock" + suffix),
                                   root / ("run/dvs/dvsd-sock" + suffix)};
    std::error_code ec;
    for (const auto& candidate : candidates) {
        if (fs::exists(candidate, ec)) {
            return candidate;
        }
    }
    raise(ErrorCode::SystemError, "dvsd is not running: neither '{}' nor '{}' exists",
          candidates[0].string(), candidates[1].string());
}

namespace {

// Whether a network is what it should be: active, its dataplane ready and, in hook mode, its copy
// running in libvirtd.
bool networkReady(const rpc::NetworkStatusInfo& net)
{
    return net.active && net.dataplaneState == "ready" &&
           (net.libvirtd.empty() || net.libvirtd == "running") &&
           (net.membership.empty() || net.membership.find(": in-sync") != std::string::npos);
}

std::string dataplaneLine(const rpc::NetworkStatusInfo& net)
{
    std::string line =
        net.dataplane.empty() ? net.dataplaneState : net.dataplaneState + ": " + net.dataplane;
    if (!net.libvirtd.empty()) {
        line += "; libvirtd: " + net.libvirtd;
    }
    if (!net.membership.empty()) {
        line += "; " + net.membership;
    }
    return line;
}

void printText(const rpc::DaemonStatus& status, std::ostream& out)
{
    out << fmt::format("dvsd {}, up {} s, {} client{}\n", status.version, status.uptimeSeconds,
                       status.clients, status.clients == 1 ? "" : "s");
    if (status.networks.empty()) {
        out << "no networks\n";
        return;
    }
    out << fmt::format("{:<20} {:<8} {:<10} {:<9} {:<11} {:>5} {:>11}  {}\n", "NETWORK", "STATE",
                       "PERSISTENT", "AUTOSTART", "FORWARD", "PORTS", "CONNECTIONS", "DATAPLANE");
    for (const auto& net : status.networks) {
        out << fmt::format("{:<20} {:<8} {:<10} {:<9} {:<11} {:>5} {:>11}  {}\n", net.name,
                           net.active ? "active" : "inactive", yesNo(net.persistent),
                           yesNo(net.autostart), net.forwardMode, net.ports, net.connections,
                           dataplaneLine(net));
    }
}

// The shape is documented in json-schemas/dvsctl-status.json; change it only compatibly (new
// members), or raise "format".
void printJson(const rpc::DaemonStatus& status, bool allReady, std::ostream& out)
{
    auto networks = nlohmann::ordered_json::array();
    for (const auto& net : status.networks) {
        nlohmann::ordered_json libvirtd = nullptr;
        if (!net.libvirtd.empty()) {
            auto colon = net.libvirtd.find(": ");
            libvirtd = {
                {"state", net.libvirtd.substr(0, colon)},
                {"message", colon == std::string::npos ? "" : net.libvirtd.substr(colon + 2)}};
        }
        networks.push_back({
            {"name", net.name},
            {"active", net.active},
            {"persistent", net.persistent},
            {"autostart", net.autostart},
            {"forward_mode", net.forwardMode},
            {"ports", net.ports},
            {"connections", net.connections},
            {"dataplane",
             {{"kind", net.dataplaneKind},
              {"state", net.dataplaneState},
              {"description", net.dataplane}}},
            {"libvirtd", libvirtd},
            {"switch", net.membership.empty() ? nlohmann::ordered_json(nullptr)
                                              : nlohmann::ordered_json(net.membership)},
            {"ready", networkReady(net)},
        });
    }
    nlohmann::ordered_json doc = {
        {"format", 1},
        {"daemon",
         {{"version", status.version},
          {"uptime_seconds", status.uptimeSeconds},
          {"clients", status.clients}}},
        {"ready", allReady},
        {"networks", std::move(networks)},
    };
    out << doc.dump(2) << "\n";
}

} // namespace

int runStatus(std::span<const std::string> args, std::ostream& out)
{
    fs::path root = "/";
    fs::path socket;
    bool json = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& arg = args[i];
        if ((arg == "--root" || arg == "--socket") && i + 1 < args.size()) {
            (arg == "--root" ? root : socket) = args[++i];
        } else if (arg == "--json") {
            json = true;
        } else {
            throw UsageError("usage: dvsctl status [--root DIR] [--socket PATH] [--json]");
        }
    }
    if (socket.empty()) {
        socket = findDaemonSocket(root, true);
    }
    auto status = rpc::fetchDaemonStatus(socket);
    bool allReady = true;
    for (const auto& net : status.networks) {
        allReady = allReady && (!net.active || networkReady(net));
    }
    if (json) {
        printJson(status, allReady, out);
    } else {
        printText(status, out);
    }
    return allReady ? 0 : kStatusNotReady;
}

} // namespace dvs::cli
