// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ovs/ovs_switch.h"

#include <glib.h>

#include "ovsdb/client.h"

namespace dvs::ovs {

// The thread's loop, context and client; touched only on the thread (the atomics and GLib's
// thread-safe calls excepted).
struct OvsSwitch::Loop
{
    GMainContext* context = nullptr;
    GMainLoop* loop = nullptr;
    std::unique_ptr<ovsdb::Client> client;
    std::atomic<bool> scheduled{false};
    bool inFlight = false;
    bool dirty = false;
    // Transactions failed in a row: each retry waits twice as long as the last, up to
    // OvsSwitchOptions::retryDelayMax, so a row the server keeps refusing does not spin.
    unsigned failedInARow = 0;

    ~Loop()
    {
        if (loop != nullptr) {
            g_main_loop_unref(loop);
        }
        if (context != nullptr) {
            g_main_context_unref(context);
        }
    }
};

namespace {

struct Wakeup
{
    OvsSwitch* self;
    bool idle;
};

// Stores a port's spec. A spec without a device keeps the one dvsd plugged for the port (a
// re-attach or a net-update keeps the plug), unless an unplug of the port is pending.
void storePort(DesiredState& d, PortSpec spec)
{
    auto it = d.ports.find(spec.port);
    if (it != d.ports.end() && spec.plugIfname.empty() && d.unplugs.count(spec.port) == 0) {
        spec.plugIfname = it->second.plugIfname;
    }
    d.ports[spec.port] = std::move(spec);
}

} // namespace

OvsSwitch::OvsSwitch(OvsSwitchOptions options) : options_(std::move(options))
{
    if (options_.remote.rfind("ssl:", 0) == 0) {
        raise(ErrorCode::ConfSyntax,
              "Open vSwitch remote '{}' uses ssl, which dvsd does not support; use unix: or tcp:",
              options_.remote);
    }
    try {
        (void)ovsdb::Remote::parse(options_.remote);
    } catch (const Error& e) {
        raise(ErrorCode::ConfSyntax, "invalid Open vSwitch remote '{}': {}", options_.remote,
              e.message());
    }
    loop_ = std::make_unique<Loop>();
    loop_->context = g_main_context_new();
    loop_->loop = g_main_loop_new(loop_->context, FALSE);
    thread_ = std::thread([this] { run(); });
}

OvsSwitch::~OvsSwitch()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    g_main_context_invoke(
        loop_->context,
        [](gpointer data) -> gboolean {
            g_main_loop_quit(static_cast<GMainLoop*>(data));
            return G_SOURCE_REMOVE;
        },
        loop_->loop);
    thread_.join();
}

void OvsSwitch::run()
{
    g_main_context_push_thread_default(loop_->context);
    ovsdb::ClientOptions options;
    options.connection.remotes = {options_.remote};
    options.connection.backoffMin = options_.backoffMin;
    options.connection.backoffMax = options_.backoffMax;
    options.monitor = monitoredColumns();
    options.replicaCache = options_.replicaCache;
    options.notices = options_.notices;
    loop_->client = std::make_unique<ovsdb::Client>(loop_->context, options);
    loop_->client->addStateListener([this](ovsdb::ClientState state, const Error* error) {
        {
            std::lock_guard lock(mutex_);
            connection_ = std::string(util::toString(state));
            if (error != nullptr) {
                lastError_ = error->message();
                disconnected_ = true;
                if (!everReady_) {
                    ++failedConnects_;
                }
            }
            if (state == ovsdb::ClientState::Ready) {
                everReady_ = true;
                disconnected_ = false;
                stats_.cacheLoads = loop_->client->stats().cacheLoads;
                stats_.snapshots = loop_->client->stats().snapshots;
            }
        }
        changed_.notify_all();
        if (state == ovsdb::ClientState::Ready) {
            schedule();
        }
    });
    loop_->client->replica().addListener([this](const std::vector<ovsdb::RowChange>&) {
        loop_->dirty = true;
        schedule();
    });
    loop_->client->start();
    g_main_loop_run(loop_->loop);
    loop_->client->stop();
    loop_->client.reset();
    g_main_context_pop_thread_default(loop_->context);
}

