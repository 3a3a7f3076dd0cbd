// SPDX-License-Identifier: LGPL-2.1-or-later
#include <filesystem>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "test_support.h"
#include "util/error.h"
#include "util/file.h"

namespace fs = std::filesystem;
using namespace dvs::util;

TEST_CASE("atomic writes replace a file and leave no temporary behind")
{
    dvs::test::TempDir dir;
    auto path = dir.path() / "net.xml";
    writeFileAtomic(path, "one");
    CHECK(readFile(path) == "one");
    writeFileAtomic(path, "two", 0600);
    CHECK(readFile(path) == "two");
    struct stat st
    {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    int entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) {
        ++entries;
    }
    CHECK(entries == 1);
    removeFileDurable(path);
    CHECK_FALSE(fs::exists(path));
    removeFileDurable(path); // absent: no error
}

TEST_CASE("a failed atomic write names the path and keeps nothing")
{
    dvs::test::TempDir dir;
    auto path = dir.path() / "missing-folder" / "x.xml";
    CHECK_THROWS_AS(writeFileAtomic(path, "x"), dvs::Error);
    CHECK_FALSE(fs::exists(path));
}

TEST_CASE("reading refuses files over the limit")
{
    dvs::test::TempDir dir;
    auto path = dir.path() / "big";
    writeFileAtomic(path, std::string(100, 'x'));
    CHECK(readFile(path, 100).size() == 100);
    CHECK_THROWS_AS(readFile(path, 99), dvs::Error);
    CHECK_THROWS_AS(readFile(dir.path() / "absent"), dvs::Error);
}

TEST_CASE("safe file names cannot escape a folder")
{
    CHECK(isSafeFileName("default"));
    CHECK(isSafeFileName("my net.1"));
    CHECK_FALSE(isSafeFileName(""));
    CHECK_FALSE(isSafeFileName("."));
    CHECK_FALSE(isSafeFileName(".."));
    CHECK_FALSE(isSafeFileName("a/b"));
    CHECK_FALSE(isSafeFileName("a\nb"));
    CHECK_FALSE(isSafeFileName(std::string(256, 'a')));
}
