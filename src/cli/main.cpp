// SPDX-License-Identifier: LGPL-2.1-or-later
// dvsctl: the command-line tool of libvirt-dvs. Each subcommand lives in its own file and is
// listed in commands.cpp; errors are reported here, once, as "error: MESSAGE" with exit status 1.
#include <algorithm>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "dvs_config.h"
#include "util/error.h"

namespace {

bool isHelp(std::string_view arg)
{
    return arg == "--help" || arg == "-h";
}

int run(const std::vector<std::string>& args)
{
    if (args.empty()) {
        throw dvs::cli::UsageError("no command given; try 'dvsctl help'");
    }
    const std::string& name = args.front();
    if (name == "--version" || name == "-V") {
        std::cout << "dvsctl " << DVS_VERSION << "\n";
        return 0;
    }
    if (name == "help" || isHelp(name)) {
        if (args.size() == 1 || isHelp(name)) {
            dvs::cli::printHelp(std::cout);
            return 0;
        }
        const auto* command = dvs::cli::findCommand(args[1]);
        if (command == nullptr || args.size() > 2) {
            throw dvs::cli::UsageError("no command '" + args[1] + "'; try 'dvsctl help'");
        }
        dvs::cli::printCommandHelp(*command, std::cout);
        return 0;
    }
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (name == "__complete") {
        return dvs::cli::runComplete(rest, std::cout);
    }
    const auto* command = dvs::cli::findCommand(name);
    if (command == nullptr) {
        throw dvs::cli::UsageError("unknown command '" + name + "'; try 'dvsctl help'");
    }
    if (std::find_if(rest.begin(), rest.end(), isHelp) != rest.end()) {
        dvs::cli::printCommandHelp(*command, std::cout);
        return 0;
    }
    return command->run(rest, std::cout);
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
