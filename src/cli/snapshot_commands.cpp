// SPDX-License-Identifier: LGPL-2.1-or-later
// dvsctl snapshot-create, snapshot-list, snapshot-dumpxml, snapshot-delete, snapshot-diff,
// snapshot-restore, switch-rollback, switch-keep-generations: a switch's configuration kept
// apart from the management database (a folder of snapshot files: --dir, else [management]
// snapshot-dir of dvsd.conf) and brought back, and its history of generations.
#include <charconv>
#include <ostream>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/mgmt_args.h"
#include "mgmt/generations.h"
#include "mgmt/snapshot_db.h"
#include "mgmt/snapshot_store.h"
#include "mgmt/switches.h"
#include "ovsdb/json_stream.h"
#include "util/error.h"
#include "util/file.h"

namespace dvs::cli {

namespace {

namespace fs = std::filesystem;

std::int64_t parsePositive(std::string_view what, std::string_view text)
{
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 1) {
        throw UsageError(fmt::format("invalid {} '{}': expected a number from 1", what, text));
    }
    return value;
}

// The snapshot folder: --dir, else [management] snapshot-dir; nullopt when neither is set.
std::optional<mgmt::SnapshotStore> optionalStore(const MgmtArgs& args)
{
    if (auto dir = args.value("--dir")) {
        return mgmt::SnapshotStore(*dir);
    }
    if (auto dir = managementSetting(args, "snapshot-dir")) {
        return mgmt::SnapshotStore(*dir);
    }
    return std::nullopt;
}

mgmt::SnapshotStore requireStore(const MgmtArgs& args)
{
    if (auto store = optionalStore(args)) {
        return *store;
    }
    raise(ErrorCode::InvalidArg,
          "no snapshot folder: use --dir DIR, or set snapshot-dir= in the [management] group of "
          "{}",
          args.value("--config").value_or("/etc/dvs/dvsd.conf"));
}

// A snapshot named on the command line: a file path (anything with a '/'), else a name in the
// store, in the folder of --switch or of the one switch that has it.
struct Located
{
    fs::path path;
    std::string switchName; // empty for a file given by path
    std::string name;
};

Located locate(const MgmtArgs& args, const std::string& arg)
{
    if (arg.find('/') != std::string::npos) {
        std::error_code ec;
        if (!fs::is_regular_file(arg, ec)) {
            raise(ErrorCode::InvalidArg, "no snapshot file '{}'", arg);
        }
        return {arg, "", ""};
    }
    auto store = optionalStore(args);
    if (!store) {
        std::error_code ec;
        if (fs::is_regular_file(arg, ec)) {
            return {arg, "", ""};
        }
        requireStore(args); // throws, naming what to configure
    }
    mgmt::checkStoreName(arg, "snapshot");
    if (auto sw = args.value("--switch")) {
        return {store->pathOf(*sw, arg), *sw, arg};
    }
    auto switches = store->switchesWith(arg);
    if (switches.size() == 1) {
        return {store->pathOf(switches.front(), arg), switches.front(), arg};
    }
    if (switches.empty()) {
        std::error_code ec;
        if (fs::is_regular_file(arg, ec)) {
            return {arg, "", ""};
        }
        raise(ErrorCode::InvalidArg, "no snapshot named '{}' in '{}'", arg, store->dir().string());
    }
    std::string list;
    for (const auto& sw : switches) {
        list += (list.empty() ? "" : ", ") + sw;
    }
    raise(ErrorCode::InvalidArg,
          "switches {} each have a snapshot named '{}': choose one with --switch SWITCH", list,
          arg);
}

mgmt::Snapshot loadLocated(const Located& where)
{
    std::error_code ec;
    if (!fs::is_regular_file(where.path, ec)) {
        raise(ErrorCode::InvalidArg, "switch '{}' has no snapshot named '{}'", where.switchName,
              where.name);
    }
    auto snap = mgmt::Snapshot::parse(util::readFile(where.path));
    snap.validate();
    return snap;
}

std::string formatCreated(const std::optional<std::int64_t>& created)
{
    return created ? formatTime(*created * 1000) : std::string("-");
}

} // namespace

