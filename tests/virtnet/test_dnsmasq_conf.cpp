// SPDX-License-Identifier: LGPL-2.1-or-later
// The dnsmasq files of a virtual network: what the corpus does not cover, refusals, and writing
// the files.
#include <filesystem>
#include <functional>
#include <string>
#include <sys/stat.h>
#include <vector>

#include <catch2/catch.hpp>

#include "conf/network_def.h"
#include "test_support.h"
#include "util/error.h"
#include "util/file.h"
#include "virtnet/dnsmasq_conf.h"
#include "virtnet/dnsmasq_files.h"

namespace fs = std::filesystem;
using dvs::Error;
using dvs::ErrorCode;
using dvs::conf::NetworkDef;
using namespace dvs::virtnet;

namespace {

NetworkDef parse(std::string_view xml)
{
    return NetworkDef::parseString(xml);
}

// The lines of the configuration after libvirt's six-line banner.
std::string body(const std::string& config)
{
    std::size_t pos = 0;
    for (int i = 0; i < 6; ++i) {
        pos = config.find('\n', pos) + 1;
    }
    return config.substr(pos);
}

ErrorCode codeOf(const std::function<void()>& fn)
{
    try {
        fn();
    } catch (const Error& e) {
        return e.code();
    }
    return ErrorCode::Ok;
}

constexpr std::string_view kDefault = R"(<network>
  <name>default</name>
  <forward mode='nat'/>
  <bridge name='virbr0' stp='on' delay='0'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
    </dhcp>
  </ip>
</network>)";

} // namespace

TEST_CASE("libvirt's stock default network")
{
    auto contents = dnsmasqContents(parse(kDefault), {"/var/lib/dvs/dnsmasq", std::nullopt});
    CHECK(contents.config.starts_with("##WARNING:  THIS IS AN AUTO-GENERATED FILE."));
    CHECK(contents.config.find("##    virsh net-edit default\n") != std::string::npos);
    CHECK(body(contents.config) == "strict-order\n"
                                   "except-interface=lo\n"
                                   "bind-dynamic\n"
                                   "interface=virbr0\n"
                                   "dhcp-range=192.168.122.2,192.168.122.254,255.255.255.0\n"
                                   "dhcp-no-override\n"
                                   "dhcp-authoritative\n"
                                   "dhcp-lease-max=253\n"
                                   "dhcp-hostsfile=/var/lib/dvs/dnsmasq/default.hostsfile\n"
                                   "addn-hosts=/var/lib/dvs/dnsmasq/default.addnhosts\n");
    CHECK(contents.hostsFile.empty());
    CHECK(contents.addnHosts.empty());
    CHECK(contents.servesDhcp);
    CHECK(needsDnsmasq(parse(kDefault)));
}

TEST_CASE("a pid file is written when given")
{
    auto contents = dnsmasqContents(parse(kDefault), {"/d", "/run/dvs/default.pid"});
    CHECK(contents.config.find("local=") == std::string::npos);
    CHECK(contents.config.find(
              "strict-order\npid-file=/run/dvs/default.pid\nexcept-interface=lo\n") !=
          std::string::npos);
}

TEST_CASE("DNS hosts are grouped by address in the additional-hosts file")
{
    auto def = parse(R"(<network>
  <name>n</name>
  <bridge name='br9'/>
  <dns>
    <host ip='192.168.9.5'><hostname>a</hostname><hostname>b</hostname></host>
    <host ip='fd00::5'><hostname>six</hostname></host>
    <host ip='192.168.9.5'><hostname>c</hostname></host>
  </dns>
  <ip address='192.168.9.1' prefix='24'/>
</network>)");
    auto contents = dnsmasqContents(def, {});
    CHECK(contents.addnHosts == "192.168.9.5\ta\tb\tc\t\nfd00::5\tsix\t\n");
    CHECK_FALSE(contents.servesDhcp);
    CHECK(contents.config.find("dhcp-hostsfile") == std::string::npos);
    CHECK(contents.config.find("addn-hosts=/var/lib/libvirt/dnsmasq/n.addnhosts\n") !=
          std::string::npos);
    // An isolated network: no default route, no forwarding, no router lifetime.
    CHECK(contents.config.find("dhcp-option=3\nno-resolv\nra-param=*,0,0\n") != std::string::npos);
}

