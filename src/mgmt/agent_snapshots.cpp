// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mgmt/agent_snapshots.h"

#include <algorithm>

#include <fmt/format.h>

#include "mgmt/database.h"
#include "mgmt/dvs_db.h"
#include "ovsdb/datum.h"
#include "util/error.h"

namespace dvs::mgmt {

namespace {

namespace db = ovsdb::dvsdb;
namespace datum = ovsdb::datum;
using ovsdb::Json;

constexpr std::string_view kPrefix = "generation-";

std::string copyName(std::int64_t generation)
{
    return fmt::format("{}{}", kPrefix, generation);
}

std::optional<db::SwitchGeneration::View>
generationRow(const ovsdb::Replica& replica, const util::Uuid& sw, std::int64_t generation)
{
    for (const auto& row : db::SwitchGeneration::all(replica)) {
        if (row.switchColumn() == sw && row.generation() == generation) {
            return row;
        }
    }
    return std::nullopt;
}

const Json& column(const Json& row, std::string_view name)
{
    static const Json empty = Json::array({"set", Json::array()});
    auto it = row.find(std::string(name));
    return it == row.end() ? empty : *it;
}

} // namespace

HostSnapshots::HostSnapshots(GMainContext* context, ovsdb::Client& client,
                             HostSnapshotOptions options, std::function<void(std::string)> notice)
    : context_(context), client_(client), options_(std::move(options)), store_(options_.dir),
      notice_(std::move(notice))
{}

HostSnapshots::~HostSnapshots()
{
    *alive_ = false;
}

void HostSnapshots::applied(const std::string& switchName, std::int64_t generation)
{
    if (options_.dir.empty()) {
        return;
    }
    if (auto it = done_.find(switchName); it != done_.end() && it->second == generation) {
        return;
    }
    if (auto it = pending_.find(switchName); it != pending_.end() && it->second == generation) {
        return;
    }
    try {
        std::error_code ec;
        if (std::filesystem::exists(store_.pathOf(switchName, copyName(generation)), ec)) {
            done_[switchName] = generation; // written before a restart
            return;
        }
    } catch (const Error&) {
        done_[switchName] = generation; // a switch name that cannot be a file name
        return;
    }
    pending_[switchName] = generation;
    arm();
}

void HostSnapshots::arm()
{
    if (timer_) {
        return;
    }
    auto spread = options_.jitter + options_.jitterPerMember * static_cast<int>(lastMembers_);
    auto delay = options_.delay.count() +
                 static_cast<std::int64_t>(g_random_double() * static_cast<double>(spread.count()));
    timer_.reset(g_timeout_source_new(static_cast<guint>(std::max<std::int64_t>(0, delay))));
    g_source_set_callback(timer_.get(), &HostSnapshots::onTimer, this, nullptr);
    g_source_attach(timer_.get(), context_);
}

gboolean HostSnapshots::onTimer(gpointer data) noexcept
{
    auto* self = static_cast<HostSnapshots*>(data);
    self->timer_.reset();
    if (self->client_.state() != ovsdb::ClientState::Ready) {
        self->arm(); // after the next connection
        return G_SOURCE_REMOVE;
    }
    auto pending = std::exchange(self->pending_, {});
    for (const auto& [name, generation] : pending) {
        try {
            self->fetch(name, generation);
        } catch (const std::exception& e) {
            self->notice_(fmt::format("Switch '{}': cannot keep a copy of generation {}: {}", name,
                                      generation, e.what()));
        }
    }
    return G_SOURCE_REMOVE;
}

void HostSnapshots::fetch(const std::string& switchName, std::int64_t generation)
{
    auto sw = db::Switch::findByName(client_.replica(), switchName);
    if (!sw || !generationRow(client_.replica(), sw->uuid(), generation)) {
        return; // no longer this host's, or already superseded: the next apply asks again
    }
    Json params = Json::array({std::string(kDatabase)});
    params.push_back(
        {{"op", "select"},
         {"table", std::string(db::Switch::kTable)},
         {"where", Json::array({Json::array(
                       {"_uuid", "==", Json::array({"uuid", sw->uuid().toString()})})})}});
    params.push_back(
        {{"op", "select"},
         {"table", std::string(db::Member::kTable)},
         {"where", Json::array({Json::array({db::Member::Col::kSwitch, "==",
                                             Json::array({"uuid", sw->uuid().toString()})})})},
         {"columns", Json::array({db::Member::Col::kHost, db::Member::Col::kUplink})}});
    std::weak_ptr<bool> alive = alive_;
    client_.call("transact", std::move(params), [this, alive, switchName, generation](auto reply) {
        if (alive.expired() || !*alive.lock()) {
            return;
        }
        if (!reply) {
            // The session went away: try again once it is back.
            if (!pending_.contains(switchName)) {
                pending_[switchName] = generation;
            }
            arm();
            return;
        }
        try {
            write(switchName, generation, reply.value());
        } catch (const std::exception& e) {
            done_[switchName] = generation;
            notice_(fmt::format("Switch '{}': cannot keep a copy of generation {}: {}", switchName,
                                generation, e.what()));
        }
    });
}

void HostSnapshots::write(const std::string& switchName, std::int64_t generation, const Json& reply)
{
    if (!reply.is_array() || reply.size() < 2 || !reply[0].contains("rows") ||
        !reply[1].contains("rows")) {
        raise(ErrorCode::Rpc, "unexpected answer to the select: {}", reply.dump());
    }
    const auto& switches = reply[0]["rows"];
    auto sw = db::Switch::findByName(client_.replica(), switchName);
    if (switches.empty() || !sw) {
        return; // the switch is gone
    }
    auto row = generationRow(client_.replica(), sw->uuid(), generation);
    if (!row) {
        return; // pruned meanwhile: a newer generation is on its way
    }
    const Json& s = switches[0];
    Snapshot snap;
    snap.name = copyName(generation);
    snap.description =
        fmt::format("kept by host {} after it applied generation {}", options_.host, generation);
    snap.created = nowMs() / 1000;
    snap.generation = generation;
    snap.keepGenerations = datum::decodeOptional<std::int64_t>(column(s, "keep_generations"));
    snap.network = conf::NetworkDef::parseString(row->definition());
    if (auto uuid = util::Uuid::parse(sw->networkUuid())) {
        snap.network.uuid = *uuid; // the switch's identity, whatever the generation's XML says
    }
    snap.network.uuidSpecified = true;
    snap.network.connections = 0;
    snap.policy.canary = datum::decodeSet<std::string>(column(s, "rollout_canary"));
    snap.policy.batch = datum::decodeOptional<std::int64_t>(column(s, "rollout_batch"));
    snap.policy.batchPercent =
        datum::decodeOptional<std::int64_t>(column(s, "rollout_batch_percent"));
    snap.policy.maxFailed = datum::decodeOptional<std::int64_t>(column(s, "rollout_max_failed"));
    snap.policy.soak = datum::decodeOptional<std::int64_t>(column(s, "rollout_soak"));
    snap.policy.deadline = datum::decodeOptional<std::int64_t>(column(s, "rollout_deadline"));
    for (const auto& member : reply[1]["rows"]) {
        snap.members.push_back({datum::decodeScalar<std::string>(column(member, "host")),
                                datum::decodeSet<std::string>(column(member, "uplink"))});
    }
    lastMembers_ = snap.members.size();
    snap.validate();
    store_.save(switchName, snap, true);
    done_[switchName] = generation;
    ++written_;
    auto keep =
        snap.keepGenerations ? static_cast<std::size_t>(*snap.keepGenerations) : options_.keep;
    store_.prune(switchName, kPrefix, std::max<std::size_t>(keep, 1));
}

} // namespace dvs::mgmt
