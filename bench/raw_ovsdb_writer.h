// SPDX-License-Identifier: LGPL-2.1-or-later
// The floor for programming ports into OVSDB: RFC 7047 written by hand on a unix socket, no
// replica, no schema, no generated code. Transactions are pipelined with a bounded window of
// outstanding requests, reading replies while writing: ovsdb-server stops reading a client whose
// replies it cannot send, so an unbounded pipeline deadlocks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "ovs_bench_port.h"

namespace dvs::bench {

struct RawWriteResult
{
    std::uint64_t transactions = 0;
    std::uint64_t bytesSent = 0;
};

class RawOvsdbWriter
{
public:
    // Connects to the unix socket; throws std::runtime_error when it cannot.
    explicit RawOvsdbWriter(const std::filesystem::path& socket);
    ~RawOvsdbWriter();
    RawOvsdbWriter(const RawOvsdbWriter&) = delete;
    RawOvsdbWriter& operator=(const RawOvsdbWriter&) = delete;

    // Inserts every port (Queue, QoS, Interface, Port, and the Port into Bridge.ports) on the
    // bridge, portsPerTxn ports per transaction with at most window transactions outstanding.
    // Returns once every reply is in; throws std::runtime_error on a failed transaction.
    RawWriteResult program(const std::vector<BenchPort>& ports, const std::string& bridge,
                           int portsPerTxn, int window);

    // Sends one monitor_cond request for the columns and waits for its reply, which is not
    // parsed beyond finding its end: the floor of a restart's initial download. Returns the
    // reply's size in bytes.
    std::size_t monitor(const std::map<std::string, std::vector<std::string>>& columns);

private:
    void sendSome(std::string& out, std::size_t& offset);
    // Reads what is there; returns the number of complete replies consumed (checked for errors
    // when check is true) and adds their sizes to bytes.
    int receiveReplies(bool check, std::size_t* bytes = nullptr);

    int fd_ = -1;
    std::string in_;
    // The reply scanner's state: how far in_ is scanned, and where in a JSON text that is.
    std::size_t scanned_ = 0;
    int depth_ = 0;
    bool inString_ = false;
    bool escaped_ = false;
    std::uint64_t nextId_ = 1;
};

} // namespace dvs::bench
