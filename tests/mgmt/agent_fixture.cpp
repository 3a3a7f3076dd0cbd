// SPDX-License-Identifier: LGPL-2.1-or-later
#include "agent_fixture.h"

#include <stdexcept>

#include <fmt/format.h>

namespace dvs::test {

namespace {

ovsdb::ClientOptions adminOptions(std::vector<std::string> remotes)
{
    auto options = mgmt::clientOptions(
        std::move(remotes), {db::Switch::kTable, db::SwitchGeneration::kTable, db::Member::kTable,
                             db::MemberStatus::kTable, db::HostStatus::kTable});
    options.connection.backoffMin = std::chrono::milliseconds(20);
    options.connection.backoffMax = std::chrono::milliseconds(200);
    return options;
}

} // namespace

Admin::Admin(std::vector<std::string> remotes) : client_(nullptr, adminOptions(std::move(remotes)))
{
    client_.start();
    if (!runUntil([&] { return client_.state() == ovsdb::ClientState::Ready; })) {
        throw std::runtime_error("the administrator's client did not connect");
    }
}

void Admin::transact(ovsdb::Client::Builder builder)
{
    std::optional<ovsdb::Result<ovsdb::TxnResult>> result;
    client_.transact("test admin", std::move(builder),
                     [&](ovsdb::Result<ovsdb::TxnResult> r) { result = std::move(r); });
    if (!runUntil([&] { return result.has_value(); })) {
        throw std::runtime_error("an administrator's transaction did not complete");
    }
    if (!result->ok()) {
        throw std::runtime_error("an administrator's transaction failed: " +
                                 result->error().fullMessage());
    }
}

void Admin::initialise()
{
    transact([&](ovsdb::Transaction& txn) { txn.insert(db::DVSGlobal::Values()); });
}

void Admin::defineSwitch(const std::string& name, const std::string& networkUuid,
                         const std::string& generationXml)
{
    transact([&](ovsdb::Transaction& txn) {
        auto sw = txn.insert(db::Switch::Values()
                                 .setName(name)
                                 .setNetworkUuid(networkUuid)
                                 .setDefinition(generationXml)
                                 .setGeneration(1));
        txn.insert(db::SwitchGeneration::Values()
                       .setSwitch(sw)
                       .setGeneration(1)
                       .setDefinition(generationXml)
                       .setChange("define"));
    });
}

std::int64_t Admin::bumpGeneration(const std::string& name, const std::string& generationXml)
{
    std::int64_t next = 0;
    transact([&](ovsdb::Transaction& txn) {
        auto sw = db::Switch::findByName(txn.replica(), name);
        if (!sw) {
            throw std::runtime_error("no switch " + name);
        }
        txn.verify(db::Switch::kTable, sw->uuid(), {db::Switch::Col::kGeneration});
        next = sw->generation() + 1;
        txn.insert(db::SwitchGeneration::Values()
                       .setSwitch(sw->uuid())
                       .setGeneration(next)
                       .setDefinition(generationXml)
                       .setChange("update"));
        txn.update(sw->uuid(), db::Switch::Values().setGeneration(next));
    });
    return next;
}

void Admin::addMember(const std::string& switchName, const std::string& host,
                      const std::vector<std::string>& uplink)
{
    transact([&](ovsdb::Transaction& txn) {
        auto sw = db::Switch::findByName(txn.replica(), switchName);
        if (!sw) {
            throw std::runtime_error("no switch " + switchName);
        }
        txn.insert(db::Member::Values().setSwitch(sw->uuid()).setHost(host).setUplink(uplink));
    });
}

void Admin::removeMember(const std::string& switchName, const std::string& host)
{
    transact([&](ovsdb::Transaction& txn) {
        auto sw = db::Switch::findByName(txn.replica(), switchName);
        for (const auto& member : db::Member::all(txn.replica())) {
            if (sw && member.switchColumn() == sw->uuid() && member.host() == host) {
                txn.remove(db::Member::kTable, member.uuid());
            }
        }
    });
}

std::optional<db::MemberStatus::View> Admin::memberStatus(const std::string& host,
                                                          const std::string& switchName) const
{
    for (const auto& row : db::MemberStatus::all(replica())) {
        if (row.host() == host && row.switchColumn() == switchName) {
            return row;
        }
    }
    return std::nullopt;
}

std::optional<db::HostStatus::View> Admin::hostStatus(const std::string& host) const
{
    return db::HostStatus::findByName(replica(), host);
}

Host::Host(std::string name, std::vector<std::string> remotes) : name_(std::move(name))
{
    options_.remotes = std::move(remotes);
    options_.host = name_;
    options_.backoffMin = std::chrono::milliseconds(20);
    options_.backoffMax = std::chrono::milliseconds(200);
    options_.retryInterval = std::chrono::milliseconds(100);
    options_.heartbeatInterval = std::chrono::milliseconds(0);
    options_.sysfsRoot = root_.path() / "sys";
    options_.checkUplinks = false;
    options_.stateDir = root_.path() / "var/lib/dvs/mgmt";
    options_.agentVersion = "test";
    open();
}

Host::~Host()
{
    agent_.reset();
    driver_.reset();
}

void Host::open()
{
    events_.clear();
    driver_ = std::make_unique<driver::NetworkDriver>(driver::DriverPaths::underRoot(root_.path()));
    driver_->subscribe([this](const driver::NetworkRef&, driver::LifecycleEvent event, int) {
        events_.push_back(event);
    });
    agent_ = std::make_unique<mgmt::HostAgent>(nullptr, *driver_, options_);
    agent_->start();
}

void Host::restart()
{
    agent_.reset();
    driver_.reset();
    open();
}

std::string switchXml(const std::string& name, unsigned webVlan, const std::string& uplink)
{
    std::string metadata;
    if (!uplink.empty()) {
        metadata = fmt::format("<metadata><dvs:network "
                               "xmlns:dvs='https://libvirt-dvs.org/xmlns/network/1.0'>{}"
                               "</dvs:network></metadata>",
                               uplink);
    }
    return fmt::format(R"(<network>
  <name>{0}</name>
  {2}
  <forward mode='bridge'/>
  <bridge name='dvs-{0}'/>
  <virtualport type='openvswitch'/>
  <portgroup name='web' default='yes'>
    <vlan><tag id='{1}'/></vlan>
  </portgroup>
  <portgroup name='db'>
    <vlan><tag id='20'/></vlan>
  </portgroup>
</network>)",
                       name, webVlan, metadata);
}

} // namespace dvs::test
