// SPDX-License-Identifier: LGPL-2.1-or-later
// dvsctl: the command-line tool of libvirt-dvs. Each subcommand lives in its own file and is
// listed in commands.cpp; errors are reported here, once, as "error: MESSAGE" with exit status 1.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "util/error.h"

namespace {

void printUsage(std::ostream& out)
{
    out << "Usage: dvsctl COMMAND [ARGS...]\n\nCommands:\n";
    for (const auto& command : dvs::cli::commands()) {
        out << "  " << command.usage << "\n      " << command.summary << "\n";
    }
    out << "  help\n      show this text\n";
}

int run(const std::vector<std::string>& args)
{
    if (args.empty()) {
        throw dvs::cli::UsageError("no command given; try 'dvsctl help'");
    }
    const std::string& name = args.front();
    if (name == "help" || name == "--help" || name == "-h") {
        printUsage(std::cout);
        return 0;
    }
    for (const auto& command : dvs::cli::commands()) {
        if (command.name == name) {
            std::vector<std::string> rest(args.begin() + 1, args.end());
            return command.run(rest, std::cout);
        }
    }
    throw dvs::cli::UsageError("unknown command '" + name + "'; try 'dvsctl help'");
}

} // namespace

int main(int argc, char* argv[])
{
    std::vector<std::string> args(argv + 1, argv + argc);
    try {
        int status = run(args);
        std::cout.flush();
        if (!std::cout) {
            std::cerr << "error: cannot write the output\n";
            return 1;
        }
        return status;
    } catch (const dvs::Error& e) {
        std::cerr << "error: " << e.fullMessage() << "\n";
    } catch (const dvs::cli::UsageError& e) {
        std::cerr << "error: " << e.what() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
    }
    return 1;
}
