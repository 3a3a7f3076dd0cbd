// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <string>

namespace dvs::util {

// "2026-12-04 18:00:01": a timestamp in milliseconds since the epoch, in UTC, to the second.
std::string formatUtc(std::int64_t ms);

} // namespace dvs::util
