// SPDX-License-Identifier: LGPL-2.1-or-later
#include "conf/netdev_bandwidth.h"

#include "util/error.h"
#include "util/number.h"

namespace dvs::conf {

namespace {

unsigned long long parseRateValue(const std::string& text, const char* what)
{
    auto value = util::parseNumber<unsigned long long>(text, 10, util::Sign::Refuse);
    if (!value) {
        raise(ErrorCode::ConfigUnsupported, "could not convert bandwidth {} value '{}'", what,
              text);
    }
    return *value;
}

BandwidthRate parseRate(const util::XmlNode& node)
{
    BandwidthRate rate;
    auto average = node.attr("average");
    auto peak = node.attr("peak");
    auto burst = node.attr("burst");
    auto floor = node.attr("floor");

    if (average) {
        rate.average = parseRateValue(*average, "average");
    } else if (!floor) {
        raise(ErrorCode::XmlDetail, "Missing mandatory average or floor attributes");
    }
    if ((peak || burst) && !average) {
        raise(ErrorCode::ConfigUnsupported, "'peak' and 'burst' require 'average' attribute");
    }
    if (peak) {
        rate.peak = parseRateValue(*peak, "peak");
    }
    if (burst) {
        rate.burst = parseRateValue(*burst, "burst");
    }
    if (floor) {
        rate.floor = parseRateValue(*floor, "floor");
    }
    return rate;
}

void formatRate(util::XmlWriter& writer, const std::optional<BandwidthRate>& rate,
                std::string_view name)
{
    if (!rate || (rate->average == 0 && rate->floor == 0)) {
        return;
    }
    writer.start(name);
    // libvirt leaves out an average of 0, but peak and burst need one to read back: a floor
    // with a peak or burst and no average keeps average='0' (found by the networkport-xml
    // fuzz target).
    if (rate->average != 0 || rate->peak != 0 || rate->burst != 0) {
        writer.attr("average", rate->average);
    }
    if (rate->peak != 0) {
        writer.attr("peak", rate->peak);
    }
    if (rate->floor != 0) {
        writer.attr("floor", rate->floor);
    }
    if (rate->burst != 0) {
        writer.attr("burst", rate->burst);
    }
    writer.end();
}

} // namespace

Bandwidth Bandwidth::parse(const util::XmlNode& bandwidthElement, bool allowFloor,
                           unsigned* classId)
{
    if (bandwidthElement.name() != "bandwidth") {
        raise(ErrorCode::InvalidArg, "invalid argument supplied");
    }
    if (auto classIdText = bandwidthElement.attr("classID")) {
        if (classId == nullptr) {
            raise(ErrorCode::XmlDetail,
                  "classID attribute not supported on <bandwidth> in this usage context");
        }
        auto value = util::parseNumber<unsigned>(*classIdText);
        if (!value) {
            raise(ErrorCode::InternalError, "Unable to parse class id '{}'", *classIdText);
        }
        *classId = *value;
    }

    std::optional<util::XmlNode> inNode;
    std::optional<util::XmlNode> outNode;
    for (const auto& child : bandwidthElement.children()) {
        if (child.name() == "inbound") {
            if (inNode) {
                raise(ErrorCode::XmlDetail, "Only one child <inbound> element allowed");
            }
            inNode = child;
        } else if (child.name() == "outbound") {
            if (outNode) {
                raise(ErrorCode::XmlDetail, "Only one child <outbound> element allowed");
            }
            outNode = child;
        }
    }

    Bandwidth bandwidth;
    if (inNode) {
        bandwidth.in = parseRate(*inNode);
        if (bandwidth.in->floor != 0 && !allowFloor) {
            raise(ErrorCode::ConfigUnsupported, "floor attribute is not supported for this config");
        }
    }
    if (outNode) {
        bandwidth.out = parseRate(*outNode);
        if (bandwidth.out->floor != 0) {
            raise(ErrorCode::ConfigUnsupported,
                  "'floor' attribute allowed only in <inbound> element");
        }
    }
    // A rate with neither average nor floor (average='0') limits nothing and formats to
    // nothing, so libvirt loses it on the next read; it is dropped here at once so that what is
    // stored reads back the same (found by the domain-interface fuzz target).
    for (auto* rate : {&bandwidth.in, &bandwidth.out}) {
        if (*rate && (*rate)->average == 0 && (*rate)->floor == 0) {
            rate->reset();
        }
    }
    return bandwidth;
}

void Bandwidth::format(util::XmlWriter& writer, unsigned classId) const
{
    if (empty()) {
        return;
    }
    writer.start("bandwidth");
    if (classId != 0) {
        writer.attr("classID", classId);
    }
    writer.forceOpen();
    formatRate(writer, in, "inbound");
    formatRate(writer, out, "outbound");
    writer.end();
}

} // namespace dvs::conf
