// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <utility>
#include <variant>

#include "util/error.h"

namespace dvs::ovsdb {

// The outcome of an asynchronous operation: a value or the Error that prevented it. Completion
// callbacks receive errors this way (docs/architecture.md, "Layers"), never as exceptions.
template <typename T>
class Result
{
public:
    Result(T value) : value_(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : value_(std::in_place_index<1>, std::move(error)) {}

    bool ok() const noexcept { return value_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    // The value; throws the Error when there is none.
    T& value()
    {
        if (!ok()) {
            throw std::get<1>(value_);
        }
        return std::get<0>(value_);
    }
    const T& value() const
    {
        if (!ok()) {
            throw std::get<1>(value_);
        }
        return std::get<0>(value_);
    }
    // The error; only when !ok().
    const Error& error() const { return std::get<1>(value_); }

private:
    std::variant<T, Error> value_;
};

} // namespace dvs::ovsdb
