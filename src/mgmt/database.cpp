// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mgmt/database.h"

#include <chrono>
#include <cstdlib>

#include "dvs_config.h"
#include "ovsdb/connection.h"
#include "util/error.h"

namespace dvs::mgmt {

std::filesystem::path schemaPath()
{
    const char* env = std::getenv("DVS_MGMT_SCHEMA");
    if (env != nullptr && *env != '\0') {
        return env;
    }
    return DVS_MGMT_SCHEMA;
}

std::vector<std::string> splitRemotes(std::string_view text)
{
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t comma = text.find(',', start);
        if (comma == std::string_view::npos) {
            comma = text.size();
        }
        std::string_view item = text.substr(start, comma - start);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) {
            item.remove_prefix(1);
        }
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) {
            item.remove_suffix(1);
        }
        if (!item.empty()) {
            if (!item.starts_with("ssl:")) {
                ovsdb::Remote::parse(item); // throws for anything unusable
            }
            out.emplace_back(item);
        }
        start = comma + 1;
    }
    if (out.empty()) {
        raise(ErrorCode::InvalidArg, "no management database remote given");
    }
    return out;
}

ovsdb::ClientOptions clientOptions(std::vector<std::string> remotes,
                                   const std::vector<std::string_view>& tables)
{
    ovsdb::ClientOptions options;
    options.connection.remotes = std::move(remotes);
    options.database = std::string(kDatabase);
    for (auto table : tables) {
        options.monitor[std::string(table)] = {};
    }
    return options;
}

std::int64_t nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace dvs::mgmt
