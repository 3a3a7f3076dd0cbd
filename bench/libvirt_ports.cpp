// SPDX-License-Identifier: LGPL-2.1-or-later
// Drives network drivers through libvirt's own client library, the way virsh and virtqemud do,
// and prints their rates side by side: the first target is the baseline of the ratio column.
//
//   bench-libvirt-ports [OPTIONS] NAME=URI[@PID] ...
//
//   --ports N        port create + port XML + delete cycles per measurement (default 1000)
//   --calls N        network is-active calls per measurement (default 10000)
//   --parallel K     connections of the parallel port measurement (default 4, 0 = skip)
//   --sessions N     virtqemud domain-start sequences on fresh connections (default 200)
//   --repeat R       runs of each measurement per target, alternating (default 5): the
//                    table shows the medians
//   --churn-clients  clients of the churn run (default 100, 0 = skip)
//   --churn-rounds   connections each churn client opens and closes (default 3)
//   --churn-ports    port cycles while the clients churn (default 200)
//   --churn-runs     rounds of the churn, with the daemon's memory after each (default 3)
//   --network NAME   the network, defined and started when missing (default bench)
//   --bridge NAME    its existing host bridge (default br-bench)
//
// PID, when given, is the daemon serving URI: the bench then reports the daemon's CPU time per
// operation and its resident memory around the churn run.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <fmt/format.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

namespace {

using Clock = std::chrono::steady_clock;

struct Options
{
    int ports = 1000;
    int calls = 10000;
    int parallel = 4;
    int sessions = 200;
    int churnClients = 100;
    int churnRounds = 3;
    int churnPorts = 200;
    int repeat = 5;
    int churnRuns = 3;
    std::string network = "bench";
    std::string bridge = "br-bench";
};

struct Target
{
    std::string name;
    std::string uri;
    pid_t pid = 0;
};

// One measured figure per target, in the order measured.
struct Row
{
    std::string what;
    std::string unit;
    // Higher is better for rates, lower for memory and CPU per operation.
    bool higherIsBetter = true;
    // Target ratio of each later target over the first, 0 when none.
    double wantRatio = 0;
    // The ratio column compares the daemons; the client's own cost is the same program on both.
    bool showRatio = true;
    std::map<std::string, double> value;
};

[[noreturn]] void libvirtFailure(const std::string& what)
{
    const char* message = virGetLastErrorMessage();
    throw std::runtime_error(what + ": " + (message != nullptr ? message : "unknown error"));
}

// RAII for the libvirt handles the bench holds.
struct ConnCloser
{
    void operator()(virConnectPtr c) const { virConnectClose(c); }
};
struct NetworkFreer
{
    void operator()(virNetworkPtr n) const { virNetworkFree(n); }
};
struct PortFreer
{
    void operator()(virNetworkPortPtr p) const { virNetworkPortFree(p); }
};
using Connection = std::unique_ptr<virConnect, ConnCloser>;
using Network = std::unique_ptr<virNetwork, NetworkFreer>;
using Port = std::unique_ptr<virNetworkPort, PortFreer>;

Connection open(const std::string& uri)
{
    Connection conn(virConnectOpen(uri.c_str()));
    if (!conn) {
        libvirtFailure("cannot open " + uri);
    }
    return conn;
}

Network lookup(virConnectPtr conn, const std::string& name)
{
    Network net(virNetworkLookupByName(conn, name.c_str()));
    if (!net) {
        libvirtFailure("cannot look up network " + name);
    }
    return net;
}

std::string randomUuid(std::mt19937_64& rng)
{
    std::uint64_t hi = rng();
    std::uint64_t lo = rng();
    hi = (hi & ~0xf000ULL) | 0x4000ULL;           // version 4
    lo = (lo & ~(0xcULL << 60)) | (0x8ULL << 60); // RFC 4122 variant
    return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff,
                       hi & 0xffff, lo >> 48, lo & 0xffffffffffffULL);
}

