// SPDX-License-Identifier: LGPL-2.1-or-later
// dvsctl switch-probe-add, switch-probe-remove, switch-probe-list, switch-revert-timeout and
// switch-retry: what a switch's hosts must prove after a change before they keep it, and the
// retry of a change a host reverted.
#include <charconv>
#include <ostream>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/mgmt_args.h"
#include "mgmt/revert_admin.h"
#include "mgmt/switches.h"
#include "ovsdb/json_stream.h"
#include "util/error.h"

namespace dvs::cli {

namespace {

namespace db = mgmt::db;

constexpr std::string_view kProbeAddUsage =
    "switch-probe-add [--db REMOTE] NAME PROBE [--icmp ADDRESS] [--tcp ADDRESS:PORT] "
    "[--interface IFNAME]";
constexpr std::string_view kRevertTimeoutUsage =
    "switch-revert-timeout [--db REMOTE] NAME [SECONDS|default]";
constexpr std::string_view kRetryUsage = "switch-retry [--db REMOTE] NAME [HOST]";

// Parses with one or two positionals (the second optional).
MgmtArgs parseOptionalSecond(std::span<const std::string> args, std::string_view usage,
                             std::initializer_list<std::string_view> flags = {})
{
    try {
        return parseMgmtArgs(args, usage, {}, flags, 2);
    } catch (const UsageError&) {
        return parseMgmtArgs(args, usage, {}, flags, 1);
    }
}

std::int64_t parseSeconds(std::string_view text)
{
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
        throw UsageError(
            fmt::format("invalid revert timeout '{}': expected seconds or 'default'", text));
    }
    return value;
}

// "10.0.0.5:3260" or "[fd00::5]:3260".
std::pair<std::string, std::uint16_t> parseHostPort(std::string_view text)
{
    std::string_view address;
    std::string_view port;
    if (text.starts_with('[')) {
        auto close = text.find("]:");
        if (close == std::string_view::npos) {
            throw UsageError(fmt::format("invalid --tcp '{}': expected [IPV6]:PORT", text));
        }
        address = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon) {
            throw UsageError(
                fmt::format("invalid --tcp '{}': expected IPV4:PORT or [IPV6]:PORT", text));
        }
        address = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
        value > 65535) {
        throw UsageError(fmt::format("invalid port in --tcp '{}': expected 1 to 65535", text));
    }
    return {std::string(address), static_cast<std::uint16_t>(value)};
}

std::string revertTimeoutText(const db::Switch::View& sw)
{
    auto timeout = sw.revertTimeout();
    return timeout ? fmt::format("{} s", *timeout)
                   : std::string("the hosts' own ([management] revert-timeout, default 30 s)");
}

} // namespace

int runSwitchProbeAdd(std::span<const std::string> args, std::ostream& out)
{
    auto parsed = parseMgmtArgs(args, kProbeAddUsage, {"--icmp", "--tcp", "--interface"}, {}, 2);
    const std::string& name = parsed.positional[0];
    mgmt::ProbeSpec probe;
    probe.name = parsed.positional[1];
    auto icmp = parsed.value("--icmp");
    auto tcp = parsed.value("--tcp");
    if (icmp.has_value() == tcp.has_value()) {
        throw UsageError(fmt::format("give exactly one of --icmp ADDRESS and --tcp ADDRESS:PORT; "
                                     "usage: dvsctl {}",
                                     kProbeAddUsage));
    }
    if (icmp) {
        probe.kind = mgmt::ProbeKind::Icmp;
        probe.address = *icmp;
    } else {
        probe.kind = mgmt::ProbeKind::Tcp;
        std::tie(probe.address, probe.port) = parseHostPort(*tcp);
    }
    probe.interface = parsed.value("--interface").value_or("");
    mgmt::validateProbe(probe);
    auto session = openSession(parsed, mgmt::adminTables());
    session->transact("dvsctl switch-probe-add " + name + " " + probe.name,
                      [&](ovsdb::Transaction& txn) { mgmt::addProbe(txn, name, probe); });
    out << fmt::format("Probe {} of switch {} added: {}\n", probe.name, name,
                       mgmt::describeProbe(probe));
    return 0;
}

