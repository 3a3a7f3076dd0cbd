// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>

#include "util/error.h"

namespace dvs::rpc {

// How a socket's clients authenticate (libvirt's auth_unix_ro / auth_unix_rw).
enum class SocketAuth
{
    None,   // every client that can open the socket is in
    Polkit, // polkit decides: org.libvirt.unix.manage (read-write), org.libvirt.unix.monitor
};

// The process polkit is asked about: libvirt's (pid, start time, uid) triple, which a process
// cannot fake by exec'ing a set-uid program after it connected.
struct PolkitSubject
{
    pid_t pid = 0;
    std::uint64_t startTime = 0;
    uid_t uid = 0;
};

// The start time of a process (field 22 of /proc/PID/stat, in clock ticks since boot), as
// polkit's unix-process subject wants it. nullopt when the process is gone.
std::optional<std::uint64_t> processStartTime(pid_t pid);

// Asks polkitd, on the system bus (DBUS_SYSTEM_BUS_ADDRESS, as every D-Bus client does),
// whether a process may perform an action: org.freedesktop.PolicyKit1.Authority's
// CheckAuthorization, asynchronously, so that the daemon's loop serves other clients meanwhile.
class PolkitAuthority
{
public:
    // nullopt: authorized; otherwise the error libvirt reports (AuthFailed "access denied by
    // policy", AuthUnavailable when only an interactive agent could say yes, DBusService when
    // polkitd cannot be asked).
    using Done = std::function<void(std::optional<Error>)>;

    PolkitAuthority();
    ~PolkitAuthority();
    PolkitAuthority(const PolkitAuthority&) = delete;
    PolkitAuthority& operator=(const PolkitAuthority&) = delete;

    // done runs later on the loop of the caller's thread-default main context, unless the
    // authority is destroyed first.
    void check(const std::string& action, const PolkitSubject& subject, Done done);

private:
    struct Pending;
    void* bus_ = nullptr;         // GDBusConnection*
    void* cancellable_ = nullptr; // GCancellable*: cancels every pending check on destruction
};

} // namespace dvs::rpc
