// SPDX-License-Identifier: LGPL-2.1-or-later
// Programs N ports (access VLAN, libvirt's external_ids, linux-htb QoS with one Queue, ingress
// policing) on one bridge of a private ovsdb-server, three ways in one run:
//   (a) dvsd's OVS code (src/ovs over src/ovsdb),
//   (b) ovs-vsctl, one process per command as libvirt runs it,
//   (c) a raw pipelined JSON-RPC writer (the floor: no replica, no schema),
// then measures a restart of dvsd's OVS code over a database that already holds M ports.
//
//   bench-ovs-ports [--ports N] [--vsctl-sample S] [--restart-ports M]
//
// No ovs-vswitchd runs: the figures are those of the database, which is where the contenders
// differ (ovs-vsctl therefore runs with --no-wait).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <string>
#include <time.h>
#include <unistd.h>
#include <vector>

#include <fmt/format.h>
#include <glib.h>

#include "ovs/ovs_switch.h"
#include "ovs/planner.h"
#include "ovs_bench_port.h"
#include "ovs_sandbox.h"
#include "ovsdb/client.h"
#include "raw_ovsdb_writer.h"

using namespace dvs;
using namespace dvs::bench;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kBridge = "br0";

double seconds(Clock::duration d)
{
    return std::chrono::duration<double>(d).count();
}

double loadAverage()
{
    std::ifstream in("/proc/loadavg");
    double load = 0;
    in >> load;
    return load;
}

// CPU seconds of this process (every thread: the OvsSwitch's included) and of ovsdb-server
// between start and stop, beside the wall clock: wall time on a shared machine swings with its
// load, CPU time much less.
class Meter
{
public:
    explicit Meter(pid_t server) : server_(server) { start(); }

    void start()
    {
        wall0_ = Clock::now();
        self0_ = selfCpu();
        server0_ = processCpu(server_);
    }
    // Wall-clock seconds since start; the CPU figures are kept for cpu().
    double stop()
    {
        wall_ = seconds(Clock::now() - wall0_);
        self_ = selfCpu() - self0_;
        serverCpu_ = processCpu(server_) - server0_;
        return wall_;
    }
    std::string cpu() const
    {
        return fmt::format("cpu: ours {:.3f} s, ovsdb-server {:.3f} s", self_, serverCpu_);
    }

private:
    static double selfCpu()
    {
        timespec ts{};
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
    }
    // utime + stime of /proc/PID/stat (fields 14 and 15, after the parenthesised name).
    static double processCpu(pid_t pid)
    {
        std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        auto close = text.rfind(')');
        if (close == std::string::npos) {
            return 0;
        }
        std::istringstream fields(text.substr(close + 2));
        std::string field;
        unsigned long long utime = 0;
        unsigned long long stime = 0;
        for (int i = 3; i <= 15 && fields >> field; ++i) {
            if (i == 14) {
                utime = std::stoull(field);
            } else if (i == 15) {
                stime = std::stoull(field);
            }
        }
        return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }

    pid_t server_;
    Clock::time_point wall0_;
    double self0_ = 0;
    double server0_ = 0;
    double wall_ = 0;
    double self_ = 0;
    double serverCpu_ = 0;
};

// A fresh private database with one empty bridge.
std::unique_ptr<test::OvsSandbox> freshSwitch()
{
    auto ovs = std::make_unique<test::OvsSandbox>();
    ovs->vsctl({"add-br", kBridge});
    return ovs;
}

int countLines(const std::string& text)
{
    int n = 0;
    for (char c : text) {
        n += c == '\n' ? 1 : 0;
    }
    return text.empty() ? 0 : n + 1;
}

