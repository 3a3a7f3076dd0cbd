// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tristate.h"
#include "util/socket_addr.h"
#include "util/xml.h"

namespace dvs::conf {

// <forwarder addr= domain=/>.
struct DnsForwarder
{
    util::SocketAddr addr;
    std::optional<std::string> domain;
};

// <txt name= value=/>. value is only missing in a partial record used to find one.
struct DnsTxt
{
    std::string name;
    std::optional<std::string> value;

    // virNetworkDNSTxtDefParseXML.
    static DnsTxt parse(std::string_view networkName, const util::XmlNode& txt, bool partialOkay);
};

// <srv service= protocol= domain= target= port= priority= weight=/>; 0 means unset.
struct DnsSrv
{
    std::optional<std::string> service;
    std::optional<std::string> protocol;
    std::optional<std::string> domain;
    std::optional<std::string> target;
    unsigned port = 0;
    unsigned priority = 0;
    unsigned weight = 0;

    // virNetworkDNSSrvDefParseXML.
    static DnsSrv parse(std::string_view networkName, const util::XmlNode& srv, bool partialOkay);
};

// <host ip=><hostname>...</hostname></host>.
struct DnsHost
{
    util::SocketAddr ip;
    std::vector<std::string> names;

    // virNetworkDNSHostDefParseXML.
    static DnsHost parse(std::string_view networkName, const util::XmlNode& host, bool partialOkay);
};

// The <dns> element (libvirt's virNetworkDNSDef).
struct Dns
{
    Tristate enable = Tristate::Absent;
    Tristate forwardPlainNames = Tristate::Absent;
    std::vector<DnsForwarder> forwarders;
    std::vector<DnsTxt> txts;
    std::vector<DnsHost> hosts;
    std::vector<DnsSrv> srvs;

    bool empty() const
    {
        return enable == Tristate::Absent && forwardPlainNames == Tristate::Absent &&
               forwarders.empty() && txts.empty() && hosts.empty() && srvs.empty();
    }

    // virNetworkDNSDefParseXML.
    static Dns parse(std::string_view networkName, const util::XmlNode& dns);
    // Writes <dns> in libvirt's order (forwarders, txt, srv, host); nothing when empty().
    void format(util::XmlWriter& writer) const;
};

} // namespace dvs::conf
