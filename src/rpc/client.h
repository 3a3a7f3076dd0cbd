// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "driver/network_hook_call.h"
#include "rpc/message.h"
#include "util/cdeleter.h"
#include "util/uuid.h"

namespace dvs::rpc {

// A blocking client connection to dvsd's socket, for our own program (dvsctl) and tests. Answers
// the daemon's keepalive PINGs while it waits for a reply. Not thread-safe.
class ClientConnection
{
public:
    // Connects to the unix socket at path. Throws Error(SystemError) "Failed to connect socket
    // to 'PATH': ..." when it cannot.
    explicit ClientConnection(const std::filesystem::path& path,
                              std::chrono::milliseconds timeout = std::chrono::seconds(30));

    // Sends a CALL and waits for its REPLY. A reply with status ERROR is thrown as the Error it
    // carries; a broken connection or a timeout throws Error(Rpc). Returns the reply payload.
    std::vector<char> call(unsigned prog, unsigned vers, int proc,
                           const std::vector<char>& args = {});

private:
    // AUTH_LIST, then AUTH_POLKIT when the socket asks for it.
    void authenticate();
    void sendAll(const std::vector<char>& bytes);
    Message receive();

    util::UniqueFd fd_;
    std::chrono::milliseconds timeout_;
    FrameReader reader_;
    unsigned serial_ = 0;
};

// The state of one network, as dvsd reports it to `dvsctl status`.
struct NetworkStatusInfo
{
    std::string name;
    bool active = false;
    bool persistent = false;
    bool autostart = false;
    std::string forwardMode;
    unsigned connections = 0;
    std::uint64_t ports = 0;
    std::string dataplaneKind;  // ovs-bridge, host-bridge, macvtap-pool, hostdev-pool, ...
    std::string dataplaneState; // ready, degraded, unknown, inactive
    std::string dataplane;      // what the dataplane is and how it is, in words
    std::string libvirtd;       // hook mode: the state of libvirtd's copy; empty otherwise
    std::string membership;     // "switch 'NAME': in-sync at generation N", ...; or empty
};

// What DVS_PROC_DAEMON_STATUS returns.
struct DaemonStatus
{
    std::string version;
    std::uint64_t uptimeSeconds = 0;
    unsigned clients = 0;  // connections open on the daemon, the asking one included
    bool readOnly = false; // the asking connection came through the read-only socket
    std::vector<NetworkStatusInfo> networks;
};

// Asks the daemon listening at socket for its status (our program DVS_PROGRAM, no CONNECT_OPEN
// needed; works on the read-only socket). Throws Error as ClientConnection does.
DaemonStatus fetchDaemonStatus(const std::filesystem::path& socket,
                               std::chrono::milliseconds timeout = std::chrono::seconds(30));

// The UUIDs of a network's ports, through libvirt's remote program (a read-only connection, as
// `virsh net-port-list` makes), for completion and scripts.
std::vector<util::Uuid>
listNetworkPorts(const std::filesystem::path& socket, const std::string& network,
                 std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Asks the daemon to plug a port itself (DVS_PROC_PORT_PLUG; read-write socket only): creates its
// guest-side device, named ifname when not empty. Returns the device's name.
std::string plugPort(const std::filesystem::path& socket, const std::string& network,
                     const util::Uuid& port, const std::string& ifname,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Asks the daemon to remove the device it plugged for a port (DVS_PROC_PORT_UNPLUG).
void unplugPort(const std::filesystem::path& socket, const std::string& network,
                const util::Uuid& port,
                std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Hands a network hook run to dvsd in hook mode (DVS_PROC_NETWORK_HOOK; read-write socket only).
// dvsd's refusal is thrown as the Error it sent.
void sendNetworkHook(const std::filesystem::path& socket, const driver::NetworkHookCall& hook,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30));

// One lease change reported by dnsmasq's --dhcp-script.
struct DhcpLeaseReport
{
    std::string network;
    std::vector<std::string> args;
    std::vector<std::pair<std::string, std::string>> env;
};

// Hands a lease change to dvsd (DVS_PROC_DHCP_LEASE; read-write socket only).
void reportDhcpLease(const std::filesystem::path& socket, const DhcpLeaseReport& report,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30));

} // namespace dvs::rpc
