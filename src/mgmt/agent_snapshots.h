// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <glib.h>

#include "mgmt/snapshot_store.h"
#include "ovsdb/client.h"
#include "util/glib_ptr.h"

// A host's own copies of its switches' snapshots (the host agent's part of issue "snapshots kept
// apart from the manager"): after the host applied a generation and reported it, the agent writes
// DIR/SWITCH/generation-N.xml, so that the switch can be rebuilt from any member host when the
// whole management cluster is lost (dvsctl snapshot-restore FILE into a fresh database).
//
// Off the convergence path: nothing is added to what the agent monitors. The definition comes
// from the Switch_Generation row the agent already has; the switch's members, rollout policy and
// keep_generations come from one select on the session, sent a few seconds after the apply, with
// jitter that grows with the switch's size (so that a change does not make every host of a large
// switch read the member list at once), and only once per generation.
namespace dvs::mgmt {

struct HostSnapshotOptions
{
    std::filesystem::path dir; // empty: no copies
    std::string host;          // this host, named in each copy's description
    // The select is sent after delay + a random part of (jitter + members * jitterPerMember).
    std::chrono::milliseconds delay{2000};
    std::chrono::milliseconds jitter{3000};
    std::chrono::milliseconds jitterPerMember{20};
    // Copies kept per switch when the switch does not say (Switch.keep_generations).
    std::size_t keep = 10;
};

class HostSnapshots
{
public:
    HostSnapshots(GMainContext* context, ovsdb::Client& client, HostSnapshotOptions options,
                  std::function<void(std::string)> notice);
    ~HostSnapshots();
    HostSnapshots(const HostSnapshots&) = delete;
    HostSnapshots& operator=(const HostSnapshots&) = delete;

    // The switch runs that generation on this host (applied and reported): its copy is written
    // soon unless it exists.
    void applied(const std::string& switchName, std::int64_t generation);

    // Copies written so far (for tests and the bench).
    std::uint64_t written() const noexcept { return written_; }

private:
    static gboolean onTimer(gpointer self) noexcept;
    void arm();
    void fetch(const std::string& switchName, std::int64_t generation);
    void write(const std::string& switchName, std::int64_t generation, const ovsdb::Json& reply);

    GMainContext* context_;
    ovsdb::Client& client_;
    HostSnapshotOptions options_;
    SnapshotStore store_;
    std::function<void(std::string)> notice_;
    // Per switch: the generation whose copy exists (or was given up on), and the one waiting.
    std::map<std::string, std::int64_t> done_;
    std::map<std::string, std::int64_t> pending_;
    std::size_t lastMembers_ = 0;
    std::uint64_t written_ = 0;
    util::AttachedSource timer_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

} // namespace dvs::mgmt
