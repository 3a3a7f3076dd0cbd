// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <string>
#include <thread>

#include "conf/network_def.h"
#include "conf/network_port.h"
#include "ovs/desired_state.h"
#include "ovs/ovs_switch.h"
#include "ovs_sandbox.h"
#include "test_support.h"

namespace dvs::test {

// An OVS network as libvirt defines it, with optional extra elements (portgroups, mtu, dvs:).
inline conf::NetworkDef ovsNetwork(const std::string& name, const std::string& bridge,
                                   const std::string& extra = "", const std::string& metadata = "")
{
    std::string xml = "<network><name>" + name + "</name>";
    if (!metadata.empty()) {
        xml += "<metadata><dvs:network xmlns:dvs='https://libvirt-dvs.org/xmlns/network/1.0' "
               "role='vm'>" +
               metadata + "</dvs:network></metadata>";
    }
    xml += "<forward mode='bridge'/><bridge name='" + bridge +
           "'/><virtualport type='openvswitch'/>" + extra + "</network>";
    return conf::NetworkDef::parseString(xml);
}

// A port as the driver resolved it: an interfaceid, a MAC and an owner.
inline conf::NetworkPort ovsPort(int n, const std::string& group = "")
{
    conf::NetworkPort port;
    port.uuid = util::Uuid::generate();
    port.ownerName = "vm" + std::to_string(n);
    port.ownerUuid = util::Uuid::generate();
    port.group = group;
    port.mac = *util::MacAddr::parse(fmt::format("52:54:00:00:{:02x}:{:02x}", n / 256, n % 256));
    conf::VirtualPort vport;
    vport.type = conf::VirtualPortType::OpenVSwitch;
    vport.interfaceId = util::Uuid::generate();
    port.virtualPort = vport;
    port.plug.type = conf::PlugType::Bridge;
    return port;
}

inline conf::Vlan accessVlan(unsigned tag)
{
    conf::Vlan vlan;
    vlan.tags = {tag};
    return vlan;
}

// Polls pred every 10 ms until it holds or the deadline passes.
template <typename Pred>
bool pollUntil(Pred pred, std::chrono::milliseconds deadline = std::chrono::seconds(15))
{
    auto until = std::chrono::steady_clock::now() + deadline;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > until) {
            return pred();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

// ovs-vsctl's value of a column, or "" when the record does not exist.
inline std::string vsctlGet(const OvsSandbox& ovs, const std::string& table,
                            const std::string& record, const std::string& column)
{
    return ovs.vsctl({"--if-exists", "get", table, record, column});
}

// The same with the quotes of a string value taken off.
inline std::string get(const OvsSandbox& ovs, const std::string& table, const std::string& record,
                       const std::string& column)
{
    std::string text = vsctlGet(ovs, table, record, column);
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
        return text.substr(1, text.size() - 2);
    }
    return text;
}

inline std::string rowCount(const OvsSandbox& ovs, const std::string& table)
{
    auto out = ovs.vsctl({"--columns=_uuid", "--format=csv", "--no-headings", "list", table});
    return std::to_string(out.empty() ? 0 : std::count(out.begin(), out.end(), '\n') + 1);
}

inline ovs::OvsSwitchOptions switchOptions(const OvsSandbox& ovs)
{
    ovs::OvsSwitchOptions options;
    options.remote = ovs.unixRemote();
    options.backoffMin = std::chrono::milliseconds(20);
    options.backoffMax = std::chrono::milliseconds(200);
    return options;
}

constexpr std::chrono::milliseconds kWait{15000};

// A veth pair on the host, removed at the end; nullopt when the kernel will not make one.
class Veth
{
public:
    explicit Veth(const OvsSandbox& ovs, std::string name) : ovs_(ovs), name_(std::move(name))
    {
        try {
            ovs_.run({"ip", "link", "add", name_, "type", "veth", "peer", "name", name_ + "p"});
            ovs_.run({"ip", "link", "set", name_, "up"});
            ok_ = true;
        } catch (const std::exception&) {
            ok_ = false;
        }
    }
    ~Veth()
    {
        if (ok_) {
            try {
                ovs_.run({"ip", "link", "del", name_});
            } catch (const std::exception&) {
            }
        }
    }
    bool ok() const { return ok_; }

private:
    const OvsSandbox& ovs_;
    std::string name_;
    bool ok_ = false;
};

} // namespace dvs::test
