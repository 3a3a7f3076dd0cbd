// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "driver/backend.h"

namespace dvs::driver {

// Backends that act on the host. Direct-mode (macvtap) and hostdev networks go through the kernel
// by rtnetlink: on start every pool device must exist (a missing one fails the start, named), a
// Linux bond uplink of the dvs: extension is created from its member interfaces (and removed on
// destroy, only when dvsd created it), and the network's status reports the link state of its
// uplink and pool devices. OVS-backed networks still only record their desired state.
//
// runDir holds the record of the devices dvsd created (so a restarted dvsd still knows which it
// may remove); sysfsRoot is where SR-IOV virtual functions are read.
std::unique_ptr<Backends> makeHostBackends(std::filesystem::path runDir, std::string sysfsRoot);

} // namespace dvs::driver
