// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mgmt/snapshot_store.h"

#include <algorithm>
#include <system_error>

#include "util/error.h"
#include "util/file.h"

namespace dvs::mgmt {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSuffix = ".xml";

bool usableName(std::string_view name)
{
    return util::isSafeFileName(name, 255 - kSuffix.size()) && name.front() != '.';
}

// The names of the snapshots in a switch's folder (files NAME.xml with a usable NAME).
std::vector<std::string> namesIn(const fs::path& folder)
{
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
        std::string file = it->path().filename().string();
        if (!file.ends_with(kSuffix) || !it->is_regular_file(ec)) {
            continue;
        }
        std::string name = file.substr(0, file.size() - kSuffix.size());
        if (!name.empty() && usableName(name)) {
            names.push_back(std::move(name));
        }
    }
    return names;
}

} // namespace

void checkStoreName(std::string_view name, std::string_view what)
{
    if (!name.empty() && usableName(name)) {
        return;
    }
    raise(ErrorCode::InvalidArg,
          "invalid {} name '{}' for a snapshot file: it must not be empty, start with '.', be "
          "longer than 251 bytes, or contain '/' or control characters",
          what, util::abbreviateForMessage(name));
}

fs::path SnapshotStore::pathOf(std::string_view switchName, std::string_view name) const
{
    checkStoreName(switchName, "switch");
    checkStoreName(name, "snapshot");
    return dir_ / std::string(switchName) / (std::string(name) + std::string(kSuffix));
}

fs::path SnapshotStore::save(std::string_view switchName, const Snapshot& snap, bool replace) const
{
    auto path = pathOf(switchName, snap.name);
    std::string text = snap.format();
    std::error_code ec;
    if (!replace && fs::exists(path, ec)) {
        raise(ErrorCode::OperationInvalid,
              "snapshot '{}' of switch '{}' already exists in '{}': choose another name or "
              "delete it first",
              snap.name, switchName, dir_.string());
    }
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
        raise(ErrorCode::WriteFailed, "cannot create the snapshot folder '{}': {}",
              path.parent_path().string(), ec.message());
    }
    util::writeFileAtomic(path, text, 0640);
    return path;
}

Snapshot SnapshotStore::load(std::string_view switchName, std::string_view name) const
{
    auto path = pathOf(switchName, name);
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
        raise(ErrorCode::InvalidArg, "switch '{}' has no snapshot named '{}' in '{}'", switchName,
              name, dir_.string());
    }
    return Snapshot::parse(util::readFile(path));
}

void SnapshotStore::remove(std::string_view switchName, std::string_view name) const
{
    auto path = pathOf(switchName, name);
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
        raise(ErrorCode::InvalidArg, "switch '{}' has no snapshot named '{}' in '{}'", switchName,
              name, dir_.string());
    }
    util::removeFileDurable(path);
    fs::remove(path.parent_path(), ec); // only when empty; an error leaves it
}

std::vector<StoredSnapshot> SnapshotStore::list(std::optional<std::string_view> switchName) const
{
    std::vector<std::string> switches;
    if (switchName) {
        checkStoreName(*switchName, "switch");
        switches.emplace_back(*switchName);
    } else {
        std::error_code ec;
        for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
            std::string name = it->path().filename().string();
            if (usableName(name) && it->is_directory(ec)) {
                switches.push_back(std::move(name));
            }
        }
    }
    std::vector<StoredSnapshot> out;
    for (const auto& sw : switches) {
        for (auto& name : namesIn(dir_ / sw)) {
            StoredSnapshot entry;
            entry.switchName = sw;
            entry.path = dir_ / sw / (name + std::string(kSuffix));
            entry.name = std::move(name);
            try {
                auto snap = Snapshot::parse(util::readFile(entry.path));
                entry.generation = snap.generation;
                entry.created = snap.created;
            } catch (const Error& e) {
                entry.error = e.fullMessage();
            }
            out.push_back(std::move(entry));
        }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return std::tie(a.switchName, a.created, a.name) <
               std::tie(b.switchName, b.created, b.name);
    });
    return out;
}

std::vector<std::string> SnapshotStore::switchesWith(std::string_view name) const
{
    checkStoreName(name, "snapshot");
    std::vector<std::string> out;
    for (const auto& entry : list()) {
        if (entry.name == name) {
            out.push_back(entry.switchName);
        }
    }
    return out;
}

std::vector<std::string> SnapshotStore::prune(std::string_view switchName, std::string_view prefix,
                                              std::size_t keep) const
{
    std::vector<std::pair<std::int64_t, std::string>> candidates;
    for (const auto& entry : list(switchName)) {
        if (entry.name.starts_with(prefix)) {
            candidates.emplace_back(entry.generation.value_or(0), entry.name);
        }
    }
    std::sort(candidates.begin(), candidates.end(), std::greater<>());
    std::vector<std::string> removed;
    for (std::size_t i = keep; i < candidates.size(); ++i) {
        util::removeFileDurable(pathOf(switchName, candidates[i].second));
        removed.push_back(candidates[i].second);
    }
    return removed;
}

} // namespace dvs::mgmt
