// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <exception>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace dvs {

// libvirt's virErrorNumber (include/libvirt/virterror.h). These numbers are ABI: they travel on
// the wire in remote_error, so only libvirt's own values appear here. A test checks each one
// against libvirt's header.
enum class ErrorCode : int
{
    Ok = 0,
    InternalError = 1,
    NoMemory = 2,
    NoSupport = 3,
    NoName = 21,
    InvalidArg = 8,
    OperationFailed = 9,
    XmlError = 27,
    OperationDenied = 29,
    OpenFailed = 30,
    ReadFailed = 31,
    ParseFailed = 32,
    ConfSyntax = 33,
    WriteFailed = 34,
    XmlDetail = 35,
    InvalidNetwork = 36,
    NetworkExist = 37,
    SystemError = 38,
    Rpc = 39,
    NoNetwork = 43,
    InvalidMac = 44,
    AuthFailed = 45,
    OperationInvalid = 55,
    ConfigUnsupported = 67,
    OperationTimeout = 68,
    HookScriptFailed = 70,
    ArgumentUnsupported = 74,
    Overflow = 82,
    OperationUnsupported = 84,
    ResourceBusy = 87,
    DbusService = 89,
    XmlInvalidSchema = 92,
    AuthUnavailable = 94,
    DeviceMissing = 99,
    InvalidNetworkPort = 105,
    NetworkPortExist = 106,
    NoNetworkPort = 107,
};

// libvirt's virErrorDomain (the subset we raise).
enum class ErrorDomain : int
{
    None = 0,
    Xml = 5,
    Rpc = 7,
    Remote = 13,
    Network = 19,
};

// One error, as libvirt reports it: a code, a domain and a message. The message is the detail
// part (what libvirt passes to virReportError); fullMessage() adds libvirt's per-code prefix, so
// it reads exactly as virsh prints it after "error: ".
class Error : public std::exception
{
public:
    Error(ErrorCode code, std::string message, ErrorDomain domain = ErrorDomain::Network)
        : code_(code), domain_(domain), message_(std::move(message)),
          full_(formatFull(code, message_))
    {}

    ErrorCode code() const noexcept { return code_; }
    ErrorDomain domain() const noexcept { return domain_; }
    // The detail message, without libvirt's prefix.
    const std::string& message() const noexcept { return message_; }
    // The message with libvirt's prefix for the code ("XML error: ...").
    const std::string& fullMessage() const noexcept { return full_; }
    const char* what() const noexcept override { return full_.c_str(); }

    // libvirt's text for an error code with a detail, as virErrorMsg() formats it.
    static std::string formatFull(ErrorCode code, std::string_view detail);

private:
    ErrorCode code_;
    ErrorDomain domain_;
    std::string message_;
    std::string full_;
};

// Throws an Error with a message formatted by fmt.
template <typename... Args>
[[noreturn]] void raise(ErrorCode code, fmt::format_string<Args...> format, Args&&... args)
{
    throw Error(code, fmt::format(format, std::forward<Args>(args)...));
}

} // namespace dvs
