// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/cdeleter.h"
#include "util/uuid.h"

namespace dvs::state {

// The longest network name whose files can be written. A file name holds at most 255 bytes; the
// longest one derived from a network name is the temporary file of an atomic write of a
// network's dnsmasq hosts file, ".NAME.hostsfile.XXXXXX" (its state files, ".NAME.xml.XXXXXX",
// are shorter).
inline constexpr std::size_t kMaxNetworkNameLength =
    255 - std::char_traits<char>::length(".") - std::char_traits<char>::length(".hostsfile.XXXXXX");

// Where dvsd keeps its files (docs/architecture.md, "Files on a host"). Every path is absolute.
struct StatePaths
{
    std::filesystem::path configDir; // /etc/dvs: networks/NAME.xml, networks/autostart/NAME.xml
    std::filesystem::path runDir;    // /run/dvs: networks/NAME.xml, networks/NAME/ports/UUID.xml
    std::filesystem::path libDir;    // /var/lib/dvs
    std::filesystem::path hookDir;   // /etc/dvs/hooks: network, network.d/*

    // The privileged defaults under root ("/" on a real host, a test folder otherwise).
    static StatePaths underRoot(const std::filesystem::path& root);
};

// One file read back at start.
struct StoredFile
{
    std::filesystem::path path;
    std::string contents;
};

// Everything found on disk at start, not yet parsed.
struct StoredState
{
    std::vector<StoredFile> configs;                      // persistent definitions
    std::vector<std::string> autostart;                   // names with an autostart link
    std::vector<StoredFile> statuses;                     // live status of active networks
    std::map<std::string, std::vector<StoredFile>> ports; // network name -> port files
    // network name -> port uuid -> device dvsd plugged for it (dvsctl port-plug)
    std::map<std::string, std::map<std::string, std::string>> plugs;
    // Temporary files of writes a crash interrupted, removed by load().
    std::vector<std::filesystem::path> removedTemporaries;
};

// The state folders of one daemon. Every write is atomic and durable before the call returns
// (temporary file, fsync, rename, fsync of the folder), so a crash at any point leaves either the
// old or the new file. Throws dvs::Error (WriteFailed, ReadFailed, OperationFailed) naming the
// path and the system's reason.
class StateStore
{
public:
    // Creates the folders when missing and takes the state lock (runDir/dvsd.lock); throws
    // Error(OperationFailed) when another process holds it.
    explicit StateStore(StatePaths paths);
    ~StateStore();
    StateStore(const StateStore&) = delete;
    StateStore& operator=(const StateStore&) = delete;

    const StatePaths& paths() const noexcept { return paths_; }

    // Reads every stored file. Files that cannot be read are reported by the caller's parse
    // failures through quarantine().
    StoredState load() const;

    // Moves an unusable file aside (NAME.corrupt, NAME.corrupt.1, ...) and returns the new path.
    // Never deletes.
    std::filesystem::path quarantine(const std::filesystem::path& path);

    void saveConfig(std::string_view network, std::string_view xml);
    void deleteConfig(std::string_view network);
    void setAutostart(std::string_view network, bool autostart);
    bool isAutostart(std::string_view network) const;

    void saveStatus(std::string_view network, std::string_view xml);
    void deleteStatus(std::string_view network);

    void savePort(std::string_view network, const util::Uuid& port, std::string_view xml);
    void deletePort(std::string_view network, const util::Uuid& port);
    // Removes every port file of a network and its ports folder.
    void deleteAllPorts(std::string_view network);

    // The device dvsd created for a port it plugged itself (networks/NAME/plugs/UUID).
    void savePlug(std::string_view network, const util::Uuid& port, std::string_view device);
    void deletePlug(std::string_view network, const util::Uuid& port);

    std::filesystem::path configFile(std::string_view network) const;
    std::filesystem::path statusFile(std::string_view network) const;
    std::filesystem::path portsDir(std::string_view network) const;

private:
    int portsDirFd(std::string_view network);

    StatePaths paths_;
    util::UniqueFd lockFd_;
    // Open folder descriptors of ports folders, so a port write costs no path walk.
    std::map<std::string, util::UniqueFd, std::less<>> portDirs_;
};

} // namespace dvs::state
