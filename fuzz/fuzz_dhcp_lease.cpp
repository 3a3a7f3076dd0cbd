// SPDX-License-Identifier: LGPL-2.1-or-later
// DHCP leases. First byte 0: a lease file (JSON, from disk: libvirt may have written it) that
// parses formats to text that parses to the same leases, and answers net-dhcp-leases and
// dnsmasq's init. First byte 1: a call of the dhcp script (its arguments on the first line,
// separated by spaces, then NAME=VALUE lines of environment) that parses applies to a table whose
// file reads back the same, and applying it twice changes nothing more.

#include <map>
#include <sstream>

#include "conf/network_def.h"
#include "fuzz_support.h"
#include "util/error.h"
#include "virtnet/dhcp_lease.h"
#include "virtnet/lease_event.h"

namespace {

constexpr long long kNow = 1700000000;

const dvs::conf::NetworkDef& network()
{
    static const dvs::conf::NetworkDef def = dvs::conf::NetworkDef::parseString(R"(<network>
  <name>default</name>
  <forward mode='nat'/>
  <bridge name='virbr0'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'/>
  <ip family='ipv6' address='fd00::1' prefix='64'/>
</network>)");
    return def;
}

void roundTrip(const dvs::virtnet::LeaseTable& table)
{
    std::string text = table.format();
    dvs::virtnet::LeaseTable again;
    try {
        again = dvs::virtnet::LeaseTable::parse(text);
    } catch (const dvs::Error& e) {
        dvs::fuzz::fail(std::string("a formatted lease file is refused: ") + e.what(), text);
    }
    // Names that are not UTF-8 are replaced once; after that the text is a fixed point.
    if (again.format() != text) {
        dvs::fuzz::fail("a lease file reads back different leases", text, again.format());
    }
}

void leaseFile(std::string_view text)
{
    dvs::virtnet::LeaseTable table;
    try {
        table = dvs::virtnet::LeaseTable::parse(text);
    } catch (const dvs::Error&) {
        return;
    }
    roundTrip(table);
    (void)table.dnsmasqLeases();
    try {
        (void)dvs::virtnet::networkDhcpLeases(table, network(), std::nullopt, kNow);
        (void)dvs::virtnet::networkDhcpLeases(table, network(), "52:54:00:00:00:01", kNow);
    } catch (const dvs::Error&) {
    }
    table.removeExpired(kNow);
    roundTrip(table);
}

void scriptCall(std::string_view text)
{
    std::istringstream in{std::string(text)};
    std::string line;
    std::getline(in, line);
    std::vector<std::string> args;
    std::istringstream words(line);
    for (std::string word; words >> word;) {
        args.push_back(word);
    }
    std::map<std::string, std::string, std::less<>> env;
    while (std::getline(in, line)) {
        auto eq = line.find('=');
        if (eq != std::string::npos) {
            env[line.substr(0, eq)] = line.substr(eq + 1);
        }
    }
    auto lookup = [&env](std::string_view name) -> std::optional<std::string> {
        auto it = env.find(name);
        return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    dvs::virtnet::LeaseEvent event;
    try {
        event = dvs::virtnet::parseLeaseEvent(args, lookup, kNow);
    } catch (const dvs::Error&) {
        return;
    }
    dvs::virtnet::LeaseTable table;
    table.apply(event);
    roundTrip(table);
    // Applying the same call again changes nothing more.
    auto once = table.leases();
    if (table.apply(event) || table.leases() != once) {
        dvs::fuzz::fail("a lease change applied twice differs from once", table.format());
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    dvs::fuzz::Input input(data, size);
    std::uint8_t kind = input.byte();
    if (kind % 2 == 0) {
        leaseFile(input.remaining());
    } else {
        scriptCall(input.remaining());
    }
    return 0;
}