// Checks that the database holds the ports as every contender must write them; throws
// std::runtime_error naming what is wrong.
void verify(const test::OvsSandbox& ovs, const std::vector<BenchPort>& ports, int expected)
{
    int onBridge = countLines(ovs.vsctl({"list-ports", kBridge}));
    int qos =
        countLines(ovs.vsctl({"--columns=_uuid", "--format=csv", "--no-headings", "list", "QoS"}));
    int queues = countLines(
        ovs.vsctl({"--columns=_uuid", "--format=csv", "--no-headings", "list", "Queue"}));
    if (onBridge != expected || qos != expected || queues != expected) {
        throw std::runtime_error(fmt::format("expected {} ports, QoS and Queue rows, found {}, {}, "
                                             "{}",
                                             expected, onBridge, qos, queues));
    }
    const BenchPort& p = ports.back();
    auto tag = ovs.vsctl({"get", "Port", p.ifname, "tag"});
    auto rate = ovs.vsctl({"get", "Interface", p.ifname, "ingress_policing_rate"});
    auto id = ovs.vsctl({"get", "Interface", p.ifname, "external_ids:iface-id"});
    auto minRate = ovs.vsctl(
        {"get", "Queue",
         ovs.vsctl({"get", "QoS", ovs.vsctl({"get", "Port", p.ifname, "qos"}), "queues:0"}),
         "other_config:min-rate"});
    if (tag != std::to_string(p.tag) || rate != std::to_string(p.policingRate()) ||
        id != "\"" + p.ifaceId + "\"" || minRate != "\"" + p.qosMinRate() + "\"") {
        throw std::runtime_error(fmt::format("port {} is wrong: tag {}, policing {}, iface-id {}, "
                                             "queue min-rate {}",
                                             p.ifname, tag, rate, id, minRate));
    }
}

// libvirt's commands for plugging one port with bandwidth (virnetdevopenvswitch.c): the plug, the
// domain's inbound as a QoS with one Queue on the Port, its outbound as ingress policing.
std::vector<std::vector<std::string>> libvirtCommands(const BenchPort& p)
{
    std::string vmId = fmt::format("external-ids:vm-id=\"{}\"", p.vmId);
    std::string ifname = fmt::format("external-ids:ifname=\"{}\"", p.ifname);
    std::vector<std::string> rates{"other_config:min-rate=" + p.qosMinRate(),
                                   "other_config:burst=" + p.qosBurst(),
                                   "other_config:max-rate=" + p.qosMaxRate()};
    std::vector<std::string> qos{"--timeout=5", "--",  "set",           "port", p.ifname,
                                 "qos=@qos1",   vmId,  ifname,          "--",   "--id=@qos1",
                                 "create",      "qos", "type=linux-htb"};
    qos.insert(qos.end(), rates.begin(), rates.end());
    qos.insert(qos.end(),
               {"queues:0=@queue0", vmId, ifname, "--", "--id=@queue0", "create", "queue"});
    qos.insert(qos.end(), rates.begin(), rates.end());
    qos.insert(qos.end(), {vmId, ifname});
    return {
        {"--timeout=5",
         "--",
         "--may-exist",
         "add-port",
         kBridge,
         p.ifname,
         fmt::format("tag={}", p.tag),
         "--",
         "set",
         "Interface",
         p.ifname,
         fmt::format("external-ids:attached-mac=\"{}\"", p.mac),
         "--",
         "set",
         "Interface",
         p.ifname,
         fmt::format("external-ids:iface-id=\"{}\"", p.ifaceId),
         "--",
         "set",
         "Interface",
         p.ifname,
         vmId,
         "--",
         "set",
         "Interface",
         p.ifname,
         "external-ids:iface-status=active"},
        qos,
        {"--timeout=5", "set", "Interface", p.ifname,
         fmt::format("ingress_policing_rate={}", p.policingRate()),
         fmt::format("ingress_policing_burst={}", p.policingBurst())},
    };
}

