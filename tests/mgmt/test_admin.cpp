// SPDX-License-Identifier: LGPL-2.1-or-later
// The administrator's library against a real ovsdb-server: define, update and undefine with the
// model's checks (a refused change writes nothing), members and their uplinks, generations and
// their pruning, and two administrators racing on one switch without losing a change.
#include <algorithm>

#include <catch2/catch.hpp>

#include "mgmt/compose.h"
#include "mgmt/rollout_policy.h"
#include "mgmt_fixture.h"

using namespace dvs;
using namespace dvs::test;
namespace db = dvs::mgmt::db;

namespace {

struct Fixture
{
    OvsSandbox ovs{dvsSandboxOptions()};
    std::unique_ptr<mgmt::Session> admin = adminSession(ovs.unixRemote());

    std::int64_t define(const std::string& xml = kSwitchXml)
    {
        auto def = mgmt::parseSwitchDefinition(xml);
        std::int64_t generation = 0;
        admin->transact(
            "define", [&](ovsdb::Transaction& txn) { generation = mgmt::defineSwitch(txn, def); });
        return generation;
    }

    std::int64_t update(conf::UpdateCommand command, const std::string& xml)
    {
        std::int64_t generation = 0;
        admin->transact("update", [&](ovsdb::Transaction& txn) {
            generation =
                mgmt::updateSwitch(txn, "sw", command, conf::UpdateSection::Portgroup, xml);
        });
        return generation;
    }

    void addHost(const std::string& host, std::vector<std::string> nics)
    {
        admin->transact("host-add",
                        [&](ovsdb::Transaction& txn) { mgmt::addHost(txn, "sw", host, nics); });
    }

