// SPDX-License-Identifier: LGPL-2.1-or-later
// dvs-leaseshelper: dnsmasq's --dhcp-script for dvsd's virtual networks (libvirt's
// leaseshelper). dnsmasq runs it as "add|old|del MAC IP [HOSTNAME]" with DNSMASQ_* variables for
// each lease change, and as "init" when it starts, to learn the leases it handed out before.
// dvsd passes DVS_NETWORK, DVS_LEASES_DIR, DVS_SOCKET and VIR_BRIDGE_NAME in dnsmasq's
// environment.
//
// A change goes to dvsd over its socket (our program's DVS_PROC_DHCP_LEASE). When dvsd cannot be
// reached (it is restarting), the change is appended to BRIDGE.status.pending in the leases
// folder, which dvsd folds in when it next reads or changes the leases, so none is lost. Lease
// changes always exit 0: dnsmasq must keep serving whatever happens here.
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <iostream>
#include <string>
#include <sys/file.h>
#include <unistd.h>

#include "driver/dhcp_leases.h"
#include "rpc/client.h"
#include "util/error.h"
#include "virtnet/lease_event.h"

namespace {

std::string env(const char* name)
{
    const char* value = std::getenv(name);
    return value != nullptr ? value : "";
}

// Appends a change dvsd could not take to the pending file, under its lock.
void spool(const std::filesystem::path& file, const dvs::driver::LeaseScriptCall& call)
{
    std::string text = call.toJsonLine();
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        return;
    }
    (void)::flock(fd, LOCK_EX);
    (void)!::write(fd, text.data(), text.size());
    ::close(fd);
}

} // namespace

int main(int argc, char** argv)
{
    auto call = dvs::driver::LeaseScriptCall::fromProcess(argc, argv);
    auto now = static_cast<long long>(::time(nullptr));
    dvs::virtnet::LeaseEvent event;
    try {
        event = call.event(now);
    } catch (const dvs::Error& e) {
        std::cerr << "dvs-leaseshelper: " << e.message() << "\n";
        return 1;
    }
    const std::string dir = env("DVS_LEASES_DIR");
    try {
        dvs::driver::DhcpLeaseStore store(dir);
        if (event.action == dvs::virtnet::LeaseAction::Init) {
            if (!dir.empty()) {
                std::cout << store.table(event.interface).dnsmasqLeases(event.serverDuid);
            }
            return 0;
        }
        try {
            dvs::rpc::DhcpLeaseReport report;
            report.network = env("DVS_NETWORK");
            report.args = call.args;
            report.env = call.env;
            dvs::rpc::reportDhcpLease(env("DVS_SOCKET"), report, std::chrono::seconds(10));
        } catch (const dvs::Error& e) {
            if (!dir.empty()) {
                spool(dvs::virtnet::leaseFilePath(dir, event.interface).string() + ".pending",
                      call);
            }
            std::cerr << "dvs-leaseshelper: dvsd did not take the lease change (kept for it): "
                      << e.fullMessage() << "\n";
        }
    } catch (const std::exception& e) {
        std::cerr << "dvs-leaseshelper: " << e.what() << "\n";
    }
    return 0;
}
