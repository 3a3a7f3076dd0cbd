// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mgmt/revert_admin.h"

#include <algorithm>

#include <fmt/format.h>

#include "mgmt/switches.h"
#include "util/error.h"

namespace dvs::mgmt {

namespace {

std::optional<db::SwitchProbe::View> findProbe(const ovsdb::Replica& replica, const util::Uuid& sw,
                                               std::string_view name)
{
    for (const auto& row : db::SwitchProbe::all(replica)) {
        if (row.switchColumn() == sw && row.name() == name) {
            return row;
        }
    }
    return std::nullopt;
}

} // namespace

void addProbe(ovsdb::Transaction& txn, std::string_view switchName, const ProbeSpec& probe)
{
    validateProbe(probe);
    const auto& replica = txn.replica();
    auto sw = requireSwitch(replica, switchName);
    if (findProbe(replica, sw.uuid(), probe.name)) {
        raise(ErrorCode::OperationInvalid, "switch '{}' already has a probe named '{}'", switchName,
              probe.name);
    }
    // Another administrator adding the same name at once: the index refuses the second.
    txn.insert(probeValues(sw.uuid(), probe));
}

db::SwitchProbe::Values probeValues(const ovsdb::Ref& sw, const ProbeSpec& probe)
{
    db::SwitchProbe::Values values;
    values.setSwitch(sw)
        .setName(probe.name)
        .setKind(probe.kind == ProbeKind::Tcp ? "tcp" : "icmp")
        .setAddress(probe.address)
        .setPort(probe.port != 0 ? std::optional<std::int64_t>(probe.port) : std::nullopt)
        .setInterface(probe.interface.empty() ? std::nullopt
                                              : std::optional<std::string>(probe.interface));
    return values;
}

void removeProbe(ovsdb::Transaction& txn, std::string_view switchName, std::string_view probe)
{
    const auto& replica = txn.replica();
    auto sw = requireSwitch(replica, switchName);
    auto row = findProbe(replica, sw.uuid(), probe);
    if (!row) {
        raise(ErrorCode::InvalidArg, "switch '{}' has no probe named '{}'", switchName, probe);
    }
    txn.remove(db::SwitchProbe::kTable, row->uuid());
}

std::vector<ProbeSpec> probesOf(const ovsdb::Replica& replica, const db::Switch::View& sw)
{
    std::vector<ProbeSpec> out;
    for (const auto& row : db::SwitchProbe::all(replica)) {
        if (row.switchColumn() != sw.uuid()) {
            continue;
        }
        ProbeSpec probe;
        probe.name = row.name();
        probe.kind = row.kind() == "tcp" ? ProbeKind::Tcp : ProbeKind::Icmp;
        probe.address = row.address();
        probe.port = static_cast<std::uint16_t>(row.port().value_or(0));
        probe.interface = row.interface().value_or("");
        out.push_back(std::move(probe));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

void setRevertTimeout(ovsdb::Transaction& txn, std::string_view switchName,
                      std::optional<std::int64_t> seconds)
{
    if (seconds && (*seconds < 1 || *seconds > 3600)) {
        raise(ErrorCode::InvalidArg,
              "invalid revert timeout {} for switch '{}': expected 1 to 3600 seconds", *seconds,
              switchName);
    }
    auto sw = requireSwitch(txn.replica(), switchName);
    txn.update(sw.uuid(), db::Switch::Values().setRevertTimeout(seconds));
}

std::vector<std::string> retryMembers(ovsdb::Transaction& txn, std::string_view switchName,
                                      std::optional<std::string_view> host)
{
    const auto& replica = txn.replica();
    auto sw = requireSwitch(replica, switchName);
    std::vector<std::string> hosts;
    for (const auto& member : membersOf(replica, sw.uuid())) {
        if (host && member.host() != *host) {
            continue;
        }
        // Verified: two retries at once both count.
        txn.verify(db::Member::kTable, member.uuid(), {db::Member::Col::kRetry});
        txn.update(member.uuid(), db::Member::Values().setRetry(member.retry() + 1));
        hosts.push_back(member.host());
    }
    if (host && hosts.empty()) {
        raise(ErrorCode::InvalidArg, "host '{}' is not a member of switch '{}'", *host, switchName);
    }
    return hosts;
}

} // namespace dvs::mgmt
