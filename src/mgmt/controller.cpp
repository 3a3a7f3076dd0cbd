// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mgmt/controller.h"

#include <fmt/format.h>

#include "mgmt/database.h"
#include "mgmt/rollout.h"

namespace dvs::mgmt {

using ovsdb::Json;

RolloutController::RolloutController(GMainContext* context, ControllerOptions options,
                                     Notice notice)
    : context_(context), options_(std::move(options)), notice_(std::move(notice))
{
    ovsdb::ClientOptions client = clientOptions(options_.remotes, controllerTables());
    client.connection.backoffMin = options_.backoffMin;
    client.connection.backoffMax = options_.backoffMax;
    client.connection.tls = options_.tls;
    // OVSDB locks are per server: on a Raft cluster every controller must talk to the leader
    // (as ovn-northd does) for one of them only to hold the lock.
    client.requireLeader = true;
    client_ = std::make_unique<ovsdb::Client>(context_, std::move(client));
    client_->addStateListener([this](ovsdb::ClientState state, const Error*) { onState(state); });
    client_->setNotificationListener([this](const std::string& method, const Json& params) {
        bool ours = params.is_array() && !params.empty() && params[0] == kControllerLock;
        if (ours && method == "locked") {
            setActive(true, "granted");
        } else if (ours && method == "stolen") {
            setActive(false, "stolen");
        }
    });
    client_->replica().addListener([this](const std::vector<ovsdb::RowChange>&) { schedule(); });
}

RolloutController::~RolloutController()
{
    *alive_ = false;
    stop();
}

void RolloutController::start()
{
    client_->start();
    tick_.reset(g_timeout_source_new(static_cast<guint>(options_.tick.count())));
    g_source_set_callback(tick_.get(), &RolloutController::onTick, this, nullptr);
    g_source_attach(tick_.get(), context_);
}

void RolloutController::stop()
{
    tick_.reset();
    idle_.reset();
    if (client_) {
        client_->stop();
    }
    active_ = false;
}

void RolloutController::onState(ovsdb::ClientState state)
{
    if (state == ovsdb::ClientState::Ready) {
        ++session_;
        requestLock();
    } else if (active_) {
        setActive(false, "the session to the database was lost");
    }
}

void RolloutController::requestLock()
{
    std::weak_ptr<bool> alive = alive_;
    std::uint64_t session = session_;
    client_->call(
        "lock", Json::array({kControllerLock}), [this, alive, session](ovsdb::Result<Json> reply) {
            if (alive.expired() || session != session_) {
                return;
            }
            if (reply.ok() && reply.value().is_object() && reply.value().value("locked", false)) {
                setActive(true, "acquired");
            } else if (reply.ok()) {
                notice_(fmt::format("controller {}: standby (another controller holds "
                                    "the lock)",
                                    options_.id));
            }
        });
}

void RolloutController::setActive(bool active, const char* why)
{
    if (active == active_) {
        return;
    }
    active_ = active;
    notice_(fmt::format("controller {}: {} ({})", options_.id, active ? "active" : "standby", why));
    if (active) {
        schedule();
    }
}

void RolloutController::schedule()
{
    if (!active_ || idle_) {
        return;
    }
    idle_.reset(g_idle_source_new());
    g_source_set_callback(idle_.get(), &RolloutController::onIdle, this, nullptr);
    g_source_attach(idle_.get(), context_);
}

gboolean RolloutController::onIdle(gpointer self) noexcept
{
    auto* controller = static_cast<RolloutController*>(self);
    // Dropping the source from its own callback: GLib keeps it alive until the callback ends.
    controller->idle_.reset();
    controller->run();
    return G_SOURCE_REMOVE;
}

gboolean RolloutController::onTick(gpointer self) noexcept
{
    static_cast<RolloutController*>(self)->schedule();
    return G_SOURCE_CONTINUE;
}

void RolloutController::run()
{
    if (!active_ || client_->state() != ovsdb::ClientState::Ready) {
        return;
    }
    for (const auto& rollout : db::Rollout::all(client_->replica())) {
        if (rollout.state() != "running" || inFlight_.contains(rollout.uuid())) {
            continue;
        }
        util::Uuid uuid = rollout.uuid();
        inFlight_.insert(uuid);
        auto notices = std::make_shared<std::vector<std::string>>();
        std::weak_ptr<bool> alive = alive_;
        client_->transact(
            "dvs-controller " + options_.id + ": rollout step",
            [this, uuid, notices](ovsdb::Transaction& txn) {
                notices->clear();
                txn.assertLock(kControllerLock);
                stepRollout(txn, uuid, nowMs(), options_.id, *notices);
            },
            [this, alive, uuid, notices](ovsdb::Result<ovsdb::TxnResult> result) {
                if (alive.expired()) {
                    return;
                }
                inFlight_.erase(uuid);
                if (!result.ok()) {
                    notice_(fmt::format("controller {}: rollout step failed: {}", options_.id,
                                        result.error().message()));
                    return;
                }
                if (result.value().status == ovsdb::TxnResult::Status::Success) {
                    for (const auto& line : *notices) {
                        notice_(line);
                    }
                }
            });
    }
}

} // namespace dvs::mgmt
