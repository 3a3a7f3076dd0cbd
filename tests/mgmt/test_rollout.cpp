// SPDX-License-Identifier: LGPL-2.1-or-later
// Rollouts driven by the controller against a real ovsdb-server. The "hosts" are status rows this
// test writes as hosts would: each follows its member's desired generation and reports it
// applied, failed, or nothing at all.
#include <map>
#include <set>

#include <catch2/catch.hpp>

#include "mgmt/compose.h"
#include "mgmt/controller.h"
#include "mgmt/progress.h"
#include "mgmt/rollout.h"
#include "mgmt/rollout_policy.h"
#include "mgmt_fixture.h"

using namespace dvs;
using namespace dvs::test;
namespace db = dvs::mgmt::db;

namespace {

// Simulated member hosts: they write Member_Status as an agent would.
class FakeHosts
{
public:
    std::set<std::string> failing; // report "failed" for any generation above 1
    std::set<std::string> silent;  // never answer
    // The order in which hosts were first asked for each generation.
    std::map<std::int64_t, std::vector<std::string>> asked;

    explicit FakeHosts(const std::string& remote)
        : client_(nullptr, mgmt::clientOptions({remote}, mgmt::progressTables()))
    {
        client_.replica().addListener([this](const auto&) { react(); });
        client_.start();
        REQUIRE(runUntil([&] { return client_.state() == ovsdb::ClientState::Ready; }));
    }

    // Looks at the members again (after failing/silent changed).
    void react()
    {
        const auto& replica = client_.replica();
        for (const auto& sw : db::Switch::all(replica)) {
            for (const auto& member : mgmt::membersOf(replica, sw.uuid())) {
                std::int64_t desired = mgmt::desiredGeneration(sw, member);
                auto& order = asked[desired];
                if (std::find(order.begin(), order.end(), member.host()) == order.end()) {
                    order.push_back(member.host());
                }
                if (silent.contains(member.host())) {
                    continue;
                }
                report(sw.name(), member.host(), desired);
            }
        }
    }

private:
    void report(const std::string& sw, const std::string& host, std::int64_t desired)
    {
        bool fail = failing.contains(host) && desired > 1;
        auto& last = sent_[{sw, host}];
        if (last == std::make_pair(desired, fail)) {
            return;
        }
        last = {desired, fail};
        client_.transact(
            "host " + host,
            [=](ovsdb::Transaction& txn) {
                std::optional<db::MemberStatus::View> row;
                for (const auto& s : db::MemberStatus::all(txn.replica())) {
                    if (s.host() == host && s.switchColumn() == sw) {
                        row = s;
                    }
                }
                auto values = db::MemberStatus::Values().setHost(host).setSwitch(sw).setUpdatedAt(
                    mgmt::nowMs());
                if (fail) {
                    values.setState("failed").setApplyingGeneration(desired).setReason(
                        "no interface 'eth9'");
                } else {
                    values.setState("in-sync").setGeneration(desired).setApplyingGeneration(
                        std::nullopt);
                }
                if (row) {
                    txn.update(row->uuid(), values);
                } else {
                    txn.insert(values);
                }
            },
            [](ovsdb::Result<ovsdb::TxnResult> result) { REQUIRE(result.ok()); });
    }

    ovsdb::Client client_;
    // What each host last reported, per switch.
    std::map<std::pair<std::string, std::string>, std::pair<std::int64_t, bool>> sent_;
};

struct World
{
    OvsSandbox ovs{dvsSandboxOptions()};
    std::unique_ptr<mgmt::Session> admin = adminSession(ovs.unixRemote(), mgmt::progressTables());
    FakeHosts hosts{ovs.unixRemote()};
    std::vector<std::string> notices;

    std::unique_ptr<mgmt::RolloutController> controller(const std::string& id)
    {
        mgmt::ControllerOptions options;
        options.remotes = {ovs.unixRemote()};
        options.id = id;
        options.tick = std::chrono::milliseconds(100);
        auto c = std::make_unique<mgmt::RolloutController>(
            nullptr, options, [this](const std::string& line) { notices.push_back(line); });
        c->start();
        return c;
    }

    void setup(const mgmt::RolloutPolicy& policy)
    {
        auto def = mgmt::parseSwitchDefinition(kSwitchXml);
        admin->transact("define", [&](auto& txn) { mgmt::defineSwitch(txn, def); });
        for (const char* host : {"h1", "h2", "h3"}) {
            admin->transact("add", [&](auto& txn) {
                mgmt::addHost(txn, "sw", host, {"eth1", "eth2"});
            });
        }
        admin->transact("policy", [&](auto& txn) { mgmt::setRolloutPolicy(txn, "sw", policy); });
        // Every host runs generation 1 before the change.
        REQUIRE(waitFor([&] { return inSync(1) == 3; }));
    }

    std::int64_t change(int tag)
    {
        std::int64_t generation = 0;
        admin->transact("change", [&](auto& txn) {
            generation = mgmt::updateSwitch(txn, "sw", conf::UpdateCommand::Modify,
                                            conf::UpdateSection::Portgroup,
                                            "<portgroup name='web'><vlan><tag id='" +
                                                std::to_string(tag) + "'/></vlan></portgroup>");
        });
        return generation;
    }

