// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mgmt/snapshot.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <utility>

#include "mgmt/compose.h"
#include "util/error.h"
#include "util/file.h"
#include "util/number.h"
#include "util/xml.h"

namespace dvs::mgmt {

namespace {

// The children of <snapshot>, in the order the grammar and the formatter use.
constexpr std::array<std::string_view, 9> kOrder = {
    "name",    "description", "created", "generation", "keep-generations",
    "network", "members",     "rollout", "revert",
};

std::int64_t parseInteger(std::string_view text, std::string_view what, std::int64_t minimum)
{
    auto value = util::parseNumber<std::uint64_t>(text, 10, util::Sign::Refuse);
    if (!value || *value > static_cast<std::uint64_t>(INT64_MAX) ||
        static_cast<std::int64_t>(*value) < minimum) {
        raise(ErrorCode::XmlDetail,
              "invalid value '{}' for {} in the snapshot: expected an "
              "integer of at least {}",
              text, what, minimum);
    }
    return static_cast<std::int64_t>(*value);
}

std::optional<std::int64_t> optionalAttr(const util::XmlNode& node, const char* name,
                                         std::int64_t minimum)
{
    auto text = node.attr(name);
    if (!text) {
        return std::nullopt;
    }
    return parseInteger(*text, fmt::format("<{}> attribute '{}'", node.name(), name), minimum);
}

std::string requiredAttr(const util::XmlNode& node, const char* name)
{
    auto value = node.attr(name);
    if (!value || value->empty()) {
        raise(ErrorCode::XmlError, "Missing required attribute '{}' in element '{}'", name,
              node.name());
    }
    return *value;
}

void noChildren(const util::XmlNode& node)
{
    auto kids = node.children();
    if (!kids.empty()) {
        raise(ErrorCode::XmlError, "unsupported element '{}' in <{}> of the snapshot",
              kids.front().name(), node.name());
    }
}

void parseMembers(const util::XmlNode& node, Snapshot& snap)
{
    for (const auto& member : node.children()) {
        if (member.name() != "member" || !member.namespaceUri().empty()) {
            raise(ErrorCode::XmlError, "unsupported element '{}' in <members> of the snapshot",
                  member.name());
        }
        SnapshotMember out;
        out.host = requiredAttr(member, "host");
        for (const auto& uplink : member.children()) {
            if (uplink.name() != "uplink" || !uplink.namespaceUri().empty()) {
                raise(ErrorCode::XmlError, "unsupported element '{}' in <member> of the snapshot",
                      uplink.name());
            }
            noChildren(uplink);
            out.uplink.push_back(requiredAttr(uplink, "dev"));
        }
        snap.members.push_back(std::move(out));
    }
    std::stable_sort(snap.members.begin(), snap.members.end(),
                     [](const auto& a, const auto& b) { return a.host < b.host; });
}

void parseRollout(const util::XmlNode& node, RolloutPolicy& policy)
{
    policy.batch = optionalAttr(node, "batch", 1);
    policy.batchPercent = optionalAttr(node, "batch-percent", 1);
    if (policy.batchPercent && *policy.batchPercent > 100) {
        raise(ErrorCode::XmlDetail,
              "invalid value '{}' for <rollout> attribute 'batch-percent' in the snapshot: "
              "expected 1 to 100",
              *policy.batchPercent);
    }
    policy.maxFailed = optionalAttr(node, "max-failed", 0);
    policy.soak = optionalAttr(node, "soak", 0);
    policy.deadline = optionalAttr(node, "deadline", 1);
    for (const auto& canary : node.children()) {
        if (canary.name() != "canary" || !canary.namespaceUri().empty()) {
            raise(ErrorCode::XmlError, "unsupported element '{}' in <rollout> of the snapshot",
                  canary.name());
        }
        noChildren(canary);
        policy.canary.push_back(requiredAttr(canary, "host"));
    }
    std::sort(policy.canary.begin(), policy.canary.end());
}

void parseRevert(const util::XmlNode& node, Snapshot& snap)
{
    snap.revertTimeout = optionalAttr(node, "timeout", 1);
    if (snap.revertTimeout && *snap.revertTimeout > 3600) {
        raise(ErrorCode::XmlDetail,
              "invalid value '{}' for <revert> attribute 'timeout' in the snapshot: expected 1 "
              "to 3600 seconds",
              *snap.revertTimeout);
    }
    for (const auto& child : node.children()) {
        if (child.name() != "probe" || !child.namespaceUri().empty()) {
            raise(ErrorCode::XmlError, "unsupported element '{}' in <revert> of the snapshot",
                  child.name());
        }
        noChildren(child);
        ProbeSpec probe;
        probe.name = requiredAttr(child, "name");
        auto kind = requiredAttr(child, "kind");
        if (kind != "icmp" && kind != "tcp") {
            raise(ErrorCode::XmlDetail,
                  "invalid value '{}' for <probe> attribute 'kind' in the snapshot: expected "
                  "'icmp' or 'tcp'",
                  kind);
        }
        probe.kind = kind == "tcp" ? ProbeKind::Tcp : ProbeKind::Icmp;
        probe.address = requiredAttr(child, "address");
        if (auto port = optionalAttr(child, "port", 1)) {
            if (*port > 65535) {
                raise(ErrorCode::XmlDetail,
                      "invalid value '{}' for <probe> attribute 'port' in the snapshot: expected "
                      "1 to 65535",
                      *port);
            }
            probe.port = static_cast<std::uint16_t>(*port);
        }
        probe.interface = child.attr("interface").value_or("");
        snap.probes.push_back(std::move(probe));
    }
    std::stable_sort(snap.probes.begin(), snap.probes.end(),
                     [](const auto& a, const auto& b) { return a.name < b.name; });
}

void formatOptional(util::XmlWriter& w, std::string_view name,
                    const std::optional<std::int64_t>& value)
{
    if (value) {
        w.attr(name, *value);
    }
}

std::string joined(const std::vector<std::string>& items)
{
    std::string out;
    for (const auto& item : items) {
        out += (out.empty() ? "" : ",") + item;
    }
    return out;
}

std::string optionalText(const std::optional<std::int64_t>& value)
{
    return value ? std::to_string(*value) : std::string();
}

void compare(std::vector<SnapshotChange>& out, std::string_view section, std::string subject,
             const std::string& before, const std::string& after)
{
    if (before == after) {
        return;
    }
    auto kind = before.empty()  ? SnapshotChange::Kind::Added
                : after.empty() ? SnapshotChange::Kind::Removed
                                : SnapshotChange::Kind::Changed;
    out.push_back({std::string(section), std::move(subject), kind, before, after});
}

// The network without portgroups, as (subject, XML) per top-level element in its canonical
// layout: the root's attributes as "network", repeated elements numbered from 1 ("ip[2]").
std::vector<std::pair<std::string, std::string>> definitionParts(const conf::NetworkDef& def)
{
    std::vector<std::pair<std::string, std::string>> parts;
    std::string text = baseDefinition(def);
    auto doc = util::XmlDocument::parse(text, "(snapshot)");
    std::string rootAttrs;
    for (const auto& name : doc.root().attrNames()) {
        rootAttrs += (rootAttrs.empty() ? "" : " ") + name + "='" +
                     doc.root().attr(name.c_str()).value_or("") + "'";
    }
    // Always present, so that a change of them comes first.
    parts.emplace_back("network", rootAttrs);
    // The formatter puts each child of <network> at two spaces, its content deeper and its
    // closing tag at two spaces again.
    std::vector<std::string> lines;
    for (std::size_t start = 0; start < text.size();) {
        auto end = text.find('\n', start);
        end = end == std::string::npos ? text.size() : end;
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    std::vector<std::pair<std::string, std::string>> chunks;
    for (std::size_t i = 1; i + 1 < lines.size(); ++i) {
        const auto& line = lines[i];
        bool top = line.size() > 3 && line.compare(0, 3, "  <") == 0 && line[3] != '/';
        std::string body = line.compare(0, 2, "  ") == 0 ? line.substr(2) : line;
        if (top || chunks.empty()) {
            auto nameEnd = body.find_first_of(" />", 1);
            chunks.emplace_back(body.substr(1, nameEnd - 1), body);
        } else {
            chunks.back().second += "\n" + body;
        }
    }
    std::map<std::string, int> total, seen;
    for (const auto& chunk : chunks) {
        ++total[chunk.first];
    }
    for (auto& [name, xml] : chunks) {
        int index = ++seen[name];
        parts.emplace_back(total[name] > 1 ? fmt::format("{}[{}]", name, index) : name,
                           std::move(xml));
    }
    return parts;
}

// Merges two keyed lists (keys in each unique) into changes: keys in a's order then b's new
// ones, or all sorted.
void compareKeyed(std::vector<SnapshotChange>& out, std::string_view section,
                  const std::vector<std::pair<std::string, std::string>>& a,
                  const std::vector<std::pair<std::string, std::string>>& b, bool sorted = false)
{
    std::map<std::string, std::string> inA(a.begin(), a.end());
    std::map<std::string, std::string> inB(b.begin(), b.end());
    std::vector<std::string> keys;
    for (const auto& [key, value] : a) {
        keys.push_back(key);
    }
    for (const auto& [key, value] : b) {
        if (!inA.contains(key)) {
            keys.push_back(key);
        }
    }
    if (sorted) {
        std::sort(keys.begin(), keys.end());
    }
    for (const auto& key : keys) {
        auto before = inA.find(key);
        auto after = inB.find(key);
        compare(out, section, key, before == inA.end() ? "" : before->second,
                after == inB.end() ? "" : after->second);
    }
}

} // namespace

Snapshot Snapshot::parse(std::string_view xml)
{
    auto doc = util::XmlDocument::parse(xml, "(snapshot)");
    auto root = doc.root();
    if (root.name() != "snapshot" || !root.namespaceUri().empty()) {
        raise(ErrorCode::XmlError, "expecting root element 'snapshot', not '{}'", root.name());
    }
    auto versionText = root.attr("version");
    if (!versionText) {
        raise(ErrorCode::XmlError, "Missing required attribute 'version' in element 'snapshot'");
    }
    auto version = util::parseNumber<unsigned>(*versionText, 10, util::Sign::Refuse);
    if (!version || *version == 0) {
        raise(ErrorCode::XmlDetail, "invalid snapshot version '{}'", *versionText);
    }
    if (*version > static_cast<unsigned>(kVersion)) {
        raise(ErrorCode::ConfigUnsupported,
              "snapshot version {} is newer than this release reads (version {})", *version,
              kVersion);
    }

    Snapshot snap;
    std::size_t position = 0;
    bool sawName = false, sawGeneration = false, sawNetwork = false;
    for (const auto& child : root.children()) {
        auto it = child.namespaceUri().empty()
                      ? std::find(kOrder.begin(), kOrder.end(), child.name())
                      : kOrder.end();
        if (it == kOrder.end()) {
            raise(ErrorCode::XmlError, "unsupported element '{}' in <snapshot>", child.name());
        }
        auto index = static_cast<std::size_t>(it - kOrder.begin()) + 1;
        if (index <= position) {
            raise(ErrorCode::XmlError, "element <{}> of the snapshot is repeated or out of order",
                  child.name());
        }
        position = index;
        if (*it == "name") {
            snap.name = child.text();
            sawName = true;
        } else if (*it == "description") {
            snap.description = child.text();
        } else if (*it == "created") {
            snap.created = parseInteger(child.text(), "<created>", 0);
        } else if (*it == "generation") {
            snap.generation = parseInteger(child.text(), "<generation>", 1);
            sawGeneration = true;
        } else if (*it == "keep-generations") {
            snap.keepGenerations = parseInteger(child.text(), "<keep-generations>", 1);
        } else if (*it == "network") {
            snap.network = conf::NetworkDef::parse(child);
            snap.network.uuidSpecified = true;
            snap.network.connections = 0;
            sawNetwork = true;
        } else if (*it == "members") {
            parseMembers(child, snap);
        } else if (*it == "rollout") {
            parseRollout(child, snap.policy);
        } else if (*it == "revert") {
            parseRevert(child, snap);
        }
    }
    for (auto [seen, name] : {std::pair{sawName, "name"}, std::pair{sawGeneration, "generation"},
                              std::pair{sawNetwork, "network"}}) {
        if (!seen) {
            raise(ErrorCode::XmlError, "the snapshot has no <{}> element", name);
        }
    }
    if (snap.name.empty()) {
        raise(ErrorCode::XmlError, "the snapshot's <name> is empty");
    }
    return snap;
}

std::string Snapshot::format() const
{
    util::XmlWriter w;
    w.start("snapshot");
    w.attr("version", kVersion);
    w.element("name", name);
    if (!description.empty()) {
        w.element("description", description);
    }
    if (created) {
        w.element("created", std::to_string(*created));
    }
    w.element("generation", std::to_string(generation));
    if (keepGenerations) {
        w.element("keep-generations", std::to_string(*keepGenerations));
    }
    conf::NetworkDef def = network;
    def.connections = 0;
    def.format(w, conf::NetworkFormatFlags::Inactive);
    auto sorted = members;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.host < b.host; });
    if (!sorted.empty()) {
        w.start("members");
        for (const auto& member : sorted) {
            w.start("member");
            w.attr("host", member.host);
            for (const auto& dev : member.uplink) {
                w.start("uplink");
                w.attr("dev", dev);
                w.end();
            }
            w.end();
        }
        w.end();
    }
    if (!policy.empty()) {
        w.start("rollout");
        formatOptional(w, "batch", policy.batch);
        formatOptional(w, "batch-percent", policy.batchPercent);
        formatOptional(w, "max-failed", policy.maxFailed);
        formatOptional(w, "soak", policy.soak);
        formatOptional(w, "deadline", policy.deadline);
        auto canary = policy.canary;
        std::sort(canary.begin(), canary.end());
        for (const auto& host : canary) {
            w.start("canary");
            w.attr("host", host);
            w.end();
        }
        w.end();
    }
    if (revertTimeout || !probes.empty()) {
        w.start("revert");
        formatOptional(w, "timeout", revertTimeout);
        auto sortedProbes = probes;
        std::stable_sort(sortedProbes.begin(), sortedProbes.end(),
                         [](const auto& a, const auto& b) { return a.name < b.name; });
        for (const auto& probe : sortedProbes) {
            w.start("probe");
            w.attr("name", probe.name);
            w.attr("kind", probe.kind == ProbeKind::Tcp ? "tcp" : "icmp");
            w.attr("address", probe.address);
            if (probe.port != 0) {
                w.attr("port", static_cast<std::int64_t>(probe.port));
            }
            if (!probe.interface.empty()) {
                w.attr("interface", probe.interface);
            }
            w.end();
        }
        w.end();
    }
    w.end();
    return std::move(w).take();
}

