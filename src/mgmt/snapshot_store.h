// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mgmt/snapshot.h"

// A folder of switch snapshots, kept apart from the management database: DIR/SWITCH/NAME.xml.
// dvsctl's store is [management] snapshot-dir= (or --dir); every member host keeps its own copies
// under its state directory's snapshots/ in the same layout. Switch and snapshot names are
// checked before any path is built, so that no name reaches outside DIR.
namespace dvs::mgmt {

// Whether name can be a switch's or a snapshot's file name in a store: a safe file name (no '/',
// not "." or "..", no control characters) that does not start with '.' (temporary files do) and
// leaves room for ".xml". Throws Error(InvalidArg) naming what the name is for.
void checkStoreName(std::string_view name, std::string_view what);

struct StoredSnapshot
{
    std::string switchName;
    std::string name;
    std::filesystem::path path;
    std::optional<std::int64_t> generation; // empty when the file does not parse
    std::optional<std::int64_t> created;
    std::string error; // why it does not parse
};

class SnapshotStore
{
public:
    explicit SnapshotStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

    const std::filesystem::path& dir() const noexcept { return dir_; }

    // DIR/SWITCH/NAME.xml. Throws Error(InvalidArg) for a name that cannot be a file name.
    std::filesystem::path pathOf(std::string_view switchName, std::string_view name) const;

    // Writes the snapshot (atomically, mode 0640) as SWITCH/NAME.xml, creating the folders.
    // Refuses an existing snapshot of that name (Error(OperationInvalid)) unless replace.
    // Throws Error(WriteFailed) when it cannot be written. Returns the path.
    std::filesystem::path save(std::string_view switchName, const Snapshot& snap,
                               bool replace = false) const;

    // Reads and parses SWITCH/NAME.xml. Throws Error(InvalidArg) when there is none, and the
    // parser's errors for a bad document.
    Snapshot load(std::string_view switchName, std::string_view name) const;

    // Removes SWITCH/NAME.xml (and the switch's folder once empty). Throws Error(InvalidArg)
    // when there is none.
    void remove(std::string_view switchName, std::string_view name) const;

    // The snapshots of one switch, or of every switch, sorted by switch then by creation (then
    // name). Files that do not parse are listed with their error. A missing folder lists none.
    std::vector<StoredSnapshot> list(std::optional<std::string_view> switchName = {}) const;

    // The switches whose folder holds a snapshot of that name.
    std::vector<std::string> switchesWith(std::string_view name) const;

    // Keeps the newest `keep` snapshots of a switch whose names start with prefix (by their
    // generation), removing the others. Returns the names removed.
    std::vector<std::string> prune(std::string_view switchName, std::string_view prefix,
                                   std::size_t keep) const;

private:
    std::filesystem::path dir_;
};

} // namespace dvs::mgmt
