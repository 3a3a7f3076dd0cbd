// SPDX-License-Identifier: LGPL-2.1-or-later
#include "error.h"

namespace dvs {

namespace {

struct ErrorText
{
    ErrorCode code;
    const char* bare;     // used when there is no detail
    const char* withInfo; // "%s" marks the detail
};

// libvirt's virErrorMsgStrings for the codes we use (src/util/virerror.c).
constexpr ErrorText kErrorTexts[] = {
    {ErrorCode::InternalError, "internal error", "internal error: %s"},
    {ErrorCode::NoMemory, "out of memory", "out of memory: %s"},
    {ErrorCode::NoSupport, "this function is not supported by the connection driver",
     "this function is not supported by the connection driver: %s"},
    {ErrorCode::NoName, "missing name information", "missing name information in %s"},
    {ErrorCode::InvalidArg, "invalid argument", "invalid argument: %s"},
    {ErrorCode::OperationFailed, "operation failed", "operation failed: %s"},
    {ErrorCode::XmlError, "XML description is invalid or not well formed", "XML error: %s"},
    {ErrorCode::OperationDenied, "operation forbidden for read only access",
     "operation forbidden: %s"},
    {ErrorCode::OpenFailed, "failed to open configuration file",
     "failed to open configuration file %s"},
    {ErrorCode::ReadFailed, "failed to read configuration file",
     "failed to read configuration file %s"},
    {ErrorCode::ParseFailed, "failed to parse configuration file",
     "failed to parse configuration file %s"},
    {ErrorCode::ConfSyntax, "configuration file syntax error",
     "configuration file syntax error: %s"},
    {ErrorCode::WriteFailed, "failed to write configuration file",
     "failed to write configuration file: %s"},
    {ErrorCode::XmlDetail, "parser error", "%s"},
    {ErrorCode::InvalidNetwork, "invalid network pointer in", "invalid network pointer in %s"},
    {ErrorCode::NetworkExist, "this network exists already", "network %s exists already"},
    {ErrorCode::SystemError, "system call error", "%s"},
    {ErrorCode::Rpc, "RPC error", "%s"},
    {ErrorCode::NoNetwork, "Network not found", "Network not found: %s"},
    {ErrorCode::InvalidMac, "invalid MAC address", "invalid MAC address: %s"},
    {ErrorCode::AuthFailed, "authentication failed", "authentication failed: %s"},
    {ErrorCode::OperationInvalid, "Requested operation is not valid",
     "Requested operation is not valid: %s"},
    {ErrorCode::ConfigUnsupported, "unsupported configuration", "unsupported configuration: %s"},
    {ErrorCode::OperationTimeout, "Timed out during operation", "Timed out during operation: %s"},
    {ErrorCode::HookScriptFailed, "Hook script execution failed",
     "Hook script execution failed: %s"},
    {ErrorCode::ArgumentUnsupported, "argument unsupported", "argument unsupported: %s"},
    {ErrorCode::Overflow, "numerical overflow", "numerical overflow: %s"},
    {ErrorCode::OperationUnsupported, "Operation not supported", "Operation not supported: %s"},
    {ErrorCode::ResourceBusy, "resource busy", "resource busy: %s"},
    {ErrorCode::DbusService, "error from service", "error from service: %s"},
    {ErrorCode::XmlInvalidSchema, "XML document failed to validate against schema",
     "XML document failed to validate against schema: %s"},
    {ErrorCode::AuthUnavailable, "authentication unavailable", "authentication unavailable: %s"},
    {ErrorCode::DeviceMissing, "device not found", "device not found: %s"},
    {ErrorCode::InvalidNetworkPort, "Invalid network port pointer",
     "Invalid network port pointer: %s"},
    {ErrorCode::NetworkPortExist, "this network port exists already",
     "network port %s exists already"},
    {ErrorCode::NoNetworkPort, "network port not found", "network port not found: %s"},
};

} // namespace

std::string Error::formatFull(ErrorCode code, std::string_view detail)
{
    for (const auto& text : kErrorTexts) {
        if (text.code != code) {
            continue;
        }
        if (detail.empty()) {
            return text.bare;
        }
        std::string_view pattern = text.withInfo;
        auto pos = pattern.find("%s");
        std::string out(pattern.substr(0, pos));
        out += detail;
        out += pattern.substr(pos + 2);
        return out;
    }
    return std::string(detail);
}

} // namespace dvs
