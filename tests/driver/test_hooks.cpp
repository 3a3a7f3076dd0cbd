// SPDX-License-Identifier: LGPL-2.1-or-later
#include <filesystem>
#include <fstream>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "driver/hooks.h"
#include "test_support.h"
#include "util/error.h"
#include "util/file.h"

namespace fs = std::filesystem;
using dvs::driver::HookOp;
using dvs::driver::HookRunner;
using dvs::driver::HookSubOp;

namespace {

void writeScript(const fs::path& path, const std::string& body)
{
    fs::create_directories(path.parent_path());
    dvs::util::writeFileAtomic(path, "#!/bin/sh\n" + body, 0755);
}

} // namespace

TEST_CASE("hooks run in libvirt's order with its arguments and stdin")
{
    dvs::test::TempDir dir;
    auto log = dir.path() / "log";
    writeScript(dir.path() / "network", "echo \"main $*\" >> " + log.string() + "\ncat > " +
                                            (dir.path() / "in").string() + "\n");
    writeScript(dir.path() / "network.d" / "20-b", "echo \"b $1 $2 $3 $4\" >> " + log.string());
    writeScript(dir.path() / "network.d" / "10-a", "echo \"a $1\" >> " + log.string());
    // Not executable: never run.
    dvs::util::writeFileAtomic(dir.path() / "network.d" / "00-off", "#!/bin/sh\nexit 1\n", 0644);

    HookRunner hooks(dir.path());
    REQUIRE(hooks.present());
    hooks.run("web", HookOp::PortCreated, HookSubOp::Begin, "<hookData/>");
    CHECK(dvs::util::readFile(log) == "main web port-created begin -\na web\nb web port-created "
                                      "begin -\n");
    CHECK(dvs::util::readFile(dir.path() / "in") == "<hookData/>");
}

TEST_CASE("a failing hook reports libvirt's error with the script's output")
{
    dvs::test::TempDir dir;
    writeScript(dir.path() / "network", "echo 'port refused by policy' >&2\nexit 3\n");
    HookRunner hooks(dir.path());
    try {
        hooks.run("web", HookOp::Start, HookSubOp::Begin, "<hookData/>");
        FAIL("the hook should have failed");
    } catch (const dvs::Error& e) {
        CHECK(e.code() == dvs::ErrorCode::HookScriptFailed);
        CHECK_THAT(e.fullMessage(),
                   Catch::Matchers::StartsWith("Hook script execution failed: internal error: "
                                               "Child process (") &&
                       Catch::Matchers::Contains("network web start begin -) unexpected exit "
                                                 "status 3: port refused by policy"));
    }
}

TEST_CASE("hook presence is read at start and on reload")
{
    dvs::test::TempDir dir;
    HookRunner hooks(dir.path());
    CHECK_FALSE(hooks.present());
    hooks.run("web", HookOp::Stopped, HookSubOp::End, "x"); // nothing to run
    writeScript(dir.path() / "network", "exit 1\n");
    CHECK_FALSE(hooks.present());
    hooks.reload();
    CHECK(hooks.present());
    CHECK_THROWS_AS(hooks.run("web", HookOp::Stopped, HookSubOp::End, "x"), dvs::Error);
}

TEST_CASE("a hook that ignores its input does not hang or kill us")
{
    // The hook exits without reading a megabyte of input: writing the rest must neither block
    // (a full pipe) nor raise SIGPIPE, and the hook's exit status 0 is a success.
    dvs::test::TempDir dir;
    auto ran = dir.path() / "ran";
    writeScript(dir.path() / "network", "echo \"$1 $2 $3\" > " + ran.string() + "\nexit 0\n");
    HookRunner hooks(dir.path());
    CHECK_NOTHROW(hooks.run("web", HookOp::Updated, HookSubOp::Begin, std::string(1 << 20, 'x')));
    CHECK(dvs::util::readFile(ran) == "web updated begin\n");

    // The same hook failing is reported, so the success above was the hook's.
    writeScript(dir.path() / "network", "exit 1\n");
    hooks.reload();
    CHECK_THROWS_AS(hooks.run("web", HookOp::Updated, HookSubOp::Begin, std::string(1 << 20, 'x')),
                    dvs::Error);
}