// The port XML qemu builds for an <interface type='network'> (virDomainNetDefToNetworkPort):
// a fresh uuid, the owner, the MAC, no <plug>.
std::string portXml(std::mt19937_64& rng, unsigned n)
{
    return fmt::format("<networkport><uuid>{}</uuid><owner><name>vm{}</name><uuid>{}</uuid>"
                       "</owner><mac address='52:54:00:{:02x}:{:02x}:{:02x}'/></networkport>",
                       randomUuid(rng), n, randomUuid(rng), (n >> 16) & 0xff, (n >> 8) & 0xff,
                       n & 0xff);
}

// One port through its whole life: create without plug, read its XML (as qemu does to learn the
// plug), delete (as on domain destroy).
void portCycle(virNetworkPtr net, std::mt19937_64& rng, unsigned n)
{
    std::string xml = portXml(rng, n);
    Port port(virNetworkPortCreateXML(net, xml.c_str(), 0));
    if (!port) {
        libvirtFailure("port create failed");
    }
    char* desc = virNetworkPortGetXMLDesc(port.get(), 0);
    if (desc == nullptr) {
        libvirtFailure("port XML failed");
    }
    bool hasPlug = std::strstr(desc, "<plug ") != nullptr;
    std::free(desc);
    if (!hasPlug) {
        throw std::runtime_error("the port XML has no <plug>");
    }
    if (virNetworkPortDelete(port.get(), 0) < 0) {
        libvirtFailure("port delete failed");
    }
}

// virtqemud's domain start on its own fresh connection (as virtqemud does it): open, set identity,
// look up the network, create a port, read its XML, close.
void domainStart(const std::string& uri, const std::string& network, std::mt19937_64& rng,
                 unsigned n)
{
    Connection conn = open(uri);
    virTypedParameterPtr params = nullptr;
    int nparams = 0;
    int maxparams = 0;
    virTypedParamsAddString(&params, &nparams, &maxparams, VIR_CONNECT_IDENTITY_USER_NAME, "root");
    virTypedParamsAddULLong(&params, &nparams, &maxparams, VIR_CONNECT_IDENTITY_UNIX_USER_ID, 0);
    virTypedParamsAddString(&params, &nparams, &maxparams, VIR_CONNECT_IDENTITY_GROUP_NAME, "root");
    virTypedParamsAddULLong(&params, &nparams, &maxparams, VIR_CONNECT_IDENTITY_UNIX_GROUP_ID, 0);
    virTypedParamsAddLLong(&params, &nparams, &maxparams, VIR_CONNECT_IDENTITY_PROCESS_ID,
                           ::getpid());
    int rc = virConnectSetIdentity(conn.get(), params, nparams, 0);
    virTypedParamsFree(params, nparams);
    if (rc < 0) {
        libvirtFailure("set identity failed");
    }
    Network net = lookup(conn.get(), network);
    std::string xml = portXml(rng, n);
    Port port(virNetworkPortCreateXML(net.get(), xml.c_str(), 0));
    if (!port) {
        libvirtFailure("port create failed");
    }
    char* desc = virNetworkPortGetXMLDesc(port.get(), 0);
    if (desc == nullptr) {
        libvirtFailure("port XML failed");
    }
    std::free(desc);
    // The domain's destroy, on the same connection here to keep the network's port count flat.
    if (virNetworkPortDelete(port.get(), 0) < 0) {
        libvirtFailure("port delete failed");
    }
}

// CPU seconds a process's threads have run so far, to the nanosecond (the scheduler's own
// account in /proc/PID/task/*/schedstat); 0 without a pid.
double processCpuSeconds(pid_t pid)
{
    if (pid <= 0) {
        return 0;
    }
    double total = 0;
    std::error_code ec;
    for (const auto& task :
         std::filesystem::directory_iterator(fmt::format("/proc/{}/task", pid), ec)) {
        std::ifstream in(task.path() / "schedstat");
        unsigned long long ns = 0;
        if (in >> ns) {
            total += static_cast<double>(ns) / 1e9;
        }
    }
    return total;
}

