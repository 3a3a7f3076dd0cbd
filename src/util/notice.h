// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <functional>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace dvs::util {

// Lower layers never log above debug: what they recovered from or did on their own (a cache
// ignored, a port recorded from libvirtd) goes to a sink the daemon gives them, and the daemon
// logs it (docs/architecture.md, "Logging").
enum class NoticeLevel
{
    Info,
    Warning,
};

struct Notice
{
    NoticeLevel level = NoticeLevel::Info;
    std::string text;
};

// Where a component sends its notices. It may be called from any thread the component runs on;
// an empty sink drops them.
class NoticeSink
{
public:
    NoticeSink() = default;
    explicit NoticeSink(std::function<void(Notice)> receiver) : receiver_(std::move(receiver)) {}

    template <typename... Args>
    void info(fmt::format_string<Args...> format, Args&&... args) const
    {
        send(NoticeLevel::Info, fmt::format(format, std::forward<Args>(args)...));
    }

    template <typename... Args>
    void warning(fmt::format_string<Args...> format, Args&&... args) const
    {
        send(NoticeLevel::Warning, fmt::format(format, std::forward<Args>(args)...));
    }

    void send(NoticeLevel level, std::string text) const
    {
        if (receiver_) {
            receiver_(Notice{level, std::move(text)});
        }
    }

private:
    std::function<void(Notice)> receiver_;
};

} // namespace dvs::util
