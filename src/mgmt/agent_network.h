// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "driver/network_driver.h"

// What the host agent does to this host's networks: compose a member's network from a switch
// generation, bring the driver's network in line with it, and tear it down when the host leaves.
namespace dvs::mgmt {

// The local network of a member: the generation's <network> XML with the switch's name and
// network uuid, and the dvs:uplink filled with this member's NICs. A switch without dvs:uplink
// takes one NIC per member as a single-interface uplink (none: no uplink). Returns the
// canonical XML (libvirt's inactive format). Throws Error(XmlError, ConfigUnsupported, ...)
// when the result is not a valid network, or when the member's NICs do not fit the uplink.
std::string composeMemberNetwork(std::string_view generationXml, std::string_view switchName,
                                 std::string_view networkUuid,
                                 const std::vector<std::string>& uplink);

// What applying a composed network did.
struct ApplyOutcome
{
    bool changed = false; // the driver's network was defined, updated or (re)started
    // The live network still runs an older definition: the change needs a restart of the
    // network (another bridge or forward mode) and ports hold it. pending says why.
    bool pending = false;
    std::string pendingReason;
};

// Brings the driver's network named like the switch in line with composedXml (canonical, from
// composeMemberNetwork()), through the driver's own operations so allocation, backends, hooks and
// events behave as for any client: defines and starts it when missing; when the definition
// differs, redefines it and makes the change live (ports that follow the definition move);
// starts it when inactive; keeps autostart on. A network that is already as wanted is not
// touched. Throws Error from the driver (the network is then as the failing step left it), and
// Error(OperationFailed) when a network of that name exists that no switch manages.
ApplyOutcome applyMemberNetwork(driver::NetworkDriver& driver, const driver::ManagedBy& by,
                                const std::string& composedXml);

// Tears the managed network down when no port uses it: destroy, then undefine. Returns the
// uuids of the ports that hold it (then nothing is changed), or an empty list once it is gone.
// Throws Error from the driver.
std::vector<std::string> teardownMemberNetwork(driver::NetworkDriver& driver,
                                               std::string_view network);

} // namespace dvs::mgmt