void OvsSwitch::schedule(std::chrono::milliseconds delay)
{
    GSource* source = nullptr;
    if (delay.count() == 0) {
        if (loop_->scheduled.exchange(true)) {
            return;
        }
        source = g_idle_source_new();
    } else {
        source = g_timeout_source_new(static_cast<guint>(delay.count()));
    }
    auto* wakeup = new Wakeup{this, delay.count() == 0};
    g_source_set_callback(
        source,
        [](gpointer data) -> gboolean {
            auto* w = static_cast<Wakeup*>(data);
            if (w->idle) {
                w->self->loop_->scheduled = false;
            }
            w->self->reconcile();
            return G_SOURCE_REMOVE;
        },
        wakeup, [](gpointer data) { delete static_cast<Wakeup*>(data); });
    g_source_attach(source, loop_->context);
    g_source_unref(source);
}

void OvsSwitch::reconcile()
{
    auto& client = *loop_->client;
    if (client.state() != ovsdb::ClientState::Ready) {
        return; // the Ready transition schedules again
    }
    if (loop_->inFlight) {
        loop_->dirty = true;
        return;
    }
    {
        std::lock_guard lock(mutex_);
        if (!loop_->dirty && applied_ == generation_ && everReady_ && stats_.reconciles != 0) {
            return;
        }
    }
    loop_->inFlight = true;
    loop_->dirty = false;
    struct Built
    {
        std::uint64_t generation = 0;
        PlanReport report;
    };
    auto built = std::make_shared<Built>();
    client.transact(
        "dvsd: reconcile",
        [this, built](ovsdb::Transaction& txn) {
            DesiredState snapshot;
            {
                std::lock_guard lock(mutex_);
                snapshot = desired_;
                built->generation = generation_;
                ++stats_.reconciles;
            }
            built->report = PlanReport{};
            plan(snapshot, txn, built->report);
        },
        [this, built](ovsdb::Result<ovsdb::TxnResult> result) {
            loop_->inFlight = false;
            bool retry = false;
            bool again = false;
            {
                std::lock_guard lock(mutex_);
                if (result.ok()) {
                    loop_->failedInARow = 0;
                    applied_ = std::max(applied_, built->generation);
                    report_ = built->report;
                    if (result.value().status == ovsdb::TxnResult::Status::Success) {
                        ++stats_.writeTransactions;
                        stats_.portsWritten += built->report.portsWritten;
                    }
                    std::erase_if(desired_.teardowns, [&](const auto& entry) {
                        return entry.second <= built->generation;
                    });
                    std::erase_if(desired_.unplugs, [&](const auto& entry) {
                        return entry.second <= built->generation;
                    });
                } else {
                    ++stats_.failures;
                    lastError_ = result.error().message();
                    retry = true;
                    ++loop_->failedInARow;
                    loop_->dirty = true;
                }
                again = applied_ < generation_;
            }
            changed_.notify_all();
            if (retry) {
                schedule(retryDelay(loop_->failedInARow));
            } else if (again || loop_->dirty) {
                schedule();
            }
        });
}

std::chrono::milliseconds OvsSwitch::retryDelay(unsigned failedInARow) const
{
    auto delay = options_.retryDelay;
    for (unsigned i = 1; i < failedInARow && delay < options_.retryDelayMax; ++i) {
        delay *= 2;
    }
    return std::min(delay, options_.retryDelayMax);
}

std::uint64_t OvsSwitch::post(const std::function<void(DesiredState&)>& change)
{
    std::uint64_t generation = 0;
    {
        std::lock_guard lock(mutex_);
        change(desired_);
        generation = ++generation_;
    }
    schedule();
    return generation;
}

std::uint64_t OvsSwitch::setNetwork(BridgeSpec spec)
{
    return post([&](DesiredState& d) {
        d.teardowns.erase(spec.network);
        d.bridges[spec.network] = std::move(spec);
    });
}

