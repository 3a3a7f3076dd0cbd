// SPDX-License-Identifier: LGPL-2.1-or-later
// dvsctl switch-status NAME and dvsctl wait NAME: per member host, the generation it should run,
// the one it applied and where it stands, from the status rows each host writes.
#include <charconv>
#include <iostream>
#include <ostream>
#include <unistd.h>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/mgmt_args.h"
#include "mgmt/progress.h"
#include "mgmt/switches.h"
#include "ovsdb/json_stream.h"
#include "util/error.h"

namespace dvs::cli {

namespace {

namespace db = mgmt::db;
using mgmt::MemberPhase;

std::string rolloutSummary(const ovsdb::Replica& replica, const db::Switch::View& sw)
{
    auto rollout = mgmt::activeRollout(replica, sw.uuid());
    if (!rollout) {
        return "none";
    }
    std::string text = fmt::format("{}, generation {} to {}", rollout->state(),
                                   rollout->fromGeneration(), rollout->toGeneration());
    if (rollout->batches() > 0) {
        text += fmt::format(", batch {} of {}", rollout->batch(), rollout->batches());
    }
    if (!rollout->reason().empty()) {
        text += ": " + rollout->reason();
    }
    return text;
}

ovsdb::Json progressJson(const mgmt::MemberProgress& p)
{
    return {{"host", p.host},
            {"desired", p.desired},
            {"applied", p.applied ? ovsdb::Json(*p.applied) : ovsdb::Json()},
            {"state", std::string(util::toString(p.phase))},
            {"reason", p.reason},
            {"since", p.since ? ovsdb::Json(formatTime(*p.since)) : ovsdb::Json()},
            {"last_seen", p.lastSeen ? ovsdb::Json(formatTime(*p.lastSeen)) : ovsdb::Json()}};
}

std::string hostList(const std::vector<mgmt::MemberProgress>& hosts)
{
    std::string out;
    for (const auto& p : hosts) {
        out += (out.empty() ? "" : ", ") + p.host + " (" + mgmt::describe(p) + ")";
    }
    return out;
}

double parseSeconds(std::string_view text)
{
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0) {
        throw UsageError(fmt::format("invalid timeout '{}': expected seconds", text));
    }
    return value;
}

} // namespace

int runSwitchStatus(std::span<const std::string> args, std::ostream& out)
{
    auto parsed =
        parseMgmtArgs(args, "switch-status [--db REMOTE] [--json] NAME", {}, {"--json"}, 1);
    auto session = openSession(parsed, mgmt::progressTables());
    const auto& replica = session->replica();
    auto sw = mgmt::requireSwitch(replica, parsed.positional[0]);
    auto hosts = mgmt::switchProgress(replica, sw, std::nullopt, mgmt::nowMs());
    std::size_t inSync = 0;
    std::size_t unreachable = 0;
    for (const auto& p : hosts) {
        inSync += p.phase == MemberPhase::InSync ? 1 : 0;
        unreachable += p.phase == MemberPhase::Unreachable ? 1 : 0;
    }
    if (parsed.has("--json")) {
        ovsdb::Json list = ovsdb::Json::array();
        for (const auto& p : hosts) {
            list.push_back(progressJson(p));
        }
        auto rollout = mgmt::activeRollout(replica, sw.uuid());
        ovsdb::Json doc = {{"format", 1},
                           {"name", sw.name()},
                           {"uuid", sw.networkUuid()},
                           {"generation", sw.generation()},
                           {"rollout", rollout ? ovsdb::Json(rollout->state()) : ovsdb::Json()},
                           {"hosts", std::move(list)}};
        out << doc.dump(2) << "\n";
        return 0;
    }
    out << fmt::format("{:<16}{}\n", "Name:", sw.name());
    out << fmt::format("{:<16}{}\n", "UUID:", sw.networkUuid());
    out << fmt::format("{:<16}{}\n", "Generation:", sw.generation());
    out << fmt::format("{:<16}{}\n", "Rollout:", rolloutSummary(replica, sw));
    out << fmt::format("{:<16}{} of {} in sync{}\n", "Hosts:", inSync, hosts.size(),
                       unreachable > 0 ? fmt::format(", {} unreachable", unreachable) : "");
    if (!hosts.empty()) {
        out << "\n";
        std::vector<std::vector<std::string>> rows;
        for (const auto& p : hosts) {
            rows.push_back({p.host, std::to_string(p.desired),
                            p.applied ? std::to_string(*p.applied) : "-", mgmt::describe(p)});
        }
        printTable(out, {"Host", "Desired", "Applied", "State"}, rows);
    }
    return 0;
}

