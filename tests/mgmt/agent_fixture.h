// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "driver/network_driver.h"
#include "mgmt/agent.h"
#include "mgmt/database.h"
#include "mgmt_fixture.h"
#include "ovs_sandbox.h"
#include "ovsdb/client.h"
#include "test_support.h"

namespace dvs::test {

namespace db = dvs::mgmt::db;

// The administrator's side, written directly with the generated accessors: switch rows, their
// generations and members, as dvsctl writes them.
class Admin
{
public:
    explicit Admin(std::vector<std::string> remotes);

    ovsdb::Client& client() { return client_; }
    const ovsdb::Replica& replica() const { return client_.replica(); }

    // Inserts the DVS_Global row, as dvsctl db-init does: the database's identity.
    void initialise();
    // Inserts the switch at generation 1 with that generation's full definition.
    void defineSwitch(const std::string& name, const std::string& networkUuid,
                      const std::string& generationXml);
    // Inserts generation N+1 with the definition and moves the switch to it; returns N+1.
    std::int64_t bumpGeneration(const std::string& name, const std::string& generationXml);
    void addMember(const std::string& switchName, const std::string& host,
                   const std::vector<std::string>& uplink);
    void removeMember(const std::string& switchName, const std::string& host);

    std::optional<db::MemberStatus::View> memberStatus(const std::string& host,
                                                       const std::string& switchName) const;
    std::optional<db::HostStatus::View> hostStatus(const std::string& host) const;

private:
    void transact(ovsdb::Client::Builder builder);

    ovsdb::Client client_;
};

// One host: a driver with recording backends on a private root, and its agent.
class Host
{
public:
    Host(std::string name, std::vector<std::string> remotes);
    ~Host();

    driver::NetworkDriver& driver() { return *driver_; }
    mgmt::HostAgent& agent() { return *agent_; }
    const std::string& name() const { return name_; }
    const TempDir& root() const { return root_; }

    // A dvsd restart: agent and driver go, then come back on the same root.
    void restart();
    // Lifecycle events the driver sent since the last restart.
    const std::vector<driver::LifecycleEvent>& events() const { return events_; }
    // Options used for the agent (tests adjust them before restart()).
    mgmt::AgentOptions& options() { return options_; }

private:
    void open();

    std::string name_;
    TempDir root_;
    mgmt::AgentOptions options_;
    std::unique_ptr<driver::NetworkDriver> driver_;
    std::unique_ptr<mgmt::HostAgent> agent_;
    std::vector<driver::LifecycleEvent> events_;
};

// A <network> of an Open vSwitch bridge with portgroups web (VLAN webVlan) and db (VLAN 20).
std::string switchXml(const std::string& name, unsigned webVlan = 10,
                      const std::string& uplink = "");

} // namespace dvs::test
