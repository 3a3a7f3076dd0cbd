// SPDX-License-Identifier: LGPL-2.1-or-later
#include "libvirt_publisher.h"

#include <chrono>
#include <cstdlib>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "util/cdeleter.h"
#include "util/xml.h"

namespace dvs::hook {

namespace {

constexpr auto kProbeInterval = std::chrono::seconds(2);

using ConnectPtr = util::CPtr<virConnect, virConnectClose>;
using NetworkPtr = util::CPtr<virNetwork, virNetworkFree>;
using PortPtr = util::CPtr<virNetworkPort, virNetworkPortFree>;
using CharPtr = util::CPtr<char, std::free>;

// libvirt prints every error on stderr unless told otherwise; we report them ourselves.
void quietErrors(void*, virErrorPtr) noexcept {}

std::string lastError()
{
    const virError* error = virGetLastError();
    return error != nullptr && error->message != nullptr ? error->message : "unknown error";
}

int lastErrorCode()
{
    const virError* error = virGetLastError();
    return error != nullptr ? error->code : VIR_ERR_OK;
}

// The serialised portgroups of a network document, by name, without layout whitespace.
std::map<std::string, std::string> portgroupsOf(std::string_view xml)
{
    std::map<std::string, std::string> out;
    auto doc = util::XmlDocument::parse(xml, "(network_definition)", "network");
    for (const auto& pg : doc.root().children("portgroup")) {
        std::string text = pg.dump();
        std::string compact;
        bool inTag = false;
        for (std::size_t i = 0; i < text.size(); ++i) {
            char c = text[i];
            if (c == '<') {
                inTag = true;
            } else if (c == '>') {
                inTag = false;
            }
            if (!inTag && (c == '\n' || c == ' ')) {
                continue;
            }
            compact += c;
        }
        out[pg.attr("name").value_or("")] = compact;
    }
    return out;
}

// One pass over libvirtd; remembers which errors were already logged.
class Reconciler
{
public:
    Reconciler(std::map<std::string, std::string>& reported, const util::NoticeSink& notices)
        : reported_(reported), notices_(notices)
    {}

    void reconcile(virConnectPtr conn, const std::vector<conf::PublishedNetwork>& desired)
    {
        std::set<std::string> wanted;
        for (const auto& net : desired) {
            wanted.insert(net.name);
            reconcileOne(conn, net);
        }
        // Networks dvsd published earlier and no longer has.
        virNetworkPtr* nets = nullptr;
        int n = virConnectListAllNetworks(conn, &nets, 0);
        if (n < 0) {
            report("*list", fmt::format("Cannot list libvirtd's networks: {}", lastError()));
            return;
        }
        std::vector<NetworkPtr> owned;
        for (int i = 0; i < n; ++i) {
            owned.emplace_back(nets[i]);
        }
        std::free(nets);
        for (const auto& net : owned) {
            std::string name = virNetworkGetName(net.get());
            if (wanted.count(name) != 0 || !isOurs(net.get())) {
                continue;
            }
            if (virNetworkIsActive(net.get()) == 1 && virNetworkDestroy(net.get()) < 0) {
                report(name,
                       fmt::format("libvirtd refused to stop network '{}': {}", name, lastError()));
                continue;
            }
            if (virNetworkIsPersistent(net.get()) == 1 && virNetworkUndefine(net.get()) < 0) {
                report(name, fmt::format("libvirtd refused to undefine network '{}': {}", name,
                                         lastError()));
                continue;
            }
            notices_.info("Removed network '{}' from libvirtd", name);
            clear(name);
        }
    }

