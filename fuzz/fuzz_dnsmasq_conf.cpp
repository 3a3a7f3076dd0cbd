// SPDX-License-Identifier: LGPL-2.1-or-later
// dnsmasq's files of a network definition: whatever the definition holds, the generator either
// refuses it with an Error or writes files whose lines are exactly the lines it meant (no value
// can end a line early or hide in a control character), the same every time.

#include "conf/network_def.h"
#include "fuzz_support.h"
#include "util/error.h"
#include "virtnet/dnsmasq_conf.h"

namespace {

// Only the separators the format has: '\n' (and '\t' where it is one).
void checkLines(std::string_view what, std::string_view text, bool tabs)
{
    if (!text.empty() && text.back() != '\n') {
        dvs::fuzz::fail(std::string(what) + " does not end with a line break", text);
    }
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\n' && !(tabs && c == '\t')) || u == 0x7f) {
            dvs::fuzz::fail(std::string(what) + " holds a control character", text);
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    dvs::conf::NetworkDef def;
    try {
        def = dvs::conf::NetworkDef::parseString(dvs::fuzz::asText(data, size));
    } catch (const dvs::Error&) {
        return 0;
    }
    if (!def.bridge) {
        def.bridge = "virbr0";
    }
    dvs::virtnet::DnsmasqContents first;
    try {
        first = dvs::virtnet::dnsmasqContents(def, {});
    } catch (const dvs::Error&) {
        return 0;
    }
    checkLines("the configuration", first.config, false);
    checkLines("the hosts file", first.hostsFile, false);
    checkLines("the additional-hosts file", first.addnHosts, true);
    bool hostsLine = first.config.find("\ndhcp-hostsfile=") != std::string::npos;
    if (hostsLine != first.servesDhcp) {
        dvs::fuzz::fail("dhcp-hostsfile= written without DHCP, or DHCP without it", first.config);
    }
    auto second = dvs::virtnet::dnsmasqContents(def, {});
    if (second.config != first.config || second.hostsFile != first.hostsFile ||
        second.addnHosts != first.addnHosts) {
        dvs::fuzz::fail("the same definition gives different files", first.config, second.config);
    }
    return 0;
}
