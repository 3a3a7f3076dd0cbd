// SPDX-License-Identifier: LGPL-2.1-or-later
#include "state/state_store.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "util/error.h"
#include "util/file.h"

namespace fs = std::filesystem;

namespace dvs::state {

namespace {

std::string reason(int err)
{
    return std::strerror(err);
}

void makeDirs(const fs::path& dir, fs::perms perms = fs::perms::owner_all | fs::perms::group_read |
                                                     fs::perms::group_exec |
                                                     fs::perms::others_read |
                                                     fs::perms::others_exec)
{
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        raise(ErrorCode::WriteFailed, "cannot create folder '{}': {}", dir.string(), ec.message());
    }
    (void)perms;
}

std::vector<StoredFile> readXmlFiles(const fs::path& dir)
{
    std::vector<StoredFile> out;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        return out;
    }
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const auto& p = entry.path();
        if (p.extension() != ".xml" || !entry.is_regular_file(ec)) {
            continue;
        }
        if (p.filename().string().front() == '.') {
            continue; // a temporary file left by a crash mid-write
        }
        try {
            out.push_back({p, util::readFile(p, 4 << 20)});
        } catch (const Error& e) {
            // Unreadable: hand it back empty so the caller quarantines it.
            out.push_back({p, std::string()});
        }
    }
    std::sort(out.begin(), out.end(),
              [](const StoredFile& a, const StoredFile& b) { return a.path < b.path; });
    return out;
}

// Whether name is one of our temporary files: ".NAME.XXXXXX" (util::writeFileAtomic and
// writeFileAtomicAt: six random characters), or ".NAME.tmp" (what earlier versions wrote).
bool isTemporaryName(std::string_view name)
{
    if (name.size() < 2 || name.front() != '.') {
        return false;
    }
    if (name.ends_with(".tmp")) {
        return true;
    }
    auto dot = name.rfind('.');
    if (dot == 0 || name.size() - dot - 1 != 6) {
        return false;
    }
    return std::all_of(name.begin() + static_cast<std::ptrdiff_t>(dot) + 1, name.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

// Removes the temporary files a crash mid-write left in dir; adds their paths to removed.
void removeTemporaries(const fs::path& dir, std::vector<fs::path>& removed)
{
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        return;
    }
    bool any = false;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (!entry.is_regular_file(ec) || !isTemporaryName(entry.path().filename().string())) {
            continue;
        }
        if (fs::remove(entry.path(), ec)) {
            removed.push_back(entry.path());
            any = true;
        }
    }
    if (any) {
        util::syncDirectory(dir);
    }
}

} // namespace

StatePaths StatePaths::underRoot(const fs::path& root)
{
    StatePaths p;
    p.configDir = root / "etc/dvs";
    p.runDir = root / "run/dvs";
    p.libDir = root / "var/lib/dvs";
    p.hookDir = root / "etc/dvs/hooks";
    return p;
}

StateStore::StateStore(StatePaths paths) : paths_(std::move(paths))
{
    makeDirs(paths_.configDir / "networks" / "autostart");
    makeDirs(paths_.runDir / "networks");
    makeDirs(paths_.libDir);

    auto lockPath = paths_.runDir / "dvsd.lock";
    lockFd_.reset(::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!lockFd_) {
        raise(ErrorCode::OperationFailed, "cannot open lock file '{}': {}", lockPath.string(),
              reason(errno));
    }
    if (::flock(lockFd_.get(), LOCK_EX | LOCK_NB) < 0) {
        int err = errno;
        std::string holder;
        try {
            holder = util::readFile(lockPath, 64);
        } catch (const Error&) {
        }
        while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) {
            holder.pop_back();
        }
        if (err == EWOULDBLOCK) {
            raise(ErrorCode::OperationFailed,
                  "state folder '{}' is in use by another dvsd (pid {})", paths_.runDir.string(),
                  holder.empty() ? "unknown" : holder);
        }
        raise(ErrorCode::OperationFailed, "cannot lock '{}': {}", lockPath.string(), reason(err));
    }
    std::string pid = fmt::format("{}\n", ::getpid());
    if (::ftruncate(lockFd_.get(), 0) == 0) {
        [[maybe_unused]] auto n = ::pwrite(lockFd_.get(), pid.data(), pid.size(), 0);
    }
}

