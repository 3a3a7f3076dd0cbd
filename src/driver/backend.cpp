// SPDX-License-Identifier: LGPL-2.1-or-later
#include "driver/backend.h"

#include <filesystem>
#include <net/if.h>

#include <fmt/format.h>

#include "driver/virtual_backend.h"
#include "netlink/sriov.h"
#include "util/error.h"

namespace dvs::driver {

BackendKind backendKindFor(const conf::NetworkDef& def)
{
    switch (def.forward.mode) {
    case conf::ForwardMode::None:
    case conf::ForwardMode::Nat:
    case conf::ForwardMode::Route:
    case conf::ForwardMode::Open:
        return BackendKind::Virtual;
    case conf::ForwardMode::Bridge:
        if (def.bridge) {
            bool ovs =
                def.virtualPort && def.virtualPort->type == conf::VirtualPortType::OpenVSwitch;
            return ovs ? BackendKind::OvsBridge : BackendKind::LinuxBridge;
        }
        return BackendKind::Direct;
    case conf::ForwardMode::Private:
    case conf::ForwardMode::Vepa:
    case conf::ForwardMode::Passthrough:
        return BackendKind::Direct;
    case conf::ForwardMode::Hostdev:
        return BackendKind::Hostdev;
    case conf::ForwardMode::Last:
        break;
    }
    throw Error(ErrorCode::InternalError, "unexpected forward mode");
}

std::string_view dataplaneKindName(BackendKind kind)
{
    switch (kind) {
    case BackendKind::OvsBridge:
        return "ovs-bridge";
    case BackendKind::LinuxBridge:
        return "host-bridge";
    case BackendKind::Direct:
        return "macvtap-pool";
    case BackendKind::Hostdev:
        return "hostdev-pool";
    case BackendKind::Virtual:
        break;
    }
    return "libvirt-virtual";
}

std::pair<std::string, std::string> splitDescription(std::string_view description)
{
    for (std::string_view state : {"ready", "degraded", "unknown"}) {
        if (description.starts_with(state) && description.substr(state.size()).starts_with(": ")) {
            return {std::string(state), std::string(description.substr(state.size() + 2))};
        }
    }
    return {"unknown", std::string(description)};
}

std::string NetworkBackend::plugPort(const conf::NetworkDef& def, const conf::NetworkPort&,
                                     std::string_view)
{
    raise(ErrorCode::ConfigUnsupported,
          "dvsd cannot plug ports of network '{}' itself: its '{}' ports are plugged by libvirt",
          def.name, util::toString(def.forward.mode));
}

void NetworkBackend::unplugPort(const conf::NetworkDef& def, const conf::NetworkPort&,
                                std::string_view)
{
    raise(ErrorCode::ConfigUnsupported, "dvsd did not plug ports of network '{}'", def.name);
}

void NetworkBackend::plugRecovered(const conf::NetworkDef&, const conf::NetworkPort&,
                                   std::string_view)
{}

namespace {

// Records what the network wants; touches nothing on the host.
class RecordingBackend final : public NetworkBackend
{
public:
    explicit RecordingBackend(std::string what) : what_(std::move(what)) {}

    void start(const conf::NetworkDef&) override {}
    void stop(const conf::NetworkDef&) noexcept override {}
    void portAttached(const conf::NetworkDef&, const conf::NetworkPort&) override {}
    void portDetached(const conf::NetworkDef&, const conf::NetworkPort&) noexcept override {}
    void networkUpdated(const conf::NetworkDef&,
                        const std::vector<const conf::NetworkPort*>&) override
    {}
    std::string describe(const conf::NetworkDef&) const override
    {
        return fmt::format("unknown: desired state recorded; {} programming is not connected",
                           what_);
    }

private:
    std::string what_;
};

class RecordingBackends final : public Backends
{
public:
    explicit RecordingBackends(std::string sysfsRoot)
        : sysfsRoot_(std::move(sysfsRoot)), ovs_("OVS"), linuxBridge_("Linux bridge"),
          direct_("macvtap"), hostdev_("SR-IOV"), virtual_(makeVirtualNetworksLeftToLibvirtd())
    {}

    NetworkBackend& backend(BackendKind kind) override
    {
        switch (kind) {
        case BackendKind::OvsBridge:
            return ovs_;
        case BackendKind::LinuxBridge:
            return linuxBridge_;
        case BackendKind::Direct:
            return direct_;
        case BackendKind::Hostdev:
            return hostdev_;
        case BackendKind::Virtual:
            return *virtual_;
        }
        throw Error(ErrorCode::InternalError, "no backend for this forward mode");
    }

    std::vector<VirtualFunctionInfo> virtualFunctions(std::string_view pf) override
    {
        return sysfsVirtualFunctions(pf, sysfsRoot_);
    }

    bool isVirtualFunction(const conf::PciAddress& address) override
    {
        return sysfsIsVirtualFunction(address, sysfsRoot_);
    }

    bool linkExists(std::string_view name) override
    {
        std::string copy(name);
        return if_nametoindex(copy.c_str()) != 0;
    }

private:
    std::string sysfsRoot_;
    RecordingBackend ovs_;
    RecordingBackend linuxBridge_;
    RecordingBackend direct_;
    RecordingBackend hostdev_;
    // Virtual networks are refused: a test of the driver runs no bridge or dnsmasq.
    std::unique_ptr<NetworkBackend> virtual_;
};

} // namespace

std::vector<VirtualFunctionInfo> sysfsVirtualFunctions(std::string_view pf,
                                                       const std::string& sysfsRoot)
{
    std::vector<VirtualFunctionInfo> out;
    for (const auto& vf : netlink::listVirtualFunctions(pf, sysfsRoot)) {
        conf::PciAddress address{vf.address.domain, vf.address.bus, vf.address.slot,
                                 vf.address.function};
        out.push_back({address, vf.netdev});
    }
    return out;
}

bool sysfsIsVirtualFunction(const conf::PciAddress& address, const std::string& sysfsRoot)
{
    std::error_code ec;
    return std::filesystem::exists(
        std::filesystem::path(sysfsRoot) / "bus/pci/devices" / address.toString() / "physfn", ec);
}

std::unique_ptr<Backends> makeRecordingBackends(std::string sysfsRoot)
{
    return std::make_unique<RecordingBackends>(std::move(sysfsRoot));
}

} // namespace dvs::driver
