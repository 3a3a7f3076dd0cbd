// SPDX-License-Identifier: LGPL-2.1-or-later
// dvsctl switch-define, switch-undefine, switch-list, switch-dumpxml, switch-update: a switch's
// definition in the management database, changed through verified transactions (a change that
// raced another is rebuilt on the newer state, where it applies again or is refused).
#include <charconv>
#include <ostream>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/mgmt_args.h"
#include "mgmt/compose.h"
#include "mgmt/switches.h"
#include "ovsdb/json_stream.h"
#include "util/error.h"
#include "util/file.h"

namespace dvs::cli {

namespace {

namespace db = mgmt::db;

std::int64_t parseGeneration(std::string_view text)
{
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 1) {
        throw UsageError(fmt::format("invalid generation '{}': expected a number from 1", text));
    }
    return value;
}

// virsh net-update's XML argument: the XML itself when it starts with '<', else a file.
std::string xmlArgument(const std::string& arg)
{
    auto first = arg.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && arg[first] == '<') {
        return arg;
    }
    return util::readFile(arg);
}

} // namespace

int runSwitchDefine(std::span<const std::string> args, std::ostream& out)
{
    auto parsed = parseMgmtArgs(args, "switch-define [--db REMOTE] [--generation N] FILE",
                                {"--generation"}, {}, 1);
    std::optional<std::int64_t> expect;
    if (auto g = parsed.value("--generation")) {
        expect = parseGeneration(*g);
    }
    const std::string& file = parsed.positional[0];
    conf::NetworkDef def = mgmt::parseSwitchDefinition(util::readFile(file));
    auto session = openSession(parsed, mgmt::adminTables());
    std::int64_t generation = 0;
    session->transact("dvsctl switch-define " + def.name, [&](ovsdb::Transaction& txn) {
        generation = mgmt::defineSwitch(txn, def, expect);
    });
    out << fmt::format("Switch {} defined from {} (generation {})\n", def.name, file, generation);
    return 0;
}

int runSwitchUndefine(std::span<const std::string> args, std::ostream& out)
{
    auto parsed = parseMgmtArgs(args, "switch-undefine [--db REMOTE] NAME", {}, {}, 1);
    const std::string& name = parsed.positional[0];
    auto session = openSession(parsed, mgmt::adminTables());
    session->transact("dvsctl switch-undefine " + name,
                      [&](ovsdb::Transaction& txn) { mgmt::undefineSwitch(txn, name); });
    out << fmt::format("Switch {} has been undefined\n", name);
    return 0;
}

int runSwitchList(std::span<const std::string> args, std::ostream& out)
{
    auto parsed = parseMgmtArgs(args, "switch-list [--db REMOTE] [--json]", {}, {"--json"}, 0);
    auto session = openSession(parsed, mgmt::adminTables());
    const auto& replica = session->replica();
    auto switches = db::Switch::all(replica);
    std::sort(switches.begin(), switches.end(),
              [](const auto& a, const auto& b) { return a.name() < b.name(); });
    ovsdb::Json list = ovsdb::Json::array();
    std::vector<std::vector<std::string>> rows;
    for (const auto& sw : switches) {
        auto members = mgmt::membersOf(replica, sw.uuid());
        auto rollout = mgmt::activeRollout(replica, sw.uuid());
        list.push_back({{"name", sw.name()},
                        {"uuid", sw.networkUuid()},
                        {"generation", sw.generation()},
                        {"hosts", members.size()},
                        {"rollout", rollout ? ovsdb::Json(rollout->state()) : ovsdb::Json()}});
        rows.push_back({sw.name(), sw.networkUuid(), std::to_string(sw.generation()),
                        std::to_string(members.size()), rollout ? rollout->state() : "-"});
    }
    if (parsed.has("--json")) {
        out << list.dump(2) << "\n";
    } else {
        printTable(out, {"Name", "UUID", "Generation", "Hosts", "Rollout"}, rows);
    }
    return 0;
}

int runSwitchDumpxml(std::span<const std::string> args, std::ostream& out)
{
    auto parsed = parseMgmtArgs(args, "switch-dumpxml [--db REMOTE] [--generation N] NAME",
                                {"--generation"}, {}, 1);
    const std::string& name = parsed.positional[0];
    auto session = openSession(parsed, mgmt::adminTables());
    const auto& replica = session->replica();
    auto sw = mgmt::requireSwitch(replica, name);
    std::int64_t generation = sw.generation();
    if (auto g = parsed.value("--generation")) {
        generation = parseGeneration(*g);
    }
    if (auto row = mgmt::findGeneration(replica, sw.uuid(), generation)) {
        out << row->definition();
        return 0;
    }
    if (generation != sw.generation()) {
        raise(ErrorCode::InvalidArg, "switch '{}' keeps no generation {}", name, generation);
    }
    out << mgmt::generationDefinition(mgmt::currentNetwork(replica, sw));
    return 0;
}

int runSwitchUpdate(std::span<const std::string> args, std::ostream& out)
{
    auto parsed =
        parseMgmtArgs(args, "switch-update [--db REMOTE] NAME COMMAND SECTION XML", {}, {}, 4);
    const std::string& name = parsed.positional[0];
    auto command = mgmt::parseUpdateCommand(parsed.positional[1]);
    auto section = mgmt::parseUpdateSection(parsed.positional[2]);
    std::string xml = xmlArgument(parsed.positional[3]);
    auto session = openSession(parsed, mgmt::adminTables());
    std::int64_t generation = 0;
    session->transact("dvsctl " + mgmt::describeUpdate(command, section) + " " + name,
                      [&](ovsdb::Transaction& txn) {
                          generation = mgmt::updateSwitch(txn, name, command, section, xml);
                      });
    out << fmt::format("Switch {} updated (generation {})\n", name, generation);
    return 0;
}

int runHostAdd(std::span<const std::string> args, std::ostream& out)
{
    auto parsed = parseMgmtArgs(args, "host-add [--db REMOTE] SWITCH HOST --uplink IF[,IF...]",
                                {"--uplink"}, {}, 2);
    const std::string& name = parsed.positional[0];
    const std::string& host = parsed.positional[1];
    std::vector<std::string> nics;
    if (auto uplink = parsed.value("--uplink")) {
        std::size_t start = 0;
        while (start <= uplink->size()) {
            auto comma = uplink->find(',', start);
            if (comma == std::string::npos) {
                comma = uplink->size();
            }
            if (comma > start) {
                nics.push_back(uplink->substr(start, comma - start));
            }
            start = comma + 1;
        }
    }
    auto session = openSession(parsed, mgmt::adminTables());
    session->transact("dvsctl host-add " + name + " " + host,
                      [&](ovsdb::Transaction& txn) { mgmt::addHost(txn, name, host, nics); });
    out << fmt::format("Host {} added to switch {}\n", host, name);
    return 0;
}

int runHostRemove(std::span<const std::string> args, std::ostream& out)
{
    auto parsed = parseMgmtArgs(args, "host-remove [--db REMOTE] SWITCH HOST", {}, {}, 2);
    const std::string& name = parsed.positional[0];
    const std::string& host = parsed.positional[1];
    auto session = openSession(parsed, mgmt::adminTables());
    session->transact("dvsctl host-remove " + name + " " + host,
                      [&](ovsdb::Transaction& txn) { mgmt::removeHost(txn, name, host); });
    out << fmt::format("Host {} removed from switch {}\n", host, name);
    return 0;
}

} // namespace dvs::cli
