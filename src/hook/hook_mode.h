// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "driver/network_driver.h"
#include "driver/network_hook_call.h"
#include "hook/libvirt_publisher.h"
#include "util/notice.h"

namespace dvs::hook {

// dvsd in hook mode (docs/architecture.md), on the daemon's main loop: publishes dvsd's networks
// into a monolithic libvirtd (LibvirtPublisher) and takes libvirtd's ports from hooks/network.
//
// - port-created: dvsd records the port libvirtd allocated (RECLAIM: uuid, owner, plug) and the
//   backend programs it; a refusal fails the port in libvirtd. A port dvsd has already (libvirtd
//   re-runs the hook for every port when it restarts) changes nothing.
// - port-deleted: dvsd releases the port, when it has it.
// - start/started: refused while dvsd's own network is not active.
// - updated/stopped: dvsd's definitions and states are the reference; the publisher makes a pass
//   that puts them back in libvirtd if someone changed or stopped libvirtd's copy.
// After (re)connecting to libvirtd, the ports libvirtd has are compared with dvsd's: what dvsd
// missed while it was down is recorded, and what libvirtd released meanwhile is released.
class HookMode
{
public:
    // driver must outlive this object. Starts the publisher at once. What it does (ports recorded
    // from libvirtd, networks published) and what it ignores go to notices, from the main
    // thread and from the publisher's.
    HookMode(driver::NetworkDriver& driver, std::string libvirtUri, util::NoticeSink notices);
    ~HookMode();
    HookMode(const HookMode&) = delete;
    HookMode& operator=(const HookMode&) = delete;

    // dvsd's networks may have changed: publish them again (a no-op when nothing changed).
    void networksChanged();

    // Where a network stands in libvirtd, for dvsctl status (LibvirtPublisher::state).
    std::string publicationState(const std::string& network) const
    {
        return publisher_->state(network);
    }

    // One run of hooks/network (DVS_PROC_NETWORK_HOOK). Throws Error to refuse it.
    void handle(const driver::NetworkHookCall& hook);

private:
    void adoptPorts(std::vector<LibvirtPorts> lists);

    driver::NetworkDriver& driver_;
    util::NoticeSink notices_;
    // Counts port-created hooks; each port records the value when dvsd learnt of it.
    std::atomic<std::uint64_t> hookSeq_ = 0;
    std::map<std::string, std::uint64_t> portSeq_; // port uuid -> hookSeq_ when recorded
    std::set<std::string> unpublishable_;          // networks already reported as such
    std::unique_ptr<LibvirtPublisher> publisher_;
};

} // namespace dvs::hook