long residentKib(pid_t pid)
{
    std::ifstream in(fmt::format("/proc/{}/status", pid));
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::stol(line.substr(6));
        }
    }
    return 0;
}

double ownCpuSeconds()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto sec = [](const timeval& tv) {
        return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
    };
    return sec(usage.ru_utime) + sec(usage.ru_stime);
}

struct Measurement
{
    double perSecond = 0;
    // Daemon CPU microseconds per operation, when its pid is known.
    std::optional<double> daemonUsPerOp;
    double clientUsPerOp = 0;
};

// Runs body() for `count` operations and times it.
Measurement measure(const Target& target, int count, const std::function<void()>& body)
{
    double daemonBefore = processCpuSeconds(target.pid);
    double clientBefore = ownCpuSeconds();
    auto start = Clock::now();
    body();
    double wall = std::chrono::duration<double>(Clock::now() - start).count();
    Measurement m;
    m.perSecond = count / wall;
    m.clientUsPerOp = (ownCpuSeconds() - clientBefore) * 1e6 / count;
    if (target.pid > 0) {
        m.daemonUsPerOp = (processCpuSeconds(target.pid) - daemonBefore) * 1e6 / count;
    }
    return m;
}

void ensureNetwork(const Target& target, const Options& options)
{
    Connection conn = open(target.uri);
    Network net(virNetworkLookupByName(conn.get(), options.network.c_str()));
    if (!net) {
        std::string xml = fmt::format("<network><name>{}</name><forward mode='bridge'/>"
                                      "<bridge name='{}'/></network>",
                                      options.network, options.bridge);
        net.reset(virNetworkDefineXML(conn.get(), xml.c_str()));
        if (!net) {
            libvirtFailure(target.name + ": cannot define network " + options.network);
        }
    }
    if (virNetworkIsActive(net.get()) != 1 && virNetworkCreate(net.get()) < 0) {
        libvirtFailure(target.name + ": cannot start network " + options.network);
    }
}

class Bench
{
public:
    Bench(Options options, std::vector<Target> targets)
        : options_(std::move(options)), targets_(std::move(targets))
    {}

    void run()
    {
        for (const auto& target : targets_) {
            ensureNetwork(target, options_);
        }
        for (const auto& target : targets_) {
            warmUp(target);
        }
        series("port create + XML + delete, 1 connection", 10,
               [this](const Target& t) { return portsSequential(t); });
        series("network is-active, 1 connection", 3,
               [this](const Target& t) { return isActive(t); });
        if (options_.parallel > 0) {
            series(fmt::format("port create + XML + delete, {} connections", options_.parallel), 0,
                   [this](const Target& t) { return portsParallel(t); });
        }
        if (options_.sessions > 0) {
            series("virtqemud domain start on a fresh connection", 0,
                   [this](const Target& t) { return sessions(t); });
        }
        if (options_.churnClients > 0) {
            for (const auto& target : targets_) {
                churn(target);
            }
        }
        print();
    }

private:
    Row& row(const std::string& what, const std::string& unit, bool higherIsBetter = true,
             double wantRatio = 0)
    {
        for (auto& r : rows_) {
            if (r.what == what) {
                return r;
            }
        }
        rows_.push_back(Row{what, unit, higherIsBetter, wantRatio, true, {}});
        return rows_.back();
    }

    void record(const Target& target, const std::string& what, double wantRatio,
                const Measurement& m)
    {
        row(what, "/s", true, wantRatio).value[target.name] = m.perSecond;
        if (m.daemonUsPerOp) {
            row(what + ": daemon CPU per op", "µs", false).value[target.name] = *m.daemonUsPerOp;
        }
        Row& client = row(what + ": client CPU per op", "µs", false);
        client.showRatio = false;
        client.value[target.name] = m.clientUsPerOp;
        std::fprintf(stderr, "%-9s %-52s %10.0f/s\n", target.name.c_str(), what.c_str(),
                     m.perSecond);
    }

