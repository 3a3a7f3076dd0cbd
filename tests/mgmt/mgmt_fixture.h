// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <memory>
#include <string>

#include "mgmt/database.h"
#include "mgmt/session.h"
#include "mgmt/switches.h"
#include "ovs_sandbox.h"
#include "test_support.h"

namespace dvs::test {

inline OvsSandboxOptions dvsSandboxOptions(bool clustered = false)
{
    OvsSandboxOptions options;
    options.schema = mgmt::schemaPath();
    options.init = false;
    options.clustered = clustered;
    options.clusterSize = clustered ? 3 : 1;
    return options;
}

inline std::unique_ptr<mgmt::Session> adminSession(const std::string& remote,
                                                   std::vector<std::string_view> tables = {})
{
    mgmt::SessionOptions options;
    options.remotes = {remote};
    options.tables = tables.empty() ? mgmt::adminTables() : std::move(tables);
    return std::make_unique<mgmt::Session>(std::move(options));
}

// A switch on an OVS bridge with an ovs-bond uplink (no interface names) and portgroups web
// (VLAN 10) and db (VLAN 20).
inline const char* const kSwitchXml = R"(<network>
  <name>sw</name>
  <forward mode='bridge'/>
  <bridge name='br-sw'/>
  <virtualport type='openvswitch'/>
  <portgroup name='web'><vlan><tag id='10'/></vlan></portgroup>
  <portgroup name='db'><vlan><tag id='20'/></vlan></portgroup>
  <metadata>
    <dvs:network xmlns:dvs='https://libvirt-dvs.org/xmlns/network/1.0'>
      <dvs:uplink type='ovs-bond' name='bond0' mode='balance-slb'/>
    </dvs:network>
  </metadata>
</network>
)";

} // namespace dvs::test
