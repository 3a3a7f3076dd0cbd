// SPDX-License-Identifier: LGPL-2.1-or-later
#include "network_dns.h"

#include "network_attrs.h"
#include "util/error.h"

namespace dvs::conf {

namespace {

// Characters of /etc/services and /etc/protocols names, without '.', which separates the fields
// of an SRV record.
constexpr std::string_view kProtocolChars =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-+/";
constexpr std::string_view kServiceChars =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+/*";
// RFC 2782's limit minus overhead, as libvirt's DNS_RECORD_LENGTH_SRV.
constexpr std::size_t kSrvRecordLength = 512 - 30;

void checkLineBreaks(std::string_view record, std::string_view field,
                     const std::optional<std::string>& value)
{
    if (value && value->find_first_of("\r\n") != std::string::npos) {
        raise(ErrorCode::XmlDetail, "invalid line break in DNS {} record {} attribute", record,
              field);
    }
}

} // namespace

DnsTxt DnsTxt::parse(std::string_view networkName, const util::XmlNode& node, bool partialOkay)
{
    DnsTxt txt;
    auto name = node.attr("name");
    if (!name) {
        raise(ErrorCode::XmlDetail,
              "missing required name attribute in DNS TXT record of network {}", networkName);
    }
    if (name->find_first_of(" ,") != std::string::npos) {
        raise(ErrorCode::XmlDetail,
              "prohibited character in DNS TXT record name '{}' of network {}", *name, networkName);
    }
    txt.name = *name;
    txt.value = node.attr("value");
    if (!txt.value && !partialOkay) {
        raise(ErrorCode::XmlDetail,
              "missing required value attribute in DNS TXT record named '{}' of network {}", *name,
              networkName);
    }
    checkLineBreaks("TXT", "value", txt.value);
    return txt;
}

DnsSrv DnsSrv::parse(std::string_view networkName, const util::XmlNode& node, bool partialOkay)
{
    DnsSrv srv;
    srv.service = node.attr("service");
    std::string service = srv.service.value_or("(null)");
    if (!srv.service && !partialOkay) {
        raise(ErrorCode::XmlDetail,
              "missing required service attribute in DNS SRV record of network '{}'", networkName);
    }
    if (srv.service) {
        if (srv.service->size() > kSrvRecordLength) {
            raise(ErrorCode::XmlDetail,
                  "service attribute '{}' in network '{}' is too long, limit is {} bytes",
                  *srv.service, networkName, kSrvRecordLength);
        }
        if (srv.service->find_first_not_of(kServiceChars) != std::string::npos) {
            raise(ErrorCode::XmlDetail,
                  "invalid character in service attribute '{}' in DNS SRV record of network '{}'",
                  *srv.service, networkName);
        }
    }

    srv.protocol = node.attr("protocol");
    if (!srv.protocol && !partialOkay) {
        raise(ErrorCode::XmlDetail,
              "missing required protocol attribute in DNS SRV record '{}' of network '{}'", service,
              networkName);
    }
    if (srv.protocol && srv.protocol->find_first_not_of(kProtocolChars) != std::string::npos) {
        raise(ErrorCode::XmlDetail,
              "invalid character in protocol attribute '{}' in DNS SRV record of network '{}'",
              *srv.protocol, networkName);
    }

    srv.domain = node.attr("domain");
    srv.target = node.attr("target");
    checkLineBreaks("SRV", "domain", srv.domain);
    checkLineBreaks("SRV", "target", srv.target);

    auto port = detail::xpathNumber<unsigned>(node, "port");
    if (port.present && !srv.target) {
        raise(ErrorCode::XmlDetail,
              "DNS SRV port attribute not permitted without target for service '{}' in network "
              "'{}'",
              service, networkName);
    }
    if (port.invalid || (port.present && (port.value < 1 || port.value > 65535))) {
        raise(ErrorCode::XmlDetail,
              "invalid DNS SRV port attribute for service '{}' in network '{}'", service,
              networkName);
    }
    srv.port = port.value;

    auto priority = detail::xpathNumber<unsigned>(node, "priority");
    if (priority.present && !srv.target) {
        raise(ErrorCode::XmlDetail,
              "DNS SRV priority attribute not permitted without target for service '{}' in "
              "network '{}'",
              service, networkName);
    }
    if (priority.invalid || (priority.present && priority.value > 65535)) {
        raise(ErrorCode::XmlDetail,
              "Invalid DNS SRV priority attribute for service '{}' in network '{}'", service,
              networkName);
    }
    srv.priority = priority.value;

    auto weight = detail::xpathNumber<unsigned>(node, "weight");
    if (weight.present && !srv.target) {
        raise(ErrorCode::XmlDetail,
              "DNS SRV weight attribute not permitted without target for service '{}' in network "
              "'{}'",
              service, networkName);
    }
    if (weight.invalid || (weight.present && weight.value > 65535)) {
        raise(ErrorCode::XmlDetail,
              "invalid DNS SRV weight attribute for service '{}' in network '{}'", service,
              networkName);
    }
    srv.weight = weight.value;
    return srv;
}

DnsHost DnsHost::parse(std::string_view networkName, const util::XmlNode& node, bool partialOkay)
{
    DnsHost host;
    auto ip = node.attr("ip");
    if (!ip && !partialOkay) {
        raise(ErrorCode::XmlDetail, "Missing IP address in network '{}' DNS HOST record",
              networkName);
    }
    if (ip) {
        auto parsed = util::SocketAddr::tryParse(*ip);
        if (!parsed) {
            raise(ErrorCode::XmlDetail, "Invalid IP address in network '{}' DNS HOST record",
                  networkName);
        }
        host.ip = *parsed;
    }
    for (const auto& hostname : node.children("hostname")) {
        // libvirt 9.0 skips a <hostname/> without content.
        if (hostname.raw()->children == nullptr) {
            continue;
        }
        host.names.push_back(hostname.text());
    }
    if (host.names.empty() && !partialOkay) {
        raise(ErrorCode::XmlDetail, "Missing hostname in network '{}' DNS HOST record",
              networkName);
    }
    if (!host.ip.valid() && host.names.empty()) {
        raise(ErrorCode::XmlDetail, "Missing ip and hostname in network '{}' DNS HOST record",
              networkName);
    }
    return host;
}

Dns Dns::parse(std::string_view networkName, const util::XmlNode& node)
{
    Dns dns;
    dns.enable = detail::propTristate(node, "enable");
    dns.forwardPlainNames = detail::propTristate(node, "forwardPlainNames");

    for (const auto& fwd : node.children("forwarder")) {
        DnsForwarder forwarder;
        auto addr = fwd.attr("addr");
        if (addr) {
            auto parsed = util::SocketAddr::tryParse(*addr);
            if (!parsed) {
                raise(ErrorCode::XmlError, "Invalid forwarder IP address '{}' in network '{}'",
                      *addr, networkName);
            }
            forwarder.addr = *parsed;
        }
        forwarder.domain = fwd.attr("domain");
        if (!addr && !forwarder.domain) {
            raise(ErrorCode::XmlError,
                  "Invalid forwarder element, must contain at least one of addr or domain");
        }
        dns.forwarders.push_back(std::move(forwarder));
    }
    for (const auto& host : node.children("host")) {
        dns.hosts.push_back(DnsHost::parse(networkName, host, false));
    }
    for (const auto& srv : node.children("srv")) {
        dns.srvs.push_back(DnsSrv::parse(networkName, srv, false));
    }
    for (const auto& txt : node.children("txt")) {
        dns.txts.push_back(DnsTxt::parse(networkName, txt, false));
    }
    if (dns.enable == Tristate::No &&
        (!dns.forwarders.empty() || !dns.hosts.empty() || !dns.srvs.empty() || !dns.txts.empty())) {
        raise(ErrorCode::XmlError, "Extra data in disabled network '{}'", networkName);
    }
    return dns;
}

void Dns::format(util::XmlWriter& writer) const
{
    if (empty()) {
        return;
    }
    writer.start("dns");
    if (enable != Tristate::Absent) {
        writer.attr("enable", detail::tristateToString(enable));
    }
    if (forwardPlainNames != Tristate::Absent) {
        writer.attr("forwardPlainNames", detail::tristateToString(forwardPlainNames));
    }
    for (const auto& fwd : forwarders) {
        writer.start("forwarder");
        if (fwd.domain) {
            writer.attr("domain", *fwd.domain);
        }
        if (fwd.addr.valid()) {
            writer.attr("addr", fwd.addr.toString());
        }
        writer.end();
    }
    for (const auto& txt : txts) {
        writer.start("txt");
        writer.attr("name", txt.name);
        if (txt.value) {
            writer.attr("value", *txt.value);
        }
        writer.end();
    }
    for (const auto& srv : srvs) {
        if (!srv.service || !srv.protocol) {
            continue;
        }
        writer.start("srv");
        writer.attr("service", *srv.service);
        writer.attr("protocol", *srv.protocol);
        if (srv.domain) {
            writer.attr("domain", *srv.domain);
        }
        if (srv.target) {
            writer.attr("target", *srv.target);
        }
        if (srv.port != 0) {
            writer.attr("port", srv.port);
        }
        if (srv.priority != 0) {
            writer.attr("priority", srv.priority);
        }
        if (srv.weight != 0) {
            writer.attr("weight", srv.weight);
        }
        writer.end();
    }
    for (const auto& host : hosts) {
        writer.start("host");
        writer.attr("ip", host.ip.toString());
        writer.forceOpen();
        for (const auto& name : host.names) {
            writer.element("hostname", name);
        }
        writer.end();
    }
    writer.end();
}

} // namespace dvs::conf
