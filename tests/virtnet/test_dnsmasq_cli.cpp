// SPDX-License-Identifier: LGPL-2.1-or-later
// dvsctl dnsmasq-conf, run as a user runs it.
#include <cstdlib>
#include <string>
#include <sys/wait.h>
#include <vector>

#include <catch2/catch.hpp>

#include "test_support.h"
#include "util/file.h"

namespace {

struct Result
{
    int status = -1;
    std::string out;
    std::string err;
};

std::string quote(const std::string& arg)
{
    std::string quoted = "'";
    for (char c : arg) {
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return quoted + "'";
}

// Runs dvsctl with args and input on its standard input, capturing both streams.
Result dvsctl(const std::vector<std::string>& args, const std::string& input = "")
{
    dvs::test::TempDir dir;
    std::string command = quote((dvs::test::buildRoot() / "src" / "cli" / "dvsctl").string());
    for (const auto& arg : args) {
        command += " " + quote(arg);
    }
    dvs::util::writeFileAtomic(dir.path() / "in", input);
    command += " <" + quote((dir.path() / "in").string()) + " >" +
               quote((dir.path() / "out").string()) + " 2>" + quote((dir.path() / "err").string());
    int raw = std::system(command.c_str());
    Result result;
    result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    result.out = dvs::util::readFile(dir.path() / "out");
    result.err = dvs::util::readFile(dir.path() / "err");
    return result;
}

constexpr std::string_view kNetwork = R"(<network>
  <name>default</name>
  <forward mode='nat'/>
  <bridge name='virbr0'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
      <host mac='52:54:00:aa:bb:cc' name='web' ip='192.168.122.10'/>
    </dhcp>
  </ip>
</network>
)";

} // namespace

TEST_CASE("dvsctl dnsmasq-conf prints the configuration and the hosts file")
{
    dvs::test::TempDir dir;
    auto file = (dir.path() / "default.xml").string();
    dvs::util::writeFileAtomic(file, kNetwork);

    auto conf = dvsctl({"dnsmasq-conf", file});
    CHECK(conf.status == 0);
    CHECK(conf.err.empty());
    CHECK(conf.out.find("interface=virbr0\n") != std::string::npos);
    CHECK(conf.out.find("dhcp-hostsfile=/var/lib/dvs/dnsmasq/default.hostsfile\n") !=
          std::string::npos);

    auto libvirt = dvsctl({"dnsmasq-conf", "--state-dir", "/var/lib/libvirt/dnsmasq", file});
    CHECK(libvirt.status == 0);
    CHECK(libvirt.out.find("addn-hosts=/var/lib/libvirt/dnsmasq/default.addnhosts\n") !=
          std::string::npos);

    auto hosts = dvsctl({"--state-dir=/x", "--hostsfile", "-"}, std::string(kNetwork));
    // Options before the command are not dvsctl's: that is a usage error.
    CHECK(hosts.status != 0);
    hosts = dvsctl({"dnsmasq-conf", "--state-dir=/x", "--hostsfile", "-"}, std::string(kNetwork));
    CHECK(hosts.status == 0);
    CHECK(hosts.out == "52:54:00:aa:bb:cc,192.168.122.10,web\n");
}

TEST_CASE("dvsctl dnsmasq-conf names the bridge as a first net-define does")
{
    auto none = dvsctl({"dnsmasq-conf", "-"}, R"(<network>
  <name>nobridge</name>
  <ip address='192.168.50.1' prefix='24'/>
</network>)");
    CHECK(none.status == 0);
    CHECK(none.out.find("\ninterface=virbr0\n") != std::string::npos);
    auto templ = dvsctl({"dnsmasq-conf", "-"}, R"(<network>
  <name>templ</name>
  <bridge name='lab%d'/>
  <ip address='192.168.51.1' prefix='24'/>
</network>)");
    CHECK(templ.status == 0);
    CHECK(templ.out.find("\ninterface=lab0\n") != std::string::npos);
}

TEST_CASE("dvsctl dnsmasq-conf refuses bad input with libvirt's errors")
{
    CHECK(dvsctl({"dnsmasq-conf"}).status == 1);
    CHECK(dvsctl({"dnsmasq-conf", "--bogus", "-"}).status == 1);
    CHECK(dvsctl({"dnsmasq-conf", "--state-dir"}).status == 1);

    auto broken = dvsctl({"dnsmasq-conf", "-"}, "<network><name>x</name>");
    CHECK(broken.status == 1);
    CHECK(broken.out.empty());
    CHECK(broken.err.find("error:") != std::string::npos);

    auto twoDhcp = dvsctl({"dnsmasq-conf", "-"}, R"(<network>
  <name>two</name>
  <bridge name='virbr3'/>
  <ip address='192.168.3.1' prefix='24'>
    <dhcp><range start='192.168.3.2' end='192.168.3.9'/></dhcp>
  </ip>
  <ip address='192.168.4.1' prefix='24'>
    <dhcp><range start='192.168.4.2' end='192.168.4.9'/></dhcp>
  </ip>
</network>)");
    CHECK(twoDhcp.status == 1);
    CHECK(twoDhcp.out.empty());
    CHECK(twoDhcp.err.find("unsupported configuration: Multiple IPv4 dhcp sections") !=
          std::string::npos);

    auto bridged = dvsctl({"dnsmasq-conf", "-"}, R"(<network>
  <name>host</name>
  <forward mode='bridge'/>
  <bridge name='br0'/>
</network>)");
    CHECK(bridged.status == 1);
    CHECK(bridged.out.empty());
    CHECK(bridged.err ==
          "error: unsupported configuration: network 'host' with forward mode 'bridge' has no "
          "dnsmasq: only nat, route, open and isolated networks do\n");
}