    // The ports libvirtd has on dvsd's active networks.
    std::vector<LibvirtPorts> listPorts(virConnectPtr conn,
                                        const std::vector<conf::PublishedNetwork>& desired,
                                        std::uint64_t seq)
    {
        std::vector<LibvirtPorts> out;
        for (const auto& want : desired) {
            if (!want.active) {
                continue;
            }
            NetworkPtr net(virNetworkLookupByName(conn, want.name.c_str()));
            if (!net || !isOurs(net.get()) || virNetworkIsActive(net.get()) != 1) {
                continue;
            }
            virNetworkPortPtr* ports = nullptr;
            int n = virNetworkListAllPorts(net.get(), &ports, 0);
            if (n < 0) {
                report(want.name, fmt::format("Cannot list the ports of network '{}' in "
                                              "libvirtd: {}",
                                              want.name, lastError()));
                continue;
            }
            LibvirtPorts entry{want.name, {}, seq};
            std::vector<PortPtr> owned;
            for (int i = 0; i < n; ++i) {
                owned.emplace_back(ports[i]);
            }
            std::free(ports);
            bool complete = true;
            for (const auto& port : owned) {
                CharPtr xml(virNetworkPortGetXMLDesc(port.get(), 0));
                if (!xml) {
                    complete = false;
                    break;
                }
                entry.portXmls.emplace_back(xml.get());
            }
            // A partial list would make dvsd release ports that exist: skip the network.
            if (complete) {
                out.push_back(std::move(entry));
            }
        }
        return out;
    }

private:
    void reconcileOne(virConnectPtr conn, const conf::PublishedNetwork& want)
    {
        NetworkPtr net(virNetworkLookupByName(conn, want.name.c_str()));
        if (!net && lastErrorCode() != VIR_ERR_NO_NETWORK) {
            report(want.name, fmt::format("Cannot look up network '{}' in libvirtd: {}", want.name,
                                          lastError()));
            return;
        }
        if (!net) {
            net.reset(virNetworkDefineXML(conn, want.xml.c_str()));
            if (!net) {
                report(want.name,
                       fmt::format("libvirtd refused network '{}': {}", want.name, lastError()));
                return;
            }
            notices_.info("Published network '{}' into libvirtd", want.name);
        } else {
            CharPtr config(virNetworkGetXMLDesc(net.get(), VIR_NETWORK_XML_INACTIVE));
            if (!config) {
                report(want.name, fmt::format("Cannot read network '{}' from libvirtd: {}",
                                              want.name, lastError()));
                return;
            }
            auto doc = util::XmlDocument::parse(config.get(), "(network_definition)", "network");
            auto digest = conf::publishedDigest(doc.root());
            if (!digest) {
                report(want.name,
                       fmt::format("libvirtd has a network '{}' that dvsd did not publish; "
                                   "leaving it alone (undefine it in libvirtd to let dvsd "
                                   "publish its own)",
                                   want.name));
                return;
            }
            if (*digest != want.digest) {
                NetworkPtr redefined(virNetworkDefineXML(conn, want.xml.c_str()));
                if (!redefined) {
                    report(want.name, fmt::format("libvirtd refused the new definition of "
                                                  "network '{}': {}",
                                                  want.name, lastError()));
                    return;
                }
                notices_.info("Updated network '{}' in libvirtd", want.name);
            }
        }
        int autostart = 0;
        if (virNetworkGetAutostart(net.get(), &autostart) == 0 &&
            (autostart != 0) != want.autostart &&
            virNetworkSetAutostart(net.get(), want.autostart ? 1 : 0) < 0) {
            report(want.name, fmt::format("libvirtd refused to set autostart of network '{}': {}",
                                          want.name, lastError()));
            return;
        }
        int active = virNetworkIsActive(net.get());
        if (want.active && active == 0) {
            if (virNetworkCreate(net.get()) < 0) {
                report(want.name, fmt::format("libvirtd refused to start network '{}': {}",
                                              want.name, lastError()));
                return;
            }
            notices_.info("Started network '{}' in libvirtd", want.name);
        } else if (!want.active && active == 1) {
            if (virNetworkDestroy(net.get()) < 0) {
                report(want.name, fmt::format("libvirtd refused to stop network '{}': {}",
                                              want.name, lastError()));
                return;
            }
            notices_.info("Stopped network '{}' in libvirtd", want.name);
        } else if (want.active && active == 1 && !updateLivePortgroups(net.get(), want)) {
            return;
        }
        clear(want.name);
    }

