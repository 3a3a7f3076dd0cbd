// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

// What a host keeps on disk per switch for the automatic revert: the last known good generation
// (the one it ran and confirmed before it applied another), the generation being applied and not
// yet confirmed, and the generation it reverted. The record is written, durably, before a new
// generation touches the network, so a crash between apply and confirm finds it.
namespace dvs::mgmt {

struct LastGood
{
    // The last known good generation and its composed network (empty XML: the host ran no
    // network of the switch then).
    std::optional<std::int64_t> generation;
    std::string xml;
    // A generation applied and not confirmed yet, and Member.retry when it was applied.
    std::optional<std::int64_t> pending;
    std::int64_t pendingRetry = 0;
    // The generation this host reverted, why, when (ms since the epoch), and Member.retry then:
    // that generation is not applied again until a newer one or a higher retry.
    std::optional<std::int64_t> reverted;
    std::string revertedReason;
    std::int64_t revertedAt = 0;
    std::int64_t revertedRetry = 0;

    bool empty() const noexcept { return !generation && !pending && !reverted && xml.empty(); }
    bool operator==(const LastGood&) const = default;
};

// The records in folder (SWITCH.lkg files), by switch name. Unreadable or damaged files are
// skipped and named in damaged.
std::map<std::string, LastGood> loadLastGood(const std::filesystem::path& folder,
                                             std::map<std::string, std::string>& damaged);

// Writes (durably) or, for an empty record, removes the switch's record. Throws Error on failure;
// does nothing for a switch name that cannot be a file name.
void saveLastGood(const std::filesystem::path& folder, const std::string& switchName,
                  const LastGood& record);

} // namespace dvs::mgmt
