// SPDX-License-Identifier: LGPL-2.1-or-later
// The real dnsmasq reads what we write: `dnsmasq --test` checks each configuration's syntax (it
// starts no daemon). Needs dnsmasq; skipped without it.
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <catch2/catch.hpp>

#include "conf/network_def.h"
#include "test_support.h"
#include "util/file.h"
#include "virtnet/dnsmasq_files.h"

namespace fs = std::filesystem;

namespace {

std::optional<fs::path> findDnsmasq()
{
    std::string path = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
    path += ":/usr/sbin:/sbin";
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find(':', start);
        if (end == std::string::npos) {
            end = path.size();
        }
        fs::path candidate = fs::path(path.substr(start, end - start)) / "dnsmasq";
        if (end > start && ::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
        start = end + 1;
    }
    return std::nullopt;
}

// Networks that between them produce every kind of line the generator writes.
const std::vector<std::string_view> kNetworks = {
    R"(<network>
  <name>default</name>
  <forward mode='nat'/>
  <bridge name='virbr0'/>
  <mtu size='9000'/>
  <domain name='example.com' localOnly='yes'/>
  <dns forwardPlainNames='no'>
    <forwarder addr='8.8.8.8'/>
    <forwarder domain='corp.example.com' addr='10.0.0.53'/>
    <forwarder domain='ads.example.com'/>
    <txt name='info' value='hello world'/>
    <srv service='ldap' protocol='tcp' domain='example.com' target='ldap.example.com' port='389' priority='10' weight='5'/>
    <srv service='kerberos' protocol='udp'/>
    <host ip='192.168.122.1'><hostname>gateway</hostname></host>
  </dns>
  <ip address='192.168.122.1' netmask='255.255.255.0' localPtr='yes'>
    <tftp root='/srv/tftp'/>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'>
        <lease expiry='1' unit='hours'/>
      </range>
      <host mac='52:54:00:00:00:01' name='one' ip='192.168.122.10'/>
      <bootp file='pxelinux.0' server='192.168.122.1'/>
    </dhcp>
  </ip>
  <ip family='ipv6' address='fd00:1::1' prefix='64' localPtr='yes'>
    <dhcp>
      <range start='fd00:1::100' end='fd00:1::1ff'/>
      <host id='0:3:0:1:0:16:3e:11:22:33' name='six' ip='fd00:1::20'/>
    </dhcp>
  </ip>
</network>)",
    R"(<network>
  <name>isolated</name>
  <bridge name='virbr1'/>
  <dns enable='no'/>
  <ip address='10.9.0.1' prefix='16'>
    <dhcp><host mac='52:54:00:00:00:02' ip='10.9.0.2'/></dhcp>
  </ip>
  <ip family='ipv6' address='fd00:2::1' prefix='64'/>
</network>)",
    R"(<network xmlns:dnsmasq='http://libvirt.org/schemas/network/dnsmasq/1.0'>
  <name>routed</name>
  <forward mode='route'/>
  <bridge name='virbr2'/>
  <ip address='172.20.0.1' prefix='24'/>
  <ip family='ipv6' address='fd00:3::1' prefix='64'/>
  <dnsmasq:options>
    <dnsmasq:option value='cname=www.example.com,routed'/>
  </dnsmasq:options>
</network>)",
};

} // namespace

TEST_CASE("dnsmasq accepts every configuration we write")
{
    auto dnsmasq = findDnsmasq();
    if (!dnsmasq) {
        dvs::test::skip("dnsmasq is not installed");
        return;
    }
    dvs::test::TempDir tmp;
    for (std::size_t i = 0; i < kNetworks.size(); ++i) {
        DYNAMIC_SECTION("network " << i)
        {
            auto def = dvs::conf::NetworkDef::parseString(kNetworks[i]);
            dvs::virtnet::DnsmasqPaths paths{tmp.path(), tmp.path() / (def.name + ".pid")};
            dvs::virtnet::writeDnsmasqFiles(def, paths);
            auto names = dvs::virtnet::DnsmasqFileNames::of(def.name, tmp.path());
            fs::path log = tmp.path() / "log";
            std::string command = dnsmasq->string() +
                                  " --test --conf-file=" + names.config.string() + " >" +
                                  log.string() + " 2>&1";
            int raw = std::system(command.c_str());
            INFO(dvs::util::readFile(names.config));
            INFO(dvs::util::readFile(log));
            CHECK((WIFEXITED(raw) && WEXITSTATUS(raw) == 0));
            CHECK(dvs::util::readFile(log).find("syntax check OK") != std::string::npos);
        }
    }
}
