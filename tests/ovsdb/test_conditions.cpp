// SPDX-License-Identifier: LGPL-2.1-or-later
// Monitor conditions: only matching rows are replicated, a condition changed on a live session
// brings and takes rows, and one changed while disconnected resynchronises from a snapshot.
#include <csignal>

#include <catch2/catch.hpp>

#include "client_fixture.h"

using namespace dvs;
using namespace dvs::test;
using dvs::ovsdb::Json;

namespace {

Json nameIs(const std::string& name)
{
    return Json::array({Json::array({"name", "==", name})});
}

std::set<std::string> bridgeNames(const ovsdb::Client& client)
{
    std::set<std::string> names;
    for (const auto& bridge : vs::Bridge::all(client.replica())) {
        names.insert(bridge.name());
    }
    return names;
}

} // namespace

TEST_CASE("a monitor condition selects the rows a client replicates", "[monitor][conditions]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    OvsSandbox ovs;
    ovs.vsctl({"add-br", "br-a", "--", "add-br", "br-b", "--", "add-br", "br-c"});
    auto options = vswitchClientOptions(ovs.unixRemote());
    options.conditions[std::string(vs::Bridge::kTable)] = nameIs("br-a");
    ovsdb::Client client(nullptr, options);
    client.start();
    REQUIRE(waitReady(client));
    CHECK(bridgeNames(client) == std::set<std::string>{"br-a"});
    CHECK(client.condition(std::string(vs::Bridge::kTable)) == nameIs("br-a"));

    // Changed on the live session: br-b comes, br-a goes.
    client.setCondition(std::string(vs::Bridge::kTable), nameIs("br-b"));
    REQUIRE(runUntil([&] { return bridgeNames(client) == std::set<std::string>{"br-b"}; }));

    // Clauses are alternatives; [false] matches nothing; no condition matches everything.
    client.setCondition(
        std::string(vs::Bridge::kTable),
        Json::array({Json::array({"name", "==", "br-a"}), Json::array({"name", "==", "br-c"})}));
    REQUIRE(runUntil([&] { return bridgeNames(client) == std::set<std::string>{"br-a", "br-c"}; }));
    client.setCondition(std::string(vs::Bridge::kTable), Json::array({false}));
    REQUIRE(runUntil([&] { return bridgeNames(client).empty(); }));
    client.setCondition(std::string(vs::Bridge::kTable), Json());
    REQUIRE(runUntil([&] { return bridgeNames(client).size() == 3; }));

    // A new matching row arrives as any update does.
    client.setCondition(std::string(vs::Bridge::kTable), nameIs("br-d"));
    REQUIRE(runUntil([&] { return bridgeNames(client).empty(); }));
    ovs.vsctl({"add-br", "br-d"});
    REQUIRE(runUntil([&] { return bridgeNames(client) == std::set<std::string>{"br-d"}; }));
}

TEST_CASE("a condition changed while disconnected takes effect on the next session",
          "[monitor][conditions]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    OvsSandbox ovs;
    ovs.vsctl({"add-br", "br-a", "--", "add-br", "br-b"});
    auto options = vswitchClientOptions(ovs.unixRemote());
    options.conditions[std::string(vs::Bridge::kTable)] = nameIs("br-a");
    ovsdb::Client client(nullptr, options);
    client.start();
    REQUIRE(waitReady(client));
    REQUIRE(bridgeNames(client) == std::set<std::string>{"br-a"});

    ovs.killServer(SIGKILL);
    REQUIRE(runUntil([&] { return client.state() != ovsdb::ClientState::Ready; }));
    client.setCondition(std::string(vs::Bridge::kTable), nameIs("br-b"));
    ovs.startServer();
    REQUIRE(runUntil([&] {
        return client.state() == ovsdb::ClientState::Ready &&
               bridgeNames(client) == std::set<std::string>{"br-b"};
    }));
}
