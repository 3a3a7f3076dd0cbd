// SPDX-License-Identifier: LGPL-2.1-or-later
// Management database rows, as hosts and dvsctl read them: lines of monitor replies and updates
// for the DVS schema ('s' snapshot or 'u' update, in update2 format, then the JSON) are applied
// to one replica, and every switch in it is then read the way its readers do: the rollout policy,
// the probes, the snapshot of the switch (snapshot-create, a host's copy), each member's network
// from the switch's current generation (what the host agent applies), and the status index
// (switch-status). Rows are written by administrators and hosts, and a host must not crash on
// what another wrote: every reader either throws an Error or returns something that holds up:
//   - a probe that validates describes itself;
//   - a snapshot formats to a document that parses back to the same text;
//   - a member's network validates and formats to XML that parses to the same text.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "conf/network_def.h"
#include "fuzz_support.h"
#include "mgmt/compose.h"
#include "mgmt/database.h"
#include "mgmt/revert_admin.h"
#include "mgmt/rollout_policy.h"
#include "mgmt/snapshot.h"
#include "mgmt/snapshot_db.h"
#include "mgmt/status_index.h"
#include "mgmt/switches.h"
#include "ovsdb/json_parser.h"
#include "ovsdb/replica.h"
#include "ovsdb/schema.h"
#include "util/error.h"

using namespace dvs;
using namespace dvs::ovsdb;
namespace db = dvs::mgmt::db;

namespace {

// DVS_FUZZ_TRACE set: print what each switch's readers made of it (to check that seeds reach
// them).
const bool g_trace = std::getenv("DVS_FUZZ_TRACE") != nullptr;

const Schema& dvsSchema()
{
    static const Schema schema = [] {
        std::ifstream in(DVS_FUZZ_MGMT_SCHEMA);
        std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        return Schema::parse(Json::parse(text));
    }();
    return schema;
}

const std::map<std::string, std::vector<std::string>>& allColumns()
{
    static const auto columns = [] {
        std::map<std::string, std::vector<std::string>> out;
        for (const auto& [name, table] : dvsSchema().tables()) {
            auto& list = out[name];
            for (const auto& [column, type] : table.columns) {
                list.push_back(column);
            }
        }
        return out;
    }();
    return columns;
}

// Returns whether the member got a network.
bool readMemberNetwork(const Replica& replica, const db::Switch::View& sw,
                       const db::Member::View& member)
{
    bool built = false;
    for (const auto& gen : db::SwitchGeneration::all(replica)) {
        if (gen.switchColumn() != sw.uuid() || gen.generation() != sw.generation()) {
            continue;
        }
        conf::NetworkDef def;
        try {
            def = mgmt::memberNetwork(gen.definition(), member.uplink());
        } catch (const Error& e) {
            if (g_trace) {
                std::fprintf(stderr, "member %s: %s\n", member.host().c_str(), e.what());
            }
            continue; // the agent reports such a generation as failed
        }
        built = true;
        std::string first = def.format(0);
        try {
            auto again = conf::NetworkDef::parseString(first);
            again.validateForDefine();
            if (again.format(0) != first) {
                fuzz::fail("a member's network formats differently after a round trip", first,
                           again.format(0));
            }
        } catch (const Error& e) {
            fuzz::fail(std::string("a member's network does not read back: ") + e.what(), first);
        }
    }
    return built;
}

void readSwitch(const Replica& replica, const db::Switch::View& sw)
{
    try {
        (void)mgmt::policyOf(sw);
    } catch (const Error&) {
    }
    int probes = 0;
    int networks = 0;
    for (const auto& probe : mgmt::probesOf(replica, sw)) {
        try {
            mgmt::validateProbe(probe);
        } catch (const Error&) {
            continue;
        }
        ++probes;
        if (mgmt::describeProbe(probe).empty()) {
            fuzz::fail("a valid probe describes itself as nothing", probe.name);
        }
    }
    std::optional<mgmt::Snapshot> snap;
    try {
        snap = mgmt::snapshotOfSwitch(replica, sw, "fuzz");
    } catch (const Error&) {
    }
    if (snap) {
        std::string first = snap->format();
        try {
            auto again = mgmt::Snapshot::parse(first);
            if (again.format() != first) {
                fuzz::fail("a switch's snapshot formats differently after a round trip", first,
                           again.format());
            }
        } catch (const Error& e) {
            fuzz::fail(std::string("a switch's snapshot does not read back: ") + e.what(), first);
        }
    }
    mgmt::StatusIndex status(replica, sw.name());
    for (const auto& member : mgmt::membersOf(replica, sw.uuid())) {
        (void)status.member(member.host());
        (void)status.host(member.host());
        networks += readMemberNetwork(replica, sw, member) ? 1 : 0;
    }
    if (g_trace) {
        std::fprintf(stderr, "switch %s: %d valid probes, snapshot %s, %d member networks\n",
                     sw.name().c_str(), probes, snap ? "yes" : "no", networks);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    Replica replica;
    replica.setSchema(dvsSchema(), allColumns());
    std::string_view rest = fuzz::asText(data, size);
    while (!rest.empty()) {
        auto eol = rest.find('\n');
        auto line = rest.substr(0, eol);
        rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
        if (line.size() < 2) {
            continue;
        }
        Json json;
        try {
            json = parseJson(line.substr(1));
        } catch (const Error&) {
            continue;
        }
        try {
            if (line[0] == 's') {
                replica.applySnapshot(UpdateFormat::Update2, std::move(json));
            } else {
                replica.applyUpdates(UpdateFormat::Update2, std::move(json));
            }
        } catch (const Error&) {
            continue;
        }
    }
    for (const auto& sw : db::Switch::all(replica)) {
        readSwitch(replica, sw);
    }
    return 0;
}
