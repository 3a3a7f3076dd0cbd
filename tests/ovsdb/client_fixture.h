// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <memory>
#include <optional>

#include "ovs_sandbox.h"
#include "ovsdb/client.h"
#include "ovsdb/vswitch.h"
#include "test_support.h"

namespace dvs::test {

namespace vs = dvs::ovsdb::vswitch;

// Options of a client that replicates what an OVS port programmer needs.
inline ovsdb::ClientOptions vswitchClientOptions(const std::string& remote)
{
    ovsdb::ClientOptions options;
    options.connection.remotes = {remote};
    options.connection.backoffMin = std::chrono::milliseconds(20);
    options.connection.backoffMax = std::chrono::milliseconds(200);
    options.monitor = {
        {std::string(vs::OpenVSwitch::kTable), {std::string(vs::OpenVSwitch::Col::kBridges)}},
        {std::string(vs::Bridge::kTable),
         {std::string(vs::Bridge::Col::kName), std::string(vs::Bridge::Col::kPorts),
          std::string(vs::Bridge::Col::kExternalIds)}},
        {std::string(vs::Port::kTable),
         {std::string(vs::Port::Col::kName), std::string(vs::Port::Col::kTag),
          std::string(vs::Port::Col::kTrunks), std::string(vs::Port::Col::kInterfaces),
          std::string(vs::Port::Col::kExternalIds)}},
        {std::string(vs::Interface::kTable),
         {std::string(vs::Interface::Col::kName), std::string(vs::Interface::Col::kExternalIds)}},
    };
    return options;
}

// Waits for the client to be ready.
inline bool waitReady(ovsdb::Client& client)
{
    return runUntil([&] { return client.state() == ovsdb::ClientState::Ready; });
}

// Runs a transaction to completion.
inline ovsdb::Result<ovsdb::TxnResult> transactAndWait(ovsdb::Client& client, std::string comment,
                                                       ovsdb::Client::Builder builder)
{
    std::optional<ovsdb::Result<ovsdb::TxnResult>> result;
    client.transact(std::move(comment), std::move(builder),
                    [&](ovsdb::Result<ovsdb::TxnResult> r) { result = std::move(r); });
    if (!runUntil([&] { return result.has_value(); })) {
        return Error(ErrorCode::OperationTimeout, "the transaction did not complete in time");
    }
    return std::move(*result);
}

} // namespace dvs::test
