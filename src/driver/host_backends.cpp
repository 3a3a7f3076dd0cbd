// SPDX-License-Identifier: LGPL-2.1-or-later
#include "driver/host_backends.h"

#include <algorithm>
#include <map>
#include <net/if.h>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "driver/dhcp_leases.h"
#include "driver/linux_bridge_backend.h"
#include "driver/virtual_backend.h"
#include "netlink/connection.h"
#include "ovs/ovs_switch.h"
#include "util/error.h"
#include "util/file.h"

namespace fs = std::filesystem;

namespace dvs::driver {

namespace {

// The devices dvsd created, one name per line in a file of the run folder, so that a restarted
// dvsd removes only what it made.
class CreatedLinks
{
public:
    explicit CreatedLinks(fs::path file) : file_(std::move(file))
    {
        std::error_code ec;
        if (!fs::exists(file_, ec)) {
            return;
        }
        std::istringstream in(util::readFile(file_));
        for (std::string line; std::getline(in, line);) {
            if (!line.empty()) {
                names_.insert(line);
            }
        }
    }

    bool contains(const std::string& name) const { return names_.count(name) != 0; }
    void add(const std::string& name)
    {
        names_.insert(name);
        save();
    }
    void remove(const std::string& name)
    {
        names_.erase(name);
        save();
    }

private:
    void save()
    {
        std::string text;
        for (const auto& n : names_) {
            text += n + "\n";
        }
        fs::create_directories(file_.parent_path());
        util::writeFileAtomic(file_, text);
    }

    fs::path file_;
    std::set<std::string> names_;
};

// The rtnetlink socket, opened on first use (a driver that never starts a direct network needs
// none).
class Kernel
{
public:
    netlink::Connection& get()
    {
        if (!connection_) {
            connection_ = std::make_unique<netlink::Connection>();
        }
        return *connection_;
    }

private:
    std::unique_ptr<netlink::Connection> connection_;
};

std::string describeLink(netlink::Connection& kernel, const std::string& name, bool& ready)
{
    auto link = kernel.findLink(name);
    if (!link) {
        ready = false;
        return fmt::format("{} missing", name);
    }
    if (!link->ready()) {
        ready = false;
    }
    return fmt::format("{} {}{}", name, link->up ? "up" : "down",
                       link->up && !link->carrier ? " (no carrier)" : "");
}

netlink::BondConfig bondConfigFor(const conf::NetworkDef& def, const conf::Uplink& uplink)
{
    netlink::BondConfig config;
    config.name = uplink.name;
    switch (uplink.mode.value_or(conf::BondMode::ActiveBackup)) {
    case conf::BondMode::ActiveBackup:
        config.mode = netlink::BondMode::ActiveBackup;
        break;
    case conf::BondMode::BalanceXor:
        config.mode = netlink::BondMode::BalanceXor;
        break;
    case conf::BondMode::Ieee8023ad:
        config.mode = netlink::BondMode::Ieee8023ad;
        break;
    default:
        raise(ErrorCode::ConfigUnsupported,
              "uplink '{}' of network '{}' is a Linux bond, which has no mode '{}'", uplink.name,
              def.name, util::toString(*uplink.mode));
    }
    if (uplink.lacp && uplink.lacp->rate) {
        config.lacpRate = *uplink.lacp->rate == conf::LacpRate::Fast ? netlink::LacpRate::Fast
                                                                     : netlink::LacpRate::Slow;
    }
    // The kernel wants the delays to be multiples of miimon.
    auto round = [&](unsigned ms) {
        return (ms + config.miimon - 1) / config.miimon * config.miimon;
    };
    config.updelay = round(uplink.updelay.value_or(0));
    config.downdelay = round(uplink.downdelay.value_or(0));
    if (def.mtu != 0) {
        config.mtu = def.mtu;
    }
    return config;
}

// macvtap pools: the pool devices and a Linux bond uplink.
class DirectBackend final : public NetworkBackend
{
public:
    DirectBackend(Kernel& kernel, CreatedLinks& created) : kernel_(kernel), created_(created) {}