    // Waits in the default context (controller, hosts) and refreshes the admin session.
    bool waitFor(const std::function<bool()>& pred)
    {
        return runUntil([&] {
            while (g_main_context_iteration(admin->context(), FALSE)) {
            }
            return pred();
        });
    }

    std::optional<db::Rollout::View> rollout()
    {
        auto sw = mgmt::requireSwitch(admin->replica(), "sw");
        return mgmt::latestRollout(admin->replica(), sw.uuid());
    }

    std::string rolloutState()
    {
        auto r = rollout();
        return r ? r->state() : "";
    }

    std::map<std::string, std::optional<std::int64_t>> targets()
    {
        std::map<std::string, std::optional<std::int64_t>> out;
        auto sw = mgmt::requireSwitch(admin->replica(), "sw");
        for (const auto& m : mgmt::membersOf(admin->replica(), sw.uuid())) {
            out[m.host()] = m.targetGeneration();
        }
        return out;
    }

    std::size_t inSync(std::int64_t generation)
    {
        std::size_t n = 0;
        for (const auto& s : db::MemberStatus::all(admin->replica())) {
            n += s.generation() == generation && s.state() == "in-sync" ? 1 : 0;
        }
        return n;
    }
};

bool available()
{
    if (auto why = OvsSandbox::unavailable(dvsSandboxOptions())) {
        skip(*why);
        return false;
    }
    return true;
}

std::unique_ptr<mgmt::Session> session(World& w)
{
    return adminSession(w.ovs.unixRemote(), mgmt::progressTables());
}

} // namespace

TEST_CASE("a failing canary halts the rollout, returns and leaves the others alone", "[rollout]")
{
    if (!available()) {
        return;
    }
    World w;
    mgmt::RolloutPolicy policy;
    policy.canary = {"h2"};
    policy.batch = 1;
    w.setup(policy);
    auto controller = w.controller("ctl-a");
    REQUIRE(w.waitFor([&] { return controller->active(); }));

    w.hosts.failing = {"h2"};
    REQUIRE(w.change(11) == 2);
    REQUIRE(w.waitFor([&] { return w.rolloutState() == "halted"; }));
    auto r = w.rollout();
    CHECK(r->reason().find("host h2 failed: no interface 'eth9'") != std::string::npos);
    CHECK(r->controller() == "ctl-a");
    // The canary is back on generation 1; the others were never asked for 2.
    auto targets = w.targets();
    CHECK(targets["h1"] == 1);
    CHECK(targets["h2"] == 1);
    CHECK(targets["h3"] == 1);
    CHECK(w.hosts.asked[2] == std::vector<std::string>{"h2"});
    std::map<std::string, std::string> states;
    for (const auto& h : mgmt::rolloutHosts(w.admin->replica(), r->uuid())) {
        states[h.host()] = h.state();
    }
    CHECK(states == std::map<std::string, std::string>{
                        {"h1", "pending"}, {"h2", "failed"}, {"h3", "pending"}});
    // No new change while halted.
    CHECK_THROWS_WITH(w.change(12), Catch::Contains("halted"));

    // The canary is back on generation 1. Once fixed, the rollout resumes from the canary and
    // finishes, batch by batch.
    REQUIRE(w.waitFor([&] { return w.inSync(1) == 3; }));
    w.hosts.failing.clear();
    w.admin->transact("resume", [](auto& txn) { mgmt::resumeRollout(txn, "sw"); });
    REQUIRE(w.waitFor([&] { return w.rolloutState() == "done"; }));
    CHECK(w.hosts.asked[2] == std::vector<std::string>{"h2", "h1", "h3"});
    REQUIRE(w.waitFor([&] { return w.inSync(2) == 3; }));
    for (const auto& [host, target] : w.targets()) {
        CHECK_FALSE(target.has_value()); // back to following the switch
    }
}

TEST_CASE("a host that misses its deadline halts the rollout; abort returns everyone", "[rollout]")
{
    if (!available()) {
        return;
    }
    World w;
    mgmt::RolloutPolicy policy;
    policy.batch = 2;
    policy.deadline = 1;
    w.setup(policy);
    auto controller = w.controller("ctl-a");
    w.hosts.silent = {"h1"};
    REQUIRE(w.change(11) == 2);
    REQUIRE(w.waitFor([&] { return w.rolloutState() == "halted"; }));
    CHECK(w.rollout()->reason().find("host h1 failed: no answer within 1 s") != std::string::npos);
    // h2 applied in the same batch and was returned to generation 1.
    auto targets = w.targets();
    CHECK(targets["h1"] == 1);
    CHECK(targets["h2"] == 1);
    CHECK(targets["h3"] == 1);
    CHECK(w.hosts.asked[2] == std::vector<std::string>{"h1", "h2"});

    auto status = session(w);
    auto progress =
        mgmt::switchProgress(status->replica(), mgmt::requireSwitch(status->replica(), "sw"),
                             std::nullopt, mgmt::nowMs());
    CHECK(progress.size() == 3);

    std::int64_t generation = 0;
    w.admin->transact("abort", [&](auto& txn) { generation = mgmt::abortRollout(txn, "sw"); });
    CHECK(generation == 3);
    CHECK(w.rolloutState() == "aborted");
    for (const auto& [host, target] : w.targets()) {
        CHECK_FALSE(target.has_value());
    }
    // Generation 3 is generation 1's definition.
    auto sw = mgmt::requireSwitch(w.admin->replica(), "sw");
    auto g1 = mgmt::findGeneration(w.admin->replica(), sw.uuid(), 1);
    auto g3 = mgmt::findGeneration(w.admin->replica(), sw.uuid(), 3);
    REQUIRE(g3.has_value());
    CHECK(g3->definition() == g1->definition());
    CHECK_THROWS_WITH(w.admin->transact("abort", [](auto& txn) { mgmt::abortRollout(txn, "sw"); }),
                      Catch::Contains("no running or halted rollout"));
}

