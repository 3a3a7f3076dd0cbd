// SPDX-License-Identifier: LGPL-2.1-or-later
#include "rpc/polkit.h"

#include <fstream>
#include <memory>
#include <sstream>

#include <fmt/format.h>
#include <gio/gio.h>

namespace dvs::rpc {

namespace {

constexpr const char* kBusName = "org.freedesktop.PolicyKit1";
constexpr const char* kObjectPath = "/org/freedesktop/PolicyKit1/Authority";
constexpr const char* kInterface = "org.freedesktop.PolicyKit1.Authority";
// CheckAuthorizationFlags: AllowUserInteraction, as libvirt asks (an agent may say yes).
constexpr guint32 kAllowUserInteraction = 1;
// polkitd may wait for an authentication agent: give it the time libvirt's D-Bus calls get.
constexpr int kCallTimeoutMs = 25000;

GDBusConnection* systemBus(std::string& error)
{
    GError* gerror = nullptr;
    GDBusConnection* bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, nullptr, &gerror);
    if (bus == nullptr) {
        error = gerror != nullptr ? gerror->message : "cannot connect to the system bus";
        g_clear_error(&gerror);
    }
    return bus;
}

} // namespace

std::optional<std::uint64_t> processStartTime(pid_t pid)
{
    std::ifstream in(fmt::format("/proc/{}/stat", pid));
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // The command name (field 2) is in parentheses and may hold spaces or ')': fields after it
    // are counted from the last ')'.
    auto close = stat.rfind(')');
    if (close == std::string::npos) {
        return std::nullopt;
    }
    std::istringstream fields(stat.substr(close + 1));
    std::string field;
    // Field 3 (state) is the first after ')'; the start time is field 22.
    for (int index = 3; fields >> field; ++index) {
        if (index == 22) {
            try {
                return std::stoull(field);
            } catch (const std::exception&) {
                return std::nullopt;
            }
        }
    }
    return std::nullopt;
}

struct PolkitAuthority::Pending
{
    std::string action;
    Done done;
    std::string error;
};

PolkitAuthority::PolkitAuthority() : cancellable_(g_cancellable_new()) {}

PolkitAuthority::~PolkitAuthority()
{
    // Pending replies run their callback with G_IO_ERROR_CANCELLED, which drops them unanswered.
    g_cancellable_cancel(static_cast<GCancellable*>(cancellable_));
    g_object_unref(cancellable_);
    if (bus_ != nullptr) {
        g_object_unref(bus_);
    }
}

void PolkitAuthority::check(const std::string& action, const PolkitSubject& subject, Done done)
{
    auto* bus = static_cast<GDBusConnection*>(bus_);
    if (bus != nullptr && g_dbus_connection_is_closed(bus)) {
        g_object_unref(bus);
        bus = nullptr;
        bus_ = nullptr;
    }
    if (bus == nullptr) {
        std::string error;
        bus = systemBus(error);
        if (bus == nullptr) {
            // Answered from the loop, never from inside check(): the caller is mid-call.
            auto* failed = new Pending{action, std::move(done), {}};
            failed->error = fmt::format("cannot ask polkit about action '{}': {}", action, error);
            GSource* idle = g_idle_source_new();
            g_source_set_callback(
                idle,
                [](gpointer data) -> gboolean {
                    std::unique_ptr<Pending> pending(static_cast<Pending*>(data));
                    try {
                        pending->done(
                            Error(ErrorCode::DbusService, pending->error, ErrorDomain::Rpc));
                    } catch (...) {
                    }
                    return G_SOURCE_REMOVE;
                },
                failed, nullptr);
            g_source_attach(idle, g_main_context_get_thread_default());
            g_source_unref(idle);
            return;
        }
        // The daemon outlives a restart of the bus only through a new connection: do not exit
        // with it.
        g_dbus_connection_set_exit_on_close(bus, FALSE);
        bus_ = bus;
    }

    GVariantBuilder details;
    g_variant_builder_init(&details, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&details, "{sv}", "pid", g_variant_new_uint32(subject.pid));
    g_variant_builder_add(&details, "{sv}", "start-time", g_variant_new_uint64(subject.startTime));
    g_variant_builder_add(&details, "{sv}", "uid", g_variant_new_int32(subject.uid));
    GVariantBuilder extra;
    g_variant_builder_init(&extra, G_VARIANT_TYPE("a{ss}"));
    GVariant* args = g_variant_new("((sa{sv})sa{ss}us)", "unix-process", &details, action.c_str(),
                                   &extra, kAllowUserInteraction, "");

    auto* pending = new Pending{action, std::move(done), {}};
    g_dbus_connection_call(
        bus, kBusName, kObjectPath, kInterface, "CheckAuthorization", args,
        G_VARIANT_TYPE("((bba{ss}))"), G_DBUS_CALL_FLAGS_NONE, kCallTimeoutMs,
        static_cast<GCancellable*>(cancellable_),
        [](GObject* source, GAsyncResult* result, gpointer data) {
            std::unique_ptr<Pending> pending(static_cast<Pending*>(data));
            GError* gerror = nullptr;
            GVariant* reply =
                g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &gerror);
            if (reply == nullptr) {
                bool cancelled = g_error_matches(gerror, G_IO_ERROR, G_IO_ERROR_CANCELLED);
                std::string message = gerror != nullptr ? gerror->message : "no reply";
                g_clear_error(&gerror);
                if (cancelled) {
                    return; // the authority is gone, and with it the server
                }
                try {
                    pending->done(Error(ErrorCode::DbusService,
                                        fmt::format("polkit check of action '{}' failed: {}",
                                                    pending->action, message),
                                        ErrorDomain::Rpc));
                } catch (...) {
                }
                return;
            }
            gboolean authorized = FALSE;
            gboolean challenge = FALSE;
            g_variant_get(reply, "((bb@a{ss}))", &authorized, &challenge, nullptr);
            g_variant_unref(reply);
            std::optional<Error> outcome;
            if (authorized) {
                outcome = std::nullopt;
            } else if (challenge) {
                outcome = Error(ErrorCode::AuthUnavailable,
                                fmt::format("no polkit agent available to authenticate action '{}'",
                                            pending->action),
                                ErrorDomain::Rpc);
            } else {
                outcome = Error(ErrorCode::AuthFailed, "access denied by policy", ErrorDomain::Rpc);
            }
            try {
                pending->done(std::move(outcome));
            } catch (...) {
            }
        },
        pending);
}

} // namespace dvs::rpc
