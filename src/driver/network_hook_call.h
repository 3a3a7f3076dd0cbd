// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>

namespace dvs::driver {

// One run of libvirtd's network hook (hooks/network) handed to dvsd in hook mode
// (DVS_PROC_NETWORK_HOOK): the script's arguments and its stdin.
struct NetworkHookCall
{
    std::string network;  // argv[1]
    std::string op;       // argv[2]: start, started, port-created, port-deleted, updated, stopped
    std::string subop;    // argv[3]: begin or end
    std::string hookData; // stdin: the <hookData> document
};

} // namespace dvs::driver