    void start(const conf::NetworkDef& def) override
    {
        auto& kernel = kernel_.get();
        std::string createdBond;
        if (def.dvs && def.dvs->uplink) {
            const auto& uplink = *def.dvs->uplink;
            switch (uplink.type) {
            case conf::UplinkType::LinuxBond:
                if (auto existing = kernel.findLink(uplink.name)) {
                    if (existing->kind != "bond") {
                        raise(ErrorCode::OperationFailed,
                              "uplink '{}' of network '{}' exists and is not a bond", uplink.name,
                              def.name);
                    }
                } else {
                    kernel.createBond(bondConfigFor(def, uplink), uplink.interfaces);
                    createdBond = uplink.name;
                    created_.add(uplink.name);
                }
                break;
            case conf::UplinkType::Interface:
                kernel.link(uplink.name.empty() ? uplink.interfaces.front() : uplink.name);
                break;
            case conf::UplinkType::OvsBond:
                raise(ErrorCode::ConfigUnsupported,
                      "network '{}' uses a macvtap pool, whose uplink cannot be an OVS bond",
                      def.name);
            case conf::UplinkType::Last:
                break;
            }
        }
        try {
            for (const auto& iface : def.forward.interfaces) {
                if (iface.type != conf::ForwardDeviceType::Netdev) {
                    continue;
                }
                if (!kernel.findLink(iface.dev)) {
                    raise(ErrorCode::DeviceMissing,
                          "network '{}' cannot start: its pool device '{}' does not exist",
                          def.name, iface.dev);
                }
                if (def.mtu != 0) {
                    kernel.setMtu(iface.dev, def.mtu);
                }
            }
        } catch (...) {
            if (!createdBond.empty()) {
                kernel.removeBond(createdBond);
                created_.remove(createdBond);
            }
            throw;
        }
    }

    void stop(const conf::NetworkDef& def) noexcept override
    {
        try {
            if (def.dvs && def.dvs->uplink &&
                def.dvs->uplink->type == conf::UplinkType::LinuxBond &&
                created_.contains(def.dvs->uplink->name)) {
                kernel_.get().removeBond(def.dvs->uplink->name);
                created_.remove(def.dvs->uplink->name);
            }
        } catch (const Error&) {
            // Left for the next start, which adopts an existing bond.
        }
    }

    void portAttached(const conf::NetworkDef&, const conf::NetworkPort&) override {}
    void portDetached(const conf::NetworkDef&, const conf::NetworkPort&) noexcept override {}
    void networkUpdated(const conf::NetworkDef&,
                        const std::vector<const conf::NetworkPort*>&) override
    {}

    std::string plugPort(const conf::NetworkDef& def, const conf::NetworkPort& port,
                         std::string_view ifname) override
    {
        if (port.plug.type != conf::PlugType::Direct) {
            raise(ErrorCode::ConfigUnsupported,
                  "port {} of network '{}' is not a direct port; only macvtap ports are plugged "
                  "by dvsd",
                  port.uuid.toString(), def.name);
        }
        netlink::MacvtapConfig config;
        config.name = std::string(ifname);
        config.lower = port.plug.dev;
        config.mac = port.mac;
        switch (port.plug.mode) {
        case conf::MacvlanMode::Vepa:
            config.mode = netlink::MacvtapMode::Vepa;
            break;
        case conf::MacvlanMode::Private:
            config.mode = netlink::MacvtapMode::Private;
            break;
        case conf::MacvlanMode::Bridge:
            config.mode = netlink::MacvtapMode::Bridge;
            break;
        case conf::MacvlanMode::Passthrough:
        case conf::MacvlanMode::Last:
            config.mode = netlink::MacvtapMode::Passthrough;
            break;
        }
        return kernel_.get().createMacvtap(config).name;
    }

