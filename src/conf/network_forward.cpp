// SPDX-License-Identifier: LGPL-2.1-or-later
#include "network_forward.h"

#include <netinet/in.h>

#include <fmt/format.h>

#include "network_attrs.h"
#include "util/error.h"

namespace dvs::conf {

using util::SocketAddr;

Forward Forward::parse(std::string_view networkName, const util::XmlNode& node)
{
    Forward fwd;
    if (auto mode = detail::xpathAttr(node, "mode")) {
        auto parsed = util::fromString<ForwardMode>(*mode);
        if (!parsed) {
            raise(ErrorCode::ConfigUnsupported, "unknown forwarding type '{}'", *mode);
        }
        fwd.mode = *parsed;
    } else {
        fwd.mode = ForwardMode::Nat;
    }

    if (auto managed = detail::xpathAttr(node, "managed")) {
        fwd.managed = strcasecmp(managed->c_str(), "yes") == 0;
    }

    if (auto driver = detail::xpathChildAttr(node, "driver", "name")) {
        auto name = util::fromString<ForwardDriverName>(*driver);
        if (!name || *name == ForwardDriverName::Default) {
            raise(ErrorCode::ConfigUnsupported, "Unknown forward <driver name='{}'/> in network {}",
                  *driver, networkName);
        }
        fwd.driverName = *name;
    }

    auto ifNodes = node.children("interface");
    auto addrNodes = node.children("address");
    auto pfNodes = node.children("pf");
    auto natNodes = node.children("nat");

    if (natNodes.size() > 1) {
        raise(ErrorCode::XmlError, "Only one <nat> element is allowed in <forward> of network {}",
              networkName);
    }
    if (natNodes.size() == 1) {
        const auto& nat = natNodes[0];
        if (fwd.mode != ForwardMode::Nat) {
            raise(ErrorCode::XmlError,
                  "The <nat> element can only be used when <forward> 'mode' is 'nat' in network "
                  "{}",
                  networkName);
        }
        fwd.natIpv6 = detail::propTristate(nat, "ipv6");
        auto natAddrs = nat.children("address");
        std::optional<std::string> addrStart;
        std::optional<std::string> addrEnd;
        if (natAddrs.size() > 1) {
            raise(ErrorCode::XmlError,
                  "Only one <address> element is allowed in <nat> in <forward> in network {}",
                  networkName);
        }
        if (natAddrs.size() == 1) {
            addrStart = natAddrs[0].attr("start");
            if (!addrStart) {
                raise(ErrorCode::XmlError,
                      "missing 'start' attribute in <address> element in <nat> in <forward> in "
                      "network {}",
                      networkName);
            }
            addrEnd = natAddrs[0].attr("end");
            if (!addrEnd) {
                raise(ErrorCode::XmlError,
                      "missing 'end' attribute in <address> element in <nat> in <forward> in "
                      "network {}",
                      networkName);
            }
        }
        if (addrStart) {
            auto parsed = SocketAddr::tryParse(*addrStart, AF_INET);
            if (!parsed) {
                raise(ErrorCode::XmlError,
                      "Bad ipv4 start address '{}' in <nat> in <forward> in network '{}'",
                      *addrStart, networkName);
            }
            fwd.natAddrStart = *parsed;
        }
        if (addrEnd) {
            auto parsed = SocketAddr::tryParse(*addrEnd, AF_INET);
            if (!parsed) {
                raise(ErrorCode::XmlError,
                      "Bad ipv4 end address '{}' in <nat> in <forward> in network '{}'", *addrEnd,
                      networkName);
            }
            fwd.natAddrEnd = *parsed;
        }
        if (addrStart && addrEnd) {
            SocketAddr::range(fwd.natAddrStart, fwd.natAddrEnd, nullptr, 0);
        }

        auto natPorts = nat.children("port");
        if (natPorts.size() > 1) {
            raise(ErrorCode::XmlError,
                  "Only one <port> element is allowed in <nat> in <forward> in network {}",
                  networkName);
        }
        if (natPorts.size() == 1) {
            auto start = detail::xpathNumber<unsigned>(natPorts[0], "start");
            if (!start.present || start.value > 65535) {
                raise(ErrorCode::XmlDetail,
                      "Missing or invalid 'start' attribute in <port> in <nat> in <forward> in "
                      "network {}",
                      networkName);
            }
            fwd.natPortStart = start.value;
            auto end = detail::xpathNumber<unsigned>(natPorts[0], "end");
            if (!end.present || end.value > 65535 || end.value < start.value) {
                raise(ErrorCode::XmlDetail,
                      "Missing or invalid 'end' attribute in <port> in <nat> in <forward> in "
                      "network {}",
                      networkName);
            }
            fwd.natPortEnd = end.value;
        }
    }

    auto forwardDev = detail::xpathAttr(node, "dev");
    if (forwardDev && (!addrNodes.empty() || !pfNodes.empty())) {
        raise(ErrorCode::XmlError,
              "the <forward> 'dev' attribute cannot be used when <address> or <pf> sub-elements "
              "are present in network {}",
              networkName);
    }

    if (!ifNodes.empty() || forwardDev) {
        if (forwardDev) {
            fwd.interfaces.push_back({ForwardDeviceType::Netdev, *forwardDev, {}, 0});
        }
        for (std::size_t i = 0; i < ifNodes.size(); ++i) {
            auto dev = ifNodes[i].attr("dev");
            if (!dev) {
                raise(ErrorCode::XmlError,
                      "Missing required dev attribute in <forward> <interface> element of "
                      "network {}",
                      networkName);
            }
            if (i == 0 && forwardDev) {
                if (*dev != *forwardDev) {
                    raise(ErrorCode::XmlError,
                          "<forward dev='{}'> must match first <interface dev='{}'/> in network "
                          "{}",
                          *forwardDev, *dev, networkName);
                }
                continue;
            }
            for (std::size_t j = 0; j < i && j < fwd.interfaces.size(); ++j) {
                if (fwd.interfaces[j].dev == *dev) {
                    raise(ErrorCode::XmlError,
                          "interface '{}' can only be listed once in network {}", *dev,
                          networkName);
                }
            }
            fwd.interfaces.push_back({ForwardDeviceType::Netdev, *dev, {}, 0});
        }
    } else if (!addrNodes.empty()) {
        for (const auto& addrNode : addrNodes) {
            auto type = addrNode.attr("type");
            if (!type) {
                raise(ErrorCode::XmlError, "missing address type in network {}", networkName);
            }
            auto parsed = util::fromString<ForwardDeviceType>(*type);
            if (!parsed) {
                raise(ErrorCode::ConfigUnsupported, "unknown address type '{}' in network {}",
                      *type, networkName);
            }
            if (*parsed != ForwardDeviceType::Pci) {
                raise(ErrorCode::XmlError, "unsupported address type '{}' in network {}", *type,
                      networkName);
            }
            ForwardInterface entry{ForwardDeviceType::Pci, {}, PciAddress::parse(addrNode), 0};
            for (const auto& other : fwd.interfaces) {
                if (other.pci == entry.pci) {
                    raise(ErrorCode::XmlError,
                          "PCI device '{}' can only be listed once in network {}",
                          entry.pci.toString(), networkName);
                }
            }
            fwd.interfaces.push_back(std::move(entry));
        }
    } else if (pfNodes.size() > 1) {
        raise(ErrorCode::XmlError, "Only one <pf> element is allowed in <forward> of network {}",
              networkName);
    } else if (pfNodes.size() == 1) {
        auto dev = pfNodes[0].attr("dev");
        if (!dev) {
            raise(ErrorCode::XmlError,
                  "Missing required dev attribute in <pf> element of network '{}'", networkName);
        }
        fwd.pfs.push_back({*dev, 0});
    }
    return fwd;
}

std::optional<std::string> Forward::interfaceName(std::size_t n) const
{
    if (n < interfaces.size() && interfaces[n].type == ForwardDeviceType::Netdev) {
        return interfaces[n].dev;
    }
    return std::nullopt;
}

void Forward::format(util::XmlWriter& writer, bool inactive) const
{
    if (mode == ForwardMode::None) {
        return;
    }
    writer.start("forward");
    if (pfs.empty()) {
        if (auto dev = interfaceName(0)) {
            writer.attr("dev", *dev);
        }
    }
    writer.attr("mode", util::toString(mode));
    if (mode == ForwardMode::Hostdev) {
        writer.attr("managed", managed ? "yes" : "no");
    }
    if (driverName != ForwardDriverName::Default) {
        writer.start("driver");
        writer.attr("name", util::toString(driverName));
        writer.end();
    }
    if (mode == ForwardMode::Nat) {
        bool hasAddr = natAddrStart.valid() || natAddrEnd.valid();
        bool hasPort = natPortStart != 0 || natPortEnd != 0;
        if (hasAddr || hasPort || natIpv6 != Tristate::Absent) {
            writer.start("nat");
            if (natIpv6 != Tristate::Absent) {
                writer.attr("ipv6", detail::tristateToString(natIpv6));
            }
            if (natAddrStart.valid()) {
                writer.start("address");
                writer.attr("start", natAddrStart.toString());
                if (natAddrEnd.valid()) {
                    writer.attr("end", natAddrEnd.toString());
                }
                writer.end();
            }
            if (hasPort) {
                writer.start("port");
                writer.attr("start", natPortStart);
                if (natPortEnd != 0) {
                    writer.attr("end", natPortEnd);
                }
                writer.end();
            }
            writer.end();
        }
    }
    if (!pfs.empty()) {
        writer.start("pf");
        writer.attr("dev", pfs[0].dev);
        writer.end();
    }
    if (!interfaces.empty() && (pfs.empty() || !inactive)) {
        for (const auto& entry : interfaces) {
            if (entry.type == ForwardDeviceType::Netdev) {
                writer.start("interface");
                writer.attr("dev", entry.dev);
                if (!inactive && entry.connections > 0) {
                    writer.attr("connections", entry.connections);
                }
                writer.end();
            } else if (entry.type == ForwardDeviceType::Pci) {
                entry.pci.format(writer, true);
            }
        }
    }
    writer.end();
}

} // namespace dvs::conf
