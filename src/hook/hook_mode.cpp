// SPDX-License-Identifier: LGPL-2.1-or-later
#include "hook_mode.h"

#include <fmt/format.h>
#include <glib.h>

#include "conf/published_network.h"
#include "util/error.h"
#include "util/xml.h"

namespace dvs::hook {

namespace {

// The <networkport> of a hook's stdin, serialised, and its uuid.
struct HookPort
{
    std::string xml;
    std::string uuid;
};

HookPort portOfHookData(const std::string& hookData)
{
    auto doc = util::XmlDocument::parse(hookData, "(hook_data)", "hookData");
    auto port = doc.root().child("networkport");
    if (!port) {
        throw Error(ErrorCode::InvalidArg, "the hook data has no <networkport> element");
    }
    auto uuid = port->child("uuid");
    return {port->dump(), uuid ? uuid->text() : ""};
}

std::string uuidOfPortXml(const std::string& xml)
{
    auto doc = util::XmlDocument::parse(xml, "(networkport_definition)", "networkport");
    auto uuid = doc.root().child("uuid");
    return uuid ? uuid->text() : "";
}

bool hasPort(const driver::NetworkDriver& driver, const driver::NetworkRef& net,
             const std::string& uuid)
{
    for (const auto& port : driver.listAllPorts(net, 0)) {
        if (port.uuid.toString() == uuid) {
            return true;
        }
    }
    return false;
}

} // namespace

HookMode::HookMode(driver::NetworkDriver& driver, std::string libvirtUri, util::NoticeSink notices)
    : driver_(driver), notices_(std::move(notices))
{
    publisher_ = std::make_unique<LibvirtPublisher>(
        std::move(libvirtUri), [this](std::vector<LibvirtPorts> lists) { adoptPorts(lists); },
        [this] { return hookSeq_.load(); }, notices_);
    networksChanged();
}

HookMode::~HookMode() = default;

void HookMode::networksChanged()
{
    std::vector<conf::PublishedNetwork> desired;
    for (const auto& ref : driver_.listAllNetworks(0)) {
        try {
            bool persistent = driver_.isPersistent(ref);
            desired.push_back(conf::makePublishedNetwork(
                driver_.getXmlDesc(ref, driver::XmlFlags::Inactive), driver_.isActive(ref),
                persistent && driver_.getAutostart(ref)));
            unpublishable_.erase(ref.name);
        } catch (const Error& error) {
            if (unpublishable_.insert(ref.name).second) {
                notices_.warning("{}, ignoring", error.message());
            }
        }
    }
    publisher_->setDesired(std::move(desired));
}

void HookMode::handle(const driver::NetworkHookCall& hook)
{
    g_log_structured("dvsd-hook", G_LOG_LEVEL_DEBUG, "MESSAGE", "Network hook %s %s %s",
                     hook.network.c_str(), hook.op.c_str(), hook.subop.c_str());
    std::optional<driver::NetworkRef> net;
    try {
        net = driver_.lookupByName(hook.network);
    } catch (const Error&) {
        if (hook.op == "port-created" || hook.op == "start" || hook.op == "started") {
            raise(ErrorCode::NoNetwork,
                  "network '{}' was published by dvsd but dvsd no longer has it", hook.network);
        }
        return;
    }
    if (hook.op == "start" || hook.op == "started") {
        if (!driver_.isActive(*net)) {
            raise(ErrorCode::OperationInvalid,
                  "network '{}' is not active in dvsd; start it there: dvsd then starts it "
                  "in libvirtd",
                  hook.network);
        }
        return;
    }
    if (hook.op == "port-created") {
        auto port = portOfHookData(hook.hookData);
        if (hasPort(driver_, *net, port.uuid)) {
            // libvirtd re-runs port-created for every port when it restarts.
            return;
        }
        driver_.portCreateXml(*net, port.xml, driver::PortCreateFlags::Reclaim);
        portSeq_[port.uuid] = ++hookSeq_;
        notices_.info("Recorded port {} of network '{}' from libvirtd", port.uuid, hook.network);
        return;
    }
    if (hook.op == "port-deleted") {
        auto port = portOfHookData(hook.hookData);
        if (!hasPort(driver_, *net, port.uuid)) {
            return;
        }
        auto uuid = util::Uuid::parse(port.uuid);
        driver_.portDelete({*net, *uuid}, 0);
        portSeq_.erase(port.uuid);
        notices_.info("Released port {} of network '{}' after libvirtd", port.uuid, hook.network);
        return;
    }
    if (hook.op == "updated" || hook.op == "stopped") {
        // dvsd's definitions and states are the reference: whoever changed libvirtd's copy,
        // the publisher's next pass puts dvsd's back (a pass that finds nothing to change
        // changes nothing, so dvsd's own updates do not loop).
        publisher_->resync();
    }
}

void HookMode::adoptPorts(std::vector<LibvirtPorts> lists)
{
    for (const auto& list : lists) {
        driver::NetworkRef net;
        try {
            net = driver_.lookupByName(list.network);
            if (!driver_.isActive(net)) {
                continue;
            }
        } catch (const Error&) {
            continue;
        }
        std::set<std::string> inLibvirt;
        unsigned recorded = 0;
        unsigned released = 0;
        for (const auto& xml : list.portXmls) {
            std::string uuid;
            try {
                uuid = uuidOfPortXml(xml);
                inLibvirt.insert(uuid);
                if (hasPort(driver_, net, uuid)) {
                    continue;
                }
                driver_.portCreateXml(net, xml, driver::PortCreateFlags::Reclaim);
                ++recorded;
                notices_.info(
                    "Recorded port {} of network '{}' that libvirtd created while dvsd was "
                    "away",
                    uuid, list.network);
            } catch (const Error& error) {
                notices_.warning("Cannot record port {} of network '{}': {}", uuid, list.network,
                                 error.fullMessage());
            }
        }
        for (const auto& port : driver_.listAllPorts(net, 0)) {
            std::string uuid = port.uuid.toString();
            auto seq = portSeq_.find(uuid);
            bool recentHook = seq != portSeq_.end() && seq->second > list.listedAfterSeq;
            if (inLibvirt.count(uuid) != 0 || recentHook) {
                continue;
            }
            try {
                driver_.portDelete(port, 0);
                portSeq_.erase(uuid);
                ++released;
                notices_.info(
                    "Released port {} of network '{}' that libvirtd released while dvsd was "
                    "away",
                    uuid, list.network);
            } catch (const Error& error) {
                notices_.warning("Cannot release port {} of network '{}': {}", uuid, list.network,
                                 error.fullMessage());
            }
        }
        notices_.info(
            "Compared the ports of network '{}' with libvirtd's: {} recorded, {} released",
            list.network, recorded, released);
    }
}

} // namespace dvs::hook
