// SPDX-License-Identifier: LGPL-2.1-or-later
#include "definition_worker.h"

#include <cerrno>
#include <cstring>
#include <sys/eventfd.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib.h>

namespace dvs::rpc {

namespace {

// The text and flags (0 for the calls without) of a definition in arguments of type Args; false
// when they do not decode.
template <typename Args>
bool decodeDefinition(const Message& call, xdrproc_t proc, std::string& xml, unsigned& flags)
{
    XdrValue<Args> args(proc);
    if (!args.decode(call.payload.data(), call.payload.size()) || args->xml == nullptr) {
        return false;
    }
    xml = args->xml;
    flags = 0;
    if constexpr (requires { args->flags; }) {
        flags = args->flags;
    }
    return true;
}

// The definition text and flags of a define or create call; false when it does not decode (the
// dispatcher then reports it).
bool definitionOf(const Message& call, std::string& xml, unsigned& flags)
{
    switch (call.header.proc) {
    case REMOTE_PROC_NETWORK_DEFINE_XML:
    case REMOTE_PROC_NETWORK_CREATE_XML:
        return decodeDefinition<remote_network_xml_args>(
            call, reinterpret_cast<xdrproc_t>(xdr_remote_network_xml_args), xml, flags);
    case REMOTE_PROC_NETWORK_DEFINE_XML_FLAGS:
    case REMOTE_PROC_NETWORK_CREATE_XML_FLAGS:
        return decodeDefinition<remote_network_xml_flags_args>(
            call, reinterpret_cast<xdrproc_t>(xdr_remote_network_xml_flags_args), xml, flags);
    default:
        return false;
    }
}

gboolean wakeupTrampoline(gint fd, GIOCondition condition, gpointer data)
{
    return DefinitionWorker::onWakeupTrampoline(fd, static_cast<unsigned>(condition), data);
}

} // namespace

DefinitionWorker::DefinitionWorker(std::function<void(Done)> onDone) : onDone_(std::move(onDone))
{
    eventFd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!eventFd_) {
        throw Error(ErrorCode::SystemError,
                    fmt::format("cannot create an eventfd: {}", std::strerror(errno)));
    }
    GSource* source = g_unix_fd_source_new(eventFd_.get(), G_IO_IN);
    // GLib calls a unix fd source's callback as a GUnixFDSourceFunc (G_SOURCE_FUNC).
    g_source_set_callback(source, G_SOURCE_FUNC(wakeupTrampoline), this, nullptr);
    g_source_attach(source, g_main_context_get_thread_default());
    source_ = source;
    thread_ = std::thread([this] { run(); });
}

DefinitionWorker::~DefinitionWorker()
{
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
    auto* source = static_cast<GSource*>(source_);
    g_source_destroy(source);
    g_source_unref(source);
}

bool DefinitionWorker::wanted(const Message& call)
{
    if (call.header.prog != REMOTE_PROGRAM || call.header.vers != REMOTE_PROTOCOL_VERSION ||
        call.payload.size() < kThreshold) {
        return false;
    }
    switch (call.header.proc) {
    case REMOTE_PROC_NETWORK_DEFINE_XML:
    case REMOTE_PROC_NETWORK_DEFINE_XML_FLAGS:
    case REMOTE_PROC_NETWORK_CREATE_XML:
    case REMOTE_PROC_NETWORK_CREATE_XML_FLAGS:
        return true;
    default:
        return false;
    }
}

void DefinitionWorker::submit(std::uint64_t client, Message call)
{
    {
        std::lock_guard lock(mutex_);
        jobs_.push_back(Done{client, std::move(call), nullptr});
    }
    wake_.notify_one();
}

bool DefinitionWorker::busy()
{
    std::lock_guard lock(mutex_);
    return working_ || !jobs_.empty() || !done_.empty();
}

void DefinitionWorker::run()
{
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
        if (stop_) {
            return;
        }
        Done job = std::move(jobs_.front());
        jobs_.pop_front();
        working_ = true;
        lock.unlock();
        std::string xml;
        unsigned flags = 0;
        if (definitionOf(job.call, xml, flags)) {
            try {
                job.prepared = driver::NetworkDriver::prepareDefinition(std::move(xml), flags);
            } catch (const std::exception&) {
                job.prepared = nullptr; // out of memory: the call parses again on the loop
            }
        }
        lock.lock();
        working_ = false;
        done_.push_back(std::move(job));
        std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(eventFd_.get(), &one, sizeof one);
        idle_.notify_all();
    }
}

void DefinitionWorker::deliver()
{
    std::vector<Done> done;
    {
        std::lock_guard lock(mutex_);
        done.swap(done_);
    }
    for (auto& d : done) {
        onDone_(std::move(d));
    }
}

void DefinitionWorker::drain(std::chrono::steady_clock::time_point deadline)
{
    {
        std::unique_lock lock(mutex_);
        idle_.wait_until(lock, deadline, [this] { return !working_ && jobs_.empty(); });
    }
    deliver();
}

int DefinitionWorker::onWakeupTrampoline(int fd, unsigned, void* data) noexcept
{
    std::uint64_t count = 0;
    [[maybe_unused]] auto n = ::read(fd, &count, sizeof count);
    try {
        static_cast<DefinitionWorker*>(data)->deliver();
    } catch (const std::exception&) {
        // A reply that could not be built: its client is dropped by the caller's machinery.
    }
    return G_SOURCE_CONTINUE;
}

} // namespace dvs::rpc
