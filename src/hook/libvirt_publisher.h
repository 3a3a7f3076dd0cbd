// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <glib.h>

#include "conf/published_network.h"
#include "util/notice.h"

namespace dvs::hook {

// The ports libvirtd has on one of the networks dvsd published, as listed after (re)connecting.
struct LibvirtPorts
{
    std::string network;
    std::vector<std::string> portXmls; // virNetworkPortGetXMLDesc of each
    // The hook sequence number read before the list was taken: a port dvsd learnt of from a
    // hook after that may be missing from the list.
    std::uint64_t listedAfterSeq = 0;
};

// Keeps libvirtd's networks in step with dvsd's (hook mode), through libvirt's client API on a
// thread of its own. It must not run on dvsd's main loop: starting, destroying or updating a
// network makes libvirtd run hooks/network, which calls back into dvsd and needs the main loop.
//
// The main thread sets the desired networks (setDesired); the worker reconciles libvirtd with
// them: defines what is missing or stale (by the marker's digest), starts and destroys, updates
// live portgroups, and removes networks it published that dvsd no longer has. Networks of
// libvirtd without the marker are never touched. It reconnects when libvirtd goes away and
// comes back (checked every two seconds), reconciles again, and then hands the ports libvirtd
// has on dvsd's networks to portsListed, on the main context of the thread that created it.
// What it does and every refusal go to notices (a refusal once, with libvirt's message, until it
// changes); notices is called on the worker's thread.
class LibvirtPublisher
{
public:
    using PortsListed = std::function<void(std::vector<LibvirtPorts>)>;

    // uri: the libvirtd to publish into; hookSeq: read before listing ports (see LibvirtPorts).
    LibvirtPublisher(std::string uri, PortsListed portsListed,
                     std::function<std::uint64_t()> hookSeq, util::NoticeSink notices);
    // Stops the worker and waits for it.
    ~LibvirtPublisher();
    LibvirtPublisher(const LibvirtPublisher&) = delete;
    LibvirtPublisher& operator=(const LibvirtPublisher&) = delete;

    // Replaces the desired networks and wakes the worker when they changed. The worker does
    // nothing before the first call.
    void setDesired(std::vector<conf::PublishedNetwork> networks);
    // Where a network stands in libvirtd after the last pass, for dvsctl status: "libvirtd:
    // running", "libvirtd: defined", "libvirtd: refused: MESSAGE", "libvirtd: unreachable:
    // MESSAGE"; empty before the first pass. Thread-safe.
    std::string state(const std::string& network) const;
    // Asks the worker for a pass even though the desired networks did not change: libvirtd's
    // copy changed behind dvsd's back (a net-update or net-destroy made in libvirtd).
    void resync();
    // Asks the worker to list libvirtd's ports again (then portsListed runs).
    void requestPortSync();

private:
    void run();

    std::string uri_;
    PortsListed portsListed_;
    std::function<std::uint64_t()> hookSeq_;
    util::NoticeSink notices_;
    GMainContext* mainContext_;
    // Set to false on destruction, read by callbacks queued on the main context.
    std::shared_ptr<std::atomic<bool>> alive_;

    mutable std::mutex mutex_;
    std::map<std::string, std::string> states_; // network -> state()
    std::string unreachable_;                   // why libvirtd cannot be reached, if it cannot
    std::condition_variable wake_;
    std::vector<conf::PublishedNetwork> desired_;
    bool initialized_ = false; // setDesired() was called
    bool dirty_ = true;
    bool portSync_ = true;
    bool stopping_ = false;
    std::thread worker_;
};

} // namespace dvs::hook