TEST_CASE("a standby controller takes over a rollout from where it is", "[rollout]")
{
    if (!available()) {
        return;
    }
    World w;
    mgmt::RolloutPolicy policy;
    policy.batch = 1;
    w.setup(policy);
    auto a = w.controller("ctl-a");
    REQUIRE(w.waitFor([&] { return a->active(); }));
    auto b = w.controller("ctl-b");
    // Only one holds the lock.
    REQUIRE(w.waitFor([&] { return b->client().state() == ovsdb::ClientState::Ready; }));
    CHECK_FALSE(b->active());

    w.hosts.silent = {"h2"};
    REQUIRE(w.change(11) == 2);
    // h1 done, h2 applying: the rollout waits in its second batch.
    REQUIRE(w.waitFor([&] {
        auto r = w.rollout();
        return r && r->batch() == 1 && w.targets()["h2"] == 2;
    }));
    a.reset(); // its session ends: the server gives the lock to the standby
    REQUIRE(w.waitFor([&] { return b->active(); }));
    w.hosts.silent.clear();
    w.hosts.react();
    REQUIRE(w.waitFor([&] { return w.rolloutState() == "done"; }));
    CHECK(w.rollout()->controller() == "ctl-b");
    CHECK(w.hosts.asked[2] == std::vector<std::string>{"h1", "h2", "h3"});
    REQUIRE(w.waitFor([&] { return w.inSync(2) == 3; }));
}

TEST_CASE("rollout-resume goes on from the batch that halted; hosts that applied stay applied",
          "[rollout]")
{
    if (!available()) {
        return;
    }
    World w;
    mgmt::RolloutPolicy policy;
    policy.batch = 1; // h1, then h2, then h3
    w.setup(policy);
    auto controller = w.controller("ctl-a");
    REQUIRE(w.waitFor([&] { return controller->active(); }));

    w.hosts.failing = {"h2"};
    REQUIRE(w.change(11) == 2);
    REQUIRE(w.waitFor([&] { return w.rolloutState() == "halted"; }));
    REQUIRE(w.rollout()->batch() == 1);
    // The halt returned h1, which had applied generation 2 in the first batch.
    REQUIRE(w.waitFor([&] { return w.inSync(1) == 3; }));
    CHECK(w.targets()["h1"] == 1);

    w.hosts.failing.clear();
    controller.reset(); // what the resume itself writes, before any controller steps
    std::size_t noticesBefore = w.notices.size();
    w.admin->transact("resume", [](auto& txn) { mgmt::resumeRollout(txn, "sw"); });
    auto r = w.rollout();
    CHECK(r->state() == "running");
    CHECK(r->batch() == 1); // not back to the first batch
    std::map<std::string, std::string> states;
    for (const auto& h : mgmt::rolloutHosts(w.admin->replica(), r->uuid())) {
        states[h.host()] = h.state();
    }
    CHECK(states == std::map<std::string, std::string>{
                        {"h1", "applying"}, {"h2", "pending"}, {"h3", "pending"}});
    auto targets = w.targets();
    CHECK(targets["h1"] == 2); // straight back to the generation it applied
    CHECK(targets["h2"] == 1);
    CHECK(targets["h3"] == 1);

    controller = w.controller("ctl-b");
    REQUIRE(w.waitFor([&] { return w.rolloutState() == "done"; }));
    REQUIRE(w.waitFor([&] { return w.inSync(2) == 3; }));
    // The controller moved only the halted batch and the next one: h1 was not rolled out again.
    std::vector<std::string> moved;
    for (std::size_t i = noticesBefore; i < w.notices.size(); ++i) {
        const auto& line = w.notices[i];
        if (auto at = line.find("host ");
            at != std::string::npos && line.find(" moves to generation 2") != std::string::npos) {
            moved.push_back(line.substr(at + 5, line.find(' ', at + 5) - at - 5));
        }
    }
    CHECK(moved == std::vector<std::string>{"h2", "h3"});
    for (const auto& [host, target] : w.targets()) {
        CHECK_FALSE(target.has_value());
    }
}
