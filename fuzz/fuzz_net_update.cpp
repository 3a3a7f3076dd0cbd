// SPDX-License-Identifier: LGPL-2.1-or-later
// net-update: applies one update command to a network as the driver does (update, then a
// format/parse cycle that refuses what would not read back), and checks that a result that
// validates formats to text that parses back to the same text.
//
// Input: command, section, parent index (signed), flags, then the network XML, a NUL byte and the
// update's XML. Without a NUL the whole rest is the update, applied to a built-in network with
// every updatable section.

#include "conf/network_def.h"
#include "conf/network_update.h"
#include "fuzz_support.h"
#include "util/error.h"

using namespace dvs::conf;

namespace {

constexpr std::string_view kBaseNetwork = R"(<network>
  <name>default</name>
  <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>
  <forward dev='eth1' mode='nat'>
    <interface dev='eth1'/>
  </forward>
  <bridge name='virbr0' stp='on' delay='0'/>
  <domain name='example.com'/>
  <dns>
    <txt name='example' value='example value'/>
    <host ip='192.168.122.2'>
      <hostname>host</hostname>
    </host>
    <srv service='name' protocol='tcp' domain='test-domain-name' target='.' port='1024' priority='10' weight='10'/>
  </dns>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
      <host mac='00:16:3e:77:e2:ed' name='a.example.com' ip='192.168.122.10'/>
    </dhcp>
  </ip>
  <ip family='ipv6' address='2001:db8:ac10:fe01::1' prefix='64'>
    <dhcp>
      <range start='2001:db8:ac10:fe01::1:10' end='2001:db8:ac10:fe01::1:f0'/>
    </dhcp>
  </ip>
  <portgroup name='engineering' default='yes'>
    <vlan><tag id='42'/></vlan>
  </portgroup>
  <portgroup name='sales'/>
</network>
)";

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    dvs::fuzz::Input in(data, size);
    auto command = static_cast<UpdateCommand>(in.byte() % 5);
    auto section = static_cast<UpdateSection>(in.byte() % 13);
    int parentIndex = static_cast<std::int8_t>(in.byte());
    unsigned flags = in.byte() & 3;
    std::string_view networkXml = kBaseNetwork;
    std::string_view updateXml = in.remaining();
    if (updateXml.find('\0') != std::string_view::npos) {
        networkXml = in.untilNul();
        updateXml = in.remaining();
    }
    NetworkDef def;
    try {
        def = NetworkDef::parseString(networkXml);
        updateNetworkDef(def, command, section, parentIndex, updateXml, flags);
        // The driver's final format/parse cycle (libvirt's): what fails it is refused.
        (void)NetworkDef::parseString(def.format());
        def.validateForDefine();
    } catch (const dvs::Error&) {
        return 0;
    }
    std::string first = def.format();
    NetworkDef again;
    try {
        again = NetworkDef::parseString(first);
        again.validateForDefine();
    } catch (const dvs::Error& e) {
        dvs::fuzz::fail(std::string("updated network refused: ") + e.what(), first);
    }
    std::string second = again.format();
    if (second != first) {
        dvs::fuzz::fail("updated network formats differently after a round trip", first, second);
    }
    return 0;
}