    // Brings the portgroups of the running network in libvirtd in line with dvsd's (a changed
    // portgroup must reach the next port libvirtd allocates). Returns false on a refusal.
    bool updateLivePortgroups(virNetworkPtr net, const conf::PublishedNetwork& want)
    {
        CharPtr live(virNetworkGetXMLDesc(net, 0));
        if (!live) {
            report(want.name, fmt::format("Cannot read network '{}' from libvirtd: {}", want.name,
                                          lastError()));
            return false;
        }
        auto have = portgroupsOf(live.get());
        auto wantGroups = portgroupsOf(want.xml);
        auto apply = [&](unsigned command, const std::string& xml, const std::string& pg) {
            if (virNetworkUpdate(net, command, VIR_NETWORK_SECTION_PORTGROUP, -1, xml.c_str(),
                                 VIR_NETWORK_UPDATE_AFFECT_LIVE) < 0) {
                report(want.name, fmt::format("libvirtd refused to update portgroup '{}' of "
                                              "network '{}': {}",
                                              pg, want.name, lastError()));
                return false;
            }
            notices_.info("Updated portgroup '{}' of network '{}' in libvirtd", pg, want.name);
            return true;
        };
        for (const auto& [name, xml] : wantGroups) {
            auto it = have.find(name);
            if (it == have.end()) {
                if (!apply(VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, xml, name)) {
                    return false;
                }
            } else if (it->second != xml) {
                if (!apply(VIR_NETWORK_UPDATE_COMMAND_MODIFY, xml, name)) {
                    return false;
                }
            }
        }
        for (const auto& [name, xml] : have) {
            if (wantGroups.count(name) == 0 &&
                !apply(VIR_NETWORK_UPDATE_COMMAND_DELETE, xml, name)) {
                return false;
            }
        }
        return true;
    }

    bool isOurs(virNetworkPtr net)
    {
        CharPtr xml(virNetworkGetXMLDesc(net, VIR_NETWORK_XML_INACTIVE));
        if (!xml) {
            return false;
        }
        try {
            auto doc = util::XmlDocument::parse(xml.get(), "(network_definition)", "network");
            return conf::publishedDigest(doc.root()).has_value();
        } catch (const std::exception&) {
            return false;
        }
    }

    void report(const std::string& key, const std::string& message)
    {
        auto& last = reported_[key];
        if (last != message) {
            notices_.warning("{}", message);
            last = message;
        }
    }

    void clear(const std::string& key) { reported_.erase(key); }

    std::map<std::string, std::string>& reported_;
    const util::NoticeSink& notices_;
};

} // namespace

LibvirtPublisher::LibvirtPublisher(std::string uri, PortsListed portsListed,
                                   std::function<std::uint64_t()> hookSeq, util::NoticeSink notices)
    : uri_(std::move(uri)), portsListed_(std::move(portsListed)), hookSeq_(std::move(hookSeq)),
      notices_(std::move(notices)), mainContext_(g_main_context_ref_thread_default()),
      alive_(std::make_shared<std::atomic<bool>>(true))
{
    virSetErrorFunc(nullptr, &quietErrors);
    worker_ = std::thread([this] { run(); });
}

LibvirtPublisher::~LibvirtPublisher()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    alive_->store(false);
    wake_.notify_all();
    worker_.join();
    g_main_context_unref(mainContext_);
}

void LibvirtPublisher::setDesired(std::vector<conf::PublishedNetwork> networks)
{
    {
        std::lock_guard lock(mutex_);
        if (initialized_ && networks == desired_) {
            return;
        }
        desired_ = std::move(networks);
        initialized_ = true;
        dirty_ = true;
    }
    wake_.notify_all();
}

std::string LibvirtPublisher::state(const std::string& network) const
{
    std::lock_guard lock(mutex_);
    if (!unreachable_.empty()) {
        return "libvirtd: unreachable: " + unreachable_;
    }
    auto it = states_.find(network);
    return it != states_.end() ? it->second : "";
}

void LibvirtPublisher::resync()
{
    {
        std::lock_guard lock(mutex_);
        dirty_ = true;
    }
    wake_.notify_all();
}

void LibvirtPublisher::requestPortSync()
{
    {
        std::lock_guard lock(mutex_);
        portSync_ = true;
    }
    wake_.notify_all();
}

