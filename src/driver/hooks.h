// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace dvs::driver {

// libvirt's network hook operations (virHookNetworkOpType) and sub-operations.
enum class HookOp
{
    Start,
    Started,
    Stopped,
    PortCreated,
    PortDeleted,
    Updated
};
enum class HookSubOp
{
    Begin,
    End
};

// Runs network hooks with libvirt's contract (libvirt's hooks.html, "Network hooks"):
// HOOKDIR/network, then every executable in HOOKDIR/network.d/ in lexical order, each as `SCRIPT
// NAME OP SUBOP -` with the <hookData> document on standard input, a scrubbed environment, and the
// network's name in argv. Which scripts exist is read at construction and by reload() (SIGHUP), as
// libvirt does.
class HookRunner
{
public:
    explicit HookRunner(std::filesystem::path hookDir);

    // Re-reads which hook scripts exist.
    void reload();
    // Whether any hook script exists.
    bool present() const noexcept { return !scripts_.empty(); }

    // Runs every script. Throws Error(HookScriptFailed) with libvirt's message (the script, its
    // exit status and what it wrote to standard error) at the first one that fails or cannot be
    // run; the later ones are then not run.
    void run(std::string_view network, HookOp op, HookSubOp subOp, std::string_view hookData) const;

    static std::string_view toString(HookOp op);
    static std::string_view toString(HookSubOp subOp);

private:
    std::filesystem::path hookDir_;
    std::vector<std::filesystem::path> scripts_;
};

} // namespace dvs::driver
