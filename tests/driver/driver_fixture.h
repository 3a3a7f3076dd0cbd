// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "driver/host_backends.h"
#include "driver/network_driver.h"
#include "fake_sysfs.h"
#include "test_support.h"
#include "util/error.h"

namespace dvs::test {

// A driver on a private root (state, hooks and sysfs all under one temporary folder).
struct DriverFixture
{
    // hostBackends: program the host (netlink) instead of recording the desired state only.
    explicit DriverFixture(bool hostBackends = false) : hostBackends_(hostBackends) {}

    bool hostBackends_;
    TempDir dir;
    FakeSysfs sysfs{dir.path() / "sys"};
    std::unique_ptr<driver::NetworkDriver> drv = open();
    std::vector<std::pair<driver::NetworkRef, driver::LifecycleEvent>> events;

    driver::DriverPaths paths() const { return driver::DriverPaths::underRoot(dir.path()); }

    std::unique_ptr<driver::NetworkDriver> open()
    {
        auto d = std::make_unique<driver::NetworkDriver>(
            paths(), hostBackends_ ? driver::makeHostBackends(paths().runDir, sysfs.root().string())
                                   : nullptr);
        d->subscribe([this](const driver::NetworkRef& n, driver::LifecycleEvent e, int) {
            events.emplace_back(n, e);
        });
        return d;
    }

    // Simulates a daemon restart (the old driver is gone before the new one loads).
    void restart()
    {
        drv.reset();
        drv = open();
    }

    // Simulates a host reboot: the run folder is gone (so autostart runs again).
    void reboot()
    {
        drv.reset();
        std::filesystem::remove_all(paths().runDir);
        drv = open();
    }

    driver::NetworkRef defineAndStart(const std::string& xml)
    {
        auto net = drv->defineXml(xml, 0);
        drv->start(net);
        return net;
    }

    // Writes an executable hook script.
    void writeHook(const std::string& relative, const std::string& body);
};

// The error code a call throws, or Ok.
template <typename F>
ErrorCode errorOf(F&& f)
{
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    return ErrorCode::Ok;
}

// A port as virtqemud sends it for a domain start: a fresh uuid, no plug.
std::string portXml(const std::string& uuid, const std::string& group = "",
                    const std::string& extra = "", const std::string& mac = "52:54:00:aa:bb:cc");

} // namespace dvs::test