void LibvirtPublisher::run()
{
    ConnectPtr conn;
    std::map<std::string, std::string> reported;
    std::string connectError;
    // Something was refused at the last pass: try again at the next probe, not at once.
    bool retry = false;
    auto nextConnect = std::chrono::steady_clock::time_point::min();
    while (true) {
        std::vector<conf::PublishedNetwork> desired;
        bool reconcile = false;
        bool portSync = false;
        {
            std::unique_lock lock(mutex_);
            // Work wakes the worker at once, unless libvirtd could not be reached: then the
            // next attempt waits for the probe interval.
            bool canConnect = conn || std::chrono::steady_clock::now() >= nextConnect;
            wake_.wait_for(lock, kProbeInterval,
                           [&] { return stopping_ || ((dirty_ || portSync_) && canConnect); });
            if (stopping_) {
                return;
            }
            if (!initialized_) {
                // Nothing to compare libvirtd with yet: an empty list would remove everything.
                continue;
            }
            desired = desired_;
            reconcile = dirty_ || retry;
            portSync = portSync_;
        }
        unsigned long version = 0;
        if (conn && virConnectGetLibVersion(conn.get(), &version) < 0) {
            notices_.warning("Lost the connection to libvirtd at '{}': {}", uri_, lastError());
            conn.reset();
        }
        if (!conn) {
            conn.reset(virConnectOpen(uri_.c_str()));
            if (!conn) {
                nextConnect = std::chrono::steady_clock::now() + kProbeInterval;
                std::string message = lastError();
                {
                    std::lock_guard lock(mutex_);
                    unreachable_ = message;
                }
                if (message != connectError) {
                    notices_.warning(
                        "Cannot connect to libvirtd at '{}': {}; retrying every {} seconds", uri_,
                        message, kProbeInterval.count());
                    connectError = message;
                }
                continue;
            }
            connectError.clear();
            {
                std::lock_guard lock(mutex_);
                unreachable_.clear();
            }
            notices_.info("Connected to libvirtd at '{}'", uri_);
            reconcile = true;
            portSync = true;
        }
        {
            std::lock_guard lock(mutex_);
            if (reconcile) {
                dirty_ = false;
            }
            if (portSync) {
                portSync_ = false;
            }
        }
        Reconciler reconciler(reported, notices_);
        try {
            if (reconcile) {
                reconciler.reconcile(conn.get(), desired);
                std::lock_guard lock(mutex_);
                states_.clear();
                for (const auto& net : desired) {
                    auto refused = reported.find(net.name);
                    states_[net.name] = refused != reported.end()
                                            ? "libvirtd: refused: " + refused->second
                                        : net.active ? "libvirtd: running"
                                                     : "libvirtd: defined";
                }
                retry = !reported.empty();
            }
            if (portSync) {
                auto ports = reconciler.listPorts(conn.get(), desired, hookSeq_());
                struct Delivery
                {
                    std::shared_ptr<std::atomic<bool>> alive;
                    PortsListed* callback;
                    const util::NoticeSink* notices;
                    std::vector<LibvirtPorts> ports;
                };
                auto delivery = std::make_unique<Delivery>(
                    Delivery{alive_, &portsListed_, &notices_, std::move(ports)});
                g_main_context_invoke_full(
                    mainContext_, G_PRIORITY_DEFAULT,
                    [](gpointer data) noexcept -> gboolean {
                        auto* d = static_cast<Delivery*>(data);
                        if (d->alive->load()) {
                            try {
                                (*d->callback)(std::move(d->ports));
                            } catch (const std::exception& error) {
                                d->notices->warning("Taking over libvirtd's ports failed: {}",
                                                    error.what());
                            }
                        }
                        return G_SOURCE_REMOVE;
                    },
                    delivery.release(),
                    [](gpointer data) noexcept {
                        std::unique_ptr<Delivery> owned(static_cast<Delivery*>(data));
                    });
            }
        } catch (const std::exception& error) {
            notices_.warning("Publishing networks into libvirtd failed: {}", error.what());
        }
    }
}

} // namespace dvs::hook
