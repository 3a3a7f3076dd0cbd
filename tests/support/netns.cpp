// SPDX-License-Identifier: LGPL-2.1-or-later
#include "netns.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <stdexcept>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "test_support.h"

namespace dvs::test {

std::optional<std::string> enterFreshNetworkNamespace()
{
    if (::unshare(CLONE_NEWNET) != 0) {
        return std::string("cannot create a network namespace (unshare(CLONE_NEWNET): ") +
               std::strerror(errno) + "); these tests need root or CAP_NET_ADMIN";
    }
    return std::nullopt;
}

bool enterFreshNetworkNamespaceOrSkip()
{
    if (auto why = enterFreshNetworkNamespace()) {
        skip(*why);
        return false;
    }
    return true;
}

ScopedNetworkNamespace::ScopedNetworkNamespace()
    : original_(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC))
{
    if (!original_) {
        failure_ =
            std::string("cannot open the current network namespace: ") + std::strerror(errno);
        return;
    }
    failure_ = enterFreshNetworkNamespace();
}

ScopedNetworkNamespace::~ScopedNetworkNamespace()
{
    if (!failure_ && ::setns(original_.get(), CLONE_NEWNET) != 0) {
        std::fprintf(stderr, "cannot return to the original network namespace: %s\n",
                     std::strerror(errno));
        std::abort();
    }
}

namespace {

// capget/capset without libcap: the two 32-bit words of version 3.
void setNetAdminEffective(bool on)
{
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &header, data) != 0) {
        throw std::runtime_error(std::string("capget: ") + std::strerror(errno));
    }
    constexpr unsigned kBit = 1u << CAP_NET_ADMIN; // CAP_NET_ADMIN (12) is in the first word
    data[0].effective = on ? (data[0].effective | kBit) : (data[0].effective & ~kBit);
    if (::syscall(SYS_capset, &header, data) != 0) {
        throw std::runtime_error(std::string("capset: ") + std::strerror(errno));
    }
}

} // namespace

WithoutNetAdmin::WithoutNetAdmin()
{
    setNetAdminEffective(false);
}

WithoutNetAdmin::~WithoutNetAdmin()
{
    try {
        setNetAdminEffective(true);
    } catch (const std::exception&) {
        // Taking back a permitted capability does not fail; nothing to do if it did.
    }
}

bool MainContext::runUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout)
{
    bool expired = false;
    util::CPtr<GSource, g_source_unref> timer(g_timeout_source_new(timeout.count()));
    g_source_set_callback(
        timer.get(),
        [](gpointer data) -> gboolean {
            *static_cast<bool*>(data) = true;
            return G_SOURCE_REMOVE;
        },
        &expired, nullptr);
    g_source_attach(timer.get(), get());
    while (!done() && !expired) {
        g_main_context_iteration(get(), TRUE);
    }
    g_source_destroy(timer.get());
    return done();
}

TapDevice::TapDevice(std::string_view name)
{
    fd_.reset(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
    if (!fd_) {
        throw std::runtime_error(std::string("cannot open /dev/net/tun: ") + std::strerror(errno));
    }
    ifreq req{};
    req.ifr_flags = IFF_TAP | IFF_NO_PI;
    name.copy(req.ifr_name, IFNAMSIZ - 1);
    if (::ioctl(fd_.get(), TUNSETIFF, &req) != 0) {
        throw std::runtime_error(std::string("cannot create tap device: ") + std::strerror(errno));
    }
}

} // namespace dvs::test
