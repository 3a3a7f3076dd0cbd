// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>
#include <string_view>

#include "conf/network_def.h"

namespace dvs::driver {

// What libvirt's <networkstatus> keeps beside the live definition.
struct NetworkStatusExtra
{
    // Class ids in use by ports with a bandwidth floor, as libvirt's bitmap ("0-2" when none:
    // ids 0-2 are reserved for the bridge's own classes).
    std::string classIdBitmap = "0-2";
    unsigned long long floorSum = 0;
    bool taintHook = false;
};

struct NetworkStatusFile
{
    conf::NetworkDef def;
    NetworkStatusExtra extra;
};

// The status file of an active network, as libvirt's virNetworkObjFormat writes it:
// <networkstatus> with <class_id>, <floor>, <taint> and the live <network>.
std::string formatNetworkStatus(const conf::NetworkDef& live, const NetworkStatusExtra& extra);

// Reads it back. Throws Error(XmlError) for anything else.
NetworkStatusFile parseNetworkStatus(std::string_view xml);

} // namespace dvs::driver
