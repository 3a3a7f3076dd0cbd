// SPDX-License-Identifier: LGPL-2.1-or-later
#include "test_support.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace dvs::test {

namespace {

bool gSkipped = false;

std::filesystem::path envPath(const char* name)
{
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        throw std::runtime_error(std::string(name) + " is not set; run the tests with meson test");
    }
    return value;
}

} // namespace

void skip(std::string_view reason)
{
    std::fprintf(stderr, "SKIP: %.*s\n", static_cast<int>(reason.size()), reason.data());
    gSkipped = true;
}

bool wasSkipped()
{
    return gSkipped;
}

std::vector<std::filesystem::path> xmlFiles(const std::filesystem::path& dir)
{
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() == ".xml") {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

std::filesystem::path sourceRoot()
{
    return envPath("DVS_SOURCE_ROOT");
}

std::filesystem::path buildRoot()
{
    return envPath("DVS_BUILD_ROOT");
}

bool regenerate()
{
    const char* value = std::getenv("DVS_TEST_REGENERATE");
    return value != nullptr && std::string_view(value) == "1";
}

TempDir::TempDir()
{
    const char* base = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/dvs-test-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
        throw std::runtime_error("cannot create a temporary folder");
    }
    path_ = tmpl;
}

TempDir::~TempDir()
{
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

} // namespace dvs::test