void Snapshot::validate() const
{
    if (!util::isSafeFileName(name)) {
        raise(ErrorCode::XmlError,
              "snapshot name '{}' cannot be used as a file name: it must not be empty, '.' or "
              "'..', longer than 255 bytes, or contain '/' or control characters",
              name);
    }
    std::vector<std::pair<std::string, std::vector<std::string>>> uplinks;
    std::set<std::string> hosts;
    for (const auto& member : members) {
        if (!hosts.insert(member.host).second) {
            raise(ErrorCode::XmlError, "host '{}' is a member of the snapshot's switch twice",
                  member.host);
        }
        uplinks.emplace_back(member.host, member.uplink);
    }
    if (policy.batch && policy.batchPercent) {
        raise(ErrorCode::XmlError, "the snapshot's rollout gives both 'batch' and "
                                   "'batch-percent': give one");
    }
    std::set<std::string> probeNames;
    for (const auto& probe : probes) {
        validateProbe(probe);
        if (!probeNames.insert(probe.name).second) {
            raise(ErrorCode::XmlError, "probe '{}' appears twice in the snapshot", probe.name);
        }
    }
    validateSwitch(network, uplinks);
}

std::vector<SnapshotChange> diffSnapshots(const Snapshot& a, const Snapshot& b)
{
    std::vector<SnapshotChange> out;
    compare(out, "generation", "generation", std::to_string(a.generation),
            std::to_string(b.generation));
    compare(out, "generation", "keep-generations", optionalText(a.keepGenerations),
            optionalText(b.keepGenerations));

    compareKeyed(out, "definition", definitionParts(a.network), definitionParts(b.network));

    auto portgroups = [](const conf::NetworkDef& def) {
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& pg : def.portgroups) {
            out.emplace_back(pg.name, portgroupDefinition(pg));
        }
        std::sort(out.begin(), out.end());
        return out;
    };
    compareKeyed(out, "portgroup", portgroups(a.network), portgroups(b.network), true);

    auto members = [](const Snapshot& snap) {
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& member : snap.members) {
            // A member without uplink still differs from no member.
            out.emplace_back(member.host,
                             member.uplink.empty() ? "(no uplink)" : joined(member.uplink));
        }
        std::sort(out.begin(), out.end());
        return out;
    };
    compareKeyed(out, "member", members(a), members(b), true);

    auto policy = [](const RolloutPolicy& p) {
        auto canary = p.canary;
        std::sort(canary.begin(), canary.end());
        return std::vector<std::pair<std::string, std::string>>{
            {"canary", joined(canary)},
            {"batch", optionalText(p.batch)},
            {"batch-percent", optionalText(p.batchPercent)},
            {"max-failed", optionalText(p.maxFailed)},
            {"soak", optionalText(p.soak)},
            {"deadline", optionalText(p.deadline)},
        };
    };
    compareKeyed(out, "rollout", policy(a.policy), policy(b.policy));

    auto revert = [](const Snapshot& snap) {
        std::vector<std::pair<std::string, std::string>> out{
            {"timeout", optionalText(snap.revertTimeout)}};
        std::vector<std::pair<std::string, std::string>> probes;
        for (const auto& probe : snap.probes) {
            probes.emplace_back("probe " + probe.name, describeProbe(probe));
        }
        std::sort(probes.begin(), probes.end());
        out.insert(out.end(), probes.begin(), probes.end());
        return out;
    };
    compareKeyed(out, "revert", revert(a), revert(b));
    return out;
}

std::string formatSnapshotDiff(const std::vector<SnapshotChange>& changes)
{
    auto lines = [](std::string& out, char mark, const std::string& text) {
        std::size_t start = 0;
        while (start <= text.size()) {
            auto end = text.find('\n', start);
            if (end == std::string::npos) {
                end = text.size();
            }
            if (end > start) {
                out += fmt::format("  {} {}\n", mark, text.substr(start, end - start));
            }
            start = end + 1;
        }
    };
    std::string out;
    for (const auto& change : changes) {
        const char* kind = change.kind == SnapshotChange::Kind::Added     ? "added"
                           : change.kind == SnapshotChange::Kind::Removed ? "removed"
                                                                          : "changed";
        if (change.section == change.subject) {
            out += fmt::format("{}: {}\n", change.section, kind);
        } else {
            out += fmt::format("{} '{}': {}\n", change.section, change.subject, kind);
        }
        lines(out, '-', change.before);
        lines(out, '+', change.after);
    }
    return out;
}

} // namespace dvs::mgmt
