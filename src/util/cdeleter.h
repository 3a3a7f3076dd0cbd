// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <memory>
#include <unistd.h>

namespace dvs::util {

// Deleter for a C handle freed by Fn. Every owning C pointer in the tree goes through this, with an
// alias below or in the header that owns the C library (xml.h, ...).
template <auto Fn>
struct CDeleter
{
    template <typename T>
    void operator()(T* p) const noexcept
    {
        if (p != nullptr) {
            Fn(p);
        }
    }
};

template <typename T, auto Fn>
using CPtr = std::unique_ptr<T, CDeleter<Fn>>;

// An owned file descriptor, closed on destruction.
class UniqueFd
{
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) noexcept : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept
    {
        if (this != &other) {
            reset(other.release());
        }
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const noexcept { return fd_; }
    bool valid() const noexcept { return fd_ >= 0; }
    explicit operator bool() const noexcept { return valid(); }
    int release() noexcept
    {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }
    void reset(int fd = -1) noexcept
    {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

} // namespace dvs::util
