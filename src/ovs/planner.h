// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <map>
#include <set>
#include <string>

#include "ovs/desired_state.h"
#include "ovsdb/transaction.h"

namespace dvs::ovs {

// What one planning pass found.
struct PlanReport
{
    // Networks whose bridge exists in the database once the pass's transaction commits.
    std::set<std::string> bridgesPresent;
    // Per network: ports whose Interface is in the database (programmed once the transaction
    // commits) and ports still waiting for their Interface to appear.
    std::map<std::string, unsigned> programmed;
    std::map<std::string, unsigned> pending;
    // Ports whose rows this pass writes.
    unsigned portsWritten = 0;
    // Ports that cannot be plugged, with the reason (e.g. the device is another OVS port).
    std::map<util::Uuid, std::string> conflicts;
};

// Adds to txn the operations that bring the database (txn.replica()) in line with desired: none
// at all when everything matches. Rows dvsd creates are tagged (external_ids.h); untagged rows
// are never deleted, and of an untagged Port/Interface only the per-port columns of one of the
// desired ports are changed (map columns through mutate, so others' keys survive). The replica
// must monitor the tables and columns of monitoredColumns().
void plan(const DesiredState& desired, ovsdb::Transaction& txn, PlanReport& report);

// The tables and columns the planner reads, for ovsdb::ClientOptions::monitor.
std::map<std::string, std::vector<std::string>> monitoredColumns();

} // namespace dvs::ovs
