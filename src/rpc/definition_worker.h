// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "driver/network_driver.h"
#include "rpc/message.h"
#include "util/cdeleter.h"

namespace dvs::rpc {

// Parses large network definitions (define and create calls) on a thread of its own, so that
// the daemon's loop goes on serving every other client meanwhile; the call itself then runs on
// the loop with the definition already parsed (NetworkDriver::prepareDefinition/adoptPrepared).
class DefinitionWorker
{
public:
    // A finished job, handed back on the loop's thread.
    struct Done
    {
        std::uint64_t client = 0;
        Message call;
        std::shared_ptr<driver::NetworkDriver::PreparedDefinition> prepared;
    };

    // onDone runs on the thread of the loop of the thread-default main context.
    explicit DefinitionWorker(std::function<void(Done)> onDone);
    // Stops the thread; jobs not finished are dropped.
    ~DefinitionWorker();
    DefinitionWorker(const DefinitionWorker&) = delete;
    DefinitionWorker& operator=(const DefinitionWorker&) = delete;

    // Whether call is a define or create whose definition is worth parsing off the loop: one
    // larger than kThreshold (a cheap call never waits for a thread hand-off).
    static bool wanted(const Message& call);
    static constexpr std::size_t kThreshold = 64 * 1024;

    void submit(std::uint64_t client, Message call);
    // Waits (at most until deadline) for the jobs submitted so far and hands them to onDone now.
    void drain(std::chrono::steady_clock::time_point deadline);
    bool busy();

private:
    void run();
    void deliver();

public:
    // The GLib callback of the wake-up eventfd; not for other users.
    static int onWakeupTrampoline(int fd, unsigned condition, void* data) noexcept;

private:
    std::function<void(Done)> onDone_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable idle_;
    std::deque<Done> jobs_;
    std::vector<Done> done_;
    bool working_ = false;
    bool stop_ = false;
    util::UniqueFd eventFd_;
    void* source_ = nullptr; // GSource*
    std::thread thread_;
};

} // namespace dvs::rpc