TEST_CASE("DHCP hosts without a name and boot servers")
{
    auto def = parse(R"(<network>
  <name>boot</name>
  <forward mode='route'/>
  <bridge name='virbr5'/>
  <ip address='10.5.0.1' prefix='16'>
    <tftp root='/srv/tftp'/>
    <dhcp>
      <range start='10.5.1.0' end='10.5.1.255'>
        <lease expiry='2' unit='hours'/>
      </range>
      <host mac='52:54:00:00:00:01' ip='10.5.0.10'/>
      <host mac='52:54:00:00:00:02' name='named' ip='10.5.0.11'>
        <lease expiry='0'/>
      </host>
      <bootp file='pxelinux.0' server='10.5.0.2'/>
    </dhcp>
  </ip>
</network>)");
    auto contents = dnsmasqContents(def, {});
    CHECK(body(contents.config) == "strict-order\n"
                                   "except-interface=lo\n"
                                   "bind-dynamic\n"
                                   "interface=virbr5\n"
                                   "enable-tftp\n"
                                   "tftp-root=/srv/tftp\n"
                                   "dhcp-range=10.5.1.0,10.5.1.255,255.255.0.0,2h\n"
                                   "dhcp-no-override\n"
                                   "dhcp-authoritative\n"
                                   "dhcp-boot=pxelinux.0,,10.5.0.2\n"
                                   "dhcp-lease-max=256\n"
                                   "dhcp-hostsfile=/var/lib/libvirt/dnsmasq/boot.hostsfile\n"
                                   "addn-hosts=/var/lib/libvirt/dnsmasq/boot.addnhosts\n");
    CHECK(contents.hostsFile ==
          "52:54:00:00:00:01,10.5.0.10\n52:54:00:00:00:02,10.5.0.11,named,infinite\n");
}

TEST_CASE("DNS disabled: no port, no forwarders, no records, no additional hosts")
{
    auto def = parse(R"(<network>
  <name>quiet</name>
  <forward mode='nat'/>
  <bridge name='virbr7'/>
  <dns enable='no'/>
  <ip address='192.168.7.1' prefix='24'>
    <dhcp><range start='192.168.7.10' end='192.168.7.19'/></dhcp>
  </ip>
</network>)");
    auto contents = dnsmasqContents(def, {});
    CHECK(body(contents.config) == "strict-order\n"
                                   "port=0\n"
                                   "except-interface=lo\n"
                                   "bind-dynamic\n"
                                   "interface=virbr7\n"
                                   "dhcp-range=192.168.7.10,192.168.7.19,255.255.255.0\n"
                                   "dhcp-no-override\n"
                                   "dhcp-authoritative\n"
                                   "dhcp-lease-max=10\n"
                                   "dhcp-hostsfile=/var/lib/libvirt/dnsmasq/quiet.hostsfile\n");
    CHECK(needsDnsmasq(def));

    auto noDhcp = parse(R"(<network>
  <name>quiet</name>
  <forward mode='nat'/>
  <bridge name='virbr7'/>
  <dns enable='no'/>
  <ip address='192.168.7.1' prefix='24'/>
</network>)");
    CHECK_FALSE(needsDnsmasq(noDhcp));
    CHECK_FALSE(needsDnsmasq(parse("<network><name>x</name><bridge name='b'/></network>")));
}

TEST_CASE("refusals keep libvirt's codes")
{
    SECTION("two IPv4 DHCP definitions")
    {
        auto def = parse(R"(<network>
  <name>two</name>
  <bridge name='virbr3'/>
  <ip address='192.168.3.1' prefix='24'>
    <dhcp><range start='192.168.3.2' end='192.168.3.9'/></dhcp>
  </ip>
  <ip address='192.168.4.1' prefix='24'>
    <dhcp><range start='192.168.4.2' end='192.168.4.9'/></dhcp>
  </ip>
</network>)");
        try {
            dnsmasqContents(def, {});
            FAIL("accepted");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::ConfigUnsupported);
            CHECK(e.message() == "For IPv4, multiple DHCP definitions cannot be specified.");
        }
    }
    SECTION("a PTR domain off an octet boundary")
    {
        auto def = parse(R"(<network>
  <name>ptr</name>
  <bridge name='virbr3'/>
  <ip address='192.168.3.1' prefix='20' localPtr='yes'/>
</network>)");
        try {
            dnsmasqContents(def, {});
            FAIL("accepted");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::ConfigUnsupported);
            CHECK(e.message() ==
                  "PTR domain for IPv4 network with prefix 20 cannot be automatically created");
        }
    }
    SECTION("no bridge")
    {
        auto def = parse("<network><name>nb</name><ip address='10.0.0.1' prefix='8'/></network>");
        CHECK(codeOf([&] { dnsmasqContents(def, {}); }) == ErrorCode::InternalError);
    }
    SECTION("a line break that would add an option of its own")
    {
        // The parser refuses line breaks in some values only; a domain, say, passes it.
        auto def = parse(R"(<network>
  <name>inject</name>
  <bridge name='virbr3'/>
  <ip address='192.168.3.1' prefix='24'/>
</network>)");
        def.domain = "example.com\ndhcp-script=/tmp/x";
        try {
            dnsmasqContents(def, {});
            FAIL("accepted");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::ConfigUnsupported);
            CHECK(e.message().find("network 'inject'") != std::string::npos);
        }
    }
}

