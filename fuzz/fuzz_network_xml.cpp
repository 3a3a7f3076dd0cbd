// SPDX-License-Identifier: LGPL-2.1-or-later
// Network XML: parse, validate, format (live and inactive), and parse the output again; a
// definition that validates must format to text that parses, validates and formats to the same
// text.

#include "conf/network_def.h"
#include "fuzz_support.h"
#include "util/error.h"

using dvs::conf::NetworkDef;
namespace Format = dvs::conf::NetworkFormatFlags;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    NetworkDef def;
    try {
        def = NetworkDef::parseString(dvs::fuzz::asText(data, size));
    } catch (const dvs::Error&) {
        return 0;
    }
    bool valid = true;
    try {
        def.validateForDefine();
    } catch (const dvs::Error&) {
        valid = false;
    }
    for (unsigned flags : {0U, Format::Inactive}) {
        std::string first = def.format(flags);
        if (!valid) {
            continue;
        }
        NetworkDef again;
        try {
            again = NetworkDef::parseString(first);
            again.validateForDefine();
        } catch (const dvs::Error& e) {
            dvs::fuzz::fail(std::string("formatted network refused: ") + e.what(), first);
        }
        std::string second = again.format(flags);
        if (second != first) {
            dvs::fuzz::fail("network formats differently after a round trip", first, second);
        }
    }
    return 0;
}
