// SPDX-License-Identifier: LGPL-2.1-or-later
// dvsctl switch-rollout-policy, rollout-status, rollout-resume, rollout-abort: a switch's rollout
// policy and its rollouts, which dvs-controller drives from the database.
#include <charconv>
#include <ostream>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/mgmt_args.h"
#include "mgmt/rollout.h"
#include "mgmt/rollout_policy.h"
#include "mgmt/switches.h"
#include "ovsdb/json_stream.h"
#include "util/error.h"

namespace dvs::cli {

namespace {

namespace db = mgmt::db;

std::int64_t parseCount(std::string_view option, std::string_view text)
{
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0) {
        throw UsageError(fmt::format("invalid {} '{}': expected a whole number", option, text));
    }
    return value;
}

std::string orNone(const std::optional<std::int64_t>& value, std::string_view unit = "")
{
    return value ? std::to_string(*value) + std::string(unit) : std::string("-");
}

void printPolicy(std::ostream& out, const mgmt::RolloutPolicy& p)
{
    std::string canary;
    for (const auto& host : p.canary) {
        canary += (canary.empty() ? "" : ",") + host;
    }
    out << fmt::format("{:<16}{}\n", "Canary:", canary.empty() ? "-" : canary);
    out << fmt::format("{:<16}{}\n", "Batch:",
                       p.batch          ? std::to_string(*p.batch)
                       : p.batchPercent ? std::to_string(*p.batchPercent) + "%"
                                        : std::string("all hosts"));
    out << fmt::format("{:<16}{}\n", "Max failed:", p.maxFailed.value_or(0));
    out << fmt::format("{:<16}{}\n", "Soak:", orNone(p.soak, " s"));
    out << fmt::format("{:<16}{}\n", "Deadline:", orNone(p.deadline, " s"));
}

} // namespace

int runSwitchRolloutPolicy(std::span<const std::string> args, std::ostream& out)
{
    auto parsed = parseMgmtArgs(
        args,
        "switch-rollout-policy [--db REMOTE] NAME [--canary HOST[,HOST...]] "
        "[--batch N|N%] [--max-failed K] [--soak SECONDS] "
        "[--deadline SECONDS] [--clear]",
        {"--canary", "--batch", "--max-failed", "--soak", "--deadline"}, {"--clear"}, 1);
    const std::string& name = parsed.positional[0];
    bool changes = parsed.has("--clear");
    for (auto option : {"--canary", "--batch", "--max-failed", "--soak", "--deadline"}) {
        changes = changes || parsed.value(option).has_value();
    }
    auto session = openSession(parsed, mgmt::adminTables());
    if (!changes) {
        printPolicy(out, mgmt::policyOf(mgmt::requireSwitch(session->replica(), name)));
        return 0;
    }
    mgmt::RolloutPolicy policy;
    if (!parsed.has("--clear")) {
        policy = mgmt::policyOf(mgmt::requireSwitch(session->replica(), name));
    }
    if (auto canary = parsed.value("--canary")) {
        policy.canary.clear();
        std::size_t start = 0;
        while (start <= canary->size()) {
            auto comma = canary->find(',', start);
            if (comma == std::string::npos) {
                comma = canary->size();
            }
            if (comma > start) {
                policy.canary.push_back(canary->substr(start, comma - start));
            }
            start = comma + 1;
        }
    }
    if (auto batch = parsed.value("--batch")) {
        mgmt::parseBatch(*batch, policy);
    }
    if (auto v = parsed.value("--max-failed")) {
        policy.maxFailed = parseCount("--max-failed", *v);
    }
    if (auto v = parsed.value("--soak")) {
        policy.soak = parseCount("--soak", *v);
    }
    if (auto v = parsed.value("--deadline")) {
        policy.deadline = parseCount("--deadline", *v);
    }
    session->transact("dvsctl switch-rollout-policy " + name,
                      [&](ovsdb::Transaction& txn) { mgmt::setRolloutPolicy(txn, name, policy); });
    out << fmt::format("Rollout policy of switch {} set\n", name);
    printPolicy(out, policy);
    return 0;
}

