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

#include "driver/backend.h"
#include "driver/dhcp_leases.h"
#include "driver/managed.h"
#include "driver/typed_param.h"
#include "state/state_store.h"
#include "util/uuid.h"

namespace dvs::driver {

// What a client names a network by (remote_nonnull_network).
struct NetworkRef
{
    std::string name;
    util::Uuid uuid;
};

// What a client names a port by (remote_nonnull_network_port).
struct PortRef
{
    NetworkRef network;
    util::Uuid uuid;
};

// virNetworkEventLifecycleType.
enum class LifecycleEvent
{
    Defined = 0,
    Undefined = 1,
    Started = 2,
    Stopped = 3
};

using LifecycleCallback = std::function<void(const NetworkRef&, LifecycleEvent, int detail)>;

// virConnectListAllNetworksFlags.
namespace ListFlags {
inline constexpr unsigned Inactive = 1;
inline constexpr unsigned Active = 2;
inline constexpr unsigned Persistent = 4;
inline constexpr unsigned Transient = 8;
inline constexpr unsigned Autostart = 16;
inline constexpr unsigned NoAutostart = 32;
} // namespace ListFlags

// virNetworkDefineFlags / virNetworkCreateFlags.
namespace DefineFlags {
inline constexpr unsigned Validate = 1;
}

// virNetworkXMLFlags.
namespace XmlFlags {
inline constexpr unsigned Inactive = 1;
}

// virNetworkPortCreateFlags.
namespace PortCreateFlags {
inline constexpr unsigned Reclaim = 1;
inline constexpr unsigned Validate = 2;
} // namespace PortCreateFlags

// virNetworkUpdateFlags.
namespace UpdateFlags {
inline constexpr unsigned Current = 0;
inline constexpr unsigned Live = 1;
inline constexpr unsigned Config = 2;
} // namespace UpdateFlags

// Where the driver keeps its files (docs/architecture.md, "Files on a host");
// DriverPaths::underRoot(root) gives the privileged defaults under a root folder.
using DriverPaths = state::StatePaths;

class NetworkDriverImpl;

// The network driver: libvirt's network driver semantics (libvirt's network/bridge_driver.c) over
// dvsd's state directory. Single-threaded: call it from one thread (the daemon's main loop). Every
// method throws dvs::Error with libvirt's code and message on refusal and leaves the state
// unchanged.
class NetworkDriver
{
public:
    // Takes the state lock (Error OperationFailed if another daemon holds it), then loads
    // definitions, status and ports (docs/architecture.md, "Files on a host"), reconciles, and
    // autostarts networks. backends may be null: then the built-in backends that record desired
    // state only are used.
    NetworkDriver(DriverPaths paths, std::unique_ptr<Backends> backends = nullptr);
    ~NetworkDriver();
    NetworkDriver(const NetworkDriver&) = delete;
    NetworkDriver& operator=(const NetworkDriver&) = delete;

    // Networks.
    std::vector<NetworkRef> listAllNetworks(unsigned flags) const;
    std::vector<std::string> listNetworkNames(bool active, int maxNames) const;
    int countNetworks(bool active) const;
    NetworkRef lookupByName(std::string_view name) const;
    NetworkRef lookupByUuid(const util::Uuid& uuid) const;
    NetworkRef defineXml(std::string_view xml, unsigned flags);
    NetworkRef createXml(std::string_view xml, unsigned flags);
    void undefine(const NetworkRef& net);
    void start(const NetworkRef& net);
    void destroy(const NetworkRef& net);
    void update(const NetworkRef& net, unsigned command, unsigned section, int parentIndex,
                std::string_view xml, unsigned flags);
    std::string getXmlDesc(const NetworkRef& net, unsigned flags) const;
    std::string getBridgeName(const NetworkRef& net) const;
    bool getAutostart(const NetworkRef& net) const;
    void setAutostart(const NetworkRef& net, bool autostart);
    bool isActive(const NetworkRef& net) const;
    bool isPersistent(const NetworkRef& net) const;

    // Ports.
    std::vector<PortRef> listAllPorts(const NetworkRef& net, unsigned flags) const;
    PortRef portLookupByUuid(const NetworkRef& net, const util::Uuid& uuid) const;
    PortRef portCreateXml(const NetworkRef& net, std::string_view xml, unsigned flags);
    std::string portGetXmlDesc(const PortRef& port, unsigned flags) const;
    void portDelete(const PortRef& port, unsigned flags);
    TypedParams portGetParameters(const PortRef& port, unsigned flags) const;
    void portSetParameters(const PortRef& port, const TypedParams& params, unsigned flags);

    // Plugs a port on a host without libvirt (dvsctl port-plug): creates its guest-side device (a
    // macvtap device on the port's pool device, with its MAC and mode) and records it, so that
    // port deletion, network destroy and a restarted dvsd remove it again. ifname may be empty.
    // Returns the device's name.
    std::string portPlug(const PortRef& port, std::string_view ifname);
    // Removes the device portPlug() created.
    void portUnplug(const PortRef& port);