int runSwitchProbeRemove(std::span<const std::string> args, std::ostream& out)
{
    auto parsed = parseMgmtArgs(args, "switch-probe-remove [--db REMOTE] NAME PROBE", {}, {}, 2);
    const std::string& name = parsed.positional[0];
    const std::string& probe = parsed.positional[1];
    auto session = openSession(parsed, mgmt::adminTables());
    session->transact("dvsctl switch-probe-remove " + name + " " + probe,
                      [&](ovsdb::Transaction& txn) { mgmt::removeProbe(txn, name, probe); });
    out << fmt::format("Probe {} of switch {} removed\n", probe, name);
    return 0;
}

int runSwitchProbeList(std::span<const std::string> args, std::ostream& out)
{
    auto parsed =
        parseMgmtArgs(args, "switch-probe-list [--db REMOTE] [--json] NAME", {}, {"--json"}, 1);
    const std::string& name = parsed.positional[0];
    auto session = openSession(parsed, mgmt::adminTables());
    auto sw = mgmt::requireSwitch(session->replica(), name);
    auto probes = mgmt::probesOf(session->replica(), sw);
    if (parsed.has("--json")) {
        ovsdb::Json list = ovsdb::Json::array();
        for (const auto& p : probes) {
            list.push_back({{"name", p.name},
                            {"kind", p.kind == mgmt::ProbeKind::Tcp ? "tcp" : "icmp"},
                            {"address", p.address},
                            {"port", p.port != 0 ? ovsdb::Json(p.port) : ovsdb::Json(nullptr)},
                            {"interface", p.interface.empty() ? ovsdb::Json(nullptr)
                                                              : ovsdb::Json(p.interface)}});
        }
        auto timeout = sw.revertTimeout();
        out << ovsdb::Json{{"switch", name},
                           {"revert_timeout", timeout ? ovsdb::Json(*timeout) : ovsdb::Json()},
                           {"probes", std::move(list)}}
                   .dump(2)
            << "\n";
        return 0;
    }
    out << fmt::format("{:<16}{}\n", "Switch:", name);
    out << fmt::format("{:<16}{}\n", "Revert timeout:", revertTimeoutText(sw));
    out << "\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : probes) {
        rows.push_back(
            {p.name, p.kind == mgmt::ProbeKind::Tcp ? "tcp" : "icmp",
             p.kind == mgmt::ProbeKind::Tcp ? fmt::format("{}:{}", p.address, p.port) : p.address,
             p.interface.empty() ? "(bridge)" : p.interface});
    }
    printTable(out, {"Probe", "Kind", "Target", "Through"}, rows);
    return 0;
}

int runSwitchRevertTimeout(std::span<const std::string> args, std::ostream& out)
{
    auto parsed = parseOptionalSecond(args, kRevertTimeoutUsage);
    const std::string& name = parsed.positional[0];
    auto session = openSession(parsed, mgmt::adminTables());
    if (parsed.positional.size() == 1) {
        out << fmt::format("Revert timeout of switch {}: {}\n", name,
                           revertTimeoutText(mgmt::requireSwitch(session->replica(), name)));
        return 0;
    }
    const std::string& value = parsed.positional[1];
    std::optional<std::int64_t> seconds;
    if (value != "default") {
        seconds = parseSeconds(value);
    }
    session->transact("dvsctl switch-revert-timeout " + name,
                      [&](ovsdb::Transaction& txn) { mgmt::setRevertTimeout(txn, name, seconds); });
    out << fmt::format("Revert timeout of switch {}: {}\n", name,
                       seconds ? fmt::format("{} s", *seconds)
                               : std::string("the hosts' own ([management] revert-timeout)"));
    return 0;
}

int runSwitchRetry(std::span<const std::string> args, std::ostream& out)
{
    auto parsed = parseOptionalSecond(args, kRetryUsage);
    const std::string& name = parsed.positional[0];
    std::optional<std::string_view> host;
    if (parsed.positional.size() == 2) {
        host = parsed.positional[1];
    }
    std::vector<std::string> hosts;
    auto session = openSession(parsed, mgmt::adminTables());
    session->transact("dvsctl switch-retry " + name, [&](ovsdb::Transaction& txn) {
        hosts = mgmt::retryMembers(txn, name, host);
    });
    std::string list;
    for (const auto& h : hosts) {
        list += (list.empty() ? "" : ", ") + h;
    }
    out << fmt::format("Switch {}: retry asked of {}: a generation reverted there is applied "
                       "again\n",
                       name, hosts.empty() ? std::string("no member") : list);
    return 0;
}

} // namespace dvs::cli
