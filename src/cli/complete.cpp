// SPDX-License-Identifier: LGPL-2.1-or-later
// dvsctl __complete WORD...: what bash completion (completion/dvsctl) offers for the last WORD,
// given the words before it. The grammar is each command's usage line (see Command), so a new
// command completes without any change here. Prints one candidate a line; a single line ":files"
// asks the shell to complete file names instead. Network and port names come from the running
// daemon, switch names from the management database (--db, DVS_DB or dvsd.conf, with the TLS
// files given so far); when they cannot be reached there are none, and no error.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>
#include <ostream>

#include "cli/command.h"
#include "cli/mgmt_args.h"
#include "mgmt/database.h"
#include "rpc/client.h"
#include "util/error.h"

namespace fs = std::filesystem;

namespace dvs::cli {

namespace {

// Where the daemon is, from the --root and --socket given so far.
struct DaemonAt
{
    fs::path root = "/";
    fs::path socket;
    // The command being completed, and the management database options given so far.
    std::string command;
    MgmtArgs management;

    fs::path path(bool readOnly) const
    {
        return socket.empty() ? findDaemonSocket(root, readOnly) : socket;
    }
};

std::vector<std::string> networkNames(const DaemonAt& at)
{
    std::vector<std::string> names;
    for (const auto& net :
         rpc::fetchDaemonStatus(at.path(true), std::chrono::seconds(5)).networks) {
        names.push_back(net.name);
    }
    return names;
}

std::vector<std::string> portUuids(const DaemonAt& at, const std::string& network)
{
    std::vector<std::string> uuids;
    for (const auto& uuid :
         rpc::listNetworkPorts(at.path(true), network, std::chrono::seconds(5))) {
        uuids.push_back(uuid.toString());
    }
    return uuids;
}

// The options that say where the management database is and how to reach it.
bool isManagementOption(std::string_view word)
{
    for (std::string_view name :
         {"--db", "--config", "--private-key", "--certificate", "--ca-cert", "-p", "-c", "-C"}) {
        if (word == name) {
            return true;
        }
    }
    return false;
}

std::string longName(std::string_view word)
{
    return word == "-p"   ? "--private-key"
           : word == "-c" ? "--certificate"
           : word == "-C" ? "--ca-cert"
                          : std::string(word);
}

bool isSwitchCommand(std::string_view command)
{
    return command.starts_with("switch-") || command.starts_with("rollout-") ||
           command.starts_with("host-") || command == "wait";
}

std::vector<std::string> switchNames(const DaemonAt& at)
{
    mgmt::SessionOptions options;
    options.remotes = managementRemotes(at.management);
    options.tls = managementTls(at.management, options.remotes);
    options.tables = {mgmt::db::Switch::kTable};
    options.connectTimeout = std::chrono::seconds(3);
    mgmt::Session session(std::move(options));
    std::vector<std::string> names;
    for (const auto& sw : mgmt::db::Switch::all(session.replica())) {
        names.push_back(sw.name());
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::string stripBrackets(std::string word)
{
    if (word.size() >= 2 && word.front() == '[' && word.back() == ']') {
        word = word.substr(1, word.size() - 2);
    }
    return word;
}

bool isLiteral(const std::string& placeholder)
{
    return std::none_of(placeholder.begin(), placeholder.end(),
                        [](unsigned char c) { return std::isupper(c); });
}

// The candidates for a placeholder of the usage line; nullopt: complete file names.
std::optional<std::vector<std::string>> candidatesFor(const std::string& placeholder,
                                                      const std::vector<std::string>& positionals,
                                                      const std::vector<std::string>& grammar,
                                                      const DaemonAt& at)
{
    if (placeholder == "FILE" || placeholder == "DIR" || placeholder == "PATH") {
        return std::nullopt;
    }
    std::vector<std::string> out;
    if (isLiteral(placeholder)) {
        std::size_t pos = 0;
        while (pos <= placeholder.size()) {
            auto end = placeholder.find('|', pos);
            if (end == std::string::npos) {
                end = placeholder.size();
            }
            out.push_back(placeholder.substr(pos, end - pos));
            pos = end + 1;
        }
        return out;
    }
    if (placeholder == "IFNAME") {
        // The host's interfaces (an OVS port-plug adds an existing one).
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator("/sys/class/net", ec)) {
            out.push_back(entry.path().filename());
        }
        std::sort(out.begin(), out.end());
        return out;
    }
    try {
        if (placeholder == "NETWORK") {
            return networkNames(at);
        }
        if (placeholder == "SWITCH" || (placeholder == "NAME" && isSwitchCommand(at.command))) {
            return switchNames(at);
        }
        if (placeholder == "PORT-UUID") {
            // The NETWORK positional before it names the network.
            for (std::size_t i = 0; i < positionals.size() && i < grammar.size(); ++i) {
                if (stripBrackets(grammar[i]) == "NETWORK") {
                    return portUuids(at, positionals[i]);
                }
            }
        }
    } catch (const Error&) {
        // No daemon, no such network: nothing to offer.
    }
    return out;
}

void printMatching(const std::vector<std::string>& candidates, const std::string& prefix,
                   std::ostream& out)
{
    for (const auto& candidate : candidates) {
        if (candidate.starts_with(prefix)) {
            out << candidate << "\n";
        }
    }
}

} // namespace

int runComplete(std::span<const std::string> args, std::ostream& out)
{
    std::string current = args.empty() ? "" : args.back();
    auto before = args.empty() ? args : args.first(args.size() - 1);
    std::vector<std::string> names;
    for (const auto& command : commands()) {
        names.emplace_back(command.name);
    }
    if (before.empty()) {
        names.insert(names.end(), {"help", "--help", "--version"});
        printMatching(names, current, out);
        return 0;
    }
    if (before[0] == "help") {
        if (before.size() == 1) {
            printMatching(names, current, out);
        }
        return 0;
    }
    const auto* command = findCommand(before[0]);
    if (command == nullptr) {
        return 0;
    }
    auto grammar = parseUsage(command->usage);
    DaemonAt at;
    at.command = command->name;
    std::vector<std::string> positionals;
    for (std::size_t i = 1; i < before.size(); ++i) {
        const auto& word = before[i];
        if (auto eq = word.find('='); word.starts_with("--") && eq != std::string::npos &&
                                      isManagementOption(word.substr(0, eq))) {
            at.management.values[word.substr(0, eq)] = word.substr(eq + 1);
            continue;
        }
        if (isManagementOption(word) && i + 1 < before.size()) {
            at.management.values[longName(word)] = before[++i];
            continue;
        }
        auto option = std::find_if(grammar.options.begin(), grammar.options.end(),
                                   [&](const UsageOption& o) { return o.name == word; });
        if (option != grammar.options.end() && !option->value.empty()) {
            if (i + 1 == before.size()) {
                // Completing the option's value.
                auto values = candidatesFor(option->value, positionals, {}, at);
                if (!values) {
                    out << ":files\n";
                } else {
                    printMatching(*values, current, out);
                }
                return 0;
            }
            const auto& value = before[++i];
            if (word == "--root") {
                at.root = value;
            } else if (word == "--socket") {
                at.socket = value;
            }
        } else if (word.size() > 1 && word.front() == '-') {
            continue;
        } else {
            positionals.push_back(word);
        }
    }
    bool option = !current.empty() && current.front() == '-';
    if (option) {
        std::vector<std::string> options;
        for (const auto& o : grammar.options) {
            options.push_back(o.name);
        }
        options.emplace_back("--help");
        printMatching(options, current, out);
    }
    if (positionals.size() >= grammar.positionals.size()) {
        return 0;
    }
    auto values = candidatesFor(stripBrackets(grammar.positionals[positionals.size()]), positionals,
                                grammar.positionals, at);
    if (values) {
        printMatching(*values, current, out);
    } else if (!option) {
        out << ":files\n";
    }
    return 0;
}

} // namespace dvs::cli
