// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mgmt/agent_network.h"

#include <fmt/format.h>

#include "conf/network_def.h"
#include "mgmt/compose.h"
#include "util/error.h"

namespace dvs::mgmt {

namespace {

// The definition as the driver keeps it, for comparisons.
std::string canonical(std::string_view xml)
{
    return conf::NetworkDef::parseString(xml).format(conf::NetworkFormatFlags::Inactive);
}

} // namespace

std::string composeMemberNetwork(std::string_view generationXml, std::string_view switchName,
                                 std::string_view networkUuid,
                                 const std::vector<std::string>& uplink)
{
    auto def = conf::NetworkDef::parseString(generationXml);
    def.name = std::string(switchName);
    if (!networkUuid.empty()) {
        auto uuid = util::Uuid::parse(networkUuid);
        if (!uuid) {
            raise(ErrorCode::XmlError, "switch '{}' has an invalid network uuid '{}'", switchName,
                  networkUuid);
        }
        def.uuid = *uuid;
        def.uuidSpecified = true;
    }
    if (def.dvs && def.dvs->uplink && uplink.empty()) {
        raise(ErrorCode::ConfigUnsupported,
              "switch '{}' has a {} uplink but this host's membership names no uplink NIC",
              switchName, util::toString(def.dvs->uplink->type));
    }
    def = memberNetwork(std::move(def), uplink);
    // What the driver will parse: the canonical text, checked once more as a define would.
    auto xml = def.format(conf::NetworkFormatFlags::Inactive);
    (void)conf::NetworkDef::parseString(xml);
    return xml;
}

ApplyOutcome applyMemberNetwork(driver::NetworkDriver& driver, const driver::ManagedBy& by,
                                const std::string& composedXml)
{
    ApplyOutcome outcome;
    const auto& name = by.switchName;
    std::optional<driver::NetworkRef> net;
    try {
        net = driver.lookupByName(name);
    } catch (const Error& e) {
        if (e.code() != ErrorCode::NoNetwork) {
            throw;
        }
    }
    if (net && !driver.managedBy(name)) {
        raise(ErrorCode::OperationFailed,
              "a network named '{}' that no switch manages exists on this host: undefine it "
              "before the switch can use the name",
              name);
    }
    if (!net) {
        net = driver.managedDefine(composedXml, by);
        driver.managedSetAutostart(*net, true);
        driver.start(*net);
        outcome.changed = true;
        return outcome;
    }
    if (driver.managedBy(name) != by || !driver.isPersistent(*net) ||
        canonical(driver.getXmlDesc(*net, driver::XmlFlags::Inactive)) != composedXml) {
        net = driver.managedDefine(composedXml, by);
        outcome.changed = true;
    }
    if (!driver.getAutostart(*net)) {
        driver.managedSetAutostart(*net, true);
        outcome.changed = true;
    }
    if (!driver.isActive(*net)) {
        driver.start(*net);
        outcome.changed = true;
        return outcome;
    }
    if (canonical(driver.getXmlDesc(*net, 0)) == composedXml) {
        return outcome;
    }
    if (driver.managedApplyLive(*net)) {
        outcome.changed = true;
        return outcome;
    }
    auto ports = driver.listAllPorts(*net, 0);
    if (ports.empty()) {
        driver.managedDestroy(*net);
        driver.start(*net);
        outcome.changed = true;
        return outcome;
    }
    outcome.pending = true;
    outcome.pendingReason =
        fmt::format("the change needs a restart of network '{}' (another bridge or forward "
                    "mode), which {} port(s) still use",
                    name, ports.size());
    return outcome;
}

std::vector<std::string> teardownMemberNetwork(driver::NetworkDriver& driver,
                                               std::string_view network)
{
    std::optional<driver::NetworkRef> net;
    try {
        net = driver.lookupByName(network);
    } catch (const Error& e) {
        if (e.code() != ErrorCode::NoNetwork) {
            throw;
        }
        driver.unmanage(network);
        return {};
    }
    if (driver.isActive(*net)) {
        auto ports = driver.listAllPorts(*net, 0);
        if (!ports.empty()) {
            std::vector<std::string> holding;
            for (const auto& port : ports) {
                holding.push_back(port.uuid.toString());
            }
            return holding;
        }
        driver.managedDestroy(*net);
    }
    if (driver.isPersistent(*net)) {
        driver.managedUndefine(*net);
    } else {
        driver.unmanage(network);
    }
    return {};
}

} // namespace dvs::mgmt
