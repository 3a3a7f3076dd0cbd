// SPDX-License-Identifier: LGPL-2.1-or-later
// Conformance with libvirt 9.0's networkxml2conftest: for every network of its
// networkxml2confdata, the dnsmasq configuration and hosts file, byte for byte, with libvirt's
// paths.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>
#include <vector>

#include <catch2/catch.hpp>

#include "conf/network_def.h"
#include "corpus.h"
#include "test_support.h"
#include "util/error.h"
#include "virtnet/dnsmasq_conf.h"

namespace fs = std::filesystem;
using dvs::Error;
using dvs::conf::NetworkDef;

namespace {

std::optional<fs::path> dataDir()
{
    auto dir = dvs::test::corpusDir();
    if (!dir || !fs::is_directory(*dir / "networkxml2confdata")) {
        return std::nullopt;
    }
    return *dir / "networkxml2confdata";
}

std::vector<std::string> caseNames(const fs::path& data)
{
    std::vector<std::string> cases;
    for (const auto& entry : fs::directory_iterator(data)) {
        if (entry.path().extension() == ".xml") {
            cases.push_back(entry.path().stem().string());
        }
    }
    std::sort(cases.begin(), cases.end());
    return cases;
}

struct Outcome
{
    std::string error;
    std::string config;
    std::string expectedConfig;
    std::string hostsFile;
    std::string expectedHostsFile;

    bool identical() const
    {
        return error.empty() && config == expectedConfig && hostsFile == expectedHostsFile;
    }
};

Outcome run(const fs::path& data, const std::string& name)
{
    Outcome out;
    out.expectedConfig = dvs::test::readCorpusFile(data / (name + ".conf"));
    // libvirt has no hosts file to compare when the network has no DHCP host.
    fs::path hostsFile = data / (name + ".hostsfile");
    if (fs::exists(hostsFile)) {
        out.expectedHostsFile = dvs::test::readCorpusFile(hostsFile);
    }
    try {
        // libvirt's test parses without validation, with the dnsmasq namespace, and its own
        // paths (our DnsmasqPaths defaults).
        auto def = NetworkDef::parseString(dvs::test::readCorpusFile(data / (name + ".xml")), 0);
        auto contents = dvs::virtnet::dnsmasqContents(def, {});
        out.config = contents.config;
        out.hostsFile = contents.hostsFile;
    } catch (const Error& e) {
        out.error = e.fullMessage();
    }
    return out;
}

} // namespace

TEST_CASE("libvirt networkxml2confdata corpus, case by case")
{
    auto data = dataDir();
    if (!data) {
        dvs::test::skip("libvirt corpus not found (set DVS_LIBVIRT_CORPUS or -Dlibvirt_corpus)");
        return;
    }
    auto cases = caseNames(*data);
    REQUIRE(cases.size() >= 20);
    for (const auto& name : cases) {
        DYNAMIC_SECTION(name)
        {
            Outcome out = run(*data, name);
            INFO(out.error);
            CHECK(out.error.empty());
            CHECK(out.config == out.expectedConfig);
            CHECK(out.hostsFile == out.expectedHostsFile);
        }
    }
}

TEST_CASE("libvirt networkxml2confdata corpus, in total")
{
    auto data = dataDir();
    if (!data) {
        dvs::test::skip("libvirt corpus not found (set DVS_LIBVIRT_CORPUS or -Dlibvirt_corpus)");
        return;
    }
    auto cases = caseNames(*data);
    std::size_t identical = std::count_if(cases.begin(), cases.end(), [&](const std::string& name) {
        return run(*data, name).identical();
    });
    std::cout << "networkxml2confdata: " << identical << " of " << cases.size()
              << " cases byte-identical (configuration and hosts file)\n";
    CHECK(identical == cases.size());
}
