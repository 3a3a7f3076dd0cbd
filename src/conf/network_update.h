// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <array>
#include <string_view>

#include "network_def.h"

namespace dvs::conf {

// virNetworkUpdateCommand (the numbers travel on the wire).
enum class UpdateCommand : unsigned
{
    None = 0,
    Modify = 1,
    Delete = 2,
    AddLast = 3,
    AddFirst = 4,
};

// virNetworkUpdateSection (the numbers travel on the wire).
enum class UpdateSection : unsigned
{
    None = 0,
    Bridge = 1,
    Domain = 2,
    Ip = 3,
    IpDhcpHost = 4,
    IpDhcpRange = 5,
    Forward = 6,
    ForwardInterface = 7,
    ForwardPf = 8,
    Portgroup = 9,
    DnsHost = 10,
    DnsTxt = 11,
    DnsSrv = 12,
};

// Applies one net-update to def as libvirt's virNetworkDefUpdateSection does: xml is the single
// element of the section (<host>, <range>, <interface>, <portgroup>, <txt>, <srv>, ...),
// parentIndex selects the <ip> for the DHCP sections (-1: the one with DHCP, else the first
// IPv4, else the first IPv6). flags are libvirt's virNetworkUpdateFlags and do not change the
// edit. Throws Error with libvirt's codes and messages (OperationUnsupported for sections
// libvirt cannot update, OperationInvalid for a missing or duplicate entry, XmlError for XML of
// the wrong element); def is unchanged when it throws.
void updateNetworkDef(NetworkDef& def, UpdateCommand command, UpdateSection section,
                      int parentIndex, std::string_view xml, unsigned flags);

} // namespace dvs::conf
