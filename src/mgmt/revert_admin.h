// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mgmt/database.h"
#include "mgmt/probe.h"
#include "ovsdb/transaction.h"

// The administrator's side of the automatic revert: a switch's probes (Switch_Probe), its revert
// timeout (Switch.revert_timeout) and the explicit retry of a reverted generation
// (Member.retry), as transaction builders over a replica of adminTables(). None of them makes a
// new generation: hosts read them when they apply one.
namespace dvs::mgmt {

// switch-probe-add: validated (validateProbe()); a probe of that name on the switch is refused
// with Error(OperationInvalid).
void addProbe(ovsdb::Transaction& txn, std::string_view switchName, const ProbeSpec& probe);
// The Switch_Probe row of a probe on the switch sw (an existing switch's uuid or a new one's
// named insert).
db::SwitchProbe::Values probeValues(const ovsdb::Ref& sw, const ProbeSpec& probe);
// switch-probe-remove. Throws Error(InvalidArg) when the switch has no such probe.
void removeProbe(ovsdb::Transaction& txn, std::string_view switchName, std::string_view probe);
// The switch's probes, by name (interface empty: the network's bridge).
std::vector<ProbeSpec> probesOf(const ovsdb::Replica& replica, const db::Switch::View& sw);

// switch-revert-timeout: seconds (1 to 3600), or nullopt for the hosts' own
// ([management] revert-timeout). Throws Error(InvalidArg) out of range.
void setRevertTimeout(ovsdb::Transaction& txn, std::string_view switchName,
                      std::optional<std::int64_t> seconds);

// switch-retry: the member (or every member) applies its desired generation again even if it
// reverted it. Returns the hosts asked. Throws Error(InvalidArg) for a host that is not a
// member.
std::vector<std::string> retryMembers(ovsdb::Transaction& txn, std::string_view switchName,
                                      std::optional<std::string_view> host);

} // namespace dvs::mgmt
