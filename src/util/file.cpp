// SPDX-License-Identifier: LGPL-2.1-or-later
#include "file.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "cdeleter.h"
#include "error.h"
#include "uuid.h"

namespace dvs::util {

namespace {

std::string systemReason(int err)
{
    return std::strerror(err);
}

void writeAll(int fd, std::string_view data, const std::filesystem::path& path)
{
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            raise(ErrorCode::WriteFailed, "cannot write '{}': {}", path.string(),
                  systemReason(errno));
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

// Six random letters and digits, like mkostemp's XXXXXX.
std::string randomSuffix()
{
    static constexpr std::string_view kChars =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    auto random = Uuid::generate().bytes();
    std::string out;
    for (std::size_t i = 0; i < 6; ++i) {
        out += kChars[random[i] % kChars.size()];
    }
    return out;
}

} // namespace

std::string readFile(const std::filesystem::path& path, std::size_t maxBytes)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd) {
        raise(ErrorCode::ReadFailed, "'{}': {}", path.string(), systemReason(errno));
    }
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof(buf));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            raise(ErrorCode::ReadFailed, "'{}': {}", path.string(), systemReason(errno));
        }
        if (n == 0) {
            break;
        }
        if (out.size() + static_cast<std::size_t>(n) > maxBytes) {
            raise(ErrorCode::InvalidArg, "file '{}' is larger than {} bytes", path.string(),
                  maxBytes);
        }
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

void syncDirectory(const std::filesystem::path& dir)
{
    UniqueFd fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) {
        raise(ErrorCode::WriteFailed, "cannot open folder '{}': {}", dir.string(),
              systemReason(errno));
    }
    if (::fsync(fd.get()) < 0 && errno != EINVAL) {
        raise(ErrorCode::WriteFailed, "cannot sync folder '{}': {}", dir.string(),
              systemReason(errno));
    }
}

void writeFileAtomicAt(int dirFd, const std::filesystem::path& dir, std::string_view name,
                       std::string_view contents, unsigned mode)
{
    // ".NAME.XXXXXX" in the same folder, as mkostemp names it (it has no *at form), created
    // with O_EXCL: readers of a folder skip names that start with a dot, and the state store
    // removes such leftovers of a crash.
    std::string tmp;
    UniqueFd fd;
    for (unsigned attempt = 0; !fd; ++attempt) {
        tmp = fmt::format(".{}.{}", name, randomSuffix());
        fd.reset(::openat(dirFd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
        if (!fd && (errno != EEXIST || attempt == 100)) {
            raise(ErrorCode::WriteFailed, "cannot create a temporary file for '{}': {}",
                  (dir / name).string(), systemReason(errno));
        }
    }
    auto tmpPath = dir / tmp;
    try {
        if (::fchmod(fd.get(), mode) < 0) {
            raise(ErrorCode::WriteFailed, "cannot set the mode of '{}': {}", tmpPath.string(),
                  systemReason(errno));
        }
        writeAll(fd.get(), contents, tmpPath);
        if (::fsync(fd.get()) < 0) {
            raise(ErrorCode::WriteFailed, "cannot sync '{}': {}", tmpPath.string(),
                  systemReason(errno));
        }
        fd.reset();
        std::string target(name);
        if (::renameat(dirFd, tmp.c_str(), dirFd, target.c_str()) < 0) {
            raise(ErrorCode::WriteFailed, "cannot rename '{}' to '{}': {}", tmpPath.string(),
                  (dir / name).string(), systemReason(errno));
        }
    } catch (...) {
        ::unlinkat(dirFd, tmp.c_str(), 0);
        throw;
    }
    if (::fsync(dirFd) < 0 && errno != EINVAL) {
        raise(ErrorCode::WriteFailed, "cannot sync folder '{}': {}", dir.string(),
              systemReason(errno));
    }
}

void writeFileAtomic(const std::filesystem::path& path, std::string_view contents, unsigned mode)
{
    auto dir = path.parent_path();
    UniqueFd dirFd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dirFd) {
        raise(ErrorCode::WriteFailed, "cannot open folder '{}': {}", dir.string(),
              systemReason(errno));
    }
    writeFileAtomicAt(dirFd.get(), dir, path.filename().string(), contents, mode);
}

void removeFileDurable(const std::filesystem::path& path)
{
    if (::unlink(path.c_str()) < 0) {
        if (errno == ENOENT) {
            return;
        }
        raise(ErrorCode::WriteFailed, "cannot remove '{}': {}", path.string(), systemReason(errno));
    }
    syncDirectory(path.parent_path());
}

bool isSafeFileName(std::string_view name, std::size_t maxLength)
{
    if (name.empty() || name == "." || name == ".." || name.size() > maxLength) {
        return false;
    }
    for (unsigned char c : name) {
        if (c == '/' || c < 0x20 || c == 0x7f) {
            return false;
        }
    }
    return true;
}

std::string abbreviateForMessage(std::string_view name, std::size_t keep)
{
    if (name.size() <= keep) {
        return std::string(name);
    }
    std::size_t cut = keep;
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) {
        --cut; // name[cut] continues a UTF-8 sequence: cut before its lead byte
    }
    return fmt::format("{}... ({} bytes)", name.substr(0, cut), name.size());
}

} // namespace dvs::util
