// SPDX-License-Identifier: LGPL-2.1-or-later
#include "virtnet/lease_event.h"

#include <array>
#include <charconv>
#include <cstdlib>

#include "util/error.h"

namespace dvs::virtnet {

namespace {

constexpr std::array<std::pair<std::string_view, LeaseAction>, 4> kActions{{
    {"add", LeaseAction::Add},
    {"old", LeaseAction::Old},
    {"del", LeaseAction::Del},
    {"init", LeaseAction::Init},
}};

std::optional<LeaseAction> actionFromString(std::string_view text)
{
    for (const auto& [name, action] : kActions) {
        if (name == text) {
            return action;
        }
    }
    return std::nullopt;
}

// A whole decimal number, as virStrToLong_ll with no trailing text allowed.
std::optional<long long> parseNumber(std::string_view text)
{
    long long value = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end) {
        return std::nullopt;
    }
    return value;
}

long long expiryOf(const Environment& env, long long now)
{
    if (auto expires = env("DNSMASQ_LEASE_EXPIRES")) {
        // dnsmasq before 2.52 added a space.
        std::string text = *expires;
        while (!text.empty() && text.back() == ' ') {
            text.pop_back();
        }
        if (auto value = parseNumber(text)) {
            return *value;
        }
        raise(ErrorCode::InternalError, "Unable to convert lease expiry time to long long: {}",
              *expires);
    }
    if (auto length = env("DNSMASQ_LEASE_LENGTH")) {
        auto value = parseNumber(*length);
        if (!value) {
            raise(ErrorCode::InternalError, "Unable to convert lease expiry time to long long: {}",
                  *length);
        }
        // A length of 0 is an infinite lease.
        return *value == 0 ? 0 : now + *value;
    }
    raise(ErrorCode::InternalError, "Unable to convert lease expiry time to long long: <null>");
}

} // namespace

Environment processEnvironment()
{
    return [](std::string_view name) -> std::optional<std::string> {
        const char* value = std::getenv(std::string(name).c_str());
        if (value == nullptr) {
            return std::nullopt;
        }
        return std::string(value);
    };
}

std::string_view toString(LeaseAction action)
{
    for (const auto& [name, value] : kActions) {
        if (value == action) {
            return name;
        }
    }
    return "init";
}

LeaseEvent parseLeaseEvent(std::span<const std::string> args, const Environment& env, long long now)
{
    if (args.size() != 1 && args.size() != 3 && args.size() != 4) {
        raise(ErrorCode::InvalidArg,
              "expected 'add|old|del|init mac|clientid ip [hostname]', got {} arguments",
              args.size());
    }
    LeaseEvent event;
    auto action = actionFromString(args[0]);
    if (!action) {
        raise(ErrorCode::InvalidArg, "Unsupported action: {}", args[0]);
    }
    event.action = *action;
    auto interface = env("DNSMASQ_INTERFACE");
    if (!interface || interface->empty()) {
        interface = env("VIR_BRIDGE_NAME");
    }
    if (!interface || interface->empty()) {
        raise(ErrorCode::InvalidArg, "interface not set");
    }
    event.interface = *interface;
    event.serverDuid = env("DNSMASQ_SERVER_DUID");
    if (args.size() == 1) {
        if (event.action != LeaseAction::Init) {
            raise(ErrorCode::InvalidArg, "action '{}' needs a MAC address and an IP address",
                  args[0]);
        }
        return event;
    }

    event.ip = args[2];
    event.iaid = env("DNSMASQ_IAID");
    if (event.iaid) {
        // IPv6: the second argument is the client's DUID; the MAC comes from dnsmasq, when it
        // knows it.
        event.clientId = args[1];
        event.mac = env("DNSMASQ_MAC");
    } else {
        event.mac = args[1];
        event.clientId = env("DNSMASQ_CLIENT_ID");
    }
    if (args.size() == 4) {
        event.hostname = args[3];
    } else {
        event.hostname = env("DNSMASQ_SUPPLIED_HOSTNAME");
    }
    if (event.action == LeaseAction::Add || event.action == LeaseAction::Old) {
        // The last known name when the client gave none this time.
        if (!event.hostname) {
            event.hostname = env("DNSMASQ_OLD_HOSTNAME");
        }
        // Without a MAC address there will be no lease (virLeaseNew), so no expiry is needed.
        if (event.mac) {
            event.expiryTime = expiryOf(env, now);
        }
    }
    return event;
}

} // namespace dvs::virtnet
