// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ovs/desired_state.h"
#include "ovs/planner.h"
#include "util/error.h"
#include "util/notice.h"

namespace dvs::ovsdb {
class Client;
}

namespace dvs::ovs {

struct OvsSwitchOptions
{
    // The Open vSwitch database: "unix:PATH" or "tcp:IP:PORT".
    std::string remote = "unix:/run/openvswitch/db.sock";
    // Reconnect delays (exponential with jitter).
    std::chrono::milliseconds backoffMin{100};
    std::chrono::milliseconds backoffMax{2000};
    // Delay before a failed transaction is retried; it doubles with each failure in a row, up
    // to retryDelayMax.
    std::chrono::milliseconds retryDelay{250};
    std::chrono::milliseconds retryDelayMax{8000};
    // Where the OVSDB replica is kept between runs (ovsdb::ClientOptions::replicaCache): on a
    // clustered database a restart then reads it and asks the server only for what changed.
    // Empty: not kept.
    std::filesystem::path replicaCache{};
    // Notices of the OVSDB client (ovsdb::ClientOptions::notices), from the switch's thread.
    util::NoticeSink notices{};
};

// Counters for tests, benches and status.
struct SwitchStats
{
    std::uint64_t writeTransactions = 0; // transactions that wrote something, committed
    std::uint64_t reconciles = 0;        // planning passes
    std::uint64_t portsWritten = 0;      // port programmings written (sum over transactions)
    std::uint64_t failures = 0;          // transactions that failed
    std::uint64_t cacheLoads = 0;        // sessions started from the replica cache
    std::uint64_t snapshots = 0;         // full downloads of the monitored tables
};

// What `dvsctl status` says about one network.
struct NetworkState
{
    std::string connection; // "ready", "connecting", ...
    bool bridgePresent = false;
    unsigned portsProgrammed = 0;
    unsigned portsPending = 0;
    std::string lastError; // the last connection or transaction error, if any
};

// Open vSwitch as dvsd wants it: the desired state of every OVS-backed network and port, and an
// ovsdb::Client on a GMainContext of its own in a dedicated thread that keeps the database in
// line with it. Every change of the desired state, and every change of the database, schedules
// one reconciliation: the planner's minimal transaction (none when all matches). Changes posted
// while a transaction is in flight are coalesced into the next one.
//
// Every public method is thread-safe and returns at once except the wait* methods.
class OvsSwitch
{
public:
    // Starts the thread and the connection. Throws Error(ConfSyntax) for an unusable remote.
    explicit OvsSwitch(OvsSwitchOptions options);
    ~OvsSwitch();
    OvsSwitch(const OvsSwitch&) = delete;
    OvsSwitch& operator=(const OvsSwitch&) = delete;

    const std::string& remote() const noexcept { return options_.remote; }

    // Desired state changes. Each returns the generation that includes it.
    std::uint64_t setNetwork(BridgeSpec spec);
    // Sets a network and its ports at once (net-update: one transaction for all of them).
    std::uint64_t setNetworkAndPorts(BridgeSpec spec, std::vector<PortSpec> ports);
    // Forgets the network and its ports, and removes what dvsd created for it.
    std::uint64_t removeNetwork(const std::string& network);
    std::uint64_t setPort(PortSpec spec);
    // Replaces the given ports at once (one transaction for all of them).
    std::uint64_t setPorts(std::vector<PortSpec> specs);
    // Forgets the port; rows libvirt plugged for it are left to libvirt.
    std::uint64_t removePort(const util::Uuid& port);
    // Removes the Port/Interface rows dvsd plugged for the port (the port stays desired, with
    // no device).
    std::uint64_t unplugPort(const util::Uuid& port);

    // Waits until generation is applied: a transaction built from it (or a later one) has
    // committed, or found nothing to write. Throws Error(OperationFailed) naming the remote
    // at once when there is no session to the database (never was, or lost and not back), or
    // when the timeout passes. The change stays desired and is applied once the session is
    // back.
    void waitApplied(std::uint64_t generation, std::chrono::milliseconds timeout);
    // Whether the last applied pass saw the network's bridge (or created it).
    bool bridgePresent(const std::string& network) const;
    // Why a port cannot be plugged, from the last applied pass, or empty.
    std::string conflict(const util::Uuid& port) const;

    NetworkState networkState(const std::string& network) const;
    SwitchStats stats() const;
    // Whether the client is connected and its replica follows the server.
    bool ready() const;

private:
    std::uint64_t post(const std::function<void(DesiredState&)>& change);
    void run();
    void schedule(std::chrono::milliseconds delay = std::chrono::milliseconds(0));
    std::chrono::milliseconds retryDelay(unsigned failedInARow) const;
    void reconcile();
    Error unreachable(const std::string& why) const;

    OvsSwitchOptions options_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    DesiredState desired_;
    std::uint64_t generation_ = 0;
    std::uint64_t applied_ = 0;
    PlanReport report_;
    SwitchStats stats_;
    std::string connection_ = "connecting";
    std::string lastError_;
    bool everReady_ = false;
    // The session was lost and is not back yet.
    bool disconnected_ = false;
    unsigned failedConnects_ = 0;
    bool stopping_ = false;

    // Owned by the thread.
    struct Loop;
    std::unique_ptr<Loop> loop_;
    std::thread thread_;
};

} // namespace dvs::ovs