int runRolloutStatus(std::span<const std::string> args, std::ostream& out)
{
    auto parsed =
        parseMgmtArgs(args, "rollout-status [--db REMOTE] [--json] NAME", {}, {"--json"}, 1);
    const std::string& name = parsed.positional[0];
    auto session = openSession(parsed, mgmt::adminTables());
    const auto& replica = session->replica();
    auto sw = mgmt::requireSwitch(replica, name);
    auto rollout = mgmt::latestRollout(replica, sw.uuid());
    bool json = parsed.has("--json");
    if (!rollout) {
        if (json) {
            out << ovsdb::Json{{"switch", name}, {"rollout", nullptr}}.dump(2) << "\n";
        } else {
            out << fmt::format("Switch {} has had no rollout\n", name);
        }
        return 0;
    }
    auto hosts = mgmt::rolloutHosts(replica, rollout->uuid());
    std::vector<std::string> failed;
    for (const auto& h : hosts) {
        if (h.state() == "failed") {
            failed.push_back(h.host());
        }
    }
    if (json) {
        ovsdb::Json list = ovsdb::Json::array();
        for (const auto& h : hosts) {
            list.push_back({{"host", h.host()},
                            {"batch", h.batch()},
                            {"state", h.state()},
                            {"reason", h.reason()}});
        }
        out << ovsdb::Json{{"switch", name},
                           {"state", rollout->state()},
                           {"from", rollout->fromGeneration()},
                           {"to", rollout->toGeneration()},
                           {"batch", rollout->batch()},
                           {"batches", rollout->batches()},
                           {"reason", rollout->reason()},
                           {"failed", failed},
                           {"controller", rollout->controller()},
                           {"hosts", std::move(list)}}
                   .dump(2)
            << "\n";
        return 0;
    }
    out << fmt::format("{:<16}{}\n", "Switch:", name);
    out << fmt::format("{:<16}{}\n", "State:", rollout->state());
    out << fmt::format("{:<16}{} to {}\n", "Generation:", rollout->fromGeneration(),
                       rollout->toGeneration());
    if (rollout->batches() > 0) {
        bool canary = !sw.rolloutCanary().empty() && rollout->batch() == 0;
        out << fmt::format("{:<16}{} of {}{}\n", "Batch:", rollout->batch() + 1, rollout->batches(),
                           canary ? " (canaries)" : "");
    }
    if (rollout->soakUntil()) {
        out << fmt::format("{:<16}until {} UTC\n", "Soak:", formatTime(*rollout->soakUntil()));
    }
    if (!failed.empty()) {
        std::string list;
        for (const auto& h : failed) {
            list += (list.empty() ? "" : ", ") + h;
        }
        out << fmt::format("{:<16}{}\n", "Failed hosts:", list);
    }
    if (!rollout->reason().empty()) {
        out << fmt::format("{:<16}{}\n", "Reason:", rollout->reason());
    }
    out << fmt::format("{:<16}{}\n",
                       "Controller:", rollout->controller().empty() ? "-" : rollout->controller());
    if (!hosts.empty()) {
        out << "\n";
        std::vector<std::vector<std::string>> rows;
        for (const auto& h : hosts) {
            rows.push_back({h.host(), std::to_string(h.batch() + 1), h.state(), h.reason()});
        }
        printTable(out, {"Host", "Batch", "State", "Reason"}, rows);
    }
    return 0;
}

int runRolloutResume(std::span<const std::string> args, std::ostream& out)
{
    auto parsed = parseMgmtArgs(args, "rollout-resume [--db REMOTE] NAME", {}, {}, 1);
    const std::string& name = parsed.positional[0];
    auto session = openSession(parsed, mgmt::adminTables());
    session->transact("dvsctl rollout-resume " + name,
                      [&](ovsdb::Transaction& txn) { mgmt::resumeRollout(txn, name); });
    auto sw = mgmt::requireSwitch(session->replica(), name);
    auto rollout = mgmt::activeRollout(session->replica(), sw.uuid());
    out << fmt::format("Rollout of switch {} resumed from batch {} of {}\n", name,
                       rollout ? rollout->batch() + 1 : 1, rollout ? rollout->batches() : 1);
    return 0;
}

int runRolloutAbort(std::span<const std::string> args, std::ostream& out)
{
    auto parsed = parseMgmtArgs(args, "rollout-abort [--db REMOTE] NAME", {}, {}, 1);
    const std::string& name = parsed.positional[0];
    auto session = openSession(parsed, mgmt::adminTables());
    std::int64_t generation = 0;
    session->transact("dvsctl rollout-abort " + name,
                      [&](ovsdb::Transaction& txn) { generation = mgmt::abortRollout(txn, name); });
    out << fmt::format("Rollout of switch {} aborted: generation {} restores the previous "
                       "definition on every host\n",
                       name, generation);
    return 0;
}

} // namespace dvs::cli
