// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/network_def.h"
#include "conf/network_port.h"
#include "driver/backend.h"
#include "driver/hooks.h"
#include "driver/network_driver.h"
#include "driver/network_obj.h"
#include "state/state_store.h"

namespace dvs::driver {

struct NetworkDriver::PreparedDefinition
{
    std::string xml;
    unsigned flags = 0;
    std::unique_ptr<conf::NetworkDef> def;
};

// What NetworkDriver does behind its checks of arguments and of managed networks: the network
// objects with the state store, the hooks, the backends and the lifecycle events. Its files:
// network_driver_networks.cpp (define, start, stop, update), network_driver_ports.cpp (ports),
// network_driver_loading.cpp (state loading and autostart at start). Methods throw dvs::Error
// with libvirt's code and leave the state unchanged.
class NetworkDriverImpl
{
public:
    // Called with a parsed and validated definition before it is stored; throws to refuse it.
    using Admit = std::function<void(const conf::NetworkDef&)>;

    // Loads the state and autostarts networks (network_driver_loading.cpp).
    NetworkDriverImpl(DriverPaths paths, std::unique_ptr<Backends> backends);

    const NetworkObjList& networks() const noexcept { return networks_; }

    // Networks (network_driver_networks.cpp).
    NetworkRef define(std::string_view xml, unsigned flags, const Admit& admit);
    NetworkRef create(std::string_view xml, unsigned flags, const Admit& admit);
    void undefine(NetworkObj& obj);
    void start(NetworkObj& obj);
    void destroy(NetworkObj& obj);
    // flags: UpdateFlags, Live and/or Config (the caller resolved Current).
    void update(NetworkObj& obj, unsigned command, unsigned section, int parentIndex,
                std::string_view xml, unsigned flags);
    // NetworkDriver::managedApplyLive.
    bool applyPersistentLive(NetworkObj& obj);
    void setAutostart(NetworkObj& obj, bool autostart);
    std::vector<NetworkDriver::NetworkStatus> status() const;
    std::vector<virtnet::DhcpLeaseInfo> dhcpLeases(const NetworkObj& obj,
                                                   const std::optional<std::string>& mac) const;
    void dhcpLeaseChanged(const NetworkObj& obj, const virtnet::LeaseEvent& event);

    // Ports (network_driver_ports.cpp).
    PortRef portCreate(NetworkObj& obj, conf::NetworkPort port, bool reclaim);
    void portDelete(NetworkObj& obj, const util::Uuid& uuid);
    void portSetBandwidth(NetworkObj& obj, conf::NetworkPort& port, conf::Bandwidth bandwidth);
    std::string portPlug(NetworkObj& obj, const conf::NetworkPort& port, std::string_view ifname);
    void portUnplug(NetworkObj& obj, const conf::NetworkPort& port);

    // Lifecycle events and hooks.
    int subscribe(LifecycleCallback callback);
    void unsubscribe(int id);
    void reloadHooks() { hooks_.reload(); }

    void notice(std::string text) { notices_.push_back(std::move(text)); }
    std::vector<std::string> takeNotices() { return std::exchange(notices_, {}); }

    // NetworkDriver::prepareDefinition and adoptPrepared.
    static std::shared_ptr<NetworkDriver::PreparedDefinition> prepare(std::string xml,
                                                                      unsigned flags);
    void adoptPrepared(std::shared_ptr<NetworkDriver::PreparedDefinition> prepared);

private:
    // Networks (network_driver_networks.cpp).
    void emit(const NetworkObj& obj, LifecycleEvent event);
    // libvirt's networkRunHook: the live definition, then the port.
    void runHook(NetworkObj& obj, const conf::NetworkPort* port, HookOp op, HookSubOp subOp);
    void saveConfig(const conf::NetworkDef& def);
    void saveStatus(const NetworkObj& obj);
    // What define and create start with: the definition parsed (or the prepared one), checked
    // by the driver (validateForDriver), admitted, and fitting libvirt's messages.
    std::unique_ptr<conf::NetworkDef> acceptDefinition(std::string_view xml, unsigned flags,
                                                       const Admit& admit);
    // The prepared definition of xml and flags, when that is what was prepared; else parses.
    // checked: whether checkFitsMessage() already ran (on the prepared one).
    std::unique_ptr<conf::NetworkDef> parseOrTakePrepared(std::string_view xml, unsigned flags,
                                                          bool& checked);
    // Refuses a definition whose largest document does not fit libvirt's remote protocol.
    static void checkFitsMessage(const conf::NetworkDef& def, std::size_t extra = 0);
    void validateForDriver(conf::NetworkDef& def);
    void validateBridgeName(conf::NetworkDef& def);
    void startNetwork(NetworkObj& obj);
    void shutdownNetwork(NetworkObj& obj);
    void removeInactive(NetworkObj& obj);
    void replaceLive(NetworkObj& obj, std::unique_ptr<conf::NetworkDef> live);
    NetworkBackend* backendOf(const NetworkObj& obj) const;

    // Ports (network_driver_ports.cpp).
    void attachCounted(NetworkObj& obj, const conf::NetworkPort& port, conf::ForwardInterface* dev);
    void releasePort(NetworkObj& obj, const conf::NetworkPort& port);
    void unplugAll(NetworkObj& obj);

    // Start-up (network_driver_loading.cpp): definitions, then status, then ports
    // (docs/architecture.md, "Files on a host").
    void loadState();
    void loadConfigs(const state::StoredState& stored);
    void loadStatuses(const state::StoredState& stored);
    void loadPorts(const std::string& network, const std::vector<state::StoredFile>& files);
    void loadPlugs(const state::StoredState& stored);
    void resumeBackends();
    // Moves a stored file dvsd cannot use aside (StateStore::quarantine) and says so in a notice.
    void setAside(const std::filesystem::path& path, const std::string& why);
    void autostartNetworks();

    state::StateStore store_;
    HookRunner hooks_;
    std::unique_ptr<Backends> backends_;
    NetworkObjList networks_;
    std::map<int, LifecycleCallback> callbacks_;
    int nextCallbackId_ = 1;
    std::vector<std::string> notices_;
    // The definition prepare() parsed ahead, for the next define or create of it.
    std::shared_ptr<NetworkDriver::PreparedDefinition> prepared_;
};

} // namespace dvs::driver
