// SPDX-License-Identifier: LGPL-2.1-or-later
#include <filesystem>

#include <catch2/catch.hpp>

#include "state/state_store.h"
#include "test_support.h"
#include "util/error.h"
#include "util/file.h"

namespace fs = std::filesystem;
using dvs::state::StatePaths;
using dvs::state::StateStore;

TEST_CASE("the state layout follows docs/architecture.md under a root")
{
    auto p = StatePaths::underRoot("/r");
    CHECK(p.configDir == "/r/etc/dvs");
    CHECK(p.runDir == "/r/run/dvs");
    CHECK(p.libDir == "/r/var/lib/dvs");
    CHECK(p.hookDir == "/r/etc/dvs/hooks");
}

TEST_CASE("two stores cannot share one state folder")
{
    dvs::test::TempDir root;
    StateStore first(StatePaths::underRoot(root.path()));
    CHECK_THROWS_WITH(StateStore(StatePaths::underRoot(root.path())),
                      Catch::Matchers::Contains("is in use by another dvsd"));
}

TEST_CASE("configs, autostart, status and ports are written and read back")
{
    dvs::test::TempDir root;
    auto paths = StatePaths::underRoot(root.path());
    auto port = dvs::util::Uuid::generate();
    {
        StateStore store(paths);
        store.saveConfig("web", "<network/>");
        store.setAutostart("web", true);
        CHECK(store.isAutostart("web"));
        store.saveStatus("web", "<networkstatus/>");
        store.savePort("web", port, "<networkport/>");
        CHECK(fs::exists(paths.runDir / "networks/web/ports" / (port.toString() + ".xml")));
    }
    StateStore store(paths);
    auto state = store.load();
    REQUIRE(state.configs.size() == 1);
    CHECK(state.configs[0].contents == "<network/>");
    CHECK(state.autostart == std::vector<std::string>{"web"});
    REQUIRE(state.statuses.size() == 1);
    CHECK(state.statuses[0].contents == "<networkstatus/>");
    REQUIRE(state.ports["web"].size() == 1);
    CHECK(state.ports["web"][0].path.stem() == port.toString());

    store.deletePort("web", port);
    store.deletePort("web", port); // already gone: no error
    CHECK(store.load().ports.empty());
    store.savePort("web", port, "<networkport/>");
    store.deleteAllPorts("web");
    CHECK_FALSE(fs::exists(paths.runDir / "networks/web"));
    store.setAutostart("web", false);
    CHECK_FALSE(store.isAutostart("web"));
    store.deleteConfig("web");
    store.deleteStatus("web");
    auto empty = store.load();
    CHECK(empty.configs.empty());
    CHECK(empty.statuses.empty());
}

TEST_CASE("quarantine moves files aside and never deletes")
{
    dvs::test::TempDir root;
    StateStore store(StatePaths::underRoot(root.path()));
    store.saveConfig("bad", "garbage");
    auto first = store.quarantine(store.configFile("bad"));
    CHECK(first.filename() == "bad.xml.corrupt");
    CHECK(dvs::util::readFile(first) == "garbage");
    store.saveConfig("bad", "garbage2");
    auto second = store.quarantine(store.configFile("bad"));
    CHECK(second.filename() == "bad.xml.corrupt.1");
    CHECK(store.load().configs.empty());
}

TEST_CASE("temporary files left by a crash are not loaded")
{
    dvs::test::TempDir root;
    auto paths = StatePaths::underRoot(root.path());
    StateStore store(paths);
    dvs::util::writeFileAtomic(paths.configDir / "networks" / ".web.xml.tmp", "<half");
    CHECK(store.load().configs.empty());
}
