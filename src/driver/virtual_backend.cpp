// SPDX-License-Identifier: LGPL-2.1-or-later
#include "driver/virtual_backend.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "driver/bridge_bandwidth.h"
#include "firewall/firewall.h"
#include "netlink/connection.h"
#include "util/error.h"
#include "util/file.h"

namespace fs = std::filesystem;

namespace dvs::driver {

namespace {

// Writes a sysctl under procRoot/sys. missingOk: a file the kernel does not have (IPv6 off) is
// no error.
void writeSysctl(const fs::path& procRoot, const std::string& key, const std::string& value,
                 bool missingOk, const std::string& what)
{
    fs::path path = procRoot / "sys" / key;
    std::ofstream out(path);
    if (!out) {
        if (missingOk && errno == ENOENT) {
            return;
        }
        raise(ErrorCode::SystemError, "{}: cannot open '{}': {}", what, path.string(),
              std::strerror(errno));
    }
    out << value << "\n";
    out.flush();
    if (!out) {
        raise(ErrorCode::SystemError, "{}: cannot write '{}': {}", what, path.string(),
              std::strerror(errno));
    }
}

// libvirt's networkCheckRouteCollision: a subnet of the network that the host already routes
// (an interface of the host has it) is refused, naming that interface.
void checkRouteCollision(const conf::NetworkDef& def, const fs::path& procRoot)
{
    std::string table;
    try {
        table = util::readFile(procRoot / "net" / "route", 128 * 100000);
    } catch (const Error&) {
        return; // libvirt ignores an unreadable table
    }
    if (table.rfind("Iface", 0) != 0) {
        return;
    }
    std::istringstream in(table);
    std::string line;
    std::getline(in, line); // headings
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string iface, dest, gateway, flags, refcnt, use, metric, mask;
        if (!(fields >> iface >> dest >> gateway >> flags >> refcnt >> use >> metric >> mask)) {
            continue;
        }
        std::uint32_t destVal = 0;
        std::uint32_t maskVal = 0;
        try {
            destVal = static_cast<std::uint32_t>(std::stoul(dest, nullptr, 16));
            maskVal = static_cast<std::uint32_t>(std::stoul(mask, nullptr, 16));
        } catch (const std::exception&) {
            continue;
        }
        destVal &= maskVal;
        for (const auto& ip : def.ips) {
            if (!ip.address.isFamily(AF_INET)) {
                continue;
            }
            int prefix = ip.effectivePrefix();
            if (prefix < 0) {
                continue;
            }
            auto netmask =
                util::SocketAddr::prefixToNetmask(static_cast<unsigned>(prefix), AF_INET);
            if (!netmask) {
                continue;
            }
            in_addr addr{};
            in_addr nm{};
            if (inet_pton(AF_INET, ip.address.toString().c_str(), &addr) != 1 ||
                inet_pton(AF_INET, netmask->toString().c_str(), &nm) != 1) {
                continue;
            }
            if ((addr.s_addr & nm.s_addr) == destVal && nm.s_addr == maskVal) {
                raise(ErrorCode::InternalError, "Network is already in use by interface {}", iface);
            }
        }
    }
}

bool hasFamily(const conf::NetworkDef& def, int family)
{
    return def.ipByIndex(family, 0) != nullptr;
}

class VirtualNetworkBackend final : public NetworkBackend
{
public:
    explicit VirtualNetworkBackend(VirtualNetworkOptions options)
        : options_(std::move(options)), firewall_(options_.firewallTable)
    {
        loadRecord();
    }

    void start(const conf::NetworkDef& def) override { bringUp(def, false); }
    void resume(const conf::NetworkDef& def) override { bringUp(def, true); }

    void stop(const conf::NetworkDef& def) noexcept override
    {
        if (options_.dnsmasq) {
            options_.dnsmasq->stop(def);
        }
        try {
            if (def.bridge) {
                auto& nl = kernel();
                if (nl.findLink(*def.bridge)) {
                    nl.setUp(*def.bridge, false);
                    nl.removeBridge(*def.bridge);
                }
            }
        } catch (const Error&) {
            // Left for the next start, which refuses with the kernel's reason.
        }
        active_.erase(def.name);
        try {
            syncFirewall();
        } catch (const Error&) {
            // The next start or stop writes the table again.
        }
    }

    void portAttached(const conf::NetworkDef&, const conf::NetworkPort&) override {}
    void portDetached(const conf::NetworkDef&, const conf::NetworkPort&) noexcept override {}

    void networkUpdated(const conf::NetworkDef& def,
                        const std::vector<const conf::NetworkPort*>&) override
    {
        auto it = active_.find(def.name);
        if (it == active_.end()) {
            return;
        }
        it->second = def;
        if (!firewall_.matches(defs())) {
            syncFirewall();
        }
        if (options_.dnsmasq) {
            options_.dnsmasq->update(def);
        }
    }