    void unplugPort(const conf::NetworkDef&, const conf::NetworkPort&,
                    std::string_view device) override
    {
        kernel_.get().removeMacvtap(device);
    }

    std::string describe(const conf::NetworkDef& def) const override
    {
        try {
            auto& kernel = kernel_.get();
            bool ready = true;
            std::vector<std::string> parts;
            if (def.dvs && def.dvs->uplink && !def.dvs->uplink->name.empty()) {
                parts.push_back("uplink " + describeLink(kernel, def.dvs->uplink->name, ready));
            }
            std::vector<std::string> pool;
            for (const auto& iface : def.forward.interfaces) {
                if (iface.type == conf::ForwardDeviceType::Netdev) {
                    pool.push_back(describeLink(kernel, iface.dev, ready));
                }
            }
            if (!pool.empty()) {
                parts.insert(parts.begin(),
                             "macvtap pool " + fmt::format("{}", fmt::join(pool, ", ")));
            }
            return fmt::format("{}: {}", ready ? "ready" : "degraded", fmt::join(parts, "; "));
        } catch (const Error& e) {
            return "unknown: " + e.fullMessage();
        }
    }

private:
    Kernel& kernel_;
    CreatedLinks& created_;
};

// SR-IOV hostdev pools: the PF must be there; the VFs are given to guests by libvirt.
class HostdevBackend final : public NetworkBackend
{
public:
    explicit HostdevBackend(Kernel& kernel) : kernel_(kernel) {}

    void start(const conf::NetworkDef& def) override
    {
        for (const auto& pf : def.forward.pfs) {
            if (!kernel_.get().findLink(pf.dev)) {
                raise(ErrorCode::DeviceMissing,
                      "network '{}' cannot start: its physical function '{}' does not exist",
                      def.name, pf.dev);
            }
        }
    }
    void stop(const conf::NetworkDef&) noexcept override {}
    void portAttached(const conf::NetworkDef&, const conf::NetworkPort&) override {}
    void portDetached(const conf::NetworkDef&, const conf::NetworkPort&) noexcept override {}
    void networkUpdated(const conf::NetworkDef&,
                        const std::vector<const conf::NetworkPort*>&) override
    {}
    std::string describe(const conf::NetworkDef& def) const override
    {
        std::size_t used = 0;
        for (const auto& iface : def.forward.interfaces) {
            used += iface.connections > 0 ? 1 : 0;
        }
        std::vector<std::string> pfs;
        for (const auto& pf : def.forward.pfs) {
            pfs.push_back(pf.dev);
        }
        return fmt::format("ready: SR-IOV pool{}{}, {} of {} virtual functions in use",
                           pfs.empty() ? "" : " of ", fmt::join(pfs, ", "), used,
                           def.forward.interfaces.size());
    }

private:
    Kernel& kernel_;
};

// Open vSwitch bridges: the desired state goes to an ovs::OvsSwitch, created on first use (a
// dvsd without OVS networks never connects to OVSDB).
class OvsBackend final : public NetworkBackend
{
public:
    explicit OvsBackend(OvsBackendOptions options) : options_(std::move(options)) {}

    void start(const conf::NetworkDef& def) override
    {
        auto& sw = ovs();
        auto generation = sw.setNetwork(ovs::bridgeSpecFor(def, options_.datapathType));
        try {
            sw.waitApplied(generation, options_.timeout);
        } catch (const Error& e) {
            sw.removeNetwork(def.name);
            raise(ErrorCode::OperationFailed, "network '{}' cannot start: {}", def.name,
                  e.message());
        }
    }

    // dvsd's restart: the desired state converges whenever OVSDB is reachable; no waiting.
    void resume(const conf::NetworkDef& def) override
    {
        ovs().setNetwork(ovs::bridgeSpecFor(def, options_.datapathType));
    }

