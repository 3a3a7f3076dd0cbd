// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/timestamp.h"

#include <ctime>

namespace dvs::util {

std::string formatUtc(std::int64_t ms)
{
    auto seconds = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

} // namespace dvs::util
