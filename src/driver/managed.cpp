// SPDX-License-Identifier: LGPL-2.1-or-later
// Networks a distributed switch manages: their marks on disk, the refusal RPC clients get, and
// the host agent's own path to change them (NetworkDriver::managed*).
#include "driver/managed.h"

#include <system_error>

#include <fmt/format.h>

#include "driver/network_driver.h"
#include "util/error.h"
#include "util/file.h"

namespace fs = std::filesystem;

namespace dvs::driver {

namespace {

constexpr std::size_t kMaxMarkSize = 4096;

bool storable(std::string_view value)
{
    return !value.empty() && value.find_first_of("\n\r") == std::string_view::npos;
}

std::optional<ManagedBy> parseMark(std::string_view text)
{
    ManagedBy by;
    while (!text.empty()) {
        auto end = text.find('\n');
        auto line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        auto eq = line.find('=');
        if (eq == std::string_view::npos) {
            continue;
        }
        auto key = line.substr(0, eq);
        auto value = std::string(line.substr(eq + 1));
        if (key == "switch") {
            by.switchName = std::move(value);
        } else if (key == "host") {
            by.host = std::move(value);
        }
    }
    if (by.switchName.empty()) {
        return std::nullopt;
    }
    return by;
}

} // namespace

void ManagedMarks::load(std::vector<std::string>& notices)
{
    marks_.clear();
    std::error_code ec;
    if (!fs::is_directory(dir_, ec)) {
        return;
    }
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
        auto name = entry.path().filename().string();
        if (!entry.is_regular_file(ec) || name.starts_with(".")) {
            continue;
        }
        try {
            auto by = parseMark(util::readFile(entry.path(), kMaxMarkSize));
            if (!by) {
                notices.push_back(
                    fmt::format("'{}' names no switch, ignoring", entry.path().string()));
                continue;
            }
            marks_[name] = std::move(*by);
        } catch (const Error& e) {
            notices.push_back(fmt::format("{}, ignoring", e.fullMessage()));
        }
    }
}

const ManagedBy* ManagedMarks::find(std::string_view network) const
{
    auto it = marks_.find(network);
    return it == marks_.end() ? nullptr : &it->second;
}

void ManagedMarks::set(std::string_view network, const ManagedBy& by)
{
    if (!util::isSafeFileName(network) || !storable(by.switchName) ||
        by.host.find_first_of("\n\r") != std::string::npos) {
        raise(ErrorCode::InvalidArg, "cannot mark network '{}' as managed by switch '{}'", network,
              by.switchName);
    }
    if (const auto* current = find(network); current != nullptr && *current == by) {
        return;
    }
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) {
        raise(ErrorCode::WriteFailed, "cannot create '{}': {}", dir_.string(), ec.message());
    }
    util::writeFileAtomic(dir_ / std::string(network),
                          fmt::format("switch={}\nhost={}\n", by.switchName, by.host), 0600);
    marks_[std::string(network)] = by;
}

void ManagedMarks::erase(std::string_view network)
{
    auto it = marks_.find(network);
    if (it == marks_.end()) {
        return;
    }
    util::removeFileDurable(dir_ / std::string(network));
    marks_.erase(it);
}

void refuseManaged(std::string_view network, const ManagedBy& by, ManagedOp op)
{
    const auto& sw = by.switchName;
    const std::string host = by.host.empty() ? "HOST" : by.host;
    switch (op) {
    case ManagedOp::Update:
        raise(ErrorCode::OperationDenied,
              "network '{}' is managed by distributed switch '{}': change it with 'dvsctl "
              "switch-update {} COMMAND SECTION XML' instead",
              network, sw, sw);
    case ManagedOp::Define:
    case ManagedOp::Create:
        raise(ErrorCode::OperationDenied,
              "network '{}' is managed by distributed switch '{}': change its definition with "
              "'dvsctl switch-update {} COMMAND SECTION XML' instead",
              network, sw, sw);
    case ManagedOp::Undefine:
    case ManagedOp::Destroy:
        raise(ErrorCode::OperationDenied,
              "network '{}' is managed by distributed switch '{}': remove this host from it with "
              "'dvsctl host-remove {} {}' instead",
              network, sw, sw, host);
    case ManagedOp::Autostart:
        raise(ErrorCode::OperationDenied,
              "network '{}' is managed by distributed switch '{}': it starts whenever this host "
              "is a member of the switch",
              network, sw);
    }
    raise(ErrorCode::OperationDenied, "network '{}' is managed by distributed switch '{}'", network,
          sw);
}

// The host agent's path: the same operations, past the check.

namespace {

// Lets the calls inside it past the managed check (single-threaded: the driver's loop).
class ManagerScope
{
public:
    explicit ManagerScope(unsigned& depth) : depth_(depth) { ++depth_; }
    ~ManagerScope() { --depth_; }
    ManagerScope(const ManagerScope&) = delete;
    ManagerScope& operator=(const ManagerScope&) = delete;

private:
    unsigned& depth_;
};

} // namespace

void NetworkDriver::checkManaged(std::string_view network, ManagedOp op) const
{
    if (managerDepth_ != 0) {
        return;
    }
    if (const auto* by = marks_->find(network)) {
        refuseManaged(network, *by, op);
    }
}

std::optional<ManagedBy> NetworkDriver::managedBy(std::string_view network) const
{
    if (const auto* by = marks_->find(network)) {
        return *by;
    }
    return std::nullopt;
}

std::map<std::string, ManagedBy, std::less<>> NetworkDriver::managedNetworks() const
{
    return marks_->all();
}

NetworkRef NetworkDriver::managedDefine(std::string_view xml, const ManagedBy& by)
{
    ManagerScope scope(managerDepth_);
    auto net = defineXml(xml, 0);
    marks_->set(net.name, by);
    return net;
}

void NetworkDriver::managedUpdate(const NetworkRef& net, unsigned command, unsigned section,
                                  int parentIndex, std::string_view xml, unsigned flags)
{
    ManagerScope scope(managerDepth_);
    update(net, command, section, parentIndex, xml, flags);
}

void NetworkDriver::managedDestroy(const NetworkRef& net)
{
    ManagerScope scope(managerDepth_);
    destroy(net);
}

void NetworkDriver::managedUndefine(const NetworkRef& net)
{
    ManagerScope scope(managerDepth_);
    undefine(net);
    marks_->erase(net.name);
}

void NetworkDriver::managedSetAutostart(const NetworkRef& net, bool autostart)
{
    ManagerScope scope(managerDepth_);
    setAutostart(net, autostart);
}

void NetworkDriver::unmanage(std::string_view network)
{
    marks_->erase(network);
}

} // namespace dvs::driver
