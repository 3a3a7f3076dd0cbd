// SPDX-License-Identifier: LGPL-2.1-or-later
#include "netlink/link.h"

namespace dvs::netlink {

UplinkState uplinkState(const std::vector<std::optional<LinkInfo>>& devices)
{
    std::size_t ready = 0;
    for (const auto& device : devices) {
        if (device && device->ready()) {
            ++ready;
        }
    }
    if (ready == 0) {
        return UplinkState::Down;
    }
    return ready == devices.size() ? UplinkState::Up : UplinkState::Degraded;
}

UplinkState bondUplinkState(const LinkInfo& bond, const std::vector<LinkInfo>& members)
{
    if (!bond.ready()) {
        return UplinkState::Down;
    }
    std::vector<std::optional<LinkInfo>> devices(members.begin(), members.end());
    return uplinkState(devices);
}

} // namespace dvs::netlink
