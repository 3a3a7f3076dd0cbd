// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conf/device_types.h"
#include "conf/network_def.h"
#include "conf/network_port.h"

namespace dvs::driver {

class DhcpLeaseStore;

// What starting a network asks of the host, decided by its forward mode (as in libvirt's
// networkStartNetwork).
enum class BackendKind
{
    // forward bridge with <bridge name=> and an openvswitch <virtualport>: an OVS bridge.
    OvsBridge,
    // forward bridge with <bridge name=> and no openvswitch virtualport: a host Linux bridge.
    LinuxBridge,
    // forward bridge without a bridge, private, vepa, passthrough: macvtap on pool devices.
    Direct,
    // forward hostdev: SR-IOV virtual functions given to guests.
    Hostdev,
    // none, nat, route, open: libvirt's own virtual networks, which dvsd does not start yet.
    Virtual,
};

// The explicit switch from a network's forward mode to its backend.
BackendKind backendKindFor(const conf::NetworkDef& def);

// The name `dvsctl status --json` gives a backend kind's dataplane: "ovs-bridge", "host-bridge",
// "macvtap-pool", "hostdev-pool", "libvirt-virtual".
std::string_view dataplaneKindName(BackendKind kind);

// Splits what describe() returned into its state and its words; a line without a known state
// is "unknown" as a whole.
std::pair<std::string, std::string> splitDescription(std::string_view description);

// One SR-IOV virtual function of a physical function.
struct VirtualFunctionInfo
{
    conf::PciAddress address;
    std::string netdev; // empty when no network driver is bound
};

// A forward-mode backend: what starting, stopping and attaching ports means on the host. Methods
// that can fail throw dvs::Error and leave the host as they found it.
class NetworkBackend
{
public:
    virtual ~NetworkBackend() = default;

    // Brings the network up on the host (bridge, uplink, pool checks).
    virtual void start(const conf::NetworkDef& def) = 0;
    // Brings a network that was active before dvsd restarted back in line, without waiting
    // for anything slow (e.g. an unreachable database): what cannot be done now converges
    // later. The default is start().
    virtual void resume(const conf::NetworkDef& def) { start(def); }
    // Takes down what start() created. Never fails: problems are left for the next start.
    virtual void stop(const conf::NetworkDef& def) noexcept = 0;
    // A port was allocated or reclaimed: program what the port needs (VLAN, QoS, ...).
    virtual void portAttached(const conf::NetworkDef& def, const conf::NetworkPort& port) = 0;
    // A port was released.
    virtual void portDetached(const conf::NetworkDef& def,
                              const conf::NetworkPort& port) noexcept = 0;
    // The live definition changed (net-update): bring every live port in line with it.
    virtual void networkUpdated(const conf::NetworkDef& def,
                                const std::vector<const conf::NetworkPort*>& ports) = 0;
    // Creates the guest-side device of a port on hosts where dvsd plugs ports itself (no libvirt
    // to do it): a macvtap device for a direct port. ifname may be empty (the kernel's next free
    // name). Returns the device's name. The default refuses with CONFIG_UNSUPPORTED.
    virtual std::string plugPort(const conf::NetworkDef& def, const conf::NetworkPort& port,
                                 std::string_view ifname);
    // Removes what plugPort() created.
    virtual void unplugPort(const conf::NetworkDef& def, const conf::NetworkPort& port,
                            std::string_view device);
    // dvsd's restart: plugPort() had plugged the port into device before. Called before the
    // port's portAttached(), so that what the backend converges to includes the device (an OVS
    // database wiped meanwhile gets the port back). The default does nothing.
    virtual void plugRecovered(const conf::NetworkDef& def, const conf::NetworkPort& port,
                               std::string_view device);

    // One line on the dataplane of this active network, for `dvsctl status`: "STATE: WORDS",
    // where STATE is "ready", "degraded" (running, but something it needs is missing or down)
    // or "unknown" (cannot be told), and WORDS say what the dataplane is for an administrator
    // (an OVS bridge and its ports, a host bridge, a pool and its links).
    virtual std::string describe(const conf::NetworkDef& def) const = 0;
};

// The host facilities the driver needs: the backends, and the device facts libvirt reads from
// the host (sysfs, the kernel's link table).
class Backends
{
public:
    virtual ~Backends() = default;

    virtual NetworkBackend& backend(BackendKind kind) = 0;
    // The virtual functions of an SR-IOV physical function, in virtfn order. Throws Error when
    // the device has none or cannot be read.
    virtual std::vector<VirtualFunctionInfo> virtualFunctions(std::string_view pf) = 0;
    // Whether the PCI device is an SR-IOV virtual function (libvirt checks hostdev pools).
    virtual bool isVirtualFunction(const conf::PciAddress& address) = 0;
    // Whether a network device of this name exists on the host.
    virtual bool linkExists(std::string_view name) = 0;
    // The DHCP leases dnsmasq handed out on virtual networks; null where no dnsmasq runs.
    virtual DhcpLeaseStore* dhcpLeases() { return nullptr; }
};

// The SR-IOV facts libvirt reads from sysfs (under sysfsRoot): the virtual functions of a
// physical function, in virtfn order (Error when it has none or cannot be read), and whether a
// PCI device is a virtual function.
std::vector<VirtualFunctionInfo> sysfsVirtualFunctions(std::string_view pf,
                                                       const std::string& sysfsRoot);
bool sysfsIsVirtualFunction(const conf::PciAddress& address, const std::string& sysfsRoot);

// Backends that record the desired state only: nothing on the host is changed, and describe()
// says so. For tests of the driver's own semantics; dvsd never uses them. Device facts come from
// the sysfs tree under sysfsRoot.
std::unique_ptr<Backends> makeRecordingBackends(std::string sysfsRoot = "/sys");

} // namespace dvs::driver
