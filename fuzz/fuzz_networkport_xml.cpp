// SPDX-License-Identifier: LGPL-2.1-or-later
// <networkport> XML: parse, format, parse the output again; every port that parses is stored
// and returned by the driver, so the second parse must succeed and give the same port and text.
// (The RelaxNG check the driver applies on request is left out: it reloads the schema per call.)

#include "conf/network_port.h"
#include "fuzz_support.h"
#include "util/error.h"

using dvs::conf::NetworkPort;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    auto xml = dvs::fuzz::asText(data, size);
    NetworkPort port;
    try {
        port = NetworkPort::parseString(xml);
    } catch (const dvs::Error&) {
        return 0;
    }
    std::string first = port.format();
    NetworkPort again;
    try {
        again = NetworkPort::parseString(first);
    } catch (const dvs::Error& e) {
        dvs::fuzz::fail(std::string("formatted port refused: ") + e.what(), first);
    }
    std::string second = again.format();
    if (second != first) {
        dvs::fuzz::fail("port formats differently after a round trip", first, second);
    }
    if (!(again == port)) {
        dvs::fuzz::fail("port reads back different", first, second);
    }
    return 0;
}
