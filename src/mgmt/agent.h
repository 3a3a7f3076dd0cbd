// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <glib.h>

#include "driver/network_driver.h"
#include "mgmt/agent_snapshots.h"
#include "mgmt/last_good.h"
#include "mgmt/probe.h"
#include "ovsdb/client.h"
#include "util/glib_ptr.h"

// The host agent: dvsd's side of the distributed switch.
namespace dvs::mgmt {

struct AgentOptions
{
    // The management database's remotes ([management] remote=), tried in turn.
    std::vector<std::string> remotes;
    // This host's name in the database ([management] host=).
    std::string host;
    // TLS for ssl: remotes ([management] private-key=, certificate=, ca-cert=).
    std::filesystem::path privateKey;
    std::filesystem::path certificate;
    std::filesystem::path caCert;
    // How often Host_Status.last_seen is refreshed while connected; zero: never.
    std::chrono::milliseconds heartbeatInterval{15000};
    // Reconnect delays (exponential, with jitter) and the inactivity probe.
    std::chrono::milliseconds backoffMin{250};
    std::chrono::milliseconds backoffMax{8000};
    std::chrono::milliseconds probeInterval{5000};
    // How long a failed apply waits before it is tried again when nothing changed.
    std::chrono::milliseconds retryInterval{30000};
    // How often a network the host left is checked for ports while ports hold it.
    std::chrono::milliseconds removeInterval{2000};
    // Where uplink link states are read (class/net/NIC/operstate).
    std::filesystem::path sysfsRoot = "/sys";
    // Refuse a generation whose uplink NICs do not exist under sysfsRoot (a simulated host
    // without devices turns it off).
    bool checkUplinks = true;
    // Where the generation applied per switch is kept across restarts (empty: nowhere).
    std::filesystem::path stateDir;
    // Host_Status.agent_version.
    std::string agentVersion;
    // The host's own copies of its switches' snapshots (dir empty: none; host is filled in).
    HostSnapshotOptions snapshots;
    // Automatic revert ([management] revert-timeout=): after a generation changed a network,
    // the host must reach the database (a status write through its session) and pass the
    // switch's probes within this time (Switch.revert_timeout overrides it), or it returns to
    // the last known good generation. Zero: no automatic revert.
    std::chrono::milliseconds revertTimeout{30000};
    // How long one run of a probe waits for its answer, and the pause before the next run.
    std::chrono::milliseconds probeRunTimeout{2000};
    std::chrono::milliseconds probePause{500};
    // Only a status write sent this long after the apply proves the database (at most a quarter
    // of the revert timeout): ovs-vswitchd makes a change live a moment after dvsd committed it,
    // and a write that left before would prove nothing.
    std::chrono::milliseconds confirmSettle{2000};
};

// Where one switch stands on this host: what Member_Status says of it.
struct MemberState
{
    std::string switchName;
    std::optional<std::int64_t> desired; // the generation wanted
    std::optional<std::int64_t> applied; // the generation the network runs
    std::optional<std::int64_t> applying;
    std::string state; // applying, in-sync, failed, reverted, removing
    std::string reason;
    std::optional<std::int64_t> reverted;   // the generation this host reverted
    std::optional<std::int64_t> revertedAt; // ms since the epoch
    std::string networkState;               // ready, degraded, inactive (empty: no network)
    std::string networkReason;
    std::map<std::string, std::string> uplinkState; // NIC -> up, down, missing, ...
    std::int64_t portCount = 0;
    std::vector<std::string> portsHolding; // removing: the ports that keep the network
    std::string lastError;
    std::optional<std::int64_t> lastErrorAt; // ms since the epoch

