// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>
#include <variant>
#include <vector>

namespace dvs::driver {

// One virTypedParameter. The alternatives follow libvirt's VIR_TYPED_PARAM_* order (INT, UINT,
// LLONG, ULLONG, DOUBLE, BOOLEAN, STRING) so that index() + 1 is libvirt's type number.
using TypedValue =
    std::variant<int, unsigned, long long, unsigned long long, double, bool, std::string>;

struct TypedParam
{
    std::string field;
    TypedValue value;
};

using TypedParams = std::vector<TypedParam>;

// Port bandwidth parameter names (libvirt-network.h VIR_NETWORK_PORT_BANDWIDTH_*), all UINT.
inline constexpr const char* kPortInboundAverage = "inbound.average";
inline constexpr const char* kPortInboundPeak = "inbound.peak";
inline constexpr const char* kPortInboundBurst = "inbound.burst";
inline constexpr const char* kPortInboundFloor = "inbound.floor";
inline constexpr const char* kPortOutboundAverage = "outbound.average";
inline constexpr const char* kPortOutboundPeak = "outbound.peak";
inline constexpr const char* kPortOutboundBurst = "outbound.burst";

} // namespace dvs::driver
