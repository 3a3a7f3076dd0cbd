// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ovsdb/client.h"
#include "ovsdb/tls.h"
#include "util/glib_ptr.h"

namespace dvs::mgmt {

struct SessionOptions
{
    std::vector<std::string> remotes;
    // The client's key, certificate and CA for ssl: remotes.
    ovsdb::TlsOptions tls;
    // Tables replicated (every column).
    std::vector<std::string_view> tables;
    // How long connecting and the first replica may take.
    std::chrono::milliseconds connectTimeout{5000};
    // How long one transaction may take once sent.
    std::chrono::milliseconds transactTimeout{30000};
};

// A blocking session with the management database for command-line tools: its own main context,
// an OVSDB client replicating the given tables, and transactions run to completion. The
// transactions are the client's: built against the replica, verified, and rebuilt when another
// writer changed what they read.
class Session
{
public:
    // Connects and waits for the replica. Throws Error(OperationTimeout) naming the remotes and
    // the last connection error when the database cannot be reached in time.
    explicit Session(SessionOptions options);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    const ovsdb::Replica& replica() const { return client_->replica(); }
    ovsdb::Client& client() { return *client_; }
    GMainContext* context() const { return context_.get(); }

    // Runs a transaction to completion; throws its Error.
    ovsdb::TxnResult transact(std::string comment, ovsdb::Client::Builder builder);

    // Runs the main context until pred() holds or the deadline passes (none: forever); returns
    // pred()'s last value.
    bool runUntil(const std::function<bool()>& pred,
                  std::optional<std::chrono::steady_clock::time_point> deadline);

private:
    SessionOptions options_;
    util::GMainContextPtr context_;
    std::unique_ptr<ovsdb::Client> client_;
};

} // namespace dvs::mgmt
