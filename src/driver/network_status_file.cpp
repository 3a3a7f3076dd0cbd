// SPDX-License-Identifier: LGPL-2.1-or-later
#include "driver/network_status_file.h"

#include "util/error.h"
#include "util/number.h"
#include "util/xml.h"

namespace dvs::driver {

std::string formatNetworkStatus(const conf::NetworkDef& live, const NetworkStatusExtra& extra)
{
    util::XmlWriter writer;
    writer.start("networkstatus");
    writer.start("class_id");
    writer.attr("bitmap", extra.classIdBitmap);
    writer.end();
    writer.start("floor");
    writer.attr("sum", extra.floorSum);
    writer.end();
    if (extra.taintHook) {
        writer.start("taint");
        writer.attr("flag", "hook-script");
        writer.end();
    }
    live.format(writer, 0);
    writer.end();
    return std::move(writer).take();
}

NetworkStatusFile parseNetworkStatus(std::string_view xml)
{
    auto doc = util::XmlDocument::parse(xml, "(network_status)", "networkstatus");
    auto root = doc.root();
    auto network = root.child("network");
    if (!network) {
        throw Error(ErrorCode::XmlError, "no network element found in network status");
    }
    NetworkStatusFile status{conf::NetworkDef::parse(*network), {}};
    if (auto classId = root.child("class_id")) {
        status.extra.classIdBitmap = classId->attr("bitmap").value_or("0-2");
    }
    if (auto floor = root.child("floor")) {
        auto sum = util::parseNumber<unsigned long long>(floor->attr("sum").value_or("0"));
        if (!sum) {
            throw Error(ErrorCode::XmlError, "malformed 'floor_sum' attribute");
        }
        status.extra.floorSum = *sum;
    }
    for (const auto& taint : root.children("taint")) {
        if (taint.attr("flag") == "hook-script") {
            status.extra.taintHook = true;
        }
    }
    return status;
}

} // namespace dvs::driver
