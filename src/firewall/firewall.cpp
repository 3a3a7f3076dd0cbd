// SPDX-License-Identifier: LGPL-2.1-or-later
#include "firewall/firewall.h"

#include <cstdint>
#include <memory>
#include <nftables/libnftables.h>

#include <fmt/format.h>

#include "util/error.h"

namespace dvs::firewall {

namespace {

struct NftCtxDeleter
{
    void operator()(nft_ctx* ctx) const noexcept { nft_ctx_free(ctx); }
};
using NftCtxPtr = std::unique_ptr<nft_ctx, NftCtxDeleter>;

// FNV-1a: stable across builds and runs, unlike std::hash.
std::string digest(const std::string& text)
{
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return fmt::format("{:016x}", h);
}

std::string quote(const std::string& name)
{
    return "\"" + name + "\"";
}

std::string subnetOf(const conf::NetworkIp& ip)
{
    int prefix = ip.effectivePrefix();
    if (prefix < 0) {
        return {};
    }
    auto net = ip.address.maskByPrefix(static_cast<unsigned>(prefix));
    if (!net) {
        return {};
    }
    return fmt::format("{}/{}", net->toString(), prefix);
}

// The rules of one network, by chain.
struct Rules
{
    std::vector<std::string> input, output, cross, guestIn, guestOut, nat;
};

void addFamilyRules(Rules& r, const conf::NetworkDef& def, bool v6)
{
    const std::string br = quote(*def.bridge);
    const std::string proto = v6 ? "ipv6" : "ipv4";
    // Catch-alls first in libvirt's chain order once reversed: allows are added before them
    // below by inserting at the front, so push the rejects now and the allows later in front.
    r.cross.push_back(
        fmt::format("meta nfproto {} iifname {} oifname {} counter accept", proto, br, br));
    r.guestIn.push_back(fmt::format("meta nfproto {} oifname {} counter reject", proto, br));
    r.guestOut.push_back(fmt::format("meta nfproto {} iifname {} counter reject", proto, br));
    if (!v6) {
        r.input.push_back(
            fmt::format("meta nfproto ipv4 iifname {} meta l4proto {{ tcp, udp }} th dport {{ 53, "
                        "67 }} counter accept",
                        br));
        r.output.push_back(
            fmt::format("meta nfproto ipv4 oifname {} meta l4proto {{ tcp, udp }} th dport {{ 53, "
                        "68 }} counter accept",
                        br));
        for (const auto& ip : def.ips) {
            if (ip.address.isFamily(AF_INET) && ip.tftpRoot) {
                r.input.push_back(
                    fmt::format("meta nfproto ipv4 iifname {} udp dport 69 counter accept", br));
                r.output.push_back(
                    fmt::format("meta nfproto ipv4 oifname {} udp dport 69 counter accept", br));
                break;
            }
        }
    } else if (def.ipByIndex(AF_INET6, 0) != nullptr) {
        r.input.push_back(
            fmt::format("meta nfproto ipv6 iifname {} meta l4proto {{ tcp, udp }} th dport 53 "
                        "counter accept",
                        br));
        r.input.push_back(
            fmt::format("meta nfproto ipv6 iifname {} udp dport 547 counter accept", br));
        r.output.push_back(
            fmt::format("meta nfproto ipv6 oifname {} meta l4proto {{ tcp, udp }} th dport 53 "
                        "counter accept",
                        br));
        r.output.push_back(
            fmt::format("meta nfproto ipv6 oifname {} udp dport 546 counter accept", br));
    }
}

void addIpRules(Rules& r, const conf::NetworkDef& def, const conf::NetworkIp& ip)
{
    const std::string subnet = subnetOf(ip);
    if (subnet.empty()) {
        raise(ErrorCode::InternalError, "Invalid prefix or netmask for '{}'",
              def.bridge.value_or(def.name));
    }
    const bool v4 = ip.address.isFamily(AF_INET);
    const std::string fam = v4 ? "ip" : "ip6";
    const std::string br = quote(*def.bridge);
    const auto forwardIf = def.forward.interfaceName(0);
    const std::string outDev = forwardIf ? fmt::format(" oifname {}", quote(*forwardIf)) : "";
    const std::string inDev = forwardIf ? fmt::format(" iifname {}", quote(*forwardIf)) : "";

    const bool masquerade = def.forward.mode == conf::ForwardMode::Nat &&
                            (v4 || def.forward.natIpv6 == conf::Tristate::Yes);
    const bool routed = def.forward.mode == conf::ForwardMode::Route ||
                        (def.forward.mode == conf::ForwardMode::Nat && !masquerade);
    if (!masquerade && !routed) {
        return;
    }
    // Allows go before the network's catch-all rejects.
    r.guestOut.insert(r.guestOut.begin(), fmt::format("{} saddr {} iifname {}{} counter accept",
                                                      fam, subnet, br, outDev));
    if (routed) {
        r.guestIn.insert(r.guestIn.begin(), fmt::format("{} daddr {}{} oifname {} counter accept",
                                                        fam, subnet, inDev, br));
        return;
    }
    r.guestIn.insert(r.guestIn.begin(),
                     fmt::format("{} daddr {}{} oifname {} ct state related,established counter "
                                 "accept",
                                 fam, subnet, inDev, br));

    // libvirt's five rules, in their final order.
    const std::string multicast = v4 ? "224.0.0.0/24" : "ff02::/16";
    r.nat.push_back(fmt::format("{} saddr {} {} daddr {}{} counter return", fam, subnet, fam,
                                multicast, outDev));
    if (v4) {
        r.nat.push_back(fmt::format("{} saddr {} {} daddr 255.255.255.255/32{} counter return", fam,
                                    subnet, fam, outDev));
    }
    const auto& fwd = def.forward;
    unsigned portStart = fwd.natPortStart;
    unsigned portEnd = fwd.natPortEnd;
    if (portStart == 0 && portEnd == 0) {
        portStart = 1024;
        portEnd = 65535;
    }
    if (!(portStart < portEnd && portEnd < 65536)) {
        raise(ErrorCode::InternalError, "Invalid port range '{}-{}'.", portStart, portEnd);
    }
    std::string addrRange;
    if (fwd.natAddrStart.isFamily(ip.address.family())) {
        addrRange = fwd.natAddrStart.toString();
        if (fwd.natAddrEnd.isFamily(ip.address.family())) {
            addrRange += "-" + fwd.natAddrEnd.toString();
        }
    }
    auto action = [&](bool ports) {
        std::string range = ports ? fmt::format(":{}-{}", portStart, portEnd) : "";
        if (!addrRange.empty()) {
            return fmt::format("snat {} to {}{}", fam, addrRange, range);
        }
        return ports ? fmt::format("masquerade to {}", range) : std::string("masquerade");
    };
    for (const char* proto : {"tcp", "udp"}) {
        r.nat.push_back(fmt::format("meta l4proto {} {} saddr {} {} daddr != {}{} counter {}",
                                    proto, fam, subnet, fam, subnet, outDev, action(true)));
    }
    r.nat.push_back(fmt::format("{} saddr {} {} daddr != {}{} counter {}", fam, subnet, fam, subnet,
                                outDev, action(false)));
}

Rules rulesFor(const conf::NetworkDef& def)
{
    Rules r;
    if (!def.bridge) {
        raise(ErrorCode::InternalError, "network '{}' has no bridge", def.name);
    }
    addFamilyRules(r, def, false);
    if (def.ipByIndex(AF_INET6, 0) != nullptr || def.ipv6NoGateway) {
        addFamilyRules(r, def, true);
    }
    for (const auto& ip : def.ips) {
        addIpRules(r, def, ip);
    }
    return r;
}

void appendChain(std::string& out, const std::string& name, const std::string& hook,
                 const std::vector<std::string>& rules)
{
    out += fmt::format("\tchain {} {{\n", name);
    if (!hook.empty()) {
        out += fmt::format("\t\t{}\n", hook);
    }
    for (const auto& rule : rules) {
        out += fmt::format("\t\t{}\n", rule);
    }
    out += "\t}\n";
}

std::string bodyFor(const std::vector<const conf::NetworkDef*>& networks)
{
    Rules all;
    for (const auto* def : networks) {
        if (!needsFirewall(*def)) {
            continue;
        }
        Rules r = rulesFor(*def);
        auto add = [](std::vector<std::string>& to, const std::vector<std::string>& from) {
            to.insert(to.end(), from.begin(), from.end());
        };
        add(all.input, r.input);
        add(all.output, r.output);
        add(all.cross, r.cross);
        add(all.guestIn, r.guestIn);
        add(all.guestOut, r.guestOut);
        add(all.nat, r.nat);
    }
    std::string body;
    appendChain(body, "input", "type filter hook input priority 0; policy accept;", all.input);
    appendChain(body, "output", "type filter hook output priority 0; policy accept;", all.output);
    appendChain(body, "guest_cross", "", all.cross);
    appendChain(body, "guest_input", "", all.guestIn);
    appendChain(body, "guest_output", "", all.guestOut);
    appendChain(
        body, "forward", "type filter hook forward priority 0; policy accept;",
        {"counter jump guest_cross", "counter jump guest_input", "counter jump guest_output"});
    appendChain(body, "guest_nat", "type nat hook postrouting priority 100; policy accept;",
                all.nat);
    return body;
}

bool anyNeedsRules(const std::vector<const conf::NetworkDef*>& networks)
{
    for (const auto* def : networks) {
        if (needsFirewall(*def)) {
            return true;
        }
    }
    return false;
}

std::string commentFor(const std::string& body)
{
    return fmt::format("managed by dvsd for libvirt virtual networks; digest {}", digest(body));
}

} // namespace

bool needsFirewall(const conf::NetworkDef& def)
{
    switch (def.forward.mode) {
    case conf::ForwardMode::None:
    case conf::ForwardMode::Nat:
    case conf::ForwardMode::Route:
        return true;
    default:
        return false;
    }
}

std::string runNft(const std::string& commands)
{
    NftCtxPtr ctx(nft_ctx_new(NFT_CTX_DEFAULT));
    if (!ctx) {
        raise(ErrorCode::SystemError, "cannot use nftables: out of memory");
    }
    nft_ctx_buffer_output(ctx.get());
    nft_ctx_buffer_error(ctx.get());
    int rc = nft_run_cmd_from_buffer(ctx.get(), commands.c_str());
    std::string output = nft_ctx_get_output_buffer(ctx.get());
    if (rc != 0) {
        std::string error = nft_ctx_get_error_buffer(ctx.get());
        while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) {
            error.pop_back();
        }
        raise(ErrorCode::SystemError, "nftables refused the firewall rules: {}",
              error.empty() ? std::string("unknown error") : error);
    }
    return output;
}