// Seconds per port of ovs-vsctl for the given ports (the bridge holds whatever it holds).
double vsctlPerPort(const test::OvsSandbox& ovs, const std::vector<BenchPort>& ports)
{
    auto t0 = Clock::now();
    for (const auto& p : ports) {
        for (const auto& command : libvirtCommands(p)) {
            ovs.vsctl(command);
        }
    }
    return seconds(Clock::now() - t0) / static_cast<double>(ports.size());
}

// The same port, as dvsd's driver hands it to the OVS code: resolved VLAN and bandwidth, and a
// host device to plug (dvsctl port-plug), so dvsd writes every row itself.
ovs::PortSpec portSpec(const BenchPort& p)
{
    ovs::PortSpec spec;
    spec.port = *util::Uuid::parse(p.ifaceId);
    spec.network = "bench";
    spec.bridge = kBridge;
    spec.interfaceId = spec.port;
    spec.mac = *util::MacAddr::parse(p.mac);
    spec.owner = *util::Uuid::parse(p.vmId);
    spec.vlan.tags = {static_cast<unsigned>(p.tag)};
    spec.bandwidth.in = conf::BandwidthRate{
        .average = p.inboundAverage, .peak = p.inboundPeak, .burst = p.inboundBurst};
    spec.bandwidth.out =
        conf::BandwidthRate{.average = p.outboundAverage, .burst = p.outboundBurst};
    spec.plugIfname = p.ifname;
    return spec;
}

std::vector<ovs::PortSpec> portSpecs(const std::vector<BenchPort>& ports)
{
    std::vector<ovs::PortSpec> specs;
    specs.reserve(ports.size());
    for (const auto& p : ports) {
        specs.push_back(portSpec(p));
    }
    return specs;
}

ovs::BridgeSpec bridgeSpec()
{
    ovs::BridgeSpec spec;
    spec.network = "bench";
    spec.name = kBridge;
    spec.datapathType = "netdev";
    return spec;
}

constexpr auto kApplyTimeout = std::chrono::seconds(120);

// dvsd's OVS code connected to the sandbox, with its network's bridge in place.
std::unique_ptr<ovs::OvsSwitch> startSwitch(const test::OvsSandbox& ovs)
{
    auto sw = std::make_unique<ovs::OvsSwitch>(ovs::OvsSwitchOptions{.remote = ovs.unixRemote()});
    sw->waitApplied(sw->setNetwork(bridgeSpec()), kApplyTimeout);
    return sw;
}

std::uintmax_t fileSize(const std::filesystem::path& path)
{
    return std::filesystem::file_size(path);
}

struct Options
{
    int ports = 2000;
    int vsctlSample = 200;
    int restartPorts = 10000;
};

Options parseOptions(int argc, char** argv)
{
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string key = argv[i];
        int value = std::atoi(argv[i + 1]);
        if (key == "--ports") {
            o.ports = value;
        } else if (key == "--vsctl-sample") {
            o.vsctlSample = value;
        } else if (key == "--restart-ports") {
            o.restartPorts = value;
        } else {
            throw std::runtime_error("unknown option " + key);
        }
    }
    if ((argc - 1) % 2 != 0 || o.ports < 0 || o.vsctlSample < 1 || o.restartPorts < 0) {
        throw std::runtime_error("usage: bench-ovs-ports [--ports N] [--vsctl-sample S] "
                                 "[--restart-ports M]");
    }
    o.vsctlSample = std::min(o.vsctlSample, o.ports / 2 > 0 ? o.ports / 2 : 1);
    return o;
}

// One run of the raw writer on a fresh database; returns its wall-clock seconds.
double rawRun(const std::vector<BenchPort>& ports, int perTxn, int window, bool monitored,
              const char* what)
{
    auto ovs = freshSwitch();
    RawOvsdbWriter writer(ovs->socketPath());
    if (monitored) {
        writer.monitor(ovs::monitoredColumns());
    }
    Meter meter(ovs->serverPid());
    auto r = writer.program(ports, kBridge, perTxn, window);
    double elapsed = meter.stop();
    verify(*ovs, ports, static_cast<int>(ports.size()));
    fmt::print("{:<46} {:8.3f} s  {:8.0f} ports/s  ({} transactions; {})\n",
               fmt::format("(c) raw JSON-RPC, {}", what), elapsed,
               static_cast<double>(ports.size()) / elapsed, r.transactions, meter.cpu());
    return elapsed;
}

