// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mgmt/session.h"

#include <algorithm>

#include <fmt/format.h>

#include "mgmt/database.h"
#include "util/error.h"

namespace dvs::mgmt {

namespace {

std::string joined(const std::vector<std::string>& items)
{
    std::string out;
    for (const auto& item : items) {
        out += (out.empty() ? "" : ",") + item;
    }
    return out;
}

} // namespace

Session::Session(SessionOptions options)
    : options_(std::move(options)), context_(g_main_context_new())
{
    ovsdb::ClientOptions client = clientOptions(options_.remotes, options_.tables);
    client.connection.backoffMin = std::chrono::milliseconds(50);
    client.connection.backoffMax = std::chrono::milliseconds(1000);
    client.connection.tls = options_.tls;
    client_ = std::make_unique<ovsdb::Client>(context_.get(), std::move(client));
    client_->start();
    auto deadline = std::chrono::steady_clock::now() + options_.connectTimeout;
    if (!runUntil([this] { return client_->state() == ovsdb::ClientState::Ready; }, deadline)) {
        std::string why =
            client_->lastError() ? client_->lastError()->message() : std::string("no answer");
        raise(ErrorCode::OperationTimeout, "cannot reach the management database at {}: {}",
              joined(options_.remotes), why);
    }
}

Session::~Session()
{
    client_->stop();
    client_.reset();
    // Let the closed connection's sources go before the context does.
    while (g_main_context_iteration(context_.get(), FALSE)) {
    }
}

ovsdb::TxnResult Session::transact(std::string comment, ovsdb::Client::Builder builder)
{
    std::optional<ovsdb::Result<ovsdb::TxnResult>> result;
    client_->transact(std::move(comment), std::move(builder),
                      [&](ovsdb::Result<ovsdb::TxnResult> r) { result = std::move(r); });
    auto deadline = std::chrono::steady_clock::now() + options_.transactTimeout;
    if (!runUntil([&] { return result.has_value(); }, deadline)) {
        raise(ErrorCode::OperationTimeout,
              "the management database did not answer in time; the change may or may not have "
              "been made");
    }
    return std::move(result->value());
}

bool Session::runUntil(const std::function<bool()>& pred,
                       std::optional<std::chrono::steady_clock::time_point> deadline)
{
    using namespace std::chrono;
    while (!pred()) {
        milliseconds wait(1000);
        if (deadline) {
            auto left = duration_cast<milliseconds>(*deadline - steady_clock::now());
            if (left <= milliseconds(0)) {
                return pred();
            }
            wait = std::min(wait, left + milliseconds(1));
        }
        // A timer bounds the wait so that the deadline is seen.
        util::AttachedSource timer(g_timeout_source_new(static_cast<guint>(wait.count())));
        g_source_set_callback(
            timer.get(), [](gpointer) -> gboolean { return G_SOURCE_REMOVE; }, nullptr, nullptr);
        g_source_attach(timer.get(), context_.get());
        g_main_context_iteration(context_.get(), TRUE);
    }
    return true;
}

} // namespace dvs::mgmt