StateStore::~StateStore() = default;

StoredState StateStore::load() const
{
    StoredState state;
    // We hold the state lock: no other writer can be mid-write, so every temporary file is left
    // over from a crash.
    removeTemporaries(paths_.configDir / "networks", state.removedTemporaries);
    removeTemporaries(paths_.runDir / "networks", state.removedTemporaries);
    state.configs = readXmlFiles(paths_.configDir / "networks");
    std::error_code ec;
    auto autostartDir = paths_.configDir / "networks" / "autostart";
    if (fs::is_directory(autostartDir, ec)) {
        for (const auto& entry : fs::directory_iterator(autostartDir, ec)) {
            const auto& p = entry.path();
            if (p.extension() == ".xml") {
                state.autostart.push_back(p.stem().string());
            }
        }
    }
    std::sort(state.autostart.begin(), state.autostart.end());
    auto runNetworks = paths_.runDir / "networks";
    state.statuses = readXmlFiles(runNetworks);
    if (fs::is_directory(runNetworks, ec)) {
        for (const auto& entry : fs::directory_iterator(runNetworks, ec)) {
            if (!entry.is_directory(ec)) {
                continue;
            }
            auto network = entry.path().filename().string();
            removeTemporaries(entry.path() / "ports", state.removedTemporaries);
            removeTemporaries(entry.path() / "plugs", state.removedTemporaries);
            auto ports = readXmlFiles(entry.path() / "ports");
            if (!ports.empty()) {
                state.ports[network] = std::move(ports);
            }
            auto plugs = entry.path() / "plugs";
            if (fs::is_directory(plugs, ec)) {
                for (const auto& plug : fs::directory_iterator(plugs, ec)) {
                    auto name = plug.path().filename().string();
                    if (name.front() == '.') {
                        continue;
                    }
                    try {
                        auto device = util::readFile(plug.path(), 64);
                        state.plugs[network][name] = device;
                    } catch (const Error&) {
                        // An unreadable record: the device is not removed by us, ignoring.
                    }
                }
            }
        }
    }
    return state;
}

fs::path StateStore::quarantine(const fs::path& path)
{
    fs::path target = path.string() + ".corrupt";
    std::error_code ec;
    for (int i = 1; fs::exists(target, ec); ++i) {
        target = fmt::format("{}.corrupt.{}", path.string(), i);
    }
    if (::rename(path.c_str(), target.c_str()) < 0) {
        raise(ErrorCode::WriteFailed, "cannot move '{}' aside: {}", path.string(), reason(errno));
    }
    util::syncDirectory(path.parent_path());
    return target;
}

fs::path StateStore::configFile(std::string_view network) const
{
    return paths_.configDir / "networks" / (std::string(network) + ".xml");
}

fs::path StateStore::statusFile(std::string_view network) const
{
    return paths_.runDir / "networks" / (std::string(network) + ".xml");
}

fs::path StateStore::portsDir(std::string_view network) const
{
    return paths_.runDir / "networks" / std::string(network) / "ports";
}

void StateStore::saveConfig(std::string_view network, std::string_view xml)
{
    util::writeFileAtomic(configFile(network), xml, 0600);
}

void StateStore::deleteConfig(std::string_view network)
{
    setAutostart(network, false);
    util::removeFileDurable(configFile(network));
}