// Programs the ports with each contender on a fresh database and prints the figures.
void compareContenders(const Options& o)
{
    auto ports = makeBenchPorts(0, o.ports);

    // (a) dvsd's OVS code: the driver posts each port as it is allocated (setPort, 2,000
    // calls); the switch coalesces what arrives while a transaction is in flight.
    double dvsOne = 0;
    {
        auto ovs = freshSwitch();
        auto sw = startSwitch(*ovs);
        auto before = sw->stats();
        auto specs = portSpecs(ports);
        Meter meter(ovs->serverPid());
        std::uint64_t generation = 0;
        for (auto& spec : specs) {
            generation = sw->setPort(std::move(spec));
        }
        sw->waitApplied(generation, kApplyTimeout);
        dvsOne = meter.stop();
        auto after = sw->stats();
        verify(*ovs, ports, o.ports);
        fmt::print("{:<46} {:8.3f} s  {:8.0f} ports/s  ({} write transactions, {} reconciles; "
                   "{})\n",
                   fmt::format("(a) dvsd OVS code, setPort x {}", o.ports), dvsOne,
                   o.ports / dvsOne, after.writeTransactions - before.writeTransactions,
                   after.reconciles - before.reconciles, meter.cpu());
    }
    // (a') all ports posted at once (setPorts), as after a restart or a net-update.
    double dvsBatch = 0;
    {
        auto ovs = freshSwitch();
        auto sw = startSwitch(*ovs);
        auto before = sw->stats();
        auto specs = portSpecs(ports);
        Meter meter(ovs->serverPid());
        sw->waitApplied(sw->setPorts(std::move(specs)), kApplyTimeout);
        dvsBatch = meter.stop();
        auto after = sw->stats();
        verify(*ovs, ports, o.ports);
        fmt::print("{:<46} {:8.3f} s  {:8.0f} ports/s  ({} write transactions, {} reconciles; "
                   "{})\n",
                   "(a) dvsd OVS code, setPorts (one call)", dvsBatch, o.ports / dvsBatch,
                   after.writeTransactions - before.writeTransactions,
                   after.reconciles - before.reconciles, meter.cpu());
    }

    // (c) the raw writer: one port per transaction pipelined, batches of 100, and every port in
    // one transaction (the shape of (a)'s transactions), that last one also with a monitor of
    // the columns dvsd's planner reads, so the server sends the updates any client with a
    // replica receives (read, not parsed).
    double rawOne = rawRun(ports, 1, 64, false, "1 port/txn, window 64");
    double rawBatched = rawRun(ports, 100, 4, false, "100 ports/txn, window 4");
    double rawSingle = rawRun(ports, o.ports, 1, false, "all ports in 1 txn");
    double rawMonitored = rawRun(ports, o.ports, 1, true, "all in 1 txn + monitor");

    // (b) ovs-vsctl: a sample at the start (empty bridge) and one at the end (the bridge
    // filled to N - S by the raw writer); ovs-vsctl reads the whole database on every run,
    // so its cost grows linearly and the mean of both samples estimates the whole run.
    double vsctlSeconds = 0;
    {
        auto ovs = freshSwitch();
        auto first = std::vector<BenchPort>(ports.begin(), ports.begin() + o.vsctlSample);
        double early = vsctlPerPort(*ovs, first);
        auto middle =
            std::vector<BenchPort>(ports.begin() + o.vsctlSample, ports.end() - o.vsctlSample);
        RawOvsdbWriter(ovs->socketPath()).program(middle, kBridge, 100, 4);
        auto last = std::vector<BenchPort>(ports.end() - o.vsctlSample, ports.end());
        double late = vsctlPerPort(*ovs, last);
        verify(*ovs, ports, o.ports);
        vsctlSeconds = (early + late) / 2 * o.ports;
        fmt::print("(b) ovs-vsctl as libvirt (3 runs per port): {:.1f} ms/port on an empty "
                   "bridge, {:.1f} ms/port at {} ports: {:.1f} s estimated for {} ports "
                   "({:.0f} ports/s; {} + {} ports timed)\n",
                   early * 1000, late * 1000, o.ports - o.vsctlSample, vsctlSeconds, o.ports,
                   o.ports / vsctlSeconds, o.vsctlSample, o.vsctlSample);
    }
    fmt::print("\n(a) setPort vs (b) ovs-vsctl: {:.0f}x faster (target >= 50x)\n",
               vsctlSeconds / dvsOne);
    fmt::print("(a) vs (c), same shape (one transaction, monitored): setPort {:.2f}x, setPorts "
               "{:.2f}x the raw time (target <= 2x)\n",
               dvsOne / rawMonitored, dvsBatch / rawMonitored);
    fmt::print("(a) setPorts vs the fastest raw run ({:.3f} s): {:.2f}x\n",
               std::min({rawOne, rawBatched, rawSingle, rawMonitored}),
               dvsBatch / std::min({rawOne, rawBatched, rawSingle, rawMonitored}));
}

