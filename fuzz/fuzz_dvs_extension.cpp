// SPDX-License-Identifier: LGPL-2.1-or-later
// The dvs: extension element (<dvs:network xmlns:dvs=...>) on its own: parse, validate, check the
// uplink against each kind of host network, format and parse again (same extension, same text).
// The first byte picks the forward mode and pool the uplink check is given.

#include <vector>

#include "conf/dvs_extension.h"
#include "fuzz_support.h"
#include "util/error.h"

using namespace dvs::conf;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    dvs::fuzz::Input in(data, size);
    std::uint8_t selector = in.byte();
    DvsExtension ext;
    try {
        auto doc = dvs::util::XmlDocument::parse(in.remaining(), "(dvs_extension)");
        ext = DvsExtension::parse(doc.root());
    } catch (const dvs::Error&) {
        return 0;
    }
    bool valid = true;
    try {
        ext.validate();
        static const UplinkHost kHosts[] = {UplinkHost::OvsBridge, UplinkHost::LinuxBridge,
                                            UplinkHost::Macvtap, UplinkHost::Hostdev,
                                            UplinkHost::Routed};
        static const char* const kModes[] = {"bridge", "bridge", "vepa", "hostdev", "nat"};
        std::size_t host = selector % 5;
        std::vector<std::string> pool;
        if ((selector & 0x80) != 0) {
            pool = {"eth0", "eth1", "bond0"};
        }
        ext.validateUplink(kHosts[host], kModes[host], pool);
    } catch (const dvs::Error&) {
        valid = false;
    }
    dvs::util::XmlWriter writer;
    ext.format(writer);
    std::string first = writer.str();
    DvsExtension again;
    try {
        auto doc = dvs::util::XmlDocument::parse(first, "(dvs_extension)");
        again = DvsExtension::parse(doc.root());
        if (valid) {
            again.validate();
        }
    } catch (const dvs::Error& e) {
        dvs::fuzz::fail(std::string("formatted extension refused: ") + e.what(), first);
    }
    dvs::util::XmlWriter writer2;
    again.format(writer2);
    if (writer2.str() != first) {
        dvs::fuzz::fail("extension formats differently after a round trip", first, writer2.str());
    }
    if (!(again == ext)) {
        dvs::fuzz::fail("extension reads back different", first);
    }
    return 0;
}
