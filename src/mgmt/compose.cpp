// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mgmt/compose.h"

#include <algorithm>

#include "conf/dvs_extension.h"
#include "util/error.h"
#include "util/file.h"
#include "util/xml.h"

namespace dvs::mgmt {

namespace {

unsigned neededInterfaces(const conf::Uplink& uplink)
{
    return uplink.type == conf::UplinkType::Interface ? 1 : 2;
}

// Interface names that make a switch's uplink complete for the model's checks: the network's
// own pool devices where it has them (a macvtap uplink must be one of them), else made-up ones.
std::vector<std::string> placeholders(const conf::NetworkDef& def, unsigned count)
{
    std::vector<std::string> pool;
    for (const auto& entry : def.forward.interfaces) {
        if (entry.type == conf::ForwardDeviceType::Netdev) {
            pool.push_back(entry.dev);
        }
    }
    for (const auto& pf : def.forward.pfs) {
        pool.push_back(pf.dev);
    }
    std::vector<std::string> out;
    for (unsigned i = 0; i < count; ++i) {
        out.push_back(i < pool.size() ? pool[i] : "dvs-uplink" + std::to_string(i));
    }
    return out;
}

} // namespace

conf::NetworkDef parseSwitchDefinition(std::string_view xml)
{
    conf::NetworkDef def = conf::NetworkDef::parseString(xml);
    if (!util::isSafeFileName(def.name)) {
        raise(ErrorCode::XmlError,
              "switch name '{}' cannot be used as a file name: it must not be empty, '.' or "
              "'..', longer than 255 bytes, or contain '/' or control characters",
              def.name);
    }
    if (def.dvs && def.dvs->uplink && !def.dvs->uplink->interfaces.empty()) {
        raise(ErrorCode::ConfigUnsupported,
              "the dvs:uplink of switch '{}' names interfaces: a switch's uplink gives only its "
              "kind and settings, each member's interfaces are given with 'dvsctl host-add "
              "SWITCH HOST --uplink IF[,IF...]'",
              def.name);
    }
    def.uuidSpecified = true;
    def.connections = 0;
    validateSwitch(def, {});
    return def;
}

void validateSwitch(const conf::NetworkDef& def,
                    const std::vector<std::pair<std::string, std::vector<std::string>>>& members)
{
    if (def.dvs && def.dvs->uplink) {
        if (!def.dvs->uplink->interfaces.empty()) {
            raise(ErrorCode::ConfigUnsupported,
                  "the dvs:uplink of switch '{}' names interfaces: each member's interfaces are "
                  "given with 'dvsctl host-add'",
                  def.name);
        }
        conf::NetworkDef probe = def;
        probe.dvs->uplink->interfaces = placeholders(def, neededInterfaces(*def.dvs->uplink));
        probe.validateForDefine();
    } else {
        def.validateForDefine();
    }
    for (const auto& [host, nics] : members) {
        try {
            memberNetwork(def, nics);
        } catch (const Error& e) {
            throw Error(e.code(), "member " + host + ": " + e.message(), e.domain());
        }
    }
}

conf::NetworkDef memberNetwork(conf::NetworkDef def, const std::vector<std::string>& nics)
{
    for (const auto& nic : nics) {
        if (!conf::isValidInterfaceName(nic)) {
            raise(ErrorCode::InvalidArg, "invalid uplink interface name '{}'", nic);
        }
    }
    if (def.dvs && def.dvs->uplink) {
        def.dvs->uplink->interfaces = nics;
    } else if (nics.size() == 1) {
        if (!def.dvs) {
            def.dvs.emplace();
        }
        conf::Uplink uplink;
        uplink.type = conf::UplinkType::Interface;
        uplink.interfaces = nics;
        def.dvs->uplink = std::move(uplink);
    } else if (nics.size() > 1) {
        raise(ErrorCode::ConfigUnsupported,
              "switch '{}' has no dvs:uplink: a member takes a single uplink interface, not {}",
              def.name, nics.size());
    }
    def.validateForDefine();
    return def;
}

conf::NetworkDef memberNetwork(std::string_view generationXml, const std::vector<std::string>& nics)
{
    return memberNetwork(conf::NetworkDef::parseString(generationXml), nics);
}

std::string baseDefinition(const conf::NetworkDef& def)
{
    conf::NetworkDef base = def;
    base.portgroups.clear();
    base.connections = 0;
    return base.format(conf::NetworkFormatFlags::Inactive);
}

std::string portgroupDefinition(const conf::Portgroup& pg)
{
    util::XmlWriter writer;
    pg.format(writer);
    return std::move(writer).take();
}

std::string generationDefinition(conf::NetworkDef def)
{
    def.connections = 0;
    return def.format(conf::NetworkFormatFlags::Inactive);
}

conf::NetworkDef composeSwitch(std::string_view base, const std::vector<std::string>& portgroups)
{
    conf::NetworkDef def = conf::NetworkDef::parseString(base);
    def.uuidSpecified = true;
    def.portgroups.clear();
    for (const auto& text : portgroups) {
        auto doc = util::XmlDocument::parse(text, "(portgroup_definition)", "portgroup");
        def.portgroups.push_back(conf::Portgroup::parse(doc.root()));
    }
    std::stable_sort(def.portgroups.begin(), def.portgroups.end(),
                     [](const auto& a, const auto& b) { return a.name < b.name; });
    return def;
}

} // namespace dvs::mgmt