    void stop(const conf::NetworkDef& def) noexcept override
    {
        std::erase_if(plugged_,
                      [&](const auto& entry) { return entry.second.network == def.name; });
        try {
            auto& sw = ovs();
            auto generation = sw.removeNetwork(def.name);
            if (sw.ready()) {
                sw.waitApplied(generation, options_.timeout);
            }
        } catch (const Error&) {
            // The teardown stays desired and is done once OVSDB is back.
        }
    }

    void portAttached(const conf::NetworkDef& def, const conf::NetworkPort& port) override
    {
        ovs().setPort(specFor(def, port));
    }

    void portDetached(const conf::NetworkDef&, const conf::NetworkPort& port) noexcept override
    {
        plugged_.erase(port.uuid);
        try {
            ovs().removePort(port.uuid);
        } catch (const Error&) {
            // No switch: nothing was programmed.
        }
    }

    void networkUpdated(const conf::NetworkDef& def,
                        const std::vector<const conf::NetworkPort*>& ports) override
    {
        std::vector<ovs::PortSpec> specs;
        for (const auto* port : ports) {
            specs.push_back(specFor(def, *port));
        }
        ovs().setNetworkAndPorts(ovs::bridgeSpecFor(def, options_.datapathType), std::move(specs));
    }

    std::string plugPort(const conf::NetworkDef& def, const conf::NetworkPort& port,
                         std::string_view ifname) override
    {
        if (ifname.empty()) {
            raise(ErrorCode::InvalidArg,
                  "plugging port {} into Open vSwitch network '{}' needs the name of an existing "
                  "host device",
                  port.uuid.toString(), def.name);
        }
        std::string name(ifname);
        if (if_nametoindex(name.c_str()) == 0) {
            raise(ErrorCode::DeviceMissing,
                  "cannot plug port {} of network '{}': device '{}' "
                  "does not exist",
                  port.uuid.toString(), def.name, name);
        }
        auto& sw = ovs();
        auto spec = ovs::portSpecFor(def, port);
        spec.plugIfname = name;
        auto generation = sw.setPort(spec);
        try {
            sw.waitApplied(generation, options_.timeout);
        } catch (const Error&) {
            sw.unplugPort(port.uuid);
            throw;
        }
        if (auto why = sw.conflict(port.uuid); !why.empty()) {
            sw.unplugPort(port.uuid);
            raise(ErrorCode::OperationFailed, "cannot plug port {} of network '{}': {}",
                  port.uuid.toString(), def.name, why);
        }
        plugged_[port.uuid] = {def.name, name};
        return name;
    }

    void plugRecovered(const conf::NetworkDef& def, const conf::NetworkPort& port,
                       std::string_view device) override
    {
        plugged_[port.uuid] = {def.name, std::string(device)};
    }

    void unplugPort(const conf::NetworkDef&, const conf::NetworkPort& port,
                    std::string_view) override
    {
        plugged_.erase(port.uuid);
        auto& sw = ovs();
        sw.waitApplied(sw.unplugPort(port.uuid), options_.timeout);
    }

    std::string describe(const conf::NetworkDef& def) const override
    {
        if (!switch_) {
            return fmt::format("unknown: OVS bridge '{}', not connected to Open vSwitch yet",
                               def.bridge.value_or(""));
        }
        auto state = switch_->networkState(def.name);
        bool ready = state.connection == "ready" && state.bridgePresent;
        std::string text =
            fmt::format("{}: OVS bridge '{}' {}, ports {} programmed, {} pending; ovsdb {} ({})",
                        ready ? "ready" : "degraded", def.bridge.value_or(""),
                        state.bridgePresent ? "present" : "missing", state.portsProgrammed,
                        state.portsPending, state.connection, switch_->remote());
        if (state.connection != "ready" && !state.lastError.empty()) {
            text += "; " + state.lastError;
        }
        return text;
    }

private:
    ovs::OvsSwitch& ovs()
    {
        if (!switch_) {
            ovs::OvsSwitchOptions options;
            options.remote = options_.remote;
            options.replicaCache = options_.replicaCache;
            options.notices = options_.notices;
            switch_ = std::make_unique<ovs::OvsSwitch>(options);
        }
        return *switch_;
    }