// A new OvsSwitch given the desired state of ports already in place, timed from its construction
// until it has converged; prints its line and returns whether it wrote anything.
bool timedRestart(const test::OvsSandbox& ovs, const ovs::OvsSwitchOptions& options,
                  const std::vector<BenchPort>& ports, const std::string& what)
{
    auto specs = portSpecs(ports);
    Meter meter(ovs.serverPid());
    ovs::OvsSwitch sw(options);
    sw.setNetwork(bridgeSpec());
    sw.waitApplied(sw.setPorts(std::move(specs)), kApplyTimeout);
    double converged = meter.stop();
    auto stats = sw.stats();
    fmt::print("{} over {} ports in place: converged in {:.3f} s (target < 1 s; {}); write "
               "transactions {}, full downloads {}, failures {}\n",
               what, ports.size(), converged, meter.cpu(), stats.writeTransactions, stats.snapshots,
               stats.failures);
    return stats.writeTransactions != 0;
}

// Restarts dvsd's OVS code over a database that already holds the ports; returns false when
// the restart wrote anything.
bool measureRestart(const Options& o)
{
    // Restart: a new instance over a database that holds M ports, with the same desired
    // state, must converge quickly and write nothing.
    {
        auto ovs = freshSwitch();
        auto many = makeBenchPorts(0, o.restartPorts);
        {
            auto sw = startSwitch(*ovs);
            sw->waitApplied(sw->setPorts(portSpecs(many)), kApplyTimeout);
        }
        verify(*ovs, many, o.restartPorts);
        auto dbBefore = fileSize(ovs->dir() / "conf.db");
        // Where a restart's time goes: the server's initial download of the columns the
        // planner reads (received raw, unparsed), then our client's replica of them.
        {
            RawOvsdbWriter raw(ovs->socketPath());
            Meter meter(ovs->serverPid());
            auto bytes = raw.monitor(ovs::monitoredColumns());
            double wall = meter.stop();
            fmt::print("\nrestart breakdown: raw monitor_cond reply, {:.1f} MB: {:.3f} s ({})\n",
                       static_cast<double>(bytes) / 1e6, wall, meter.cpu());
        }
        {
            ovsdb::ClientOptions options;
            options.connection.remotes = {ovs->unixRemote()};
            options.monitor = ovs::monitoredColumns();
            Meter meter(ovs->serverPid());
            ovsdb::Client client(nullptr, options);
            client.start();
            test::runUntil([&] { return client.state() == ovsdb::ClientState::Ready; },
                           kApplyTimeout);
            double wall = meter.stop();
            fmt::print("restart breakdown: ovsdb::Client replica of the same columns ready: "
                       "{:.3f} s ({})\n",
                       wall, meter.cpu());
            // The planner alone over that replica, with the desired state of the restart.
            ovs::DesiredState desired;
            desired.bridges.emplace("bench", bridgeSpec());
            for (auto& spec : portSpecs(many)) {
                desired.ports.emplace(spec.port, std::move(spec));
            }
            ovsdb::Transaction txn(client.replica(), "bench: plan");
            ovs::PlanReport report;
            meter.start();
            ovs::plan(desired, txn, report);
            wall = meter.stop();
            fmt::print("restart breakdown: ovs::plan over the replica: {:.3f} s ({}), {} "
                       "operations, writes: {}\n",
                       wall, meter.cpu(), txn.operations().size(), txn.writes() ? "yes" : "no");
        }
        // Three restarts in a row, each a new instance with the same desired state.
        bool wrote = false;
        for (int round = 1; round <= 3; ++round) {
            wrote = timedRestart(*ovs, ovs::OvsSwitchOptions{.remote = ovs->unixRemote()}, many,
                                 fmt::format("restart {}", round)) ||
                    wrote;
        }
        auto dbAfter = fileSize(ovs->dir() / "conf.db");
        fmt::print("database file {} bytes before the restarts, {} after\n", dbBefore, dbAfter);
        if (wrote) {
            std::fprintf(stderr, "bench-ovs-ports: a restart wrote to the database\n");
            return false;
        }
    }
    return true;
}