int runSnapshotCreate(std::span<const std::string> args, std::ostream& out)
{
    auto parsed = parseMgmtArgs(args,
                                "snapshot-create [--db REMOTE] [--dir DIR] [--name N] "
                                "[--description TEXT] [--file FILE] SWITCH",
                                {"--dir", "--name", "--description", "--file"}, {}, 1);
    const std::string& name = parsed.positional[0];
    std::string snapName = parsed.value("--name").value_or(fmt::format("{}", mgmt::nowMs() / 1000));
    auto file = parsed.value("--file");
    std::optional<mgmt::SnapshotStore> store;
    if (!file) {
        store = requireStore(parsed);
        store->pathOf(name, snapName); // checks the names before the database is asked
    }
    auto session = openSession(parsed, mgmt::adminTables());
    auto sw = mgmt::requireSwitch(session->replica(), name);
    auto snap = mgmt::snapshotOfSwitch(session->replica(), sw, snapName,
                                       parsed.value("--description").value_or(""));
    snap.validate();
    fs::path path;
    if (file) {
        if (*file == "-") {
            out << snap.format();
            return 0;
        }
        std::error_code ec;
        if (fs::exists(*file, ec)) {
            raise(ErrorCode::OperationInvalid, "'{}' already exists: choose another file", *file);
        }
        util::writeFileAtomic(*file, snap.format(), 0640);
        path = *file;
    } else {
        path = store->save(name, snap);
    }
    out << fmt::format("Snapshot {} of switch {} (generation {}) written to {}\n", snap.name, name,
                       snap.generation, path.string());
    return 0;
}

int runSnapshotList(std::span<const std::string> args, std::ostream& out)
{
    auto parsed = parseMgmtArgs(args, "snapshot-list [--dir DIR] [--json] [SWITCH]", {"--dir"},
                                {"--json"}, 0, 1);
    auto store = requireStore(parsed);
    std::optional<std::string_view> sw;
    if (!parsed.positional.empty()) {
        sw = parsed.positional[0];
    }
    ovsdb::Json list = ovsdb::Json::array();
    std::vector<std::vector<std::string>> rows;
    for (const auto& entry : store.list(sw)) {
        list.push_back(
            {{"switch", entry.switchName},
             {"name", entry.name},
             {"generation", entry.generation ? ovsdb::Json(*entry.generation) : ovsdb::Json()},
             {"created", entry.created ? ovsdb::Json(*entry.created) : ovsdb::Json()},
             {"path", entry.path.string()},
             {"error", entry.error.empty() ? ovsdb::Json() : ovsdb::Json(entry.error)}});
        rows.push_back(
            {entry.switchName, entry.name,
             entry.generation ? std::to_string(*entry.generation) : "-",
             entry.error.empty() ? formatCreated(entry.created) : "unreadable: " + entry.error});
    }
    if (parsed.has("--json")) {
        out << list.dump(2) << "\n";
    } else {
        printTable(out, {"Switch", "Name", "Generation", "Created"}, rows);
    }
    return 0;
}

int runSnapshotDumpxml(std::span<const std::string> args, std::ostream& out)
{
    auto parsed = parseMgmtArgs(args, "snapshot-dumpxml [--dir DIR] [--switch SWITCH] SNAPSHOT",
                                {"--dir", "--switch"}, {}, 1);
    auto snap = loadLocated(locate(parsed, parsed.positional[0]));
    out << snap.format();
    return 0;
}

int runSnapshotDelete(std::span<const std::string> args, std::ostream& out)
{
    auto parsed = parseMgmtArgs(args, "snapshot-delete [--dir DIR] [--switch SWITCH] SNAPSHOT",
                                {"--dir", "--switch"}, {}, 1);
    const std::string& arg = parsed.positional[0];
    if (arg.find('/') != std::string::npos) {
        raise(ErrorCode::InvalidArg,
              "snapshot-delete takes a snapshot's name, not a path: remove a file with rm");
    }
    auto store = requireStore(parsed);
    auto where = locate(parsed, arg);
    if (where.switchName.empty()) {
        raise(ErrorCode::InvalidArg, "no snapshot named '{}' in '{}'", arg, store.dir().string());
    }
    store.remove(where.switchName, where.name);
    out << fmt::format("Snapshot {} of switch {} deleted\n", where.name, where.switchName);
    return 0;
}

