// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "conf/network_def.h"

// A switch's definition as the management database keeps it, and the network each member host
// builds from it. A switch is a libvirt <network> whose dvs:uplink (if any) gives the uplink's
// kind and settings but no interface names; each member names its own NICs.
//
// In the database: Switch.definition holds the <network> without its portgroups, one Portgroup
// row holds each <portgroup>, and Switch_Generation N holds the whole <network> of generation N
// (portgroups included, in the order the administrator defined them, as libvirt keeps them) —
// what a host applies.
namespace dvs::mgmt {

// Parses a switch definition (switch-define FILE) and checks it as the model checks a network,
// plus the switch's own rules: a name usable as a file name, and no interface names in the
// dvs:uplink. The network's uuid is kept when given, else one is made up (every member uses it).
// Throws Error with the model's code and message.
conf::NetworkDef parseSwitchDefinition(std::string_view xml);

// Checks a switch's whole network: the model's validation with placeholder interfaces in the
// uplink, then with each member's own interfaces. Throws Error with the model's message
// (prefixed with the host's name for a member).
void validateSwitch(const conf::NetworkDef& def,
                    const std::vector<std::pair<std::string, std::vector<std::string>>>& members);

// The network one member builds: def with the dvs:uplink's interfaces set to nics. A switch
// without dvs:uplink gives a single-interface uplink to a member with one NIC (and none to a
// member without). Throws Error(ConfigUnsupported) for several NICs on a switch without
// dvs:uplink, and the model's errors from validate().
conf::NetworkDef memberNetwork(conf::NetworkDef def, const std::vector<std::string>& nics);
// The same from a generation's XML (Switch_Generation.definition).
conf::NetworkDef memberNetwork(std::string_view generationXml,
                               const std::vector<std::string>& nics);

// Switch.definition: the network without portgroups, in canonical form.
std::string baseDefinition(const conf::NetworkDef& def);
// Portgroup.definition: one <portgroup> in canonical form.
std::string portgroupDefinition(const conf::Portgroup& pg);
// Switch_Generation.definition: the whole network, portgroups in def's order.
std::string generationDefinition(conf::NetworkDef def);

// The switch's network from Switch.definition and its Portgroup rows' definitions (which carry
// no order: portgroups sorted by name).
conf::NetworkDef composeSwitch(std::string_view base, const std::vector<std::string>& portgroups);

} // namespace dvs::mgmt