// The same restart over a clustered database (one server), where the client keeps its replica
// in a cache file and a restarted instance asks monitor_cond_since only for what changed.
bool measureClusteredRestart(const Options& o)
{
    test::OvsSandbox ovs({.clustered = true});
    ovs.vsctl({"add-br", kBridge});
    test::TempDir cacheDir;
    ovs::OvsSwitchOptions options{.remote = ovs.unixRemote()};
    options.replicaCache = cacheDir.path() / "ovsdb-replica.json";
    auto many = makeBenchPorts(0, o.restartPorts);
    {
        ovs::OvsSwitch sw(options);
        sw.setNetwork(bridgeSpec());
        sw.waitApplied(sw.setPorts(portSpecs(many)), kApplyTimeout);
    }
    verify(ovs, many, o.restartPorts);
    fmt::print("\nclustered database (1 server), replica cache {:.1f} MB\n",
               static_cast<double>(fileSize(options.replicaCache)) / 1e6);
    bool wrote = false;
    for (int round = 0; round <= 3; ++round) {
        // Round 0 goes without the cache, for comparison.
        auto roundOptions = options;
        if (round == 0) {
            roundOptions.replicaCache.clear();
        }
        wrote = timedRestart(ovs, roundOptions, many,
                             fmt::format("restart {}, {},", round,
                                         round == 0 ? "no cache" : "from the cache")) ||
                wrote;
    }
    if (wrote) {
        std::fprintf(stderr, "bench-ovs-ports: a clustered restart wrote to the database\n");
        return false;
    }
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    try {
        Options o = parseOptions(argc, argv);
        if (auto why = test::OvsSandbox::unavailable()) {
            std::fprintf(stderr, "bench-ovs-ports: %s\n", why->c_str());
            return 1;
        }
        fmt::print("private ovsdb-server, no ovs-vswitchd; load average {:.2f}\n\n", loadAverage());
        if (o.ports > 0) {
            compareContenders(o);
        }
        if (o.restartPorts > 0 && (!measureRestart(o) || !measureClusteredRestart(o))) {
            return 1;
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench-ovs-ports: %s\n", e.what());
        return 1;
    }
}
