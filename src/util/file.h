// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace dvs::util {

// Reads a whole file. Throws Error(ReadFailed) when it cannot be read, and Error(InvalidArg) when
// it is larger than maxBytes.
std::string readFile(const std::filesystem::path& path, std::size_t maxBytes = 16 << 20);

// Replaces path with contents atomically: a temporary file in the same folder is written, fsynced
// and renamed over path, then the folder is fsynced. Either the old or the new contents survive a
// crash at any point. Throws Error(WriteFailed) naming the path and the system's reason.
void writeFileAtomic(const std::filesystem::path& path, std::string_view contents,
                     unsigned mode = 0644);

// The same for the file name in the folder open as dirFd (dir is its path, for messages), for
// callers that keep their folders open.
void writeFileAtomicAt(int dirFd, const std::filesystem::path& dir, std::string_view name,
                       std::string_view contents, unsigned mode = 0644);

// Removes path (when present) and fsyncs its folder. Throws Error(WriteFailed) on failure.
void removeFileDurable(const std::filesystem::path& path);

// fsyncs a folder so that renames and unlinks in it are durable.
void syncDirectory(const std::filesystem::path& dir);

// Whether name can be used as one path component: non-empty, not "." or "..", no '/', no control
// characters, at most maxLength bytes.
bool isSafeFileName(std::string_view name, std::size_t maxLength = 255);

// A name as an error message echoes it: in full up to keep bytes, else its first keep bytes
// (never cutting a UTF-8 sequence) followed by "..." and the full length.
std::string abbreviateForMessage(std::string_view name, std::size_t keep = 64);

} // namespace dvs::util