    bool operator==(const MemberState&) const = default;
};

// Counters, for tests and the bench.
struct AgentStats
{
    std::uint64_t reconciles = 0;
    std::uint64_t applies = 0;   // applies that changed the driver's networks
    std::uint64_t teardowns = 0; // networks torn down
    std::uint64_t statusWrites = 0;
    std::uint64_t confirms = 0; // generations confirmed after an apply
    std::uint64_t reverts = 0;  // generations reverted
};

// One host's agent on a GLib main context: follows this host's Member rows and its switches'
// rows in the management database (small, stable monitor conditions), composes each member
// network and brings the driver's network of the same name in line, tears networks down when
// the host leaves a switch and no port holds them, and writes its own Host_Status and
// Member_Status rows. Without the database it keeps what it applied and touches nothing; it
// reconnects with jittered exponential backoff and resumes with monitor_cond_since.
//
// No global state: several agents (each with its own driver) can run in one process and on one
// context, as the bench's simulated fleet does.
class HostAgent
{
public:
    // driver must outlive the agent. Throws Error(InvalidArg) for unusable options (no remote,
    // an unparsable remote, an empty host name).
    HostAgent(GMainContext* context, driver::NetworkDriver& driver, AgentOptions options);
    ~HostAgent();
    HostAgent(const HostAgent&) = delete;
    HostAgent& operator=(const HostAgent&) = delete;

    // Connects; returns at once.
    void start();
    // Closes the session; the networks stay as they are.
    void stop();

    // Called after the agent changed the driver's networks (hook mode publishes them again).
    void setNetworksChangedHandler(std::function<void()> handler)
    {
        networksChanged_ = std::move(handler);
    }
    // What the agent did or could not do, one sentence each, for the daemon to log: given to
    // the handler as they happen, or kept for takeNotices() without one.
    void setNoticeHandler(std::function<void(const std::string&)> handler)
    {
        noticeHandler_ = std::move(handler);
    }
    std::vector<std::string> takeNotices() { return std::exchange(notices_, {}); }

    const AgentOptions& options() const noexcept { return options_; }
    bool connected() const noexcept;
    // Since when the database is unreachable (ms since the epoch), or nullopt when connected
    // or never connected.
    std::optional<std::int64_t> cutOffSince() const noexcept { return cutOffSince_; }
    // Every switch this host is (or is leaving) a member of, by name.
    const std::map<std::string, MemberState>& members() const noexcept { return members_; }
    const AgentStats& stats() const noexcept { return stats_; }
    const HostSnapshots& snapshots() const noexcept { return *snapshots_; }
    // One line on where the network stands in its switch, for dvsctl status ("" when no switch
    // manages it), e.g. "switch 'sw1': in-sync at generation 3; management database
    // unreachable since 2026-12-04 18:03:11 UTC".
    std::string describe(const std::string& network) const;
    ovsdb::Client& client() noexcept { return *client_; }

private:
    struct OwnHostRow
    {
        util::Uuid uuid;
        std::string agentVersion;
        std::int64_t connectedAt = 0;
        std::int64_t heartbeatInterval = 0;
        bool disconnected = false;
    };
    struct OwnRows
    {
        std::optional<OwnHostRow> host;
        std::map<std::string, std::pair<util::Uuid, MemberState>> members;
    };

    void onClientState(ovsdb::ClientState state, const Error* error);
    void scheduleReconcile();
    void armHeartbeat();
    // composeMemberNetwork, remembered per switch while its inputs stay the same.
    const std::string& composed(const std::string& name, const std::string& definition,
                                const std::string& networkUuid,
                                const std::vector<std::string>& uplink);
    const std::vector<std::string>& uplinksOf(const std::string& name, const std::string& xml);
    static gboolean onReconcile(gpointer self) noexcept;
    static gboolean onHeartbeat(gpointer self) noexcept;
    static gboolean onRetry(gpointer self) noexcept;
    void reconcile();
    bool updateConditions(const std::set<util::Uuid>& switches);
    void reconcileMember(const util::Uuid& memberUuid, std::set<std::string>& wanted,
                         bool& complete);
    void teardownDeparted(const std::set<std::string>& wanted);
    bool trustsDatabase(bool member);
    void keepDeparted(const std::set<std::string>& wanted);
    void observeNetwork(MemberState& state);
    void recordApplied(const std::string& switchName, std::int64_t generation);
    std::optional<std::int64_t> loadApplied(const std::string& switchName) const;
    void writeStatus();
    void readOwnRows();
    OwnRows ownRowsFrom(const ovsdb::Json& reply) const;
    void armRetry();
    void armRemoveCheck();
    void notice(std::string text);

