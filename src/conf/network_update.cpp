// SPDX-License-Identifier: LGPL-2.1-or-later
#include "network_update.h"

#include <algorithm>
#include <netinet/in.h>

#include "util/error.h"
#include "util/mac.h"
#include "util/xml.h"

namespace dvs::conf {

namespace {

[[noreturn]] void noSupport(const NetworkDef& def, std::string_view section)
{
    raise(ErrorCode::OperationUnsupported, "can't update '{}' section of network '{}'", section,
          def.name);
}

[[noreturn]] void unknownCommand(UpdateCommand command)
{
    raise(ErrorCode::OperationUnsupported, "unrecognized network update command code {}",
          static_cast<unsigned>(command));
}

void checkElementName(const NetworkDef& def, const util::XmlNode& node, std::string_view section)
{
    if (node.name() != section) {
        raise(ErrorCode::XmlError,
              "unexpected element <{}>, expecting <{}>, while updating network '{}'", node.name(),
              section, def.name);
    }
}

bool isAdd(UpdateCommand command)
{
    return command == UpdateCommand::AddFirst || command == UpdateCommand::AddLast;
}

template <typename T>
void insert(std::vector<T>& list, UpdateCommand command, T&& item)
{
    if (command == UpdateCommand::AddFirst) {
        list.insert(list.begin(), std::forward<T>(item));
    } else {
        list.push_back(std::forward<T>(item));
    }
}

// virNetworkIPDefByIndex.
NetworkIp& ipForDhcp(NetworkDef& def, int parentIndex)
{
    if (parentIndex >= 0) {
        auto* ip = def.ipByIndex(AF_UNSPEC, static_cast<std::size_t>(parentIndex));
        if (ip == nullptr) {
            raise(ErrorCode::OperationInvalid,
                  "couldn't update dhcp host entry - no <ip> element found at index {} in "
                  "network '{}'",
                  parentIndex, def.name);
        }
        return *ip;
    }
    for (auto& ip : def.ips) {
        if (ip.hasDhcp()) {
            return ip;
        }
    }
    auto* ip = def.ipByIndex(AF_INET, 0);
    if (ip == nullptr) {
        ip = def.ipByIndex(AF_INET6, 0);
    }
    if (ip == nullptr) {
        raise(ErrorCode::OperationInvalid,
              "couldn't update dhcp host entry - no <ip> element found in network '{}'", def.name);
    }
    return *ip;
}

// virNetworkDefUpdateCheckMultiDHCP: DHCP on one address per family only.
void checkMultiDhcp(const NetworkDef& def, const NetworkIp& target)
{
    int family = target.address.family();
    for (const auto& ip : def.ips) {
        if (&ip != &target && ip.address.isFamily(family) && ip.hasDhcp()) {
            raise(ErrorCode::OperationInvalid,
                  "dhcp is supported only for a single {} address on each network",
                  family == AF_INET ? "IPv4" : "IPv6");
        }
    }
}

bool sameMac(const std::optional<std::string>& a, const std::optional<std::string>& b)
{
    if (!a || !b) {
        return false;
    }
    auto x = util::MacAddr::parse(*a);
    auto y = util::MacAddr::parse(*b);
    return x && y && *x == *y;
}

void updateDhcpHost(NetworkDef& def, UpdateCommand command, int parentIndex,
                    const util::XmlNode& node)
{
    checkElementName(def, node, "host");
    NetworkIp& ip = ipForDhcp(def, parentIndex);
    bool partialOkay = command == UpdateCommand::Delete;
    DhcpHost host = ip.parseHost(def.name, node, partialOkay);

    if (!partialOkay && ip.address.family() != host.ip.family()) {
        raise(ErrorCode::OperationInvalid,
              "the address family of a host entry IP must match the address family of the dhcp "
              "element's parent");
    }

    std::string ipText = host.ip.valid() ? host.ip.toString() : "unknown";
    if (command == UpdateCommand::Modify) {
        auto it = std::find_if(ip.hosts.begin(), ip.hosts.end(), [&](const DhcpHost& h) {
            return sameMac(host.mac, h.mac) || (host.ip.valid() && host.ip.equals(h.ip)) ||
                   (host.name && host.name == h.name);
        });
        if (it == ip.hosts.end()) {
            raise(ErrorCode::OperationInvalid,
                  "couldn't locate an existing dhcp host entry with \"mac='{}'\" \"name='{}'\" "
                  "\"ip='{}'\" in network '{}'",
                  host.mac.value_or("unknown"), host.name.value_or("(null)"), ipText, def.name);
        }
        *it = std::move(host);
    } else if (isAdd(command)) {
        checkMultiDhcp(def, ip);
        for (const auto& h : ip.hosts) {
            if (sameMac(host.mac, h.mac) || (host.name && host.name == h.name) ||
                (host.ip.valid() && host.ip.equals(h.ip))) {
                raise(ErrorCode::OperationInvalid,
                      "there is an existing dhcp host entry in network '{}' that matches \"<host "
                      "mac='{}' name='{}' ip='{}'/>\"",
                      def.name, host.mac.value_or("unknown"), host.name.value_or("(null)"), ipText);
            }
        }
        insert(ip.hosts, command, std::move(host));
    } else if (command == UpdateCommand::Delete) {
        auto it = std::find_if(ip.hosts.begin(), ip.hosts.end(), [&](const DhcpHost& h) {
            return (!host.mac || !h.mac || sameMac(host.mac, h.mac)) &&
                   (!host.name || host.name == h.name) &&
                   (!host.ip.valid() || host.ip.equals(h.ip));
        });
        if (it == ip.hosts.end()) {
            raise(ErrorCode::OperationInvalid,
                  "couldn't locate a matching dhcp host entry in network '{}'", def.name);
        }
        ip.hosts.erase(it);
    } else {
        unknownCommand(command);
    }
}

void updateDhcpRange(NetworkDef& def, UpdateCommand command, int parentIndex,
                     const util::XmlNode& node)
{
    checkElementName(def, node, "range");
    NetworkIp& ip = ipForDhcp(def, parentIndex);
    if (command == UpdateCommand::Modify) {
        raise(ErrorCode::OperationUnsupported,
              "dhcp ranges cannot be modified, only added or deleted");
    }
    DhcpRange range = ip.parseRange(def.name, node);
    if (ip.address.family() != range.start.family()) {
        raise(ErrorCode::OperationInvalid,
              "the address family of a dhcp range must match the address family of the dhcp "
              "element's parent");
    }
    auto it = std::find_if(ip.ranges.begin(), ip.ranges.end(), [&](const DhcpRange& r) {
        return range.start.equals(r.start) && range.end.equals(r.end);
    });
    if (isAdd(command)) {
        checkMultiDhcp(def, ip);
        if (it != ip.ranges.end()) {
            raise(ErrorCode::OperationInvalid,
                  "there is an existing dhcp range entry in network '{}' that matches \"<range "
                  "start='{}' end='{}'/>\"",
                  def.name, range.start.toString(), range.end.toString());
        }
        insert(ip.ranges, command, std::move(range));
    } else if (command == UpdateCommand::Delete) {
        if (it == ip.ranges.end()) {
            raise(ErrorCode::OperationInvalid,
                  "couldn't locate a matching dhcp range entry in network '{}'", def.name);
        }
        ip.ranges.erase(it);
    } else {
        unknownCommand(command);
    }
}

void updateForwardInterface(NetworkDef& def, UpdateCommand command, const util::XmlNode& node)
{
    checkElementName(def, node, "interface");
    if (command == UpdateCommand::Modify) {
        raise(ErrorCode::OperationUnsupported,
              "forward interface entries cannot be modified, only added or deleted");
    }
    auto dev = node.attr("dev");
    if (!dev) {
        raise(ErrorCode::XmlError, "missing dev attribute in <interface> element");
    }
    auto& list = def.forward.interfaces;
    auto it = std::find_if(list.begin(), list.end(), [&](const ForwardInterface& entry) {
        return entry.type == ForwardDeviceType::Netdev && entry.dev == *dev;
    });
    if (isAdd(command)) {
        if (it != list.end()) {
            raise(ErrorCode::OperationInvalid,
                  "there is an existing interface entry in network '{}' that matches "
                  "\"<interface dev='{}'>\"",
                  def.name, *dev);
        }
        insert(list, command, ForwardInterface{ForwardDeviceType::Netdev, *dev, {}, 0});
    } else if (command == UpdateCommand::Delete) {
        if (it == list.end()) {
            raise(ErrorCode::OperationInvalid,
                  "couldn't find an interface entry in network '{}' matching <interface "
                  "dev='{}'>",
                  def.name, *dev);
        }
        if (it->connections > 0) {
            raise(ErrorCode::OperationInvalid,
                  "unable to delete interface '{}' in network '{}'. It is currently being used "
                  "by {} domains.",
                  *dev, def.name, it->connections);
        }
        list.erase(it);
    } else {
        unknownCommand(command);
    }
}

void updatePortgroup(NetworkDef& def, UpdateCommand command, const util::XmlNode& node)
{
    checkElementName(def, node, "portgroup");
    Portgroup pg = Portgroup::parse(node);
    int foundName = -1;
    int foundDefault = -1;
    for (std::size_t i = 0; i < def.portgroups.size(); ++i) {
        if (def.portgroups[i].name == pg.name) {
            foundName = static_cast<int>(i);
        }
        if (def.portgroups[i].isDefault) {
            foundDefault = static_cast<int>(i);
        }
    }
    if (foundName == -1 && (command == UpdateCommand::Modify || command == UpdateCommand::Delete)) {
        raise(ErrorCode::OperationInvalid,
              "couldn't find a portgroup entry in network '{}' matching <portgroup name='{}'>",
              def.name, pg.name);
    }
    if (foundName >= 0 && isAdd(command)) {
        raise(ErrorCode::OperationInvalid,
              "there is an existing portgroup entry in network '{}' that matches \"<portgroup "
              "name='{}'>\"",
              def.name, pg.name);
    }
    if (command != UpdateCommand::Delete && pg.isDefault && foundDefault >= 0 &&
        foundDefault != foundName) {
        raise(ErrorCode::OperationInvalid,
              "a different portgroup entry in network '{}' is already set as the default. Only "
              "one default is allowed.",
              def.name);
    }
    if (command == UpdateCommand::Modify) {
        def.portgroups[static_cast<std::size_t>(foundName)] = std::move(pg);
    } else if (isAdd(command)) {
        insert(def.portgroups, command, std::move(pg));
    } else if (command == UpdateCommand::Delete) {
        def.portgroups.erase(def.portgroups.begin() + foundName);
    } else {
        unknownCommand(command);
    }
}

void updateDnsHost(NetworkDef& def, UpdateCommand command, const util::XmlNode& node)
{
    checkElementName(def, node, "host");
    DnsHost host = DnsHost::parse(def.name, node, !isAdd(command));
    auto& hosts = def.dns.hosts;
    int foundIdx = -1;
    int foundIdxModify = -1;
    int foundCount = 0;
    for (std::size_t i = 0; i < hosts.size(); ++i) {
        bool found = host.ip.equals(hosts[i].ip);
        if (found) {
            foundIdxModify = static_cast<int>(i);
        }
        // Only a delete matches by name too: several addresses may share a host name.
        if (command == UpdateCommand::Delete && !found) {
            for (const auto& name : host.names) {
                if (std::find(hosts[i].names.begin(), hosts[i].names.end(), name) !=
                    hosts[i].names.end()) {
                    found = true;
                    break;
                }
            }
        }
        if (found) {
            ++foundCount;
            foundIdx = static_cast<int>(i);
        }
    }
    if (isAdd(command)) {
        if (foundCount > 0) {
            raise(ErrorCode::OperationInvalid,
                  "there is already at least one DNS HOST record with a matching field in "
                  "network {}",
                  def.name);
        }
        insert(hosts, command, std::move(host));
    } else if (command == UpdateCommand::Delete || command == UpdateCommand::Modify) {
        if (foundCount == 0) {
            raise(ErrorCode::OperationInvalid,
                  "couldn't locate a matching DNS HOST record in network {}", def.name);
        }
        if (foundCount > 1) {
            raise(ErrorCode::OperationInvalid,
                  "multiple matching DNS HOST records were found in network {}", def.name);
        }
        if (command == UpdateCommand::Delete) {
            hosts.erase(hosts.begin() + foundIdx);
        } else {
            hosts[static_cast<std::size_t>(foundIdxModify)] = std::move(host);
        }
    } else {
        unknownCommand(command);
    }
}

void updateDnsSrv(NetworkDef& def, UpdateCommand command, const util::XmlNode& node)
{
    if (command == UpdateCommand::Modify) {
        raise(ErrorCode::OperationUnsupported,
              "DNS SRV records cannot be modified, only added or deleted");
    }
    checkElementName(def, node, "srv");
    DnsSrv srv = DnsSrv::parse(def.name, node, !isAdd(command));
    auto& srvs = def.dns.srvs;
    auto matches = [](const std::optional<std::string>& wanted,
                      const std::optional<std::string>& have) { return !wanted || wanted == have; };
    int foundIdx = -1;
    int foundCount = 0;
    for (std::size_t i = 0; i < srvs.size(); ++i) {
        if (matches(srv.domain, srvs[i].domain) && matches(srv.service, srvs[i].service) &&
            matches(srv.protocol, srvs[i].protocol) && matches(srv.target, srvs[i].target)) {
            ++foundCount;
            foundIdx = static_cast<int>(i);
        }
    }
    if (isAdd(command)) {
        if (foundCount > 0) {
            raise(ErrorCode::OperationInvalid,
                  "there is already at least one DNS SRV record matching all specified fields in "
                  "network {}",
                  def.name);
        }
        insert(srvs, command, std::move(srv));
    } else if (command == UpdateCommand::Delete) {
        if (foundCount == 0) {
            raise(ErrorCode::OperationInvalid,
                  "couldn't locate a matching DNS SRV record in network {}", def.name);
        }
        if (foundCount > 1) {
            raise(ErrorCode::OperationInvalid,
                  "multiple DNS SRV records matching all specified fields were found in network "
                  "{}",
                  def.name);
        }
        srvs.erase(srvs.begin() + foundIdx);
    } else {
        unknownCommand(command);
    }
}

void updateDnsTxt(NetworkDef& def, UpdateCommand command, const util::XmlNode& node)
{
    checkElementName(def, node, "txt");
    DnsTxt txt = DnsTxt::parse(def.name, node, !isAdd(command));
    auto& txts = def.dns.txts;
    auto it =
        std::find_if(txts.begin(), txts.end(), [&](const DnsTxt& t) { return t.name == txt.name; });
    if (isAdd(command)) {
        if (it != txts.end()) {
            raise(ErrorCode::OperationInvalid,
                  "there is already a DNS TXT record with name '{}' in network {}", txt.name,
                  def.name);
        }
        insert(txts, command, std::move(txt));
    } else if (command == UpdateCommand::Delete) {
        if (it == txts.end()) {
            raise(ErrorCode::OperationInvalid,
                  "couldn't locate a matching DNS TXT record in network {}", def.name);
        }
        txts.erase(it);
    } else if (command == UpdateCommand::Modify) {
        if (it == txts.end()) {
            raise(ErrorCode::OperationInvalid,
                  "couldn't locate a matching DNS TXT record in network {}", def.name);
        }
        if (!txt.value) {
            raise(ErrorCode::OperationInvalid,
                  "missing value of modifying DNS TXT record in network {}", def.name);
        }
        it->value = std::move(txt.value);
    } else {
        unknownCommand(command);
    }
}

} // namespace

void updateNetworkDef(NetworkDef& def, UpdateCommand command, UpdateSection section,
                      int parentIndex, std::string_view xml, unsigned /*flags*/)
{
    auto doc = util::XmlDocument::parse(xml, "network_update_xml");
    auto node = doc.root();
    // Work on a copy so that def stays as it was when anything fails.
    NetworkDef updated = def;
    switch (section) {
    case UpdateSection::Bridge:
        noSupport(def, "bridge");
    case UpdateSection::Domain:
        noSupport(def, "domain");
    case UpdateSection::Ip:
        noSupport(def, "ip");
    case UpdateSection::IpDhcpHost:
        updateDhcpHost(updated, command, parentIndex, node);
        break;
    case UpdateSection::IpDhcpRange:
        updateDhcpRange(updated, command, parentIndex, node);
        break;
    case UpdateSection::Forward:
        noSupport(def, "forward");
    case UpdateSection::ForwardInterface:
        updateForwardInterface(updated, command, node);
        break;
    case UpdateSection::ForwardPf:
        noSupport(def, "forward pf");
    case UpdateSection::Portgroup:
        updatePortgroup(updated, command, node);
        break;
    case UpdateSection::DnsHost:
        updateDnsHost(updated, command, node);
        break;
    case UpdateSection::DnsTxt:
        updateDnsTxt(updated, command, node);
        break;
    case UpdateSection::DnsSrv:
        updateDnsSrv(updated, command, node);
        break;
    default:
        raise(ErrorCode::OperationUnsupported, "can't update unrecognized section of network");
    }
    def = std::move(updated);
}

} // namespace dvs::conf