std::uint64_t OvsSwitch::setNetworkAndPorts(BridgeSpec spec, std::vector<PortSpec> ports)
{
    return post([&](DesiredState& d) {
        d.teardowns.erase(spec.network);
        d.bridges[spec.network] = std::move(spec);
        for (auto& port : ports) {
            storePort(d, std::move(port));
        }
    });
}

std::uint64_t OvsSwitch::removeNetwork(const std::string& network)
{
    std::lock_guard lock(mutex_);
    desired_.bridges.erase(network);
    std::erase_if(desired_.ports,
                  [&](const auto& entry) { return entry.second.network == network; });
    desired_.teardowns[network] = ++generation_;
    auto generation = generation_;
    schedule();
    return generation;
}

std::uint64_t OvsSwitch::setPort(PortSpec spec)
{
    return post([&](DesiredState& d) { storePort(d, std::move(spec)); });
}

std::uint64_t OvsSwitch::setPorts(std::vector<PortSpec> specs)
{
    return post([&](DesiredState& d) {
        for (auto& spec : specs) {
            storePort(d, std::move(spec));
        }
    });
}

std::uint64_t OvsSwitch::removePort(const util::Uuid& port)
{
    return post([&](DesiredState& d) { d.ports.erase(port); });
}

std::uint64_t OvsSwitch::unplugPort(const util::Uuid& port)
{
    std::lock_guard lock(mutex_);
    if (auto it = desired_.ports.find(port); it != desired_.ports.end()) {
        it->second.plugIfname.clear();
    }
    desired_.unplugs[port] = ++generation_;
    auto generation = generation_;
    schedule();
    return generation;
}

Error OvsSwitch::unreachable(const std::string& why) const
{
    return Error(ErrorCode::OperationFailed,
                 fmt::format("cannot program Open vSwitch through '{}': {}", options_.remote, why));
}

void OvsSwitch::waitApplied(std::uint64_t generation, std::chrono::milliseconds timeout)
{
    std::unique_lock lock(mutex_);
    // Callers block their thread (dvsd's main loop): without a session to the database they
    // fail at once rather than wait for the reconnection.
    bool done = changed_.wait_for(lock, timeout, [&] {
        return applied_ >= generation || (!everReady_ && failedConnects_ > 0) || disconnected_ ||
               stopping_;
    });
    if (applied_ >= generation) {
        return;
    }
    if (!done) {
        throw unreachable(
            lastError_.empty()
                ? fmt::format("no answer within {} ms", timeout.count())
                : fmt::format("no answer within {} ms ({})", timeout.count(), lastError_));
    }
    throw unreachable(lastError_.empty() ? std::string("the database is unreachable") : lastError_);
}

bool OvsSwitch::bridgePresent(const std::string& network) const
{
    std::lock_guard lock(mutex_);
    return report_.bridgesPresent.count(network) != 0;
}

std::string OvsSwitch::conflict(const util::Uuid& port) const
{
    std::lock_guard lock(mutex_);
    auto it = report_.conflicts.find(port);
    return it == report_.conflicts.end() ? std::string() : it->second;
}

NetworkState OvsSwitch::networkState(const std::string& network) const
{
    std::lock_guard lock(mutex_);
    NetworkState state;
    state.connection = connection_;
    state.bridgePresent = report_.bridgesPresent.count(network) != 0;
    if (auto it = report_.programmed.find(network); it != report_.programmed.end()) {
        state.portsProgrammed = it->second;
    }
    if (auto it = report_.pending.find(network); it != report_.pending.end()) {
        state.portsPending = it->second;
    }
    state.lastError = lastError_;
    return state;
}

SwitchStats OvsSwitch::stats() const
{
    std::lock_guard lock(mutex_);
    return stats_;
}

bool OvsSwitch::ready() const
{
    std::lock_guard lock(mutex_);
    return connection_ == "ready";
}

} // namespace dvs::ovs
