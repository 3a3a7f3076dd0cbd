// SPDX-License-Identifier: LGPL-2.1-or-later
#include "conf/device_types.h"

#include <fmt/format.h>

#include "util/error.h"
#include "util/number.h"

namespace dvs::conf {

namespace {

unsigned parsePciPart(const util::XmlNode& node, const char* name)
{
    auto text = node.attr(name);
    if (!text) {
        return 0;
    }
    auto value = util::parseNumber<unsigned>(*text, 0, util::Sign::Refuse);
    if (!value) {
        raise(ErrorCode::XmlError,
              "Invalid value for attribute '{}' in element '{}': '{}'. Expected non-negative "
              "integer value",
              name, node.name(), *text);
    }
    return *value;
}

} // namespace

PciAddress PciAddress::parse(const util::XmlNode& node)
{
    PciAddress addr;
    addr.domain = parsePciPart(node, "domain");
    addr.bus = parsePciPart(node, "bus");
    addr.slot = parsePciPart(node, "slot");
    addr.function = parsePciPart(node, "function");
    if (auto multi = node.attr("multifunction")) {
        if (*multi != "on" && *multi != "off") {
            raise(ErrorCode::XmlError, "Invalid value for attribute '{}' in element '{}': '{}'.",
                  "multifunction", node.name(), *multi);
        }
    }
    if (!addr.empty()) {
        if (addr.bus > 0xFF) {
            raise(ErrorCode::XmlError, "Invalid PCI address bus='{:#x}', must be <= 0xFF",
                  addr.bus);
        }
        if (addr.slot > 0x1F) {
            raise(ErrorCode::XmlError, "Invalid PCI address slot='{:#x}', must be <= 0x1F",
                  addr.slot);
        }
        if (addr.function > 7) {
            raise(ErrorCode::XmlError, "Invalid PCI address function={:#x}, must be <= 7",
                  addr.function);
        }
    }
    return addr;
}

std::string PciAddress::toString() const
{
    return fmt::format("{:04x}:{:02x}:{:02x}.{:x}", domain, bus, slot, function);
}

void PciAddress::format(util::XmlWriter& writer, bool withType) const
{
    writer.start("address");
    if (withType) {
        writer.attr("type", "pci");
    }
    writer.attr("domain", fmt::format("0x{:04x}", domain));
    writer.attr("bus", fmt::format("0x{:02x}", bus));
    writer.attr("slot", fmt::format("0x{:02x}", slot));
    writer.attr("function", fmt::format("0x{:x}", function));
    writer.end();
}

} // namespace dvs::conf