    // DHCP leases (virNetworkGetDHCPLeases): what dnsmasq handed out on the network, of mac
    // when given. A network without dnsmasq has none.
    std::vector<virtnet::DhcpLeaseInfo> getDhcpLeases(const NetworkRef& net,
                                                      const std::optional<std::string>& mac) const;
    // dnsmasq's lease helper reports a lease change of the network's dnsmasq. Throws
    // Error(NoNetwork) for an unknown network, Error(OperationInvalid) for one that runs no
    // dnsmasq.
    void dhcpLeaseChanged(std::string_view network, const virtnet::LeaseEvent& event);

    // Lifecycle events: returns an id for unsubscribe().
    int subscribe(LifecycleCallback callback);
    void unsubscribe(int id);

    // Re-reads the hook folder (SIGHUP).
    void reloadHooks();

    // Our own status (dvsctl status): a short summary per network.
    struct NetworkStatus
    {
        std::string name;
        bool active = false;
        bool persistent = false;
        bool autostart = false;
        std::string forwardMode;
        unsigned connections = 0;
        std::size_t ports = 0;
        // What the dataplane is: "ovs-bridge", "host-bridge", "macvtap-pool", "hostdev-pool" or
        // "libvirt-virtual" (from the forward mode, see backendKindFor()).
        std::string dataplaneKind;
        // "ready", "degraded", "unknown" or "inactive" (the network is not running).
        std::string dataplaneState;
        // What the backend says of the dataplane, in words, without the state; empty when
        // inactive.
        std::string dataplane;
        // dataplaneState and dataplane as one line, "STATE: WORDS" ("inactive" alone).
        std::string backendState;
    };
    std::vector<NetworkStatus> status() const;

    // What the driver noticed and recovered from since the last call (files moved aside, ports
    // dropped, autostart failures, ...): one sentence each, for the daemon to log.
    std::vector<std::string> takeNotices();

    // Large definitions off the driver's thread. prepareDefinition() parses a definition and
    // checks that it fits libvirt's message limit; it touches no driver state and may run on any
    // thread. adoptPrepared() hands the result to the driver: the next defineXml() or
    // createXml() of exactly that text and those flags takes it instead of parsing again. A
    // definition that fails to parse is not kept: the call parses again and reports the error.
    struct PreparedDefinition;
    static std::shared_ptr<PreparedDefinition> prepareDefinition(std::string xml, unsigned flags);
    void adoptPrepared(std::shared_ptr<PreparedDefinition> prepared);

    // Distributed switches (managed.cpp). A network a switch manages is read-only for every
    // caller but the host agent: update(), undefine(), destroy(), setAutostart() and a
    // defineXml() or createXml() over it throw Error(OperationDenied) naming the switch and the
    // dvsctl command to use instead. Ports work on it as on any network. The mark is kept on
    // disk (configDir/networks/managed/NAME) across restarts. The managed*() calls are the
    // agent's own path: the same operations, without the check.

    // The switch that manages the network, or nullopt.
    std::optional<ManagedBy> managedBy(std::string_view network) const;
    // Every managed network, by name.
    std::map<std::string, ManagedBy, std::less<>> managedNetworks() const;
    // defineXml(), then marks the network as managed by `by`. An active network keeps its live
    // definition until managedApplyLive() or a restart.
    NetworkRef managedDefine(std::string_view xml, const ManagedBy& by);
    // Makes the persistent definition of the active network live, as a live net-update does:
    // live ports that took their VLAN or bandwidth from the definition follow it and the
    // backend brings every port in line. Returns false, changing nothing, when the network is
    // not active or the change cannot be made live (another forward mode or bridge, or a
    // backend other than a bridge): the caller then restarts it when no port holds it.
    bool managedApplyLive(const NetworkRef& net);
    void managedUpdate(const NetworkRef& net, unsigned command, unsigned section, int parentIndex,
                       std::string_view xml, unsigned flags);
    void managedDestroy(const NetworkRef& net);
    // undefine(), and drops the mark.
    void managedUndefine(const NetworkRef& net);
    void managedSetAutostart(const NetworkRef& net, bool autostart);
    // Drops the mark only: the network becomes an ordinary one. Throws Error(WriteFailed).
    void unmanage(std::string_view network);

private:
    // Throws the refusal when the network is managed and the caller is not the agent.
    void checkManaged(std::string_view network, ManagedOp op) const;
    void checkManagedDefinition(const conf::NetworkDef& def, ManagedOp op) const;

    std::unique_ptr<ManagedMarks> marks_;
    unsigned managerDepth_ = 0; // > 0 inside a managed*() call
    std::unique_ptr<NetworkDriverImpl> impl_;
};

} // namespace dvs::driver