    std::string describe(const conf::NetworkDef& def) const override
    {
        std::vector<std::string> parts;
        bool ready = true;
        try {
            auto link = const_cast<VirtualNetworkBackend*>(this)->kernel().findLink(
                def.bridge.value_or(""));
            if (!link) {
                ready = false;
                parts.push_back(fmt::format("bridge '{}' missing", def.bridge.value_or("")));
            } else {
                ready = ready && link->up;
                parts.push_back(
                    fmt::format("bridge '{}' {}", *def.bridge, link->up ? "up" : "down"));
            }
        } catch (const Error& e) {
            ready = false;
            parts.push_back(e.fullMessage());
        }
        if (firewall::needsFirewall(def)) {
            parts.push_back(fmt::format("firewall table inet {}", firewall_.table()));
        }
        if (options_.dnsmasq) {
            auto dnsmasq = options_.dnsmasq->describe(def);
            if (!dnsmasq.empty()) {
                ready = ready && dnsmasq.find("not running") == std::string::npos;
                parts.push_back(dnsmasq);
            }
        }
        return fmt::format("{}: {}", ready ? "ready" : "degraded", fmt::join(parts, "; "));
    }

private:
    netlink::Connection& kernel()
    {
        if (!kernel_) {
            kernel_ = std::make_unique<netlink::Connection>();
        }
        return *kernel_;
    }

    std::vector<const conf::NetworkDef*> defs() const
    {
        std::vector<const conf::NetworkDef*> out;
        for (const auto& [name, def] : active_) {
            out.push_back(&def);
        }
        return out;
    }

    void loadRecord()
    {
        if (options_.firewallRecord.empty()) {
            return;
        }
        std::error_code ec;
        if (!fs::exists(options_.firewallRecord, ec)) {
            return;
        }
        try {
            std::istringstream in(util::readFile(options_.firewallRecord));
            for (std::string line; std::getline(in, line);) {
                if (!line.empty()) {
                    recorded_.insert(line);
                }
            }
        } catch (const Error&) {
            recorded_.clear();
        }
    }

    // Writes the table for the active networks (when it differs) and records which they are.
    void syncFirewall()
    {
        auto networks = defs();
        if (!firewall_.matches(networks)) {
            firewall_.apply(networks);
        }
        recorded_.clear();
        std::string text;
        for (const auto& [name, def] : active_) {
            if (firewall::needsFirewall(def)) {
                recorded_.insert(name);
                text += name + "\n";
            }
        }
        if (!options_.firewallRecord.empty()) {
            fs::create_directories(options_.firewallRecord.parent_path());
            util::writeFileAtomic(options_.firewallRecord, text);
        }
    }

    // On resume: the table still holds the rules of the networks recorded before the restart;
    // replace it only once all of them are back (or when it is gone), so no guest loses its
    // rules meanwhile.
    void resumeFirewall()
    {
        for (const auto& name : recorded_) {
            if (active_.count(name) == 0 && firewall_.present()) {
                return;
            }
        }
        syncFirewall();
    }

    void bringUp(const conf::NetworkDef& def, bool adopt)
    {
        if (!def.bridge || def.bridge->empty()) {
            raise(ErrorCode::InternalError, "network '{}' has no bridge name", def.name);
        }
        const std::string& br = *def.bridge;
        auto& nl = kernel();
        auto existing = nl.findLink(br);
        if (!adopt || !existing) {
            checkRouteCollision(def, options_.procRoot);
        }
        bool created = false;
        bool inFirewall = false;
        try {
            if (!existing || !adopt) {
                netlink::BridgeConfig config;
                config.name = br;
                config.mac = def.mac;
                config.stp = def.stp;
                config.forwardDelay = def.delay;
                config.mtu = def.mtu;
                nl.createBridge(config);
                created = true;
            } else if (existing->kind != "bridge") {
                raise(ErrorCode::OperationFailed,
                      "network '{}' cannot be resumed: device '{}' is not a bridge", def.name, br);
            }
            setIpv6Sysctls(def);
            active_[def.name] = def;
            inFirewall = true;
            if (adopt && !created) {
                resumeFirewall();
            } else {
                syncFirewall();
            }
            for (const auto& ip : def.ips) {
                int prefix = ip.effectivePrefix();
                if (prefix < 0) {
                    raise(ErrorCode::InternalError,
                          "bridge '{}' has an invalid netmask or IP address", br);
                }
                nl.addAddress(br, ip.address.family(), ip.address.toString(),
                              static_cast<unsigned>(prefix));
            }
            nl.setUp(br, true);
            addRoutes(def);
            enableForwarding(def);
            if (options_.dnsmasq) {
                options_.dnsmasq->start(def, adopt);
            }
            // The network's <bandwidth> on its bridge (kept as it is on a bridge adopted).
            if (created) {
                setBridgeBandwidth(br, def.bandwidth);
            }
        } catch (...) {
            if (options_.dnsmasq && !adopt) {
                options_.dnsmasq->stop(def);
            }
            if (inFirewall) {
                active_.erase(def.name);
                try {
                    syncFirewall();
                } catch (const Error&) {
                    // The first error is the one to report.
                }
            }
            if (created) {
                try {
                    nl.setUp(br, false);
                    nl.removeBridge(br);
                } catch (const Error&) {
                    // Same.
                }
            }
            throw;
        }
    }

