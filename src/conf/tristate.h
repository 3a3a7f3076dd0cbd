// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <array>
#include <string_view>

#include "util/enum_table.h"

namespace dvs::conf {

// libvirt's virTristateBool: an attribute that may be absent, "yes" or "no".
enum class Tristate
{
    Absent,
    Yes,
    No,
    Last
};

} // namespace dvs::conf

namespace dvs::util {

template <>
struct EnumNames<conf::Tristate>
{
    static constexpr std::array<std::string_view, 3> kNames{"absent", "yes", "no"};
};

} // namespace dvs::util