int runSnapshotDiff(std::span<const std::string> args, std::ostream& out)
{
    auto parsed = parseMgmtArgs(args, "snapshot-diff [--dir DIR] [--switch SWITCH] A B",
                                {"--dir", "--switch"}, {}, 2);
    auto a = loadLocated(locate(parsed, parsed.positional[0]));
    auto b = loadLocated(locate(parsed, parsed.positional[1]));
    auto changes = mgmt::diffSnapshots(a, b);
    if (changes.empty()) {
        out << "No differences\n";
        return 0;
    }
    out << mgmt::formatSnapshotDiff(changes);
    return 0;
}

int runSnapshotRestore(std::span<const std::string> args, std::ostream& out)
{
    auto parsed = parseMgmtArgs(args,
                                "snapshot-restore [--db REMOTE] [--dir DIR] [--switch SWITCH] "
                                "[--as NAME] [--bridge BRIDGE] [--onto NAME] SNAPSHOT",
                                {"--dir", "--switch", "--as", "--bridge", "--onto"}, {}, 1);
    mgmt::RestoreOptions options;
    auto as = parsed.value("--as");
    auto onto = parsed.value("--onto");
    if (as && onto) {
        throw UsageError("give --as NAME (a new switch) or --onto NAME (an existing one), not "
                         "both");
    }
    if (parsed.value("--bridge") && !as) {
        throw UsageError("--bridge names the bridge of a new switch: use it with --as NAME");
    }
    if (as) {
        options.target = mgmt::RestoreOptions::Target::New;
        options.name = *as;
        options.bridge = parsed.value("--bridge");
    } else if (onto) {
        options.target = mgmt::RestoreOptions::Target::Onto;
        options.name = *onto;
    }
    auto where = locate(parsed, parsed.positional[0]);
    auto snap = loadLocated(where);
    options.change = fmt::format("snapshot-restore {} (generation {} of switch {})", snap.name,
                                 snap.generation, snap.network.name);
    auto session = openSession(parsed, mgmt::adminTables());
    mgmt::RestoreResult result;
    session->transact("dvsctl " + options.change, [&](ovsdb::Transaction& txn) {
        result = mgmt::restoreSnapshot(txn, snap, options);
    });
    out << fmt::format("Snapshot {} restored {} switch {} (generation {})\n", snap.name,
                       result.created ? "as" : "onto", result.switchName, result.generation);
    return 0;
}

int runSwitchRollback(std::span<const std::string> args, std::ostream& out)
{
    auto parsed =
        parseMgmtArgs(args, "switch-rollback [--db REMOTE] [--to N] SWITCH", {"--to"}, {}, 1);
    const std::string& name = parsed.positional[0];
    std::optional<std::int64_t> to;
    if (auto text = parsed.value("--to")) {
        to = parsePositive("generation", *text);
    }
    auto session = openSession(parsed, mgmt::adminTables());
    mgmt::RollbackResult result;
    session->transact("dvsctl switch-rollback " + name, [&](ovsdb::Transaction& txn) {
        result = mgmt::rollbackSwitch(txn, name, to);
    });
    out << fmt::format("Switch {} rolled back from generation {} to generation {}'s definition "
                       "(generation {})\n",
                       name, result.from, result.to, result.generation);
    return 0;
}

int runSwitchKeepGenerations(std::span<const std::string> args, std::ostream& out)
{
    auto parsed =
        parseMgmtArgs(args, "switch-keep-generations [--db REMOTE] SWITCH [N]", {}, {}, 1, 2);
    const std::string& name = parsed.positional[0];
    auto session = openSession(parsed, mgmt::adminTables());
    if (parsed.positional.size() == 1) {
        auto sw = mgmt::requireSwitch(session->replica(), name);
        out << sw.keepGenerations().value_or(mgmt::kDefaultKeepGenerations) << "\n";
        return 0;
    }
    auto keep = parsePositive("number of generations", parsed.positional[1]);
    session->transact("dvsctl switch-keep-generations " + name,
                      [&](ovsdb::Transaction& txn) { mgmt::setKeepGenerations(txn, name, keep); });
    out << fmt::format("Switch {} keeps its last {} generations\n", name, keep);
    return 0;
}

} // namespace dvs::cli
