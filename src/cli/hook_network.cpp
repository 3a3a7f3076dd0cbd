// SPDX-License-Identifier: LGPL-2.1-or-later
// dvsctl hook-network: what hooks/network runs. libvirtd calls the hook with a scrubbed
// environment, as "NETWORK OP SUBOP -" with the <hookData> document on stdin; this hands it to
// dvsd in hook mode over the socket dvsd.conf names.
#include <filesystem>
#include <iostream>
#include <iterator>
#include <ostream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "conf/published_network.h"
#include "config/daemon_config.h"
#include "rpc/client.h"
#include "util/error.h"

namespace fs = std::filesystem;

namespace dvs::cli {

namespace {

constexpr const char* kUsage =
    "usage: dvsctl hook-network [--config FILE] [--root DIR] [--socket PATH] NETWORK OP SUBOP "
    "[-]";

} // namespace

int runHookNetwork(std::span<const std::string> args, std::ostream&)
{
    fs::path root = "/";
    fs::path config;
    fs::path socket;
    std::vector<std::string> positional;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& arg = args[i];
        if ((arg == "--root" || arg == "--config" || arg == "--socket") && i + 1 < args.size()) {
            (arg == "--root" ? root : arg == "--config" ? config : socket) = args[++i];
        } else if (arg != "-" && !arg.empty() && arg.front() == '-') {
            throw UsageError(kUsage);
        } else {
            positional.push_back(arg);
        }
    }
    if (positional.size() < 3 || positional.size() > 4) {
        throw UsageError(kUsage);
    }
    driver::NetworkHookCall hook{positional[0], positional[1], positional[2], {}};
    hook.hookData.assign(std::istreambuf_iterator<char>(std::cin),
                         std::istreambuf_iterator<char>());

    // Networks dvsd did not publish are none of its business, whether dvsd runs or not.
    if (!conf::hookDataIsPublished(hook.hookData)) {
        return 0;
    }
    if (socket.empty()) {
        if (config.empty()) {
            config = config::underRoot(root, "/etc/dvs/dvsd.conf");
        }
        socket = config::loadConfig(config, false).rwSocket(root);
    }
    // Only a port dvsd did not see must fail: for every other operation dvsd catches up when it
    // comes back (it compares its ports with libvirtd's).
    bool failClosed = hook.op == "port-created";
    try {
        rpc::sendNetworkHook(socket, hook);
    } catch (const Error& error) {
        bool unreachable = error.code() == ErrorCode::SystemError ||
                           (error.code() == ErrorCode::Rpc && error.domain() == ErrorDomain::Rpc &&
                            error.message().find("unknown procedure") == std::string::npos);
        if (!unreachable) {
            throw;
        }
        if (failClosed) {
            raise(ErrorCode::OperationFailed,
                  "dvsd is not reachable at '{}' ({}): refusing the port on network '{}', "
                  "which dvsd owns",
                  socket.native(), error.message(), hook.network);
        }
        std::cerr << "dvsctl: dvsd is not reachable at '" << socket.native() << "' ("
                  << error.message() << "); it catches up with '" << hook.op << "' of network '"
                  << hook.network << "' when it is back\n";
    }
    return 0;
}

} // namespace dvs::cli
