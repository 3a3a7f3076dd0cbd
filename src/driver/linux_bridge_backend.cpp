// SPDX-License-Identifier: LGPL-2.1-or-later
#include "driver/linux_bridge_backend.h"

#include <fmt/format.h>

#include "driver/bridge_bandwidth.h"
#include "netlink/connection.h"
#include "util/error.h"

namespace dvs::driver {

namespace {

class LinuxBridgeBackend final : public NetworkBackend
{
public:
    void start(const conf::NetworkDef& def) override
    {
        const std::string bridge = def.bridge.value_or("");
        auto& nl = kernel();
        auto link = nl.findLink(bridge);
        if (!link) {
            raise(ErrorCode::DeviceMissing,
                  "network '{}' cannot start: its bridge '{}' does not exist", def.name, bridge);
        }
        if (link->kind != "bridge") {
            raise(ErrorCode::OperationFailed,
                  "network '{}' cannot start: '{}' is not a Linux bridge", def.name, bridge);
        }
        // networkStartNetworkBridge: the network's <bandwidth> on the bridge, then the MAC
        // table manager.
        setBridgeBandwidth(bridge, def.bandwidth);
        try {
            if (def.macTableManager == conf::MacTableManager::Libvirt) {
                nl.setBridgeVlanFiltering(bridge, true);
            }
        } catch (...) {
            if (!def.bandwidth.empty()) {
                clearBridgeBandwidth(bridge);
            }
            throw;
        }
    }

    // dvsd's restart: the same checks, nothing to undo.
    void resume(const conf::NetworkDef& def) override { start(def); }

    void stop(const conf::NetworkDef& def) noexcept override
    {
        if (!def.bandwidth.empty() && def.bridge) {
            clearBridgeBandwidth(*def.bridge);
        }
    }
    void portAttached(const conf::NetworkDef&, const conf::NetworkPort&) override {}
    void portDetached(const conf::NetworkDef&, const conf::NetworkPort&) noexcept override {}
    void networkUpdated(const conf::NetworkDef&,
                        const std::vector<const conf::NetworkPort*>&) override
    {}

    std::string describe(const conf::NetworkDef& def) const override
    {
        const std::string bridge = def.bridge.value_or("");
        try {
            auto& nl = const_cast<LinuxBridgeBackend*>(this)->kernel();
            auto link = nl.findLink(bridge);
            if (!link) {
                return fmt::format("degraded: host bridge '{}' missing", bridge);
            }
            std::string text =
                fmt::format("{}: host bridge '{}' {}", link->up ? "ready" : "degraded", bridge,
                            link->up ? "up" : "down");
            if (def.macTableManager == conf::MacTableManager::Libvirt && link->kind == "bridge") {
                text += nl.bridgeInfo(bridge).vlanFiltering ? "; MAC table managed by libvirt"
                                                            : "; VLAN filtering off";
            }
            return text;
        } catch (const Error& e) {
            return "unknown: " + e.fullMessage();
        }
    }

private:
    netlink::Connection& kernel()
    {
        if (!kernel_) {
            kernel_ = std::make_unique<netlink::Connection>();
        }
        return *kernel_;
    }

    std::unique_ptr<netlink::Connection> kernel_;
};

} // namespace

std::unique_ptr<NetworkBackend> makeLinuxBridgeBackend()
{
    return std::make_unique<LinuxBridgeBackend>();
}

} // namespace dvs::driver