    std::string dump(std::int64_t generation)
    {
        auto sw = mgmt::requireSwitch(admin->replica(), "sw");
        auto row = mgmt::findGeneration(admin->replica(), sw.uuid(), generation);
        REQUIRE(row.has_value());
        return row->definition();
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

} // namespace

TEST_CASE("a switch is defined once with its portgroups as rows and generation 1", "[admin]")
{
    if (!available()) {
        return;
    }
    Fixture f;
    REQUIRE(f.define() == 1);
    const auto& replica = f.admin->replica();
    auto sw = mgmt::requireSwitch(replica, "sw");
    CHECK(sw.generation() == 1);
    // The switch row has no portgroups; they are rows of their own.
    CHECK(sw.definition().find("portgroup") == std::string::npos);
    auto pgs = mgmt::portgroupsOf(replica, sw.uuid());
    REQUIRE(pgs.size() == 2);
    CHECK(pgs[0].name() == "db");
    CHECK(pgs[1].name() == "web");
    // Generation 1 is the whole network, portgroups in the order of the definition.
    std::string gen1 = f.dump(1);
    CHECK(gen1.find("<portgroup name='web'>") < gen1.find("<portgroup name='db'>"));
    CHECK(gen1.find("<uuid>" + sw.networkUuid() + "</uuid>") != std::string::npos);
    // A second define of the name is refused; nothing changes.
    CHECK_THROWS_WITH(f.define(), Catch::Contains("switch 'sw' already exists"));
    CHECK(db::Switch::all(replica).size() == 1);
}

TEST_CASE("portgroups keep the order the administrator defined, as libvirt keeps them", "[admin]")
{
    if (!available()) {
        return;
    }
    Fixture f;
    f.define(); // web, then db
    auto order = [&](std::int64_t generation) {
        std::string xml = f.dump(generation);
        std::vector<std::pair<std::size_t, std::string>> found;
        for (const char* name : {"web", "db", "app", "zoo"}) {
            auto at = xml.find(std::string("<portgroup name='") + name + "'");
            if (at != std::string::npos) {
                found.emplace_back(at, name);
            }
        }
        std::sort(found.begin(), found.end());
        std::vector<std::string> names;
        for (const auto& [at, name] : found) {
            names.push_back(name);
        }
        return names;
    };
    CHECK(order(1) == std::vector<std::string>{"web", "db"});
    f.update(conf::UpdateCommand::AddFirst,
             "<portgroup name='zoo'><vlan><tag id='40'/></vlan></portgroup>");
    CHECK(order(2) == std::vector<std::string>{"zoo", "web", "db"});
    f.update(conf::UpdateCommand::AddLast,
             "<portgroup name='app'><vlan><tag id='30'/></vlan></portgroup>");
    CHECK(order(3) == std::vector<std::string>{"zoo", "web", "db", "app"});
    // A modified portgroup stays where it is; so does the rest after a delete.
    f.update(conf::UpdateCommand::Modify,
             "<portgroup name='web'><vlan><tag id='11'/></vlan></portgroup>");
    CHECK(order(4) == std::vector<std::string>{"zoo", "web", "db", "app"});
    f.update(conf::UpdateCommand::Delete, "<portgroup name='zoo'/>");
    CHECK(order(5) == std::vector<std::string>{"web", "db", "app"});
    // The switch's current network (switch-dumpxml, the next change) has the same order.
    auto sw = mgmt::requireSwitch(f.admin->replica(), "sw");
    auto current = mgmt::currentNetwork(f.admin->replica(), sw);
    REQUIRE(current.portgroups.size() == 3);
    CHECK(current.portgroups[0].name == "web");
    CHECK(current.portgroups[1].name == "db");
    CHECK(current.portgroups[2].name == "app");
}

TEST_CASE("an invalid definition or update is refused with the model's message", "[admin]")
{
    if (!available()) {
        return;
    }
    // Interface names belong to members, not to the switch.
    std::string named = kSwitchXml;
    named.replace(named.find("mode='balance-slb'/>"), 20,
                  "mode='balance-slb'><dvs:interface name='eth1'/>"
                  "<dvs:interface name='eth2'/></dvs:uplink>");
    CHECK_THROWS_WITH(mgmt::parseSwitchDefinition(named), Catch::Contains("names interfaces"));
    // The model's own checks: an OVS bond cannot run 802.3ad.
    std::string bad = kSwitchXml;
    bad.replace(bad.find("balance-slb"), 11, "802.3ad");
    CHECK_THROWS_WITH(mgmt::parseSwitchDefinition(bad),
                      Catch::Contains("bond mode '802.3ad' is not supported"));

    Fixture f;
    f.define();
    // A portgroup that exists already: libvirt's net-update message, no new generation.
    CHECK_THROWS_WITH(f.update(conf::UpdateCommand::AddLast,
                               "<portgroup name='web'><vlan><tag id='30'/></vlan></portgroup>"),
                      Catch::Contains("web"));
    // Two default portgroups: the model's validation.
    f.update(conf::UpdateCommand::Modify,
             "<portgroup name='web' default='yes'><vlan><tag id='10'/></vlan></portgroup>");
    CHECK_THROWS_AS(f.update(conf::UpdateCommand::Modify,
                             "<portgroup name='db' default='yes'>"
                             "<vlan><tag id='20'/></vlan></portgroup>"),
                    Error);
    auto sw = mgmt::requireSwitch(f.admin->replica(), "sw");
    CHECK(sw.generation() == 2);
    CHECK(db::SwitchGeneration::all(f.admin->replica()).size() == 2);
}

TEST_CASE("members give their own uplink interfaces, checked by the model", "[admin]")
{
    if (!available()) {
        return;
    }
    Fixture f;
    f.define();
    // A bond needs two interfaces.
    CHECK_THROWS_WITH(f.addHost("h1", {"eth1"}),
                      Catch::Contains("host 'h1': uplink of type 'ovs-bond' needs at least two "
                                      "interfaces, not 1"));
    CHECK_THROWS_WITH(f.addHost("h1", {"eth1", "bad/name"}), Catch::Contains("bad/name"));
    CHECK_THROWS_WITH(f.addHost("../h1", {"eth1", "eth2"}), Catch::Contains("invalid host name"));
    CHECK(db::Member::all(f.admin->replica()).empty());

    f.addHost("h1", {"eth1", "eth2"});
    f.addHost("h2", {"ens1", "ens2"});
    CHECK_THROWS_WITH(f.addHost("h1", {"eth1", "eth2"}),
                      Catch::Contains("host 'h1' is already a member of switch 'sw'"));
    const auto& replica = f.admin->replica();
    auto sw = mgmt::requireSwitch(replica, "sw");
    auto members = mgmt::membersOf(replica, sw.uuid());
    REQUIRE(members.size() == 2);
    CHECK(members[1].uplink() == std::vector<std::string>{"ens1", "ens2"});
    CHECK(db::Host::findByName(replica, "h2").has_value());
    // Adding a member does not change the definition.
    CHECK(sw.generation() == 1);

    // Each member composes its own network from the generation.
    auto net = mgmt::memberNetwork(f.dump(1), members[1].uplink());
    REQUIRE(net.dvs->uplink.has_value());
    CHECK(net.dvs->uplink->interfaces == std::vector<std::string>{"ens1", "ens2"});

    f.admin->transact("host-remove",
                      [](ovsdb::Transaction& txn) { mgmt::removeHost(txn, "sw", "h2"); });
    CHECK(mgmt::membersOf(replica, sw.uuid()).size() == 1);
    CHECK_FALSE(db::Host::findByName(replica, "h2").has_value());
    CHECK_THROWS_WITH(
        f.admin->transact("host-remove",
                          [](ovsdb::Transaction& txn) { mgmt::removeHost(txn, "sw", "h2"); }),
        Catch::Contains("not a member"));
}

TEST_CASE("a switch without dvs:uplink gives each member a single-interface uplink", "[admin]")
{
    if (!available()) {
        return;
    }
    std::string plain = kSwitchXml;
    auto from = plain.find("  <metadata>");
    plain.erase(from, plain.find("</network>") - from);
    Fixture f;
    f.define(plain);
    CHECK_THROWS_WITH(f.addHost("h1", {"eth1", "eth2"}),
                      Catch::Contains("has no dvs:uplink: a member takes a single uplink "
                                      "interface, not 2"));
    f.addHost("h1", {"eth1"});
    auto net = mgmt::memberNetwork(f.dump(1), {"eth1"});
    REQUIRE(net.dvs.has_value());
    CHECK(net.dvs->uplink->type == conf::UplinkType::Interface);
    CHECK(net.dvs->uplink->interfaces == std::vector<std::string>{"eth1"});
}

TEST_CASE("two administrators changing one switch at once both get their change", "[admin]")
{
    if (!available()) {
        return;
    }
    Fixture f;
    f.define();
    auto other = adminSession(f.ovs.unixRemote());
    unsigned builds = 0;
    std::int64_t generation = 0;
    // The first build of our change reads generation 1; before it reaches the server, the
    // other administrator commits a change of its own.
    f.admin->transact("ours", [&](ovsdb::Transaction& txn) {
        if (++builds == 1) {
            other->transact("theirs", [](ovsdb::Transaction& t) {
                mgmt::updateSwitch(t, "sw", conf::UpdateCommand::AddLast,
                                   conf::UpdateSection::Portgroup,
                                   "<portgroup name='app'><vlan><tag id='30'/></vlan></portgroup>");
            });
        }
        generation = mgmt::updateSwitch(
            txn, "sw", conf::UpdateCommand::Modify, conf::UpdateSection::Portgroup,
            "<portgroup name='web'><vlan><tag id='11'/></vlan></portgroup>");
    });
    // Our transaction was verified against generation 1, failed, and was rebuilt on 2.
    CHECK(builds == 2);
    CHECK(generation == 3);
    std::string gen3 = f.dump(3);
    CHECK(gen3.find("<portgroup name='app'>") != std::string::npos);
    CHECK(gen3.find("<tag id='11'/>") != std::string::npos);

    // A change that no longer applies on the newer state is refused, not forced.
    builds = 0;
    CHECK_THROWS_WITH(
        f.admin->transact("ours again",
                          [&](ovsdb::Transaction& txn) {
                              if (++builds == 1) {
                                  other->transact("theirs", [](auto& t) {
                                      mgmt::updateSwitch(t, "sw", conf::UpdateCommand::Delete,
                                                         conf::UpdateSection::Portgroup,
                                                         "<portgroup name='app'/>");
                                  });
                              }
                              mgmt::updateSwitch(txn, "sw", conf::UpdateCommand::Modify,
                                                 conf::UpdateSection::Portgroup,
                                                 "<portgroup name='app'><vlan><tag id='31'/>"
                                                 "</vlan></portgroup>");
                          }),
        Catch::Contains("app"));
    CHECK(mgmt::requireSwitch(f.admin->replica(), "sw").generation() == 4);
}

TEST_CASE("host-add racing another host-add or a switch change: a clear error or a retry",
          "[admin]")
{
    if (!available()) {
        return;
    }
    Fixture f;
    f.define();
    auto other = adminSession(f.ovs.unixRemote());
    // Runs ours; before its first build reaches the server, theirs commits.
    auto race = [&](const std::function<void(ovsdb::Transaction&)>& theirs,
                    const std::function<void(ovsdb::Transaction&)>& ours) {
        unsigned builds = 0;
        f.admin->transact("ours", [&](ovsdb::Transaction& txn) {
            if (++builds == 1) {
                other->transact("theirs", theirs);
            }
            ours(txn);
        });
        return builds;
    };
    auto add = [](std::string host) {
        return [host](ovsdb::Transaction& txn) {
            mgmt::addHost(txn, "sw", host, {"eth1", "eth2"});
        };
    };
    auto members = [&] {
        std::vector<std::string> names;
        auto sw = mgmt::requireSwitch(f.admin->replica(), "sw");
        for (const auto& m : mgmt::membersOf(f.admin->replica(), sw.uuid())) {
            names.push_back(m.host());
        }
        return names;
    };

    // The same host added by two administrators at once: the second is told, in words.
    try {
        race(add("h1"), add("h1"));
        FAIL("the second host-add of h1 succeeded");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::OperationInvalid);
        CHECK_THAT(e.message(), Catch::Contains("host 'h1' is already a member of switch 'sw'"));
        CHECK_THAT(e.message(), !Catch::Contains("constraint violation"));
    }
    // Two different hosts at once: both get in.
    CHECK(race(add("h2"), add("h3")) == 2);
    CHECK(members() == std::vector<std::string>{"h1", "h2", "h3"});

