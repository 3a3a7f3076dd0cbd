// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "driver/backend.h"
#include "util/notice.h"

namespace dvs::driver {

// Backends that act on the host. Direct-mode (macvtap) and hostdev networks go through the kernel
// by rtnetlink: on start every pool device must exist (a missing one fails the start, named), a
// Linux bond uplink of the dvs: extension is created from its member interfaces (and removed on
// destroy, only when dvsd created it), and the network's status reports the link state of its
// uplink and pool devices. OVS-backed networks are programmed into Open vSwitch through an
// ovs::OvsSwitch (src/ovs): bridge, uplink, MTU on start; VLAN, QoS and policing of every port
// once its Interface appears; dvsd's own Port/Interface rows for plugPort().
//
// runDir holds the record of the devices dvsd created (so a restarted dvsd still knows which it
// may remove); sysfsRoot is where SR-IOV virtual functions are read.

// How OVS-backed networks reach Open vSwitch ([ovs] in dvsd.conf).
struct OvsBackendOptions
{
    // The database: "unix:PATH" or "tcp:IP:PORT".
    std::string remote = "unix:/run/openvswitch/db.sock";
    // Bridge.datapath_type of the bridges dvsd creates: "system" or "netdev".
    std::string datapathType = "system";
    // How long a net-start waits for its bridge (and port-plug for its port) in OVSDB.
    std::chrono::milliseconds timeout{10000};
    // Where the OVSDB replica is kept across restarts (used on a clustered database); empty:
    // makeHostBackends puts it in runDir.
    std::filesystem::path replicaCache{};
    // What the OVS programming recovered from (ovs::OvsSwitchOptions::notices).
    util::NoticeSink notices{};
};

// virtualNetworks runs libvirt's virtual networks (makeVirtualNetworkBackend); null: they are
// left to libvirtd (hook mode) and refused at start. leases: where their dnsmasq's leases are
// kept.
std::unique_ptr<Backends>
makeHostBackends(std::filesystem::path runDir, std::string sysfsRoot, OvsBackendOptions ovs = {},
                 std::unique_ptr<NetworkBackend> virtualNetworks = nullptr,
                 std::shared_ptr<DhcpLeaseStore> leases = nullptr);

} // namespace dvs::driver