void StateStore::setAutostart(std::string_view network, bool autostart)
{
    auto link = paths_.configDir / "networks" / "autostart" / (std::string(network) + ".xml");
    if (autostart) {
        std::error_code ec;
        if (fs::is_symlink(link, ec)) {
            return;
        }
        auto target = fs::path("..") / (std::string(network) + ".xml");
        if (::symlink(target.c_str(), link.c_str()) < 0 && errno != EEXIST) {
            raise(ErrorCode::SystemError, "Failed to create symlink '{}' to '{}': {}",
                  link.string(), configFile(network).string(), reason(errno));
        }
        util::syncDirectory(link.parent_path());
    } else {
        if (::unlink(link.c_str()) < 0 && errno != ENOENT && errno != ENOTDIR) {
            raise(ErrorCode::SystemError, "Failed to delete symlink '{}': {}", link.string(),
                  reason(errno));
        }
        util::syncDirectory(link.parent_path());
    }
}

bool StateStore::isAutostart(std::string_view network) const
{
    std::error_code ec;
    return fs::is_symlink(
        paths_.configDir / "networks" / "autostart" / (std::string(network) + ".xml"), ec);
}

void StateStore::saveStatus(std::string_view network, std::string_view xml)
{
    util::writeFileAtomic(statusFile(network), xml, 0600);
}

void StateStore::deleteStatus(std::string_view network)
{
    util::removeFileDurable(statusFile(network));
}

int StateStore::portsDirFd(std::string_view network)
{
    auto it = portDirs_.find(network);
    if (it != portDirs_.end()) {
        return it->second.get();
    }
    auto dir = portsDir(network);
    makeDirs(dir);
    util::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) {
        raise(ErrorCode::WriteFailed, "cannot open folder '{}': {}", dir.string(), reason(errno));
    }
    int raw = fd.get();
    portDirs_.emplace(std::string(network), std::move(fd));
    return raw;
}

void StateStore::savePort(std::string_view network, const util::Uuid& port, std::string_view xml)
{
    int dirFd = portsDirFd(network);
    util::writeFileAtomicAt(dirFd, portsDir(network), port.toString() + ".xml", xml, 0600);
}

void StateStore::deletePort(std::string_view network, const util::Uuid& port)
{
    int dirFd = portsDirFd(network);
    auto name = port.toString() + ".xml";
    if (::unlinkat(dirFd, name.c_str(), 0) < 0) {
        if (errno == ENOENT) {
            return;
        }
        raise(ErrorCode::WriteFailed, "cannot remove '{}': {}", (portsDir(network) / name).string(),
              reason(errno));
    }
    if (::fsync(dirFd) < 0) {
        raise(ErrorCode::WriteFailed, "cannot sync folder '{}': {}", portsDir(network).string(),
              reason(errno));
    }
}

void StateStore::deleteAllPorts(std::string_view network)
{
    auto it = portDirs_.find(network);
    if (it != portDirs_.end()) {
        portDirs_.erase(it);
    }
    auto dir = portsDir(network);
    std::error_code ec;
    fs::remove_all(dir.parent_path() / "plugs", ec);
    if (fs::is_directory(dir, ec)) {
        for (const auto& entry : fs::directory_iterator(dir, ec)) {
            if (entry.path().extension() == ".xml") {
                fs::remove(entry.path(), ec);
            }
        }
        util::syncDirectory(dir);
        fs::remove(dir, ec);
    }
    if (fs::exists(dir.parent_path(), ec)) {
        fs::remove(dir.parent_path(), ec);
        util::syncDirectory(dir.parent_path().parent_path());
    }
}

void StateStore::savePlug(std::string_view network, const util::Uuid& port, std::string_view device)
{
    auto dir = portsDir(network).parent_path() / "plugs";
    makeDirs(dir);
    util::writeFileAtomic(dir / port.toString(), device);
}

void StateStore::deletePlug(std::string_view network, const util::Uuid& port)
{
    util::removeFileDurable(portsDir(network).parent_path() / "plugs" / port.toString());
}

} // namespace dvs::state