Firewall::Firewall(std::string table) : table_(std::move(table)) {}

std::string Firewall::render(const std::vector<const conf::NetworkDef*>& networks) const
{
    std::string text = fmt::format("add table inet {}\ndelete table inet {}\n", table_, table_);
    if (!anyNeedsRules(networks)) {
        return text;
    }
    std::string body = bodyFor(networks);
    text +=
        fmt::format("table inet {} {{\n\tcomment \"{}\"\n{}}}\n", table_, commentFor(body), body);
    return text;
}

bool Firewall::matches(const std::vector<const conf::NetworkDef*>& networks) const
{
    bool wanted = anyNeedsRules(networks);
    if (!present()) {
        return !wanted;
    }
    if (!wanted) {
        return false;
    }
    std::string listed = runNft(fmt::format("list table inet {}", table_));
    return listed.find(fmt::format("comment \"{}\"", commentFor(bodyFor(networks)))) !=
           std::string::npos;
}

void Firewall::apply(const std::vector<const conf::NetworkDef*>& networks) const
{
    runNft(render(networks));
}

bool Firewall::present() const
{
    try {
        runNft(fmt::format("list table inet {}", table_));
        return true;
    } catch (const Error&) {
        return false;
    }
}

void Firewall::remove() const
{
    runNft(fmt::format("add table inet {}\ndelete table inet {}\n", table_, table_));
}

} // namespace dvs::firewall
