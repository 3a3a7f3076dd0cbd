// SPDX-License-Identifier: LGPL-2.1-or-later
#include "raw_ovsdb_writer.h"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace dvs::bench {

namespace {

// How ovsdb-server starts a notification (a request with a null id).
constexpr std::string_view kNotification = R"({"id":null,)";

// One port's operations; names are unique within the transaction.
void appendPortOps(std::string& out, const BenchPort& p, int k)
{
    std::string ids = fmt::format(R"(["map",[["ifname","{}"],["vm-id","{}"]]])", p.ifname, p.vmId);
    std::string rates =
        fmt::format(R"(["map",[["burst","{}"],["max-rate","{}"],["min-rate","{}"]]])", p.qosBurst(),
                    p.qosMaxRate(), p.qosMinRate());
    fmt::format_to(
        std::back_inserter(out),
        R"({{"op":"insert","table":"Queue","uuid-name":"q{0}",)"
        R"("row":{{"other_config":{1},"external_ids":{2}}}}},)"
        R"({{"op":"insert","table":"QoS","uuid-name":"qos{0}",)"
        R"("row":{{"type":"linux-htb","other_config":{1},)"
        R"("queues":["map",[[0,["named-uuid","q{0}"]]]],"external_ids":{2}}}}},)"
        R"({{"op":"insert","table":"Interface","uuid-name":"i{0}","row":{{"name":"{3}",)"
        R"("ingress_policing_rate":{4},"ingress_policing_burst":{5},"external_ids":["map",[)"
        R"(["attached-mac","{6}"],["iface-id","{7}"],["iface-status","active"],)"
        R"(["vm-id","{8}"]]]}}}},)"
        R"({{"op":"insert","table":"Port","uuid-name":"p{0}","row":{{"name":"{3}","tag":{9},)"
        R"("interfaces":["named-uuid","i{0}"],"qos":["named-uuid","qos{0}"]}}}},)",
        k, rates, ids, p.ifname, p.policingRate(), p.policingBurst(), p.mac, p.ifaceId, p.vmId,
        p.tag);
}

} // namespace

RawOvsdbWriter::RawOvsdbWriter(const std::filesystem::path& socket)
{
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0) {
        throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string path = socket.string();
    if (path.size() >= sizeof(addr.sun_path)) {
        throw std::runtime_error("socket path too long: " + path);
    }
    path.copy(addr.sun_path, path.size());
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        int err = errno;
        ::close(fd_);
        fd_ = -1;
        throw std::runtime_error("connect " + path + ": " + std::strerror(err));
    }
}

RawOvsdbWriter::~RawOvsdbWriter()
{
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

RawWriteResult RawOvsdbWriter::program(const std::vector<BenchPort>& ports,
                                       const std::string& bridge, int portsPerTxn, int window)
{
    RawWriteResult result;
    std::size_t next = 0;
    int outstanding = 0;
    std::string out;
    std::size_t offset = 0;
    while (next < ports.size() || outstanding > 0) {
        while (outstanding < window && next < ports.size()) {
            std::size_t end = std::min(ports.size(), next + static_cast<std::size_t>(portsPerTxn));
            out += fmt::format(R"({{"id":{},"method":"transact","params":["Open_vSwitch",)",
                               nextId_++);
            std::string refs;
            for (std::size_t i = next; i < end; ++i) {
                int k = static_cast<int>(i - next);
                appendPortOps(out, ports[i], k);
                refs += fmt::format(R"({}["named-uuid","p{}"])", refs.empty() ? "" : ",", k);
            }
            out += fmt::format(R"({{"op":"mutate","table":"Bridge","where":[["name","==","{}"]],)"
                               R"("mutations":[["ports","insert",["set",[{}]]]]}}]}})",
                               bridge, refs);
            next = end;
            ++outstanding;
            ++result.transactions;
        }
        pollfd pfd{fd_, POLLIN, 0};
        if (offset < out.size()) {
            pfd.events |= POLLOUT;
        }
        if (::poll(&pfd, 1, 10000) <= 0) {
            throw std::runtime_error("ovsdb-server stopped answering");
        }
        if ((pfd.revents & POLLOUT) != 0) {
            std::size_t before = offset;
            sendSome(out, offset);
            result.bytesSent += offset - before;
            if (offset == out.size()) {
                out.clear();
                offset = 0;
            }
        }
        if ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            outstanding -= receiveReplies(true);
        }
    }
    return result;
}

