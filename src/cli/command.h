// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <iosfwd>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dvs::cli {

// A command line the user got wrong; main() prints it as "error: MESSAGE" and exits 1.
class UsageError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

// One dvsctl subcommand. run() gets the arguments after the subcommand's name, writes its
// result to out and returns the exit status; it throws UsageError or dvs::Error on failure.
struct Command
{
    std::string_view name;
    std::string_view usage;
    std::string_view summary;
    int (*run)(std::span<const std::string> args, std::ostream& out);
};

// Every subcommand, in the order help lists them.
std::span<const Command> commands();

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
int runSwitchUpdate(std::span<const std::string> args, std::ostream& out);
int runHostAdd(std::span<const std::string> args, std::ostream& out);
int runHostRemove(std::span<const std::string> args, std::ostream& out);
int runSwitchStatus(std::span<const std::string> args, std::ostream& out);
int runWait(std::span<const std::string> args, std::ostream& out);

// The socket of the dvsd whose host paths are under root (driver mode first, then hook mode).
// Throws Error(SystemError) when neither exists.
std::filesystem::path findDaemonSocket(const std::filesystem::path& root, bool readOnly);

} // namespace dvs::cli
