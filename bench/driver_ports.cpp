// SPDX-License-Identifier: LGPL-2.1-or-later
// Allocates and releases N ports on one network in-process, with every port file written as in
// production, and reports the rates and the resident memory per live port.
//
//   bench-driver-ports [N] [STATE-FOLDER]
//
// STATE-FOLDER defaults to a fresh folder under /dev/shm (tmpfs, as /run is on a host).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <time.h>
#include <unistd.h>
#include <vector>

#include <fmt/format.h>

#include "driver/network_driver.h"
#include "util/error.h"
#include "util/file.h"

namespace fs = std::filesystem;
using namespace dvs;
using Clock = std::chrono::steady_clock;

namespace {

long residentBytes()
{
    auto statm = util::readFile("/proc/self/statm");
    long size = 0;
    long resident = 0;
    if (std::sscanf(statm.c_str(), "%ld %ld", &size, &resident) != 2) {
        return 0;
    }
    return resident * sysconf(_SC_PAGESIZE);
}

double seconds(Clock::duration d)
{
    return std::chrono::duration<double>(d).count();
}

// CPU time of this process: unlike wall time, not inflated by other load on the machine.
double cpuSeconds()
{
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

} // namespace

int main(int argc, char** argv)
{
    int n = argc > 1 ? std::atoi(argv[1]) : 10000;
    fs::path root;
    if (argc > 2) {
        root = argv[2];
    } else {
        std::string tmpl = "/dev/shm/dvs-bench-XXXXXX";
        if (::mkdtemp(tmpl.data()) == nullptr) {
            std::perror("mkdtemp");
            return 1;
        }
        root = tmpl;
    }
    try {
        driver::NetworkDriver drv(driver::DriverPaths::underRoot(root));
        auto net = drv.defineXml("<network><name>bench</name><forward mode='bridge'/>"
                                 "<bridge name='dvsbr0'/><virtualport type='openvswitch'/>"
                                 "<portgroup name='web' default='yes'><vlan><tag id='10'/></vlan>"
                                 "<bandwidth><outbound average='1000'/></bandwidth></portgroup>"
                                 "</network>",
                                 0);
        drv.start(net);

        std::vector<std::string> xmls;
        xmls.reserve(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) {
            xmls.push_back(fmt::format(
                "<networkport><uuid>{}</uuid><owner><name>vm{}</name>"
                "<uuid>b1681f2a-d3a6-4a2a-8f59-4e6a6b0e3c11</uuid></owner>"
                "<mac address='52:54:00:{:02x}:{:02x}:{:02x}'/></networkport>",
                util::Uuid::generate().toString(), i, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff));
        }
        std::vector<driver::PortRef> ports;
        ports.reserve(static_cast<std::size_t>(n));

        long before = residentBytes();
        double c0 = cpuSeconds();
        auto t0 = Clock::now();
        for (const auto& xml : xmls) {
            ports.push_back(drv.portCreateXml(net, xml, 0));
        }
        auto t1 = Clock::now();
        double c1 = cpuSeconds();
        long after = residentBytes();
        for (const auto& port : ports) {
            drv.portDelete(port, 0);
        }
        auto t2 = Clock::now();
        double c2 = cpuSeconds();

        double alloc = seconds(t1 - t0);
        double release = seconds(t2 - t1);
        std::printf("ports: %d (state in %s)\n", n, root.c_str());
        std::printf("allocate: %.0f ports/s\n", n / alloc);
        std::printf("release: %.0f ports/s\n", n / release);
        std::printf("allocate+release: %.0f ports/s wall, %.0f ports/s of CPU time (target >= "
                    "20000)\n",
                    n / (alloc + release), n / (c2 - c0));
        std::printf("  (allocate %.0f/s, release %.0f/s of CPU time)\n", n / (c1 - c0),
                    n / (c2 - c1));
        std::printf("resident memory per live port: %.0f bytes (target < 4096)\n",
                    static_cast<double>(after - before) / n);
    } catch (const Error& e) {
        std::fprintf(stderr, "error: %s\n", e.fullMessage().c_str());
        return 1;
    }
    if (argc <= 2) {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
    return 0;
}
