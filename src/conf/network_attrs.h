// SPDX-License-Identifier: LGPL-2.1-or-later
// Attribute helpers shared by the <network> parsers (internal to src/conf/network_*.cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tristate.h"
#include "util/enum_table.h"
#include "util/error.h"
#include "util/number.h"
#include "util/xml.h"

namespace dvs::conf::detail {

// An attribute read as libvirt's virXPathString("string(./@name)") reads it: an empty value is
// the same as no attribute.
inline std::optional<std::string> xpathAttr(const util::XmlNode& node, const char* name)
{
    auto value = node.attr(name);
    if (value && value->empty()) {
        return std::nullopt;
    }
    return value;
}

// An attribute of the first child element named child, read like xpathAttr
// ("string(./child[1]/@name)").
inline std::optional<std::string> xpathChildAttr(const util::XmlNode& node, std::string_view child,
                                                 const char* name)
{
    auto element = node.child(child);
    if (!element) {
        return std::nullopt;
    }
    return xpathAttr(*element, name);
}

// The text of the first child element named child ("string(./child[1])"); empty is absent.
inline std::optional<std::string> xpathChildText(const util::XmlNode& node, std::string_view child)
{
    auto element = node.child(child);
    if (!element) {
        return std::nullopt;
    }
    auto text = element->text();
    if (text.empty()) {
        return std::nullopt;
    }
    return text;
}

// Result of libvirt's virXPathUInt/virXPathULong on an attribute: absent (-1), invalid (-2) or
// a value.
template <typename T>
struct XPathNumber
{
    bool present = false;
    bool invalid = false;
    T value = 0;
};

template <typename T>
XPathNumber<T> xpathNumber(const util::XmlNode& node, const char* name)
{
    XPathNumber<T> out;
    auto text = xpathAttr(node, name);
    if (!text) {
        return out;
    }
    auto value = util::parseNumber<T>(*text, 10, util::Sign::Wrap);
    if (!value) {
        out.invalid = true;
        return out;
    }
    out.present = true;
    out.value = *value;
    return out;
}

// "yes"/"no" to a Tristate (virTristateBoolTypeFromString without "absent"); nullopt otherwise.
inline std::optional<Tristate> tristateFromString(std::string_view text)
{
    if (text == "yes") {
        return Tristate::Yes;
    }
    if (text == "no") {
        return Tristate::No;
    }
    return std::nullopt;
}

inline std::string_view tristateToString(Tristate value)
{
    return value == Tristate::Yes ? "yes" : "no";
}

// libvirt's virXMLPropTristateBool: absent, "yes" or "no"; anything else is an XML error.
inline Tristate propTristate(const util::XmlNode& node, const char* name)
{
    auto text = node.attr(name);
    if (!text) {
        return Tristate::Absent;
    }
    auto value = tristateFromString(*text);
    if (!value) {
        raise(ErrorCode::XmlError, "Invalid value for attribute '{}' in element '{}': '{}'.", name,
              node.name(), *text);
    }
    return *value;
}

// libvirt's virXMLPropEnum (no flags): absent, or a value of E's table (util/enum_table.h);
// anything else is an XML error.
template <typename E>
std::optional<E> propEnum(const util::XmlNode& node, const char* name)
{
    auto text = node.attr(name);
    if (!text) {
        return std::nullopt;
    }
    auto value = util::fromString<E>(*text);
    if (!value) {
        raise(ErrorCode::XmlError, "Invalid value for attribute '{}' in element '{}': '{}'.", name,
              node.name(), *text);
    }
    return value;
}

// libvirt's virXMLPropUInt (no flags): absent leaves the default; anything but a non-negative
// number in base is an XML error.
inline std::optional<unsigned> propUInt(const util::XmlNode& node, const char* name, int base)
{
    auto text = node.attr(name);
    if (!text) {
        return std::nullopt;
    }
    auto value = util::parseNumber<unsigned>(*text, base, util::Sign::Refuse);
    if (!value) {
        raise(ErrorCode::XmlError,
              "Invalid value for attribute '{}' in element '{}': '{}'. Expected non-negative "
              "integer value",
              name, node.name(), *text);
    }
    return value;
}

} // namespace dvs::conf::detail
