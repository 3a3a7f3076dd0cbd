// SPDX-License-Identifier: LGPL-2.1-or-later
#include "conf/network_status.h"

#include <cctype>

#include "conf/schema.h"
#include "util/error.h"
#include "util/number.h"

namespace dvs::conf {

namespace {

constexpr std::string_view kStatusUrl = "(network status)";
// Largest bit number we accept; class IDs are 16-bit minor numbers of tc classes.
constexpr unsigned long kMaxBit = 1UL << 20;

[[noreturn]] void badBitmap(std::string_view text)
{
    raise(ErrorCode::InvalidArg, "Failed to parse bitmap '{}'", text);
}

void skipBlanks(std::string_view text, std::size_t& pos)
{
    while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos])) != 0) {
        ++pos;
    }
}

unsigned readNumber(std::string_view text, std::size_t& pos)
{
    std::size_t start = pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) != 0) {
        ++pos;
    }
    auto value = util::parseNumber<unsigned long>(text.substr(start, pos - start));
    if (pos == start || !value || *value > kMaxBit) {
        badBitmap(text);
    }
    return static_cast<unsigned>(*value);
}

} // namespace

std::string formatBitmap(const std::set<unsigned>& bits)
{
    std::string out;
    for (auto it = bits.begin(); it != bits.end();) {
        unsigned first = *it;
        unsigned last = first;
        ++it;
        while (it != bits.end() && *it == last + 1) {
            last = *it;
            ++it;
        }
        if (!out.empty()) {
            out += ',';
        }
        out += std::to_string(first);
        if (last != first) {
            out += '-';
            out += std::to_string(last);
        }
    }
    return out;
}

std::set<unsigned> parseBitmap(std::string_view text)
{
    std::set<unsigned> bits;
    std::size_t pos = 0;
    skipBlanks(text, pos);
    if (pos == text.size()) {
        badBitmap(text);
    }
    while (pos < text.size()) {
        bool negate = false;
        if (text[pos] == '^') {
            negate = true;
            ++pos;
        }
        unsigned first = readNumber(text, pos);
        unsigned last = first;
        skipBlanks(text, pos);
        if (pos < text.size() && text[pos] == '-') {
            ++pos;
            skipBlanks(text, pos);
            last = readNumber(text, pos);
            if (last < first) {
                badBitmap(text);
            }
            skipBlanks(text, pos);
        }
        for (unsigned bit = first;; ++bit) {
            if (negate) {
                bits.erase(bit);
            } else {
                bits.insert(bit);
            }
            if (bit == last) {
                break;
            }
        }
        if (pos == text.size()) {
            break;
        }
        if (text[pos] != ',') {
            badBitmap(text);
        }
        ++pos;
        skipBlanks(text, pos);
        if (pos == text.size()) {
            badBitmap(text);
        }
    }
    return bits;
}

NetworkStatus NetworkStatus::parse(const util::XmlNode& root)
{
    std::optional<util::XmlNode> networkNode;
    if (root.name() == "network" && root.namespaceUri().empty()) {
        networkNode = root;
    } else {
        networkNode = root.child("network");
    }
    if (!networkNode) {
        raise(ErrorCode::InternalError, "Could not find any 'network' element in status file");
    }

    NetworkStatus status;
    status.def = NetworkDef::parse(*networkNode);
    if (root.name() != "networkstatus") {
        return status;
    }

    if (auto classId = root.child("class_id")) {
        auto bitmap = classId->attr("bitmap");
        if (bitmap && !bitmap->empty()) {
            status.classIds = parseBitmap(*bitmap);
        }
    }
    if (auto floor = root.child("floor")) {
        auto sum = floor->attr("sum");
        if (sum && !sum->empty()) {
            auto value = util::parseNumber<unsigned long long>(*sum);
            if (!value) {
                raise(ErrorCode::InternalError, "Malformed 'floor_sum' attribute: {}", *sum);
            }
            status.floorSum = *value;
        }
    }
    for (const auto& taint : root.children("taint")) {
        if (auto flag = taint.attr("flag")) {
            auto value = util::fromString<NetworkTaint>(*flag);
            if (!value) {
                raise(ErrorCode::ConfigUnsupported, "Unknown taint flag {}", *flag);
            }
            status.taints.insert(*value);
        }
    }
    return status;
}

NetworkStatus NetworkStatus::parseString(std::string_view xml, unsigned flags)
{
    auto doc = util::XmlDocument::parse(xml, kStatusUrl);
    if ((flags & NetworkStatusParseFlags::Validate) != 0) {
        validateSchema(doc, doc.root().name() == "network" ? "network.rng" : "networkstatus.rng");
    }
    return parse(doc.root());
}

void NetworkStatus::format(util::XmlWriter& writer) const
{
    writer.start("networkstatus");
    writer.start("class_id");
    writer.attr("bitmap", formatBitmap(classIds));
    writer.end();
    writer.start("floor");
    writer.attr("sum", floorSum);
    writer.end();
    for (auto taint : taints) {
        writer.start("taint");
        writer.attr("flag", util::toString(taint));
        writer.end();
    }
    def.format(writer, 0);
    writer.end();
}

std::string NetworkStatus::format() const
{
    util::XmlWriter writer;
    format(writer);
    return std::move(writer).take();
}

} // namespace dvs::conf
