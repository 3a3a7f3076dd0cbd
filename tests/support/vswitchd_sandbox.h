// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <memory>
#include <optional>

#include "netns.h"
#include "ovs_sandbox.h"
#include "test_support.h"

namespace dvs::test {

// ovs-vswitchd (userspace datapath) with its ovsdb-server, in a network namespace of the test's
// own: vswitchd makes a tap device for every bridge and port, and they live and die there, never
// in the host's namespace.
struct VswitchdSandbox
{
    ScopedNetworkNamespace netns;
    std::optional<OvsSandbox> ovs;

    // Starts one, or marks the test skipped (skip()) saying why it cannot and returns nullptr:
    // the caller returns then.
    static std::unique_ptr<VswitchdSandbox> start()
    {
        OvsSandboxOptions options{.vswitchd = true};
        if (auto why = OvsSandbox::unavailable(options)) {
            skip(*why);
            return nullptr;
        }
        auto sandbox = std::make_unique<VswitchdSandbox>();
        if (sandbox->netns.failure()) {
            skip("ovs-vswitchd needs a network namespace of its own: " + *sandbox->netns.failure());
            return nullptr;
        }
        sandbox->ovs.emplace(options);
        return sandbox;
    }
};

} // namespace dvs::test