    // A switch change racing a host-add is checked again with the new member, and keeps both.
    std::int64_t generation = 0;
    CHECK(race(add("h4"), [&](ovsdb::Transaction& txn) {
              generation = mgmt::updateSwitch(
                  txn, "sw", conf::UpdateCommand::AddLast, conf::UpdateSection::Portgroup,
                  "<portgroup name='app'><vlan><tag id='30'/></vlan></portgroup>");
          }) == 2);
    CHECK(generation == 2);
    CHECK(members().size() == 4);
    // A host-add racing a switch change is rebuilt on, and checked against, the new definition.
    CHECK(race(
              [&](ovsdb::Transaction& txn) {
                  mgmt::updateSwitch(txn, "sw", conf::UpdateCommand::Delete,
                                     conf::UpdateSection::Portgroup, "<portgroup name='app'/>");
              },
              add("h5")) == 2);
    CHECK(members().size() == 5);
    CHECK(mgmt::requireSwitch(f.admin->replica(), "sw").generation() == 3);

    // Two removals of one host at once: the second is told it is no longer a member.
    try {
        race([](ovsdb::Transaction& txn) { mgmt::removeHost(txn, "sw", "h5"); },
             [](ovsdb::Transaction& txn) { mgmt::removeHost(txn, "sw", "h5"); });
        FAIL("the second host-remove of h5 succeeded");
    } catch (const Error& e) {
        CHECK_THAT(e.message(), Catch::Contains("host 'h5' is not a member of switch 'sw'"));
    }
    CHECK_FALSE(db::Host::findByName(f.admin->replica(), "h5").has_value());
}

TEST_CASE("old generations are pruned beyond keep_generations", "[admin]")
{
    if (!available()) {
        return;
    }
    Fixture f;
    f.define();
    auto sw = mgmt::requireSwitch(f.admin->replica(), "sw");
    f.admin->transact("keep", [&](ovsdb::Transaction& txn) {
        txn.update(sw.uuid(), db::Switch::Values().setKeepGenerations(3));
    });
    for (int tag = 11; tag < 16; ++tag) {
        f.update(conf::UpdateCommand::Modify, "<portgroup name='web'><vlan><tag id='" +
                                                  std::to_string(tag) + "'/></vlan></portgroup>");
    }
    std::vector<std::int64_t> kept;
    for (const auto& row : db::SwitchGeneration::all(f.admin->replica())) {
        kept.push_back(row.generation());
    }
    std::sort(kept.begin(), kept.end());
    CHECK(kept == std::vector<std::int64_t>{4, 5, 6});
}

TEST_CASE("undefining a switch takes every row of it and keeps status rows", "[admin]")
{
    if (!available()) {
        return;
    }
    Fixture f;
    f.define();
    f.addHost("h1", {"eth1", "eth2"});
    f.admin->transact("policy", [](ovsdb::Transaction& txn) {
        mgmt::RolloutPolicy policy;
        policy.canary = {"h1"};
        mgmt::setRolloutPolicy(txn, "sw", policy);
    });
    // With a policy, a change starts a rollout and pins the members.
    CHECK(f.update(conf::UpdateCommand::Modify,
                   "<portgroup name='web'><vlan><tag id='11'/></vlan></portgroup>") == 2);
    const auto& replica = f.admin->replica();
    auto sw = mgmt::requireSwitch(replica, "sw");
    auto rollout = mgmt::activeRollout(replica, sw.uuid());
    REQUIRE(rollout.has_value());
    CHECK(rollout->fromGeneration() == 1);
    CHECK(rollout->toGeneration() == 2);
    CHECK(mgmt::membersOf(replica, sw.uuid())[0].targetGeneration() == 1);
    // No second change while it runs.
    CHECK_THROWS_WITH(f.update(conf::UpdateCommand::Modify,
                               "<portgroup name='web'><vlan><tag id='12'/></vlan></portgroup>"),
                      Catch::Contains("has a rollout of generation 2 that is running"));

    f.admin->transact("undefine", [](ovsdb::Transaction& txn) { mgmt::undefineSwitch(txn, "sw"); });
    CHECK(db::Switch::all(replica).empty());
    CHECK(db::Portgroup::all(replica).empty());
    CHECK(db::SwitchGeneration::all(replica).empty());
    CHECK(db::Member::all(replica).empty());
    CHECK(db::Rollout::all(replica).empty());
    CHECK(db::Host::all(replica).empty());
}
