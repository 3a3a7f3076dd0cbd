// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <optional>

#include "util/xml.h"

namespace dvs::conf {

// One direction of a <bandwidth> (libvirt's virNetDevBandwidthRate): average, peak and floor in
// kbytes/s, burst in kbytes. Zero means unset.
struct BandwidthRate
{
    unsigned long long average = 0;
    unsigned long long peak = 0;
    unsigned long long floor = 0;
    unsigned long long burst = 0;

    bool operator==(const BandwidthRate&) const = default;
};

// A <bandwidth> element (libvirt's virNetDevBandwidth). "in" is <inbound>, "out" <outbound>.
struct Bandwidth
{
    std::optional<BandwidthRate> in;
    std::optional<BandwidthRate> out;

    // Whether neither direction is set (then nothing is formatted).
    bool empty() const { return !in && !out; }
    // Whether an inbound floor is set (virNetDevBandwidthHasFloor).
    bool hasFloor() const { return in && in->floor != 0; }

    // Parses <bandwidth> as virNetDevBandwidthParse does. allowFloor says whether the caller
    // supports <inbound floor=>. classId, when given, receives the classID attribute (left
    // untouched when absent); when null, a classID attribute is refused. Unknown children are
    // ignored. Throws Error with libvirt's codes and messages (XmlDetail for a missing average or
    // a repeated direction, ConfigUnsupported for bad numbers and misplaced floor, InternalError
    // for a bad classID).
    static Bandwidth parse(const util::XmlNode& bandwidthElement, bool allowFloor,
                           unsigned* classId = nullptr);

    // Writes <bandwidth [classID=]> with its directions; nothing when empty(). A direction with
    // neither average nor floor is left out, as libvirt does.
    void format(util::XmlWriter& writer, unsigned classId = 0) const;

    bool operator==(const Bandwidth&) const = default;
};

} // namespace dvs::conf
