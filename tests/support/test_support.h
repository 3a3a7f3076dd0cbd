// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace dvs::test {

// Marks the running executable as skipped and prints why. Call it, then return from the test.
void skip(std::string_view reason);
bool wasSkipped();

// Source tree root (DVS_SOURCE_ROOT, set by meson for every test).
std::filesystem::path sourceRoot();
// Build tree root (DVS_BUILD_ROOT).
std::filesystem::path buildRoot();

// The .xml files of a folder, sorted by name (the data-driven tests' inputs).
std::vector<std::filesystem::path> xmlFiles(const std::filesystem::path& dir);

// Whether DVS_TEST_REGENERATE=1 asks golden tests to rewrite their expected outputs.
bool regenerate();

// A temporary folder removed (recursively) on destruction.
class TempDir
{
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

} // namespace dvs::test