    // The automatic revert (agent_revert.cpp).
    struct Confirmation
    {
        std::int64_t generation = 0;
        std::int64_t retry = 0;
        std::string xml;
        std::chrono::milliseconds timeout{0};
        // Status writes built at or after this epoch prove the database (none before the
        // settle time has passed).
        std::uint64_t epoch = UINT64_MAX;
        bool reached = false;
        std::vector<ProbeSpec> probes;
        std::map<std::string, std::string> failures; // probe -> why its last run failed
        std::set<std::string> passed;
        std::map<std::string, std::unique_ptr<ProbeRun>> runs;
        std::map<std::string, util::AttachedSource> pauses;
        util::AttachedSource deadline;
        util::AttachedSource settle;
    };
    bool revertEnabled() const noexcept { return options_.revertTimeout.count() > 0; }
    void loadRecords();
    void recoverUnconfirmed();
    void saveRecord(const std::string& name);
    void prepareApply(const std::string& name, std::int64_t retry,
                      std::optional<std::int64_t> generation);
    void settleApplied(const std::string& name, std::int64_t generation, const std::string& xml);
    void startConfirm(const std::string& name, std::int64_t generation, std::int64_t retry,
                      const std::string& xml, std::chrono::milliseconds timeout,
                      std::vector<ProbeSpec> probes);
    void runProbe(const std::string& name, const ProbeSpec& probe);
    void onProbeDone(const std::string& name, const std::string& probe,
                     std::optional<std::string> failure);
    void onStatusWritten(std::uint64_t epoch);
    void checkConfirmed(const std::string& name);
    void revertSwitch(const std::string& name, const std::string& why);
    void holdReverted(MemberState& state, const LastGood& record) const;
    bool keepsReverted(const std::string& name, MemberState& state, std::int64_t generation,
                       std::int64_t retry);
    std::string confirmingReason(const Confirmation& confirm) const;

    GMainContext* context_;
    driver::NetworkDriver& driver_;
    AgentOptions options_;
    std::unique_ptr<ovsdb::Client> client_;
    std::unique_ptr<HostSnapshots> snapshots_;

    std::map<std::string, MemberState> members_;
    // Per switch: the composed XML last applied (or last failed), so an unchanged generation
    // costs no driver call, and a failure is retried only on a change or by the retry timer.
    std::map<std::string, std::string> appliedXml_;
    std::map<std::string, std::string> failedXml_;
    // Per switch: the last composition and its inputs, and the uplink NICs of an applied XML.
    struct Composition
    {
        std::string definition;
        std::string networkUuid;
        std::vector<std::string> uplink;
        std::string xml;
    };
    std::map<std::string, Composition> composed_;
    std::map<std::string, std::pair<std::string, std::vector<std::string>>> uplinks_;
    // This host's status rows as read at the start of the session, then as written: the
    // Host_Status row, and per switch the Member_Status row and what it says. Not monitored
    // (agent_status.cpp says why); nullopt until read.
    std::optional<OwnRows> own_;
    bool ownReading_ = false;
    std::uint64_t session_ = 0; // counts the sessions, so that late answers are recognised
    // Per switch: the on-disk record of the automatic revert, and the apply being confirmed.
    std::map<std::string, LastGood> lastGood_;
    std::map<std::string, std::unique_ptr<Confirmation>> confirming_;
    std::uint64_t confirmEpoch_ = 0;
    std::uint64_t statusEpoch_ = 0; // confirmEpoch_ when the status write in flight was built
    std::vector<std::unique_ptr<ProbeRun>> retiredRuns_;
    bool recovered_ = false;
    // The identity (DVS_Global row) of the database this host last followed, kept in
    // stateDir/database: a host does not tear its networks down on the word of another
    // database (a re-created, empty one) that does not list it.
    std::optional<util::Uuid> databaseId_;
    std::string keptWarning_; // the last warning about networks kept, so it is said once
    std::optional<std::int64_t> connectedAt_;
    std::optional<std::int64_t> cutOffSince_;
    bool heartbeatDue_ = false;
    bool statusInFlight_ = false;
    bool statusDirty_ = false;

    util::AttachedSource reconcileSource_;
    util::AttachedSource heartbeatSource_;
    util::AttachedSource retrySource_;
    util::AttachedSource removeSource_;
    std::function<void()> networksChanged_;
    std::function<void(const std::string&)> noticeHandler_;
    std::vector<std::string> notices_;
    AgentStats stats_;
    std::uint64_t stateListener_ = 0;
    std::uint64_t replicaListener_ = 0;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

} // namespace dvs::mgmt
