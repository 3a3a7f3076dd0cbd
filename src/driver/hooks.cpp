// SPDX-License-Identifier: LGPL-2.1-or-later
#include "driver/hooks.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "util/cdeleter.h"
#include "util/error.h"

namespace fs = std::filesystem;

namespace dvs::driver {

namespace {

bool isExecutableFile(const fs::path& p)
{
    struct stat st
    {};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

struct HookResult
{
    int status = 0;
    std::string errors;
};

// Runs one script with stdin fed from input; collects what it writes to stdout and stderr.
HookResult runScript(const fs::path& script, const std::vector<std::string>& args,
                     std::string_view input)
{
    int inPipe[2];
    int outPipe[2];
    if (::pipe2(inPipe, O_CLOEXEC) < 0) {
        raise(ErrorCode::HookScriptFailed, "cannot run '{}': {}", script.string(),
              std::strerror(errno));
    }
    util::UniqueFd inRead(inPipe[0]);
    util::UniqueFd inWrite(inPipe[1]);
    if (::pipe2(outPipe, O_CLOEXEC) < 0) {
        raise(ErrorCode::HookScriptFailed, "cannot run '{}': {}", script.string(),
              std::strerror(errno));
    }
    util::UniqueFd outRead(outPipe[0]);
    util::UniqueFd outWrite(outPipe[1]);

    std::vector<char*> argv;
    std::string scriptPath = script.string();
    argv.push_back(scriptPath.data());
    std::vector<std::string> argCopies = args;
    for (auto& a : argCopies) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    static char envPath[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    static char envLang[] = "LC_ALL=C";
    char* envp[] = {envPath, envLang, nullptr};

    pid_t pid = ::fork();
    if (pid < 0) {
        raise(ErrorCode::HookScriptFailed, "cannot run '{}': {}", script.string(),
              std::strerror(errno));
    }
    if (pid == 0) {
        // Child: only async-signal-safe calls from here on.
        ::dup2(inRead.get(), STDIN_FILENO);
        ::dup2(outWrite.get(), STDOUT_FILENO);
        ::dup2(outWrite.get(), STDERR_FILENO);
        ::signal(SIGPIPE, SIG_DFL);
        ::execve(argv[0], argv.data(), envp);
        _exit(127);
    }
    inRead.reset();
    outWrite.reset();
    ::fcntl(inWrite.get(), F_SETFL, O_NONBLOCK);

    HookResult result;
    std::string_view pending = input;
    bool writing = true;
    if (pending.empty()) {
        inWrite.reset();
        writing = false;
    }
    char buf[4096];
    for (;;) {
        pollfd fds[2] = {{outRead.get(), POLLIN, 0}, {writing ? inWrite.get() : -1, POLLOUT, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        if (writing && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
            ssize_t n = ::write(inWrite.get(), pending.data(), pending.size());
            if (n > 0) {
                pending.remove_prefix(static_cast<std::size_t>(n));
            }
            if (pending.empty() || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                inWrite.reset();
                writing = false;
            }
        }
        if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            ssize_t n = ::read(outRead.get(), buf, sizeof(buf));
            if (n > 0) {
                if (result.errors.size() < 65536) {
                    result.errors.append(buf, static_cast<std::size_t>(n));
                }
                continue;
            }
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
                continue;
            }
            break; // EOF: the script closed its output
        }
    }
    inWrite.reset();
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.status = status;
    while (!result.errors.empty() &&
           (result.errors.back() == '\n' || result.errors.back() == ' ')) {
        result.errors.pop_back();
    }
    return result;
}

} // namespace

HookRunner::HookRunner(fs::path hookDir) : hookDir_(std::move(hookDir))
{
    // A script that exits without reading its input must not kill the daemon with SIGPIPE.
    ::signal(SIGPIPE, SIG_IGN);
    reload();
}

void HookRunner::reload()
{
    scripts_.clear();
    auto main = hookDir_ / "network";
    if (isExecutableFile(main)) {
        scripts_.push_back(main);
    }
    std::vector<fs::path> extra;
    std::error_code ec;
    auto dir = hookDir_ / "network.d";
    if (fs::is_directory(dir, ec)) {
        for (const auto& entry : fs::directory_iterator(dir, ec)) {
            if (isExecutableFile(entry.path())) {
                extra.push_back(entry.path());
            }
        }
    }
    std::sort(extra.begin(), extra.end());
    scripts_.insert(scripts_.end(), extra.begin(), extra.end());
}

std::string_view HookRunner::toString(HookOp op)
{
    switch (op) {
    case HookOp::Start:
        return "start";
    case HookOp::Started:
        return "started";
    case HookOp::Stopped:
        return "stopped";
    case HookOp::PortCreated:
        return "port-created";
    case HookOp::PortDeleted:
        return "port-deleted";
    case HookOp::Updated:
        return "updated";
    }
    return "";
}

std::string_view HookRunner::toString(HookSubOp subOp)
{
    return subOp == HookSubOp::Begin ? "begin" : "end";
}

void HookRunner::run(std::string_view network, HookOp op, HookSubOp subOp,
                     std::string_view hookData) const
{
    std::vector<std::string> args{std::string(network), std::string(toString(op)),
                                  std::string(toString(subOp)), "-"};
    for (const auto& script : scripts_) {
        auto result = runScript(script, args, hookData);
        if (WIFEXITED(result.status) && WEXITSTATUS(result.status) == 0) {
            continue;
        }
        std::string command = script.string();
        for (const auto& a : args) {
            command += ' ';
            command += a;
        }
        std::string how = WIFEXITED(result.status)
                              ? fmt::format("unexpected exit status {}", WEXITSTATUS(result.status))
                              : fmt::format("fatal signal {}", WTERMSIG(result.status));
        std::string detail = result.errors.empty() ? std::string() : ": " + result.errors;
        raise(ErrorCode::HookScriptFailed, "internal error: Child process ({}) {}{}", command, how,
              detail);
    }
}

} // namespace dvs::driver
