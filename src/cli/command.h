// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <iosfwd>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dvs::cli {

// A command line the user got wrong; main() prints it as "error: MESSAGE" and exits 1.
class UsageError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

// One dvsctl subcommand. run() gets the arguments after the subcommand's name, writes its
// result to out and returns the exit status; it throws UsageError or dvs::Error on failure.
//
// The usage line is the command's grammar: help, the man page's check and bash completion read
// it. Options are "[--name]" or "[--name VALUE]" ("--name VALUE" when required); positionals are
// "WORD" or "[WORD]", where
// lower-case alternatives ("network|networkport") are completed as given, NETWORK with the
// daemon's networks, PORT-UUID with the ports of the NETWORK before it, IFNAME with the host's
// interfaces, and FILE, DIR and PATH with file names.
struct Command
{
    std::string_view name;
    std::string_view usage;   // "name [--option VALUE] POSITIONAL ..."
    std::string_view summary; // one sentence, for `dvsctl help`
    int (*run)(std::span<const std::string> args, std::ostream& out);
    // More for `dvsctl help NAME`: what each option does, the exit status. May be empty.
    std::string_view details = {};
};

// Every subcommand, in the order help lists them.
std::span<const Command> commands();

// The subcommand of that name; nullptr when there is none.
const Command* findCommand(std::string_view name);

// A command's usage line taken apart (see Command).
struct UsageOption
{
    std::string name;  // "--root"
    std::string value; // "DIR"; empty for a flag
};
struct UsageGrammar
{
    std::vector<UsageOption> options;
    std::vector<std::string> positionals; // "NETWORK", "[IFNAME]", "network|networkport"
};
UsageGrammar parseUsage(std::string_view usage);

// `dvsctl help [COMMAND]` and `dvsctl COMMAND --help`.
void printHelp(std::ostream& out);
void printCommandHelp(const Command& command, std::ostream& out);

// `dvsctl __complete WORD...`: the candidates for the last word, one a line (see complete.cpp).
int runComplete(std::span<const std::string> args, std::ostream& out);

// What `dvsctl status` returns when an active network is not ready (0: all are).
constexpr int kStatusNotReady = 2;

// Subcommands (one file each).
int runXmlFormat(std::span<const std::string> args, std::ostream& out);
int runStatus(std::span<const std::string> args, std::ostream& out);
int runPortPlug(std::span<const std::string> args, std::ostream& out);
int runPortUnplug(std::span<const std::string> args, std::ostream& out);
int runHookNetwork(std::span<const std::string> args, std::ostream& out);
int runDnsmasqConf(std::span<const std::string> args, std::ostream& out);
// The distributed switch, in the management database (--db REMOTE).
int runSwitchDefine(std::span<const std::string> args, std::ostream& out);
int runSwitchUndefine(std::span<const std::string> args, std::ostream& out);
int runSwitchList(std::span<const std::string> args, std::ostream& out);
int runSwitchDumpxml(std::span<const std::string> args, std::ostream& out);
// The automatic revert: probes, revert timeout, retry (revert_commands.cpp).
int runSwitchProbeAdd(std::span<const std::string> args, std::ostream& out);
int runSwitchProbeRemove(std::span<const std::string> args, std::ostream& out);
int runSwitchProbeList(std::span<const std::string> args, std::ostream& out);
int runSwitchRevertTimeout(std::span<const std::string> args, std::ostream& out);
int runSwitchRetry(std::span<const std::string> args, std::ostream& out);
int runSwitchUpdate(std::span<const std::string> args, std::ostream& out);
int runHostAdd(std::span<const std::string> args, std::ostream& out);
int runHostRemove(std::span<const std::string> args, std::ostream& out);
int runSwitchStatus(std::span<const std::string> args, std::ostream& out);
int runWait(std::span<const std::string> args, std::ostream& out);
int runSwitchRolloutPolicy(std::span<const std::string> args, std::ostream& out);
int runRolloutStatus(std::span<const std::string> args, std::ostream& out);
int runRolloutResume(std::span<const std::string> args, std::ostream& out);
int runRolloutAbort(std::span<const std::string> args, std::ostream& out);
int runDbInit(std::span<const std::string> args, std::ostream& out);
int runDbUpgrade(std::span<const std::string> args, std::ostream& out);
// Snapshots, restore and rollback.
int runSnapshotCreate(std::span<const std::string> args, std::ostream& out);
int runSnapshotList(std::span<const std::string> args, std::ostream& out);
int runSnapshotDumpxml(std::span<const std::string> args, std::ostream& out);
int runSnapshotDelete(std::span<const std::string> args, std::ostream& out);
int runSnapshotDiff(std::span<const std::string> args, std::ostream& out);
int runSnapshotRestore(std::span<const std::string> args, std::ostream& out);
int runSwitchRollback(std::span<const std::string> args, std::ostream& out);
int runSwitchKeepGenerations(std::span<const std::string> args, std::ostream& out);

// The contents of FILE, or standard input for "-". Throws Error(ReadFailed).
std::string readInput(const std::string& file);

// The socket of the dvsd whose host paths are under root (driver mode first, then hook mode).
// Throws Error(SystemError) when neither exists.
std::filesystem::path findDaemonSocket(const std::filesystem::path& root, bool readOnly);

} // namespace dvs::cli