    // The network's static <route>s through the bridge. libvirt ignores a route the kernel
    // refuses (the network starts anyway), and so does dvsd.
    void addRoutes(const conf::NetworkDef& def)
    {
        for (const auto& route : def.routes) {
            if (!route.gateway.valid()) {
                continue;
            }
            int prefix =
                util::SocketAddr::ipPrefix(route.address, route.netmask,
                                           route.hasPrefix ? static_cast<int>(route.prefix) : -1);
            if (prefix < 0) {
                continue;
            }
            auto destination = route.address.maskByPrefix(static_cast<unsigned>(prefix));
            if (!destination) {
                continue;
            }
            try {
                kernel().addRoute(*def.bridge, route.address.family(), destination->toString(),
                                  static_cast<unsigned>(prefix), route.gateway.toString(),
                                  route.hasMetric ? route.metric : 0);
            } catch (const Error&) {
                // As libvirt: the network runs without it.
            }
        }
    }

    // libvirt's networkSetIPv6Sysctls.
    void setIpv6Sysctls(const conf::NetworkDef& def)
    {
        const std::string base = "net/ipv6/conf/" + *def.bridge + "/";
        const std::string what =
            fmt::format("cannot set the IPv6 settings of bridge '{}'", *def.bridge);
        if (!hasFamily(def, AF_INET6) && !def.ipv6NoGateway) {
            writeSysctl(options_.procRoot, base + "disable_ipv6", "1", true, what);
            return;
        }
        writeSysctl(options_.procRoot, base + "disable_ipv6", "0", true, what);
        writeSysctl(options_.procRoot, base + "accept_ra", "0", true, what);
        writeSysctl(options_.procRoot, base + "autoconf", "0", true, what);
    }

    // libvirt's networkEnableIPForwarding, for nat and route networks.
    void enableForwarding(const conf::NetworkDef& def)
    {
        if (def.forward.mode != conf::ForwardMode::Nat &&
            def.forward.mode != conf::ForwardMode::Route) {
            return;
        }
        if (hasFamily(def, AF_INET)) {
            writeSysctl(options_.procRoot, "net/ipv4/ip_forward", "1", false,
                        "enabling IP forwarding failed");
        }
        if (hasFamily(def, AF_INET6)) {
            writeSysctl(options_.procRoot, "net/ipv6/conf/all/forwarding", "1", false,
                        "enabling IP forwarding failed");
        }
    }

    VirtualNetworkOptions options_;
    firewall::Firewall firewall_;
    std::unique_ptr<netlink::Connection> kernel_;
    // The running networks' live definitions, by name.
    std::map<std::string, conf::NetworkDef> active_;
    // The networks whose rules the table held when dvsd last wrote it.
    std::set<std::string> recorded_;
};

class LeftToLibvirtd final : public NetworkBackend
{
public:
    void start(const conf::NetworkDef& def) override
    {
        raise(ErrorCode::ConfigUnsupported,
              "network '{}' uses forward mode '{}': in hook mode, libvirt's virtual networks are "
              "run by libvirtd, not dvsd",
              def.name, util::toString(def.forward.mode));
    }
    void resume(const conf::NetworkDef&) override {}
    void stop(const conf::NetworkDef&) noexcept override {}
    void portAttached(const conf::NetworkDef&, const conf::NetworkPort&) override {}
    void portDetached(const conf::NetworkDef&, const conf::NetworkPort&) noexcept override {}
    void networkUpdated(const conf::NetworkDef&,
                        const std::vector<const conf::NetworkPort*>&) override
    {}
    std::string describe(const conf::NetworkDef&) const override
    {
        return "unknown: run by libvirtd in hook mode";
    }
};

} // namespace

std::unique_ptr<NetworkBackend> makeVirtualNetworkBackend(VirtualNetworkOptions options)
{
    return std::make_unique<VirtualNetworkBackend>(std::move(options));
}

std::unique_ptr<NetworkBackend> makeVirtualNetworksLeftToLibvirtd()
{
    return std::make_unique<LeftToLibvirtd>();
}

} // namespace dvs::driver