    // Runs one measurement `repeat` times, alternating between the targets so that a change in
    // the machine's load hits them alike, and records each target's medians.
    void series(const std::string& what, double wantRatio,
                const std::function<Measurement(const Target&)>& once)
    {
        std::map<std::string, std::vector<Measurement>> runs;
        for (int r = 0; r < options_.repeat; ++r) {
            for (const auto& target : targets_) {
                runs[target.name].push_back(once(target));
            }
        }
        auto median = [](std::vector<double> v) {
            std::sort(v.begin(), v.end());
            return v[v.size() / 2];
        };
        for (const auto& target : targets_) {
            const auto& all = runs[target.name];
            std::vector<double> rate;
            std::vector<double> daemon;
            std::vector<double> client;
            for (const auto& m : all) {
                rate.push_back(m.perSecond);
                client.push_back(m.clientUsPerOp);
                if (m.daemonUsPerOp) {
                    daemon.push_back(*m.daemonUsPerOp);
                }
            }
            Measurement m;
            m.perSecond = median(rate);
            m.clientUsPerOp = median(client);
            if (!daemon.empty()) {
                m.daemonUsPerOp = median(daemon);
            }
            record(target, what, wantRatio, m);
        }
    }

    void warmUp(const Target& target)
    {
        Connection conn = open(target.uri);
        Network net = lookup(conn.get(), options_.network);
        for (int i = 0; i < 50; ++i) {
            portCycle(net.get(), rng_, static_cast<unsigned>(i));
            virNetworkIsActive(net.get());
        }
    }

    Measurement portsSequential(const Target& target)
    {
        Connection conn = open(target.uri);
        Network net = lookup(conn.get(), options_.network);
        auto m = measure(target, options_.ports, [&] {
            for (int i = 0; i < options_.ports; ++i) {
                portCycle(net.get(), rng_, static_cast<unsigned>(i));
            }
        });
        return m;
    }

    Measurement isActive(const Target& target)
    {
        Connection conn = open(target.uri);
        Network net = lookup(conn.get(), options_.network);
        auto m = measure(target, options_.calls, [&] {
            for (int i = 0; i < options_.calls; ++i) {
                if (virNetworkIsActive(net.get()) != 1) {
                    libvirtFailure("is-active failed");
                }
            }
        });
        return m;
    }

    Measurement portsParallel(const Target& target)
    {
        int k = options_.parallel;
        int perThread = std::max(1, options_.ports / k);
        std::vector<Connection> conns;
        std::vector<Network> nets;
        for (int t = 0; t < k; ++t) {
            conns.push_back(open(target.uri));
            nets.push_back(lookup(conns.back().get(), options_.network));
        }
        std::vector<std::string> errors(static_cast<std::size_t>(k));
        auto m = measure(target, perThread * k, [&] {
            std::vector<std::thread> threads;
            for (int t = 0; t < k; ++t) {
                threads.emplace_back([&, t] {
                    std::mt19937_64 rng(static_cast<std::uint64_t>(t) * 7919 + 1);
                    try {
                        for (int i = 0; i < perThread; ++i) {
                            portCycle(nets[static_cast<std::size_t>(t)].get(), rng,
                                      static_cast<unsigned>(t * perThread + i));
                        }
                    } catch (const std::exception& e) {
                        errors[static_cast<std::size_t>(t)] = e.what();
                    }
                });
            }
            for (auto& thread : threads) {
                thread.join();
            }
        });
        for (const auto& error : errors) {
            if (!error.empty()) {
                throw std::runtime_error(target.name + ": " + error);
            }
        }
        return m;
    }

    Measurement sessions(const Target& target)
    {
        auto m = measure(target, options_.sessions, [&] {
            for (int i = 0; i < options_.sessions; ++i) {
                domainStart(target.uri, options_.network, rng_, static_cast<unsigned>(i));
            }
        });
        return m;
    }

