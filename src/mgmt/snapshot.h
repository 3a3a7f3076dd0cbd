// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/network_def.h"
#include "mgmt/probe.h"
#include "mgmt/rollout_policy.h"

// A switch snapshot: the whole configuration of one distributed switch at one moment, as a
// readable, versioned XML document (grammar xml-schemas/snapshot.rng) kept apart from the
// management database, so that it survives the database:
//
//   <snapshot version='1'>
//     <name>before-vlan-change</name>
//     <description>...</description>            (optional)
//     <created>1764876000</created>             (seconds since the epoch, optional)
//     <generation>7</generation>                (the switch's generation it records)
//     <keep-generations>10</keep-generations>   (optional)
//     <network>...</network>                    (the switch's definition, portgroups in order)
//     <members>
//       <member host='host1'><uplink dev='eno1'/><uplink dev='eno2'/></member>
//     </members>
//     <rollout batch='2' batch-percent='..' max-failed='..' soak='..' deadline='..'>
//       <canary host='host1'/>
//     </rollout>                                (optional: no policy, no element)
//     <revert timeout='30'>                     (optional: no probe and no timeout, no element)
//       <probe name='gw' kind='icmp' address='192.0.2.1' [interface='eth2']/>
//       <probe name='iscsi' kind='tcp' address='fd00::5' port='3260'/>
//     </revert>
//   </snapshot>
//
// The format is deterministic (elements in this order, members sorted by host, portgroups in the
// order the administrator defined them, as libvirt keeps them) so that two snapshots compare
// with diff(1). Later releases add optional elements after
// <rollout>; version rises only when an existing element changes its meaning, and a reader
// refuses a version it does not know.
namespace dvs::mgmt {

struct SnapshotMember
{
    std::string host;
    std::vector<std::string> uplink; // interface names, in order
    bool operator==(const SnapshotMember&) const = default;
};

struct Snapshot
{
    // The document version this release reads and writes.
    static constexpr int kVersion = 1;

    std::string name;
    std::string description;
    std::optional<std::int64_t> created;
    std::int64_t generation = 1;
    std::optional<std::int64_t> keepGenerations;
    conf::NetworkDef network;
    std::vector<SnapshotMember> members;
    RolloutPolicy policy;
    // The automatic revert: Switch.revert_timeout (seconds) and the switch's probes, by name.
    std::optional<std::int64_t> revertTimeout;
    std::vector<ProbeSpec> probes;

    // Parses a snapshot document and checks its shape (not the network's semantics: validate()).
    // Throws Error(XmlError) for a malformed document, a missing or misplaced element, Error(
    // XmlDetail) for a value out of range, Error(ConfigUnsupported) for a version this release
    // does not know, and the network parser's errors for its <network>.
    static Snapshot parse(std::string_view xml);

    // The document, deterministic: schema order, members and canaries sorted, portgroups as
    // defined.
    std::string format() const;

    // The switch's rules on the recorded configuration: a snapshot name usable as a file name,
    // the network valid as a switch and for every member's uplink, unique member hosts. Throws
    // Error with the model's code (InvalidArg, ConfigUnsupported, XmlError).
    void validate() const;
};

// One difference between two snapshots. section is "definition", "portgroup", "member",
// "rollout", "revert" or "generation"; subject is what in that section (an element of the network
// such as "bridge" or "ip[2]", a portgroup's name, a member's host, a policy setting); before/after
// are its value in A and in B (empty when added or removed).
struct SnapshotChange
{
    enum class Kind
    {
        Added,
        Removed,
        Changed
    };
    std::string section;
    std::string subject;
    Kind kind = Kind::Changed;
    std::string before;
    std::string after;
    bool operator==(const SnapshotChange&) const = default;
};

// What changed from a to b, section by section in document order (generation, definition,
// portgroups by name, members by host, rollout, revert timeout and probes by name). The snapshots'
// own name, description and creation time are not compared. Empty when the configurations are the
// same.
std::vector<SnapshotChange> diffSnapshots(const Snapshot& a, const Snapshot& b);

// The differences as text for an administrator, one block per change; "" when none.
std::string formatSnapshotDiff(const std::vector<SnapshotChange>& changes);

} // namespace dvs::mgmt
