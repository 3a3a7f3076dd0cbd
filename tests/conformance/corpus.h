// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace dvs::test {

// The folder of libvirt's test data: DVS_LIBVIRT_CORPUS, else DVS_LIBVIRT_CORPUS_DEFAULT (the
// libvirt_corpus option); nullopt when neither names a folder.
std::optional<std::filesystem::path> corpusDir();

// Reads a corpus file. Some stand for a symbolic link and hold only the relative path of their
// target, which may be such a file again; those are followed.
std::string readCorpusFile(const std::filesystem::path& path);

} // namespace dvs::test
