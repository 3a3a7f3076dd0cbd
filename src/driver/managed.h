// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dvs::driver {

// Who manages a network: a distributed switch of the management database, applied on this host
// by dvsd's host agent.
struct ManagedBy
{
    std::string switchName;
    std::string host; // this host's name in the management database

    friend bool operator==(const ManagedBy&, const ManagedBy&) = default;
};

// What a client asked to do to a managed network (for the refusal's wording).
enum class ManagedOp
{
    Define,
    Create,
    Update,
    Undefine,
    Destroy,
    Autostart,
};

// The marks of managed networks, one small file per network (configDir/networks/managed/NAME:
// "switch=S" and "host=H" lines), so a network stays managed across dvsd restarts.
class ManagedMarks
{
public:
    explicit ManagedMarks(std::filesystem::path dir) : dir_(std::move(dir)) {}

    // Reads every mark. A file that cannot be read or parsed is left alone and reported in
    // notices (the agent marks the network again when it next applies its switch).
    void load(std::vector<std::string>& notices);

    const ManagedBy* find(std::string_view network) const;
    // Writes the mark atomically. Throws Error(InvalidArg) for names that cannot be stored and
    // Error(WriteFailed) when the file cannot be written; the marks are then unchanged.
    void set(std::string_view network, const ManagedBy& by);
    // Removes the mark, if any. Throws Error(WriteFailed).
    void erase(std::string_view network);

    const std::map<std::string, ManagedBy, std::less<>>& all() const noexcept { return marks_; }

private:
    std::filesystem::path dir_;
    std::map<std::string, ManagedBy, std::less<>> marks_;
};

// Throws the refusal an RPC client gets when it tries op on a network the switch manages:
// Error(OperationDenied) naming the switch and the dvsctl command to use instead.
[[noreturn]] void refuseManaged(std::string_view network, const ManagedBy& by, ManagedOp op);

} // namespace dvs::driver
