// SPDX-License-Identifier: LGPL-2.1-or-later
// Crash safety: a child process allocates and deletes ports in a loop while this process kills
// it with SIGKILL at random moments. After every kill the state is loaded again and checked:
// every acknowledged port is there, no port appears that was never asked for, no exclusive
// device is held twice, the connection counts equal the ports, and every file parses.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <signal.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "conf/network_def.h"
#include "conf/network_port.h"
#include "driver/network_driver.h"
#include "test_support.h"
#include "util/cdeleter.h"
#include "util/error.h"

namespace fs = std::filesystem;
using namespace dvs;

namespace {

const char* kOvs = "<network><name>ovs</name><forward mode='bridge'/><bridge name='ovsbr0'/>"
                   "<virtualport type='openvswitch'/><portgroup name='web' default='yes'>"
                   "<vlan><tag id='10'/></vlan></portgroup></network>";
const char* kPassthrough = "<network><name>pt</name><forward mode='passthrough'>"
                           "<interface dev='eth0'/><interface dev='eth1'/>"
                           "<interface dev='eth2'/><interface dev='eth3'/></forward></network>";

std::string portXml(const util::Uuid& uuid, unsigned n)
{
    return fmt::format("<networkport><uuid>{}</uuid><owner><name>vm{}</name>"
                       "<uuid>b1681f2a-d3a6-4a2a-8f59-4e6a6b0e3c11</uuid></owner>"
                       "<mac address='52:54:00:00:{:02x}:{:02x}'/></networkport>",
                       uuid.toString(), n, (n >> 8) & 0xff, n & 0xff);
}

void say(int fd, const std::string& line)
{
    std::string text = line + "\n";
    // Lines are shorter than PIPE_BUF: each write is atomic.
    if (::write(fd, text.data(), text.size()) < 0) {
        _exit(3);
    }
}

// The child: allocates and deletes ports until it is killed. Announces each operation before it
// starts ("?+", "?-") and after it is acknowledged ("+", "-", or "!" for a refusal).
[[noreturn]] void churn(const driver::DriverPaths& paths, int fd, unsigned seed)
{
    try {
        driver::NetworkDriver drv(paths);
        std::mt19937 rng(seed);
        std::vector<std::pair<std::string, util::Uuid>> ports;
        for (const char* name : {"ovs", "pt"}) {
            auto net = drv.lookupByName(name);
            for (const auto& p : drv.listAllPorts(net, 0)) {
                ports.emplace_back(name, p.uuid);
            }
        }
        for (unsigned n = 0;; ++n) {
            bool create = ports.size() < 8 || rng() % 10 < 6;
            if (create) {
                const char* name = rng() % 3 == 0 ? "pt" : "ovs";
                auto uuid = util::Uuid::generate();
                say(fd, fmt::format("?+ {} {}", name, uuid.toString()));
                try {
                    drv.portCreateXml(drv.lookupByName(name), portXml(uuid, n), 0);
                    ports.emplace_back(name, uuid);
                    say(fd, fmt::format("+ {} {}", name, uuid.toString()));
                } catch (const Error&) {
                    say(fd, fmt::format("! {} {}", name, uuid.toString()));
                }
            } else {
                auto i = rng() % ports.size();
                auto [name, uuid] = ports[i];
                say(fd, fmt::format("?- {} {}", name, uuid.toString()));
                drv.portDelete({drv.lookupByName(name), uuid}, 0);
                ports.erase(ports.begin() + static_cast<long>(i));
                say(fd, fmt::format("- {} {}", name, uuid.toString()));
            }
        }
    } catch (const std::exception& e) {
        say(fd, std::string("error ") + e.what());
    }
    _exit(2);
}

struct Model
{
    std::set<std::string> present;       // acknowledged and not deleted
    std::set<std::string> pendingCreate; // announced, not acknowledged
    std::set<std::string> pendingDelete;
    std::vector<std::string> errors;

    void apply(const std::string& line)
    {
        std::istringstream in(line);
        std::string op, net, uuid;
        in >> op >> net >> uuid;
        if (op == "?+") {
            pendingCreate.insert(uuid);
        } else if (op == "+") {
            pendingCreate.erase(uuid);
            present.insert(uuid);
        } else if (op == "!") {
            pendingCreate.erase(uuid);
        } else if (op == "?-") {
            pendingDelete.insert(uuid);
        } else if (op == "-") {
            pendingDelete.erase(uuid);
            present.erase(uuid);
        } else {
            errors.push_back(line);
        }
    }
};

} // namespace

TEST_CASE("no acknowledged port is lost or duplicated across 100 SIGKILLs")
{
    test::TempDir root;
    auto paths = driver::DriverPaths::underRoot(root.path());
    {
        driver::NetworkDriver drv(paths);
        drv.start(drv.defineXml(kOvs, 0));
        drv.start(drv.defineXml(kPassthrough, 0));
    }
    unsigned seed = std::random_device{}();
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    Model model;
    std::size_t maxPorts = 0;

    for (int round = 0; round < 100; ++round) {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        util::UniqueFd readEnd(fds[0]);
        util::UniqueFd writeEnd(fds[1]);
        pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            readEnd.reset();
            churn(paths, writeEnd.get(), seed + static_cast<unsigned>(round));
        }
        writeEnd.reset();

        // Let the child get a random number of lines out, then kill it mid-flight.
        FILE* stream = ::fdopen(readEnd.release(), "r");
        REQUIRE(stream != nullptr);
        unsigned budget = 1 + rng() % 120;
        char line[256];
        while (budget-- > 0 && std::fgets(line, sizeof(line), stream) != nullptr) {
            model.apply(std::string(line, std::strlen(line) - 1));
        }
        ::kill(pid, SIGKILL);
        while (std::fgets(line, sizeof(line), stream) != nullptr) {
            model.apply(std::string(line, std::strlen(line) - 1));
        }
        std::fclose(stream);
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        REQUIRE(model.errors.empty());

        driver::NetworkDriver drv(paths);
        // The only notices a crash may cause: temporary files of a write it interrupted, which
        // the start removes.
        for (const auto& notice : drv.takeNotices()) {
            INFO(notice);
            CHECK(notice.find("left by a write that a crash interrupted") != std::string::npos);
        }
        std::set<std::string> found;
        std::set<std::string> exclusiveDevices;
        for (const char* name : {"ovs", "pt"}) {
            auto net = drv.lookupByName(name);
            REQUIRE(drv.isActive(net));
            auto ports = drv.listAllPorts(net, 0);
            for (const auto& ref : ports) {
                found.insert(ref.uuid.toString());
                if (std::string(name) == "pt") {
                    auto port = conf::NetworkPort::parseString(drv.portGetXmlDesc(ref, 0));
                    CHECK(exclusiveDevices.insert(port.plug.dev).second);
                }
            }
        }
        for (const auto& st : drv.status()) {
            CHECK(st.connections == st.ports);
        }
        for (const auto& uuid : model.present) {
            if (model.pendingDelete.count(uuid) == 0) {
                CHECK(found.count(uuid) == 1);
            }
        }
        for (const auto& uuid : found) {
            CHECK((model.present.count(uuid) == 1 || model.pendingCreate.count(uuid) == 1));
        }
        // What the disk says is now the truth for the next round.
        model.present = found;
        model.pendingCreate.clear();
        model.pendingDelete.clear();
        maxPorts = std::max(maxPorts, found.size());
    }
    // No file was ever found unreadable.
    for (const auto& entry : fs::recursive_directory_iterator(root.path())) {
        CHECK(entry.path().extension() != ".corrupt");
    }
    CHECK(maxPorts > 0);
}
