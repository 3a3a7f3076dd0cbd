// SPDX-License-Identifier: LGPL-2.1-or-later
// dvsctl status [--root DIR] [--socket PATH]: the daemon and its networks, as dvsd reports them
// through our own RPC program (on the read-only socket by default).
#include <filesystem>
#include <ostream>

#include <fmt/format.h>

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

int runStatus(std::span<const std::string> args, std::ostream& out)
{
    fs::path root = "/";
    fs::path socket;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& arg = args[i];
        if ((arg == "--root" || arg == "--socket") && i + 1 < args.size()) {
            (arg == "--root" ? root : socket) = args[++i];
        } else {
            throw UsageError("usage: dvsctl status [--root DIR] [--socket PATH]");
        }
    }
    if (socket.empty()) {
        socket = findDaemonSocket(root, true);
    }
    auto status = rpc::fetchDaemonStatus(socket);
    out << fmt::format("dvsd {}, up {} s, {} client{}\n", status.version, status.uptimeSeconds,
                       status.clients, status.clients == 1 ? "" : "s");
    if (status.networks.empty()) {
        out << "no networks\n";
        return 0;
    }
    out << fmt::format("{:<20} {:<8} {:<10} {:<9} {:<11} {:>5} {:>11}  {}\n", "NETWORK", "STATE",
                       "PERSISTENT", "AUTOSTART", "FORWARD", "PORTS", "CONNECTIONS", "DATAPLANE");
    for (const auto& net : status.networks) {
        out << fmt::format("{:<20} {:<8} {:<10} {:<9} {:<11} {:>5} {:>11}  {}\n", net.name,
                           net.active ? "active" : "inactive", yesNo(net.persistent),
                           yesNo(net.autostart), net.forwardMode, net.ports, net.connections,
                           net.backendState);
    }
    return 0;
}

} // namespace dvs::cli
