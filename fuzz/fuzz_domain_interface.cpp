// SPDX-License-Identifier: LGPL-2.1-or-later
// The domain <interface type='network'> subset with <actual>: parse as configuration or as live
// status (first byte), format, parse again (same text); then the conversions to a network port
// and back, whose port XML must parse.

#include "conf/domain_interface.h"
#include "fuzz_support.h"
#include "util/error.h"

using namespace dvs::conf;

namespace {

void checkPortText(const NetworkPort& port)
{
    std::string text = port.format();
    try {
        (void)NetworkPort::parseString(text);
    } catch (const dvs::Error& e) {
        dvs::fuzz::fail(std::string("port made from an interface refused: ") + e.what(), text);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    dvs::fuzz::Input in(data, size);
    unsigned flags = (in.byte() & 1) != 0 ? DomainInterfaceFlags::Status : 0;
    DomainInterface iface;
    try {
        iface = DomainInterface::parseString(in.remaining(), flags);
    } catch (const dvs::Error&) {
        return 0;
    }
    std::string first = iface.format(flags);
    DomainInterface again;
    try {
        again = DomainInterface::parseString(first, flags);
    } catch (const dvs::Error& e) {
        dvs::fuzz::fail(std::string("formatted interface refused: ") + e.what(), first);
    }
    std::string second = again.format(flags);
    if (second != first) {
        dvs::fuzz::fail("interface formats differently after a round trip", first, second);
    }
    const auto owner = *dvs::util::Uuid::parse("c7a5fdbd-edaf-9455-926a-d65c16db1809");
    try {
        checkPortText(interfaceToNetworkPort(iface, "guest", owner));
    } catch (const dvs::Error&) {
    }
    if (iface.actual) {
        try {
            NetworkPort port = actualToNetworkPort(iface, "guest", owner);
            checkPortText(port);
            (void)actualFromNetworkPort(port);
        } catch (const dvs::Error&) {
        }
    }
    return 0;
}