    // One round: churnClients threads each open, look up, ask is-active and close churnRounds
    // times, while this thread cycles churnPorts ports.
    std::size_t churnRound(const Target& target)
    {
        std::atomic<std::size_t> failures{0};
        std::string firstError;
        std::mutex errorLock;
        std::vector<std::thread> clients;
        for (int c = 0; c < options_.churnClients; ++c) {
            clients.emplace_back([&] {
                for (int r = 0; r < options_.churnRounds; ++r) {
                    try {
                        Connection conn = open(target.uri);
                        Network net = lookup(conn.get(), options_.network);
                        if (virNetworkIsActive(net.get()) != 1) {
                            libvirtFailure("is-active failed");
                        }
                    } catch (const std::exception& e) {
                        if (failures++ == 0) {
                            std::lock_guard<std::mutex> guard(errorLock);
                            firstError = e.what();
                        }
                    }
                }
            });
        }
        Connection conn = open(target.uri);
        Network net = lookup(conn.get(), options_.network);
        for (int i = 0; i < options_.churnPorts; ++i) {
            portCycle(net.get(), rng_, static_cast<unsigned>(i));
        }
        for (auto& client : clients) {
            client.join();
        }
        if (failures > 0) {
            std::fprintf(stderr, "%s: %zu churn connections failed, the first: %s\n",
                         target.name.c_str(), failures.load(), firstError.c_str());
        }
        return failures;
    }

    void churn(const Target& target)
    {
        std::string what =
            fmt::format("churn: {} clients x {} connections, {} ports", options_.churnClients,
                        options_.churnRounds, options_.churnPorts);
        long before = target.pid > 0 ? residentKib(target.pid) : 0;
        if (target.pid > 0) {
            row("resident memory before the churn", "KiB", false).value[target.name] =
                static_cast<double>(before);
        }
        auto start = Clock::now();
        std::size_t failures = 0;
        for (int run = 1; run <= options_.churnRuns; ++run) {
            failures += churnRound(target);
            if (target.pid > 0) {
                row(fmt::format("resident memory after churn round {}", run), "KiB", false)
                    .value[target.name] = static_cast<double>(residentKib(target.pid));
            }
        }
        double wall = std::chrono::duration<double>(Clock::now() - start).count();
        int connections = options_.churnRuns * options_.churnClients * options_.churnRounds;
        row(what + ": connections", "/s").value[target.name] = connections / wall;
        row(what + ": failed connections", "", false).value[target.name] =
            static_cast<double>(failures);
        failures_ += failures;
        std::fprintf(stderr, "%-9s %-52s %10.0f/s\n", target.name.c_str(), what.c_str(),
                     connections / wall);
    }

    void print() const
    {
        std::string header = fmt::format("{:<64}", "");
        for (const auto& target : targets_) {
            header += fmt::format("{:>12}", target.name);
        }
        if (targets_.size() > 1) {
            header += fmt::format("{:>10}  {}", "ratio", "target");
        }
        std::printf("\n%s\n", header.c_str());
        for (const auto& r : rows_) {
            std::string line = fmt::format("{:<64}", r.what);
            for (const auto& target : targets_) {
                auto it = r.value.find(target.name);
                line += it == r.value.end()
                            ? fmt::format("{:>12}", "-")
                            : fmt::format("{:>12}", fmt::format("{:.0f}{}", it->second, r.unit));
            }
            if (targets_.size() == 2) {
                auto base = r.value.find(targets_[0].name);
                auto other = r.value.find(targets_[1].name);
                if (base != r.value.end() && other != r.value.end() && base->second > 0 &&
                    other->second > 0 && r.showRatio && !r.unit.empty() && r.unit != "KiB") {
                    double ratio = r.higherIsBetter ? other->second / base->second
                                                    : base->second / other->second;
                    line += fmt::format("{:>9.1f}x", ratio);
                    if (r.wantRatio > 0) {
                        line += fmt::format("  >= {:.0f}x {}", r.wantRatio,
                                            ratio >= r.wantRatio ? "met" : "MISSED");
                    }
                }
            }
            std::printf("%s\n", line.c_str());
        }
        printCeilings();
    }

