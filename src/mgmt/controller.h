// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <glib.h>

#include "ovsdb/client.h"
#include "ovsdb/tls.h"
#include "util/glib_ptr.h"
#include "util/uuid.h"

namespace dvs::mgmt {

struct ControllerOptions
{
    std::vector<std::string> remotes;
    // The key, certificate and CA for ssl: remotes.
    ovsdb::TlsOptions tls;
    // Names this controller in Rollout.controller and in its notices.
    std::string id;
    // How often running rollouts are looked at without a change (deadlines, soak times).
    std::chrono::milliseconds tick{1000};
    // Reconnect backoff towards the database.
    std::chrono::milliseconds backoffMin{100};
    std::chrono::milliseconds backoffMax{4000};
};

// The rollout controller: one OVSDB session with the management database, the lock
// kControllerLock (only its holder acts: active/standby as ovn-northd runs), and for every
// running rollout a step (rollout.h) whenever the database changes or a tick passes. Every step
// is a transaction that asserts the lock, so a controller that lost it writes nothing. It keeps
// no state of its own: a standby that takes the lock goes on from the database.
class RolloutController
{
public:
    using Notice = std::function<void(const std::string& message)>;

    // notice hears decisions and lock changes, for the daemon's log.
    RolloutController(GMainContext* context, ControllerOptions options, Notice notice);
    ~RolloutController();
    RolloutController(const RolloutController&) = delete;
    RolloutController& operator=(const RolloutController&) = delete;

    void start();
    void stop();

    // Whether this controller holds the lock (is the active one).
    bool active() const noexcept { return active_; }
    ovsdb::Client& client() { return *client_; }

private:
    void onState(ovsdb::ClientState state);
    void requestLock();
    void setActive(bool active, const char* why);
    void schedule();
    void run();
    static gboolean onIdle(gpointer self) noexcept;
    static gboolean onTick(gpointer self) noexcept;

    GMainContext* context_;
    ControllerOptions options_;
    Notice notice_;
    std::unique_ptr<ovsdb::Client> client_;
    bool active_ = false;
    std::uint64_t session_ = 0;
    std::set<util::Uuid> inFlight_;
    util::AttachedSource idle_;
    util::AttachedSource tick_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

} // namespace dvs::mgmt
