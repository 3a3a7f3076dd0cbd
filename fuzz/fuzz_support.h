// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

// What every fuzz target shares: libFuzzer's entry points and a failure that both libFuzzer and
// the standalone smoke driver report as a crash (with the reason on stderr).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace dvs::fuzz {

// An invariant the code under test broke: prints both sides and aborts.
[[noreturn]] inline void fail(std::string_view what, std::string_view first = {},
                              std::string_view second = {})
{
    std::fprintf(stderr, "fuzz invariant broken: %.*s\n", static_cast<int>(what.size()),
                 what.data());
    if (!first.empty()) {
        std::fprintf(stderr, "--- first\n%.*s\n", static_cast<int>(first.size()), first.data());
    }
    if (!second.empty()) {
        std::fprintf(stderr, "--- second\n%.*s\n", static_cast<int>(second.size()), second.data());
    }
    std::abort();
}

inline std::string_view asText(const std::uint8_t* data, std::size_t size)
{
    return {reinterpret_cast<const char*>(data), size};
}

// Reads the input front to back: fixed-size header bytes, then the rest.
class Input
{
public:
    Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

    std::uint8_t byte()
    {
        if (pos_ >= size_) {
            return 0;
        }
        return data_[pos_++];
    }
    // The remaining bytes up to (not including) the next NUL, which is consumed; all the rest
    // when there is none.
    std::string_view untilNul()
    {
        std::string_view rest = remaining();
        auto nul = rest.find('\0');
        if (nul == std::string_view::npos) {
            pos_ = size_;
            return rest;
        }
        pos_ += nul + 1;
        return rest.substr(0, nul);
    }
    std::string_view remaining() const
    {
        return {reinterpret_cast<const char*>(data_) + pos_, size_ - pos_};
    }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

} // namespace dvs::fuzz
