// SPDX-License-Identifier: LGPL-2.1-or-later
#include "netlink/sriov.h"

#include <algorithm>
#include <charconv>
#include <system_error>

#include <fmt/format.h>

#include "util/error.h"
#include "util/file.h"

namespace dvs::netlink {

namespace {

namespace fs = std::filesystem;

// Parses exactly `text` as a hexadecimal number no larger than max.
std::optional<unsigned> parseHex(std::string_view text, unsigned max)
{
    if (text.empty() || text.size() > 8) {
        return std::nullopt;
    }
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
    if (ec != std::errc() || end != text.data() + text.size() || value > max) {
        return std::nullopt;
    }
    return value;
}

// N of "virtfnN", or nullopt for any other name.
std::optional<unsigned> virtfnIndex(std::string_view name)
{
    constexpr std::string_view kPrefix = "virtfn";
    if (!name.starts_with(kPrefix) || name.size() == kPrefix.size()) {
        return std::nullopt;
    }
    name.remove_prefix(kPrefix.size());
    unsigned value = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), value, 10);
    if (ec != std::errc() || end != name.data() + name.size()) {
        return std::nullopt;
    }
    return value;
}

// The one network device name under VF/net/, or empty.
std::string vfNetdev(const fs::path& vf)
{
    std::error_code ec;
    fs::directory_iterator it(vf / "net", ec);
    if (ec) {
        return {};
    }
    std::vector<std::string> names;
    for (const auto& entry : it) {
        names.push_back(entry.path().filename().string());
    }
    // A VF has at most one netdev; should a driver register several, take a stable one.
    std::sort(names.begin(), names.end());
    return names.empty() ? std::string() : names.front();
}

} // namespace

std::optional<PciAddress> PciAddress::parse(std::string_view text)
{
    // [domain:]bus:slot.function
    auto dot = text.rfind('.');
    if (dot == text.npos) {
        return std::nullopt;
    }
    auto function = parseHex(text.substr(dot + 1), 7);
    text = text.substr(0, dot);
    auto colon = text.rfind(':');
    if (colon == text.npos || !function) {
        return std::nullopt;
    }
    auto slot = parseHex(text.substr(colon + 1), 0x1f);
    text = text.substr(0, colon);
    std::optional<unsigned> domain = 0;
    colon = text.rfind(':');
    if (colon != text.npos) {
        domain = parseHex(text.substr(0, colon), 0xffffffff);
        text = text.substr(colon + 1);
    }
    auto bus = parseHex(text, 0xff);
    if (!slot || !bus || !domain) {
        return std::nullopt;
    }
    return PciAddress{*domain, *bus, *slot, *function};
}

std::string PciAddress::toString() const
{
    return fmt::format("{:04x}:{:02x}:{:02x}.{:x}", domain, bus, slot, function);
}

std::vector<VirtualFunction> listVirtualFunctions(std::string_view pf,
                                                  const std::filesystem::path& sysfsRoot)
{
    if (!util::isSafeFileName(pf, 15)) {
        raise(ErrorCode::InvalidArg, "invalid interface name '{}'", pf);
    }
    const fs::path netdev = sysfsRoot / "class" / "net" / std::string(pf);
    std::error_code ec;
    if (!fs::exists(netdev, ec)) {
        raise(ErrorCode::DeviceMissing, "interface '{}' does not exist", pf);
    }
    const fs::path device = netdev / "device";
    if (!fs::is_directory(device, ec)) {
        return {};
    }

    std::vector<VirtualFunction> vfs;
    fs::directory_iterator it(device, ec);
    if (ec) {
        raise(ErrorCode::InternalError, "Unable to read the virtual functions of '{}': {}", pf,
              ec.message());
    }
    for (const auto& entry : it) {
        auto index = virtfnIndex(entry.path().filename().string());
        if (!index) {
            continue;
        }
        // virtfnN is a link to the VF's PCI device folder, named by its address.
        fs::path target = fs::read_symlink(entry.path(), ec);
        if (ec) {
            raise(ErrorCode::InternalError,
                  "Unable to resolve virtual function '{}' of SRIOV PF '{}': {}",
                  entry.path().filename().string(), pf, ec.message());
        }
        auto address = PciAddress::parse(target.filename().string());
        if (!address) {
            raise(ErrorCode::InternalError,
                  "Unable to parse PCI address '{}' of virtual function '{}' of SRIOV PF '{}'",
                  target.filename().string(), entry.path().filename().string(), pf);
        }
        vfs.push_back(VirtualFunction{*index, *address, vfNetdev(entry.path())});
    }
    std::sort(vfs.begin(), vfs.end(),
              [](const VirtualFunction& a, const VirtualFunction& b) { return a.index < b.index; });
    return vfs;
}

std::vector<VirtualFunction> expandPhysicalFunction(std::string_view pf,
                                                    const std::filesystem::path& sysfsRoot)
{
    auto vfs = listVirtualFunctions(pf, sysfsRoot);
    if (vfs.empty()) {
        raise(ErrorCode::InternalError, "No Vf's present on SRIOV PF '{}'", pf);
    }
    return vfs;
}

} // namespace dvs::netlink