    // A sequential client waits for each reply, so no daemon can make a call faster than the
    // client's own share: the baseline's time per operation over the client's CPU per operation
    // bounds the ratio any daemon could reach with this client on this machine.
    void printCeilings() const
    {
        if (targets_.size() != 2) {
            return;
        }
        bool first = true;
        for (const auto& r : rows_) {
            if (r.wantRatio <= 0) {
                continue;
            }
            auto base = r.value.find(targets_[0].name);
            const Row* client = nullptr;
            for (const auto& c : rows_) {
                if (c.what == r.what + ": client CPU per op") {
                    client = &c;
                }
            }
            if (base == r.value.end() || client == nullptr) {
                continue;
            }
            auto clientUs = client->value.find(targets_[1].name);
            if (clientUs == client->value.end() || clientUs->second <= 0) {
                continue;
            }
            if (first) {
                std::printf("\nCeiling of the ratio for a %s that took no time at all, with this "
                            "client (%s's time per op / the client's CPU per op):\n",
                            targets_[1].name.c_str(), targets_[0].name.c_str());
                first = false;
            }
            std::printf("  %-62s%9.1fx\n", r.what.c_str(), 1e6 / base->second / clientUs->second);
        }
    }

public:
    std::size_t failures() const { return failures_; }

private:
    Options options_;
    std::vector<Target> targets_;
    std::vector<Row> rows_;
    std::mt19937_64 rng_{std::random_device{}()};
    std::size_t failures_ = 0;
};

int intOption(const char* name, const char* value)
{
    char* end = nullptr;
    long n = std::strtol(value, &end, 10);
    if (*value == '\0' || *end != '\0' || n < 0 || n > 100000000) {
        throw std::runtime_error(fmt::format("bad value '{}' for {}", value, name));
    }
    return static_cast<int>(n);
}

Target parseTarget(const std::string& spec)
{
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
        throw std::runtime_error("a target is NAME=URI[@PID], not '" + spec + "'");
    }
    Target target;
    target.name = spec.substr(0, eq);
    target.uri = spec.substr(eq + 1);
    auto at = target.uri.rfind('@');
    if (at != std::string::npos) {
        target.pid = intOption("PID", target.uri.c_str() + at + 1);
        target.uri.resize(at);
    }
    return target;
}

} // namespace

int main(int argc, char** argv)
{
    try {
        Options options;
        std::vector<Target> targets;
        for (int i = 1; i < argc; ++i) {
            std::string arg = argv[i];
            auto value = [&]() -> const char* {
                if (i + 1 >= argc) {
                    throw std::runtime_error(arg + " needs a value");
                }
                return argv[++i];
            };
            if (arg == "--ports") {
                options.ports = std::max(1, intOption("--ports", value()));
            } else if (arg == "--calls") {
                options.calls = std::max(1, intOption("--calls", value()));
            } else if (arg == "--parallel") {
                options.parallel = intOption("--parallel", value());
            } else if (arg == "--sessions") {
                options.sessions = intOption("--sessions", value());
            } else if (arg == "--churn-clients") {
                options.churnClients = intOption("--churn-clients", value());
            } else if (arg == "--churn-rounds") {
                options.churnRounds = std::max(1, intOption("--churn-rounds", value()));
            } else if (arg == "--churn-runs") {
                options.churnRuns = std::max(1, intOption("--churn-runs", value()));
            } else if (arg == "--churn-ports") {
                options.churnPorts = intOption("--churn-ports", value());
            } else if (arg == "--repeat") {
                options.repeat = std::max(1, intOption("--repeat", value()));
            } else if (arg == "--network") {
                options.network = value();
            } else if (arg == "--bridge") {
                options.bridge = value();
            } else if (arg.rfind("--", 0) == 0) {
                throw std::runtime_error("unknown option " + arg);
            } else {
                targets.push_back(parseTarget(arg));
            }
        }
        if (targets.empty()) {
            throw std::runtime_error("usage: bench-libvirt-ports [OPTIONS] NAME=URI[@PID] ...");
        }
        // libvirt prints every error on stderr by default; the bench reports them itself.
        virSetErrorFunc(nullptr, [](void*, virErrorPtr) {});
        Bench bench(options, targets);
        bench.run();
        return bench.failures() == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