TEST_CASE("PTR domains and lease times")
{
    using dvs::util::SocketAddr;
    CHECK(ptrDomain(SocketAddr::parse("10.1.2.3"), 8) == "10.in-addr.arpa");
    CHECK(ptrDomain(SocketAddr::parse("10.1.2.3"), 16) == "1.10.in-addr.arpa");
    CHECK(ptrDomain(SocketAddr::parse("10.1.2.3"), 32) == std::nullopt);
    CHECK(ptrDomain(SocketAddr::parse("10.1.2.3"), 0) == std::nullopt);
    CHECK(ptrDomain(SocketAddr::parse("fd00:abcd::1"), 32) == "d.c.b.a.0.0.d.f.ip6.arpa");
    CHECK(ptrDomain(SocketAddr::parse("fd00:abcd::1"), 36) == "0.d.c.b.a.0.0.d.f.ip6.arpa");
    CHECK(ptrDomain(SocketAddr::parse("fd00:abcd::1"), 62) == std::nullopt);

    dvs::conf::DhcpLease lease;
    lease.expiry = 0;
    CHECK(dnsmasqLeaseTime(lease) == "infinite");
    lease.expiry = 90;
    lease.unit = dvs::conf::LeaseUnit::Seconds;
    CHECK(dnsmasqLeaseTime(lease) == "90s");
    lease.unit = dvs::conf::LeaseUnit::Hours;
    CHECK(dnsmasqLeaseTime(lease) == "90h");
}

TEST_CASE("file names: libvirt's escaping, and names that cannot be files")
{
    auto names = DnsmasqFileNames::of("a\"b'<c>&", "/x");
    CHECK(names.config == "/x/a\"b'<c>&.conf");
    CHECK(names.hostsFile == "/x/a&quot;b&apos;&lt;c&gt;&amp;.hostsfile");
    CHECK(names.addnHosts == "/x/a&quot;b&apos;&lt;c&gt;&amp;.addnhosts");
    for (const std::string& bad :
         std::vector<std::string>{"", ".", "..", "a/b", std::string(250, 'n')}) {
        CHECK(codeOf([&] { DnsmasqFileNames::of(bad, "/x"); }) == ErrorCode::InvalidArg);
    }
}

TEST_CASE("writing, refreshing and removing the files")
{
    dvs::test::TempDir tmp;
    fs::path dir = tmp.path() / "dnsmasq";
    auto def = parse(R"(<network>
  <name>w</name>
  <forward mode='nat'/>
  <bridge name='virbr8'/>
  <dns><host ip='192.168.8.1'><hostname>gw</hostname></host></dns>
  <ip address='192.168.8.1' prefix='24'>
    <dhcp>
      <range start='192.168.8.2' end='192.168.8.9'/>
      <host mac='52:54:00:08:00:01' name='one' ip='192.168.8.20'/>
    </dhcp>
  </ip>
</network>)");
    DnsmasqPaths paths{dir, std::nullopt};
    auto written = writeDnsmasqFiles(def, paths);
    CHECK(dvs::util::readFile(dir / "w.conf") == written.config);
    CHECK(dvs::util::readFile(dir / "w.hostsfile") == "52:54:00:08:00:01,192.168.8.20,one\n");
    CHECK(dvs::util::readFile(dir / "w.addnhosts") == "192.168.8.1\tgw\t\n");
    struct stat st
    {};
    REQUIRE(::stat((dir / "w.conf").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    // A refresh rewrites the hosts files only.
    def.ips[0].hosts.clear();
    dvs::util::writeFileAtomic(dir / "w.conf", "marker\n");
    writeDnsmasqHosts(def, paths);
    CHECK(dvs::util::readFile(dir / "w.hostsfile").empty());
    CHECK(dvs::util::readFile(dir / "w.conf") == "marker\n");

    // Bad input writes nothing.
    auto bad = def;
    bad.domain = "a\nb";
    CHECK_THROWS_AS(writeDnsmasqFiles(bad, paths), Error);
    CHECK(dvs::util::readFile(dir / "w.conf") == "marker\n");

    removeDnsmasqFiles("w", dir);
    CHECK(fs::is_empty(dir));
    removeDnsmasqFiles("w", dir); // nothing left: no error
}

TEST_CASE("what dnsmasq needs after a net-update")
{
    using dvs::conf::UpdateSection;
    auto before = parse(kDefault);
    auto after = before;
    CHECK(dnsmasqReloadFor(UpdateSection::IpDhcpHost, before, after) == DnsmasqReload::Signal);
    CHECK(dnsmasqReloadFor(UpdateSection::DnsHost, before, after) == DnsmasqReload::Signal);
    CHECK(dnsmasqReloadFor(UpdateSection::IpDhcpRange, before, after) == DnsmasqReload::Restart);
    CHECK(dnsmasqReloadFor(UpdateSection::DnsTxt, before, after) == DnsmasqReload::Restart);
    CHECK(dnsmasqReloadFor(UpdateSection::DnsSrv, before, after) == DnsmasqReload::Restart);
    CHECK(dnsmasqReloadFor(UpdateSection::Portgroup, before, after) == DnsmasqReload::None);
    after.ips[0].ranges.clear();
    CHECK(dnsmasqReloadFor(UpdateSection::IpDhcpHost, before, after) == DnsmasqReload::Restart);
}
