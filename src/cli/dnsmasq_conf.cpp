// SPDX-License-Identifier: LGPL-2.1-or-later
// dvsctl dnsmasq-conf [--state-dir DIR] [--hostsfile] FILE
#include "virtnet/dnsmasq_conf.h"

#include <iostream>
#include <iterator>
#include <optional>

#include "cli/command.h"
#include "conf/network_def.h"
#include "util/error.h"
#include "util/file.h"

namespace dvs::cli {

namespace {

constexpr std::string_view kUsage =
    "usage: dvsctl dnsmasq-conf [--state-dir DIR] [--hostsfile] FILE";

} // namespace

int runDnsmasqConf(std::span<const std::string> args, std::ostream& out)
{
    std::optional<std::string> stateDir;
    std::optional<std::string> file;
    bool hostsFile = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--hostsfile") {
            hostsFile = true;
        } else if (arg == "--state-dir") {
            if (i + 1 == args.size()) {
                throw UsageError("option '--state-dir' needs a folder");
            }
            stateDir = args[++i];
        } else if (arg.starts_with("--state-dir=")) {
            stateDir = arg.substr(std::string_view("--state-dir=").size());
        } else if (arg.size() > 1 && arg.starts_with("-")) {
            throw UsageError("unknown option '" + arg + "' for 'dnsmasq-conf'");
        } else if (!file) {
            file = arg;
        } else {
            throw UsageError("unexpected argument '" + arg + "' for 'dnsmasq-conf'");
        }
    }
    if (!file) {
        throw UsageError(std::string(kUsage));
    }
    if (stateDir && stateDir->empty()) {
        throw UsageError("option '--state-dir' needs a folder");
    }

    virtnet::DnsmasqPaths paths;
    paths.dir = std::filesystem::path(stateDir.value_or(std::string(virtnet::kDvsDnsmasqDir)));
    // What net-define accepts: the network's own checks first.
    auto def = conf::NetworkDef::parseString(readInput(*file));
    def.validateForDefine();
    // Only libvirt's virtual networks have a dnsmasq; the others use a bridge or devices of the
    // host as they are.
    using conf::ForwardMode;
    auto mode = def.forward.mode;
    if (mode != ForwardMode::None && mode != ForwardMode::Nat && mode != ForwardMode::Route &&
        mode != ForwardMode::Open) {
        raise(ErrorCode::ConfigUnsupported,
              "network '{}' with forward mode '{}' has no dnsmasq: only nat, route, open and "
              "isolated networks do",
              def.name, util::toString(mode));
    }
    // net-define names the bridge when the definition does not (or gives a template such as
    // "br%d"): on a host with no other network, the template's first name.
    if (!def.bridge || def.bridge->find("%d") != std::string::npos) {
        std::string templ = def.bridge.value_or("virbr%d");
        def.bridge = templ.replace(templ.find("%d"), 2, "0");
    }
    auto contents = virtnet::dnsmasqContents(def, paths);
    out << (hostsFile ? contents.hostsFile : contents.config);
    return 0;
}

} // namespace dvs::cli