int runWait(std::span<const std::string> args, std::ostream& out)
{
    using namespace std::chrono;
    auto parsed =
        parseMgmtArgs(args, "wait [--db REMOTE] [--timeout SECONDS] NAME", {"--timeout"}, {}, 1);
    std::optional<steady_clock::time_point> deadline;
    std::optional<double> timeout;
    if (auto t = parsed.value("--timeout")) {
        timeout = parseSeconds(*t);
        deadline = steady_clock::now() + duration_cast<milliseconds>(duration<double>(*timeout));
    }
    const std::string& name = parsed.positional[0];
    auto session = openSession(parsed, mgmt::progressTables());
    const auto& replica = session->replica();
    bool tty = isatty(STDERR_FILENO) == 1;
    std::string lastLine;
    auto endLine = [&] {
        if (!lastLine.empty()) {
            std::cerr << "\n";
            lastLine.clear();
        }
    };

    for (;;) {
        auto sw = mgmt::requireSwitch(replica, name);
        std::int64_t generation = sw.generation();
        auto hosts = mgmt::switchProgress(replica, sw, generation, mgmt::nowMs());
        std::vector<mgmt::MemberProgress> failed;
        std::vector<mgmt::MemberProgress> waiting;
        for (const auto& p : hosts) {
            if (p.phase == MemberPhase::Failed || p.phase == MemberPhase::Reverted) {
                failed.push_back(p);
            } else if (p.phase != MemberPhase::InSync) {
                waiting.push_back(p);
            }
        }
        std::size_t done = hosts.size() - failed.size() - waiting.size();
        auto rollout = mgmt::activeRollout(replica, sw.uuid());
        if (rollout && rollout->state() == "halted") {
            endLine();
            raise(ErrorCode::OperationFailed,
                  "the rollout of generation {} of switch '{}' is halted: {}{}{}", generation, name,
                  rollout->reason(), failed.empty() ? "" : "; failed: ", hostList(failed));
        }
        if (!failed.empty()) {
            endLine();
            raise(ErrorCode::OperationFailed,
                  "{} of {} hosts failed to apply generation {} of switch '{}': {}", failed.size(),
                  hosts.size(), generation, name, hostList(failed));
        }
        if (waiting.empty()) {
            endLine();
            out << fmt::format("Switch {}: generation {} applied on {} of {} hosts\n", name,
                               generation, done, hosts.size());
            return 0;
        }
        if (deadline && steady_clock::now() >= *deadline) {
            endLine();
            raise(ErrorCode::OperationTimeout,
                  "generation {} of switch '{}' is applied on {} of {} hosts after {} s; not "
                  "done: {}",
                  generation, name, done, hosts.size(), *timeout, hostList(waiting));
        }
        if (tty) {
            std::string line =
                fmt::format("generation {}: {}/{} hosts done; slowest: {}", generation, done,
                            hosts.size(), hostList({waiting.front()}));
            if (line != lastLine) {
                std::cerr << "\r" << line << "\x1b[K" << std::flush;
                lastLine = line;
            }
        }
        // Wake on the next change, or after a second to notice stopped heartbeats.
        auto seqno = replica.seqno();
        auto wake = steady_clock::now() + seconds(1);
        session->runUntil([&] { return replica.seqno() != seqno; },
                          deadline ? std::min(*deadline, wake) : wake);
    }
}

} // namespace dvs::cli
