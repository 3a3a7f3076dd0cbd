// SPDX-License-Identifier: LGPL-2.1-or-later
// RPC frames into the dispatcher, as a client's bytes reach it: the input (after one byte that
// says whether the connection came in on the read-only socket) is cut into frames by the
// server's FrameReader, and every CALL of libvirt's remote program or of ours is dispatched to a
// live network driver on a temporary root; every reply must encode. The root is emptied before
// each input so that an input always replays the same way.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <system_error>
#include <unistd.h>

#include "driver/network_driver.h"
#include "fuzz_support.h"
#include "rpc/dispatcher.h"
#include "rpc/message.h"
#include "util/error.h"

namespace {

std::filesystem::path g_root;
// DVS_FUZZ_TRACE set: print every call's outcome (to check that seeds reach the procedures).
bool g_trace = false;

void removeRoot()
{
    std::error_code ec;
    std::filesystem::remove_all(g_root, ec);
}

// At most this many calls per input: enough for any procedure sequence, bounded run time.
constexpr int kMaxCalls = 64;

} // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/)
{
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/dvs-fuzz-rpc-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
        std::perror("mkdtemp");
        std::abort();
    }
    g_root = pattern;
    g_trace = std::getenv("DVS_FUZZ_TRACE") != nullptr;
    std::atexit(removeRoot);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace dvs;
    if (g_root.empty()) {
        LLVMFuzzerInitialize(nullptr, nullptr);
    }
    fuzz::Input in(data, size);
    bool readOnly = (in.byte() & 1) != 0;
    auto frames = in.remaining();

    for (const auto& entry : std::filesystem::directory_iterator(g_root)) {
        std::filesystem::remove_all(entry.path());
    }
    driver::NetworkDriver driver(driver::DriverPaths::underRoot(g_root));
    rpc::DaemonInfo info;
    info.clientCount = [] { return 1U; };
    rpc::Dispatcher dispatcher(driver, info);
    dispatcher.setNetworkHookHandler([](const driver::NetworkHookCall&) {});
    dispatcher.setPublicationState([](const std::string&) { return std::string("published"); });
    rpc::Session session;
    session.readOnlySocket = readOnly;

    rpc::FrameReader reader;
    reader.feed(frames.data(), frames.size());
    for (int calls = 0; calls < kMaxCalls; ++calls) {
        std::optional<rpc::Message> message;
        try {
            message = reader.next();
        } catch (const Error&) {
            break; // the server drops such a client
        }
        if (!message) {
            break;
        }
        if (message->header.type != DVS_MESSAGE_TYPE_CALL) {
            continue;
        }
        rpc::Message reply = dispatcher.dispatch(session, *message);
        if (g_trace) {
            std::fprintf(stderr, "proc %d.%d -> status %d, %zu bytes\n",
                         static_cast<int>(message->header.prog & 0xff), message->header.proc,
                         reply.header.status, reply.payload.size());
        }
        if (reply.header.serial != message->header.serial ||
            reply.header.proc != message->header.proc) {
            fuzz::fail("reply does not answer its call");
        }
        (void)rpc::encodeMessage(reply.header, reply.payload);
    }
    (void)driver.takeNotices();
    return 0;
}
