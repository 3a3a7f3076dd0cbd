// SPDX-License-Identifier: LGPL-2.1-or-later
#include <array>

#include "cli/command.h"

namespace dvs::cli {

namespace {

constexpr std::array kCommands{
    Command{"xml-format", "xml-format network|networkport [--inactive] [--validate] FILE",
            "parse FILE ('-' for standard input) and print it in canonical form; --validate "
            "checks it against the schema first, --inactive leaves out live state",
            runXmlFormat},
    Command{"status", "status [--root DIR] [--socket PATH]",
            "show the daemon and its networks: state, ports, connections and the dataplane "
            "(uplink and pool link state)",
            runStatus},
};

} // namespace

std::span<const Command> commands()
{
    return kCommands;
}

} // namespace dvs::cli
