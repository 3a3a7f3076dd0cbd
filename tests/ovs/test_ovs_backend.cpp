// SPDX-License-Identifier: LGPL-2.1-or-later
// The driver's backend for OVS networks (driver/host_backends.h) with ovs-vswitchd running the
// userspace datapath: net-start waits for the bridge, ports dvsd plugs itself reach vswitchd,
// an unreachable database fails the start with a clear error, and the replica of a clustered
// database is kept in the run directory.
#include <filesystem>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "driver/host_backends.h"
#include "netns.h"
#include "ovs_fixture.h"
#include "util/file.h"
#include "vswitchd_sandbox.h"

using namespace dvs;
using namespace dvs::test;

namespace {

driver::OvsBackendOptions backendOptions(const std::string& remote)
{
    driver::OvsBackendOptions options;
    options.remote = remote;
    options.datapathType = "netdev";
    options.timeout = std::chrono::seconds(10);
    return options;
}

} // namespace

TEST_CASE("net-start waits for the bridge; plugged ports reach ovs-vswitchd", "[ovs][backend]")
{
    auto vswitchd = VswitchdSandbox::start();
    if (!vswitchd) {
        return;
    }
    OvsSandbox& ovs = *vswitchd->ovs;
    TempDir run;
    auto backends = driver::makeHostBackends(run.path(), "/sys", backendOptions(ovs.unixRemote()));
    auto& backend = backends->backend(driver::BackendKind::OvsBridge);
    auto def = ovsNetwork("vmnet", "brdvs",
                          "<portgroup name='web' default='yes'><vlan>"
                          "<tag id='10'/></vlan></portgroup>");
    backend.start(def);
    CHECK(ovs.vsctl({"br-exists", "brdvs"}).empty());
    CHECK(pollUntil([&] {
        return ovs.vsctl({"--if-exists", "get", "Interface", "brdvs", "ofport"}) == "65534";
    }));
    CHECK_THAT(backend.describe(def), Catch::StartsWith("ready: OVS bridge 'brdvs' present"));

    auto port = ovsPort(3);
    port.vlan = accessVlan(10);
    backend.portAttached(def, port);
    try {
        backend.plugPort(def, port, "dvsmissing0");
        FAIL("plugged a missing device");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::DeviceMissing);
        CHECK_THAT(e.message(), Catch::Contains("dvsmissing0"));
    }
    Veth veth(ovs, "dvsv0");
    if (veth.ok()) {
        CHECK(backend.plugPort(def, port, "dvsv0") == "dvsv0");
        CHECK(ovs.vsctl({"get", "Port", "dvsv0", "tag"}) == "10");
        // vswitchd opened the device: it has an OpenFlow port number and no error.
        CHECK(pollUntil([&] {
            auto ofport = ovs.vsctl({"get", "Interface", "dvsv0", "ofport"});
            return !ofport.empty() && ofport != "[]" && ofport != "-1";
        }));
        CHECK(ovs.vsctl({"get", "Interface", "dvsv0", "error"}) == "[]");
        CHECK_THAT(backend.describe(def), Catch::Contains("ports 1 programmed, 0 pending"));
        backend.unplugPort(def, port, "dvsv0");
        CHECK(ovs.vsctl({"list-ports", "brdvs"}).empty());
    } else {
        WARN("no veth support: the plug into vswitchd is not checked");
    }
    backend.portDetached(def, port);
    backend.stop(def);
    CHECK_THROWS(ovs.vsctl({"br-exists", "brdvs"}));
}

TEST_CASE("net-start of an OVS network fails clearly when OVSDB is unreachable",
          "[ovs][backend][errors]")
{
    TempDir run;
    std::string remote = "unix:" + (run.path() / "db.sock").string();
    auto backends = driver::makeHostBackends(run.path(), "/sys", backendOptions(remote));
    auto& backend = backends->backend(driver::BackendKind::OvsBridge);
    auto def = ovsNetwork("vmnet", "brdvs");
    try {
        backend.start(def);
        FAIL("started without OVSDB");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::OperationFailed);
        CHECK_THAT(e.message(), Catch::Contains("network 'vmnet' cannot start"));
        CHECK_THAT(e.message(), Catch::Contains(remote));
    }
    // A restarted dvsd does not wait: resume returns at once.
    backend.resume(def);
    CHECK_THAT(backend.describe(def), Catch::StartsWith("degraded"));
}

TEST_CASE("dvsd keeps the OVSDB replica of a clustered database in its run directory",
          "[ovs][backend][restart]")
{
    if (auto why = OvsSandbox::unavailable()) {
        skip(*why);
        return;
    }
    OvsSandbox ovs({.clustered = true});
    TempDir run;
    auto cache = run.path() / "ovsdb-replica.json";
    auto def = ovsNetwork("vmnet", "brdvs");
    {
        auto backends =
            driver::makeHostBackends(run.path(), "/sys", backendOptions(ovs.unixRemote()));
        backends->backend(driver::BackendKind::OvsBridge).start(def);
        CHECK(ovs.vsctl({"br-exists", "brdvs"}).empty());
    }
    // Saved when the backend went, with the bridge dvsd created in it.
    REQUIRE(std::filesystem::exists(cache));
    auto saved = nlohmann::json::parse(util::readFile(cache));
    CHECK(saved["txn-id"].get<std::string>() != "00000000-0000-0000-0000-000000000000");
    bool hasBridge = false;
    for (const auto& [uuid, row] : saved["tables"]["Bridge"].items()) {
        hasBridge = hasBridge || row["initial"]["name"] == "brdvs";
    }
    CHECK(hasBridge);
}
