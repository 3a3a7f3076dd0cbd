// SPDX-License-Identifier: LGPL-2.1-or-later
// dvsctl xml-format network|networkport [--inactive] [--validate] FILE
#include <iostream>
#include <iterator>
#include <optional>

#include "cli/command.h"
#include "conf/network_def.h"
#include "conf/network_port.h"
#include "util/file.h"

namespace dvs::cli {

std::string readInput(const std::string& file)
{
    if (file == "-") {
        return std::string(std::istreambuf_iterator<char>(std::cin),
                           std::istreambuf_iterator<char>());
    }
    return util::readFile(file);
}

int runXmlFormat(std::span<const std::string> args, std::ostream& out)
{
    std::optional<std::string> kind;
    std::optional<std::string> file;
    bool inactive = false;
    bool validate = false;
    for (const auto& arg : args) {
        if (arg == "--inactive") {
            inactive = true;
        } else if (arg == "--validate") {
            validate = true;
        } else if (arg.size() > 1 && arg.starts_with("-")) {
            throw UsageError("unknown option '" + arg + "' for 'xml-format'");
        } else if (!kind) {
            kind = arg;
        } else if (!file) {
            file = arg;
        } else {
            throw UsageError("unexpected argument '" + arg + "' for 'xml-format'");
        }
    }
    if (!kind || !file) {
        throw UsageError("usage: dvsctl xml-format network|networkport [--inactive] [--validate] "
                         "FILE");
    }

    if (*kind == "network") {
        unsigned parseFlags = validate ? conf::NetworkParseFlags::Validate : 0;
        auto def = conf::NetworkDef::parseString(readInput(*file), parseFlags);
        def.validate();
        out << def.format(inactive ? conf::NetworkFormatFlags::Inactive : 0);
        return 0;
    }
    if (*kind == "networkport") {
        if (inactive) {
            throw UsageError("option '--inactive' applies only to 'network'");
        }
        unsigned parseFlags = validate ? conf::NetworkPortParseFlags::Validate : 0;
        out << conf::NetworkPort::parseString(readInput(*file), parseFlags).format();
        return 0;
    }
    throw UsageError("unknown document type '" + *kind + "', expecting 'network' or 'networkport'");
}

} // namespace dvs::cli