std::size_t RawOvsdbWriter::monitor(const std::map<std::string, std::vector<std::string>>& columns)
{
    nlohmann::json requests = nlohmann::json::object();
    for (const auto& [table, cols] : columns) {
        requests[table] = nlohmann::json::array({{{"columns", cols}}});
    }
    std::string out =
        nlohmann::json{{"id", nextId_++},
                       {"method", "monitor_cond"},
                       {"params", {"Open_vSwitch", "bench-monitor", std::move(requests)}}}
            .dump();
    std::size_t offset = 0;
    std::size_t bytes = 0;
    while (offset < out.size()) {
        pollfd pfd{fd_, POLLOUT, 0};
        ::poll(&pfd, 1, 1000);
        sendSome(out, offset);
    }
    while (true) {
        pollfd pfd{fd_, POLLIN, 0};
        if (::poll(&pfd, 1, 30000) <= 0) {
            throw std::runtime_error("ovsdb-server stopped answering");
        }
        if (receiveReplies(false, &bytes) > 0) {
            return bytes;
        }
    }
}

void RawOvsdbWriter::sendSome(std::string& out, std::size_t& offset)
{
    ssize_t n = ::send(fd_, out.data() + offset, out.size() - offset, MSG_NOSIGNAL);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) {
            return;
        }
        throw std::runtime_error("send: " + std::string(std::strerror(errno)));
    }
    offset += static_cast<std::size_t>(n);
}

int RawOvsdbWriter::receiveReplies(bool check, std::size_t* bytes)
{
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n == 0) {
        throw std::runtime_error("ovsdb-server closed the connection");
    }
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) {
            return 0;
        }
        throw std::runtime_error("recv: " + std::string(std::strerror(errno)));
    }
    in_.append(buf, static_cast<std::size_t>(n));
    // Split concatenated JSON texts (every reply is one object), resuming the scan where the
    // previous read stopped.
    int replies = 0;
    std::size_t start = 0;
    for (std::size_t& i = scanned_; i < in_.size(); ++i) {
        char c = in_[i];
        if (inString_) {
            if (escaped_) {
                escaped_ = false;
            } else if (c == '\\') {
                escaped_ = true;
            } else if (c == '"') {
                inString_ = false;
            }
            continue;
        }
        if (c == '"') {
            inString_ = true;
        } else if (c == '{' || c == '[') {
            ++depth_;
        } else if ((c == '}' || c == ']') && --depth_ == 0) {
            std::size_t end = i + 1;
            std::size_t begin = start;
            start = end;
            if (in_.compare(begin, kNotification.size(), kNotification) == 0) {
                continue; // an update of the monitor: received, not parsed
            }
            if (!check) {
                *bytes += end - begin;
                ++replies;
                continue;
            }
            auto reply = nlohmann::json::parse(in_.begin() + static_cast<long>(begin),
                                               in_.begin() + static_cast<long>(end));
            if (!reply.contains("result")) {
                continue; // a notification
            }
            if (!reply["error"].is_null()) {
                throw std::runtime_error("transact failed: " + reply.dump());
            }
            for (const auto& op : reply["result"]) {
                if (op.is_object() && op.contains("error")) {
                    throw std::runtime_error("transact failed: " + reply.dump());
                }
            }
            ++replies;
        }
    }
    in_.erase(0, start);
    scanned_ -= start;
    return replies;
}

} // namespace dvs::bench