    // The port as the driver resolved it, with the device dvsd plugged it into, if any.
    ovs::PortSpec specFor(const conf::NetworkDef& def, const conf::NetworkPort& port) const
    {
        auto spec = ovs::portSpecFor(def, port);
        if (auto plug = plugged_.find(port.uuid); plug != plugged_.end()) {
            spec.plugIfname = plug->second.device;
        }
        return spec;
    }

    struct Plug
    {
        std::string network;
        std::string device;
    };

    OvsBackendOptions options_;
    std::unique_ptr<ovs::OvsSwitch> switch_;
    // The ports plugPort() plugged (or plugged before a restart), by port.
    std::map<util::Uuid, Plug> plugged_;
};

class HostBackends final : public Backends
{
public:
    HostBackends(const fs::path& runDir, std::string sysfsRoot, OvsBackendOptions ovs,
                 std::unique_ptr<NetworkBackend> virtualNetworks,
                 std::shared_ptr<DhcpLeaseStore> leases)
        : sysfsRoot_(std::move(sysfsRoot)), created_(runDir / "netlink" / "created-links"),
          direct_(kernel_, created_), hostdev_(kernel_), ovs_(std::move(ovs)),
          linuxBridge_(makeLinuxBridgeBackend()),
          virtual_(virtualNetworks ? std::move(virtualNetworks)
                                   : makeVirtualNetworksLeftToLibvirtd()),
          leases_(std::move(leases))
    {}

    NetworkBackend& backend(BackendKind kind) override
    {
        switch (kind) {
        case BackendKind::Direct:
            return direct_;
        case BackendKind::Hostdev:
            return hostdev_;
        case BackendKind::OvsBridge:
            return ovs_;
        case BackendKind::Virtual:
            return *virtual_;
        case BackendKind::LinuxBridge:
            break;
        }
        return *linuxBridge_;
    }
    std::vector<VirtualFunctionInfo> virtualFunctions(std::string_view pf) override
    {
        return sysfsVirtualFunctions(pf, sysfsRoot_);
    }
    bool isVirtualFunction(const conf::PciAddress& address) override
    {
        return sysfsIsVirtualFunction(address, sysfsRoot_);
    }
    DhcpLeaseStore* dhcpLeases() override { return leases_.get(); }
    bool linkExists(std::string_view name) override
    {
        try {
            return kernel_.get().findLink(name).has_value();
        } catch (const Error&) {
            std::string copy(name);
            return if_nametoindex(copy.c_str()) != 0;
        }
    }

private:
    std::string sysfsRoot_;
    Kernel kernel_;
    CreatedLinks created_;
    DirectBackend direct_;
    HostdevBackend hostdev_;
    OvsBackend ovs_;
    std::unique_ptr<NetworkBackend> linuxBridge_;
    std::unique_ptr<NetworkBackend> virtual_;
    std::shared_ptr<DhcpLeaseStore> leases_;
};

} // namespace

std::unique_ptr<Backends> makeHostBackends(fs::path runDir, std::string sysfsRoot,
                                           OvsBackendOptions ovs,
                                           std::unique_ptr<NetworkBackend> virtualNetworks,
                                           std::shared_ptr<DhcpLeaseStore> leases)
{
    if (ovs.replicaCache.empty()) {
        ovs.replicaCache = runDir / "ovsdb-replica.json";
    }
    return std::make_unique<HostBackends>(runDir, std::move(sysfsRoot), std::move(ovs),
                                          std::move(virtualNetworks), std::move(leases));
}

} // namespace dvs::driver
