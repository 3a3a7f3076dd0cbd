// SPDX-License-Identifier: LGPL-2.1-or-later
// dvsctl port-plug / port-unplug: dvsd plugs a port itself where no libvirt does.
#include <filesystem>
#include <ostream>
#include <vector>

#include "cli/command.h"
#include "rpc/client.h"
#include "util/error.h"
#include "util/uuid.h"

namespace fs = std::filesystem;

namespace dvs::cli {

namespace {

struct PortArgs
{
    fs::path socket;
    std::string network;
    util::Uuid port;
    std::string ifname;
};

PortArgs parsePortArgs(std::span<const std::string> args, bool withIfname, const char* usage)
{
    fs::path root = "/";
    PortArgs out;
    std::vector<std::string> positional;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& arg = args[i];
        if ((arg == "--root" || arg == "--socket") && i + 1 < args.size()) {
            (arg == "--root" ? root : out.socket) = args[++i];
        } else if (!arg.empty() && arg.front() == '-') {
            throw UsageError(usage);
        } else {
            positional.push_back(arg);
        }
    }
    if (positional.size() < 2 || positional.size() > (withIfname ? 3U : 2U)) {
        throw UsageError(usage);
    }
    out.network = positional[0];
    auto uuid = util::Uuid::parse(positional[1]);
    if (!uuid) {
        raise(ErrorCode::InvalidArg, "'{}' is not a port UUID", positional[1]);
    }
    out.port = *uuid;
    if (positional.size() == 3) {
        out.ifname = positional[2];
    }
    if (out.socket.empty()) {
        out.socket = findDaemonSocket(root, false);
    }
    return out;
}

} // namespace

int runPortPlug(std::span<const std::string> args, std::ostream& out)
{
    auto a = parsePortArgs(args, true,
                           "usage: dvsctl port-plug [--root DIR] [--socket PATH] NETWORK "
                           "PORT-UUID [IFNAME]");
    out << rpc::plugPort(a.socket, a.network, a.port, a.ifname) << "\n";
    return 0;
}

int runPortUnplug(std::span<const std::string> args, std::ostream&)
{
    auto a = parsePortArgs(args, false,
                           "usage: dvsctl port-unplug [--root DIR] [--socket PATH] NETWORK "
                           "PORT-UUID");
    rpc::unplugPort(a.socket, a.network, a.port);
    return 0;
}

} // namespace dvs::cli
