// SPDX-License-Identifier: LGPL-2.1-or-later
#include <catch2/catch.hpp>
#include <libvirt/virterror.h>

#include "util/error.h"

using dvs::Error;
using dvs::ErrorCode;

TEST_CASE("error codes are libvirt's numbers")
{
    // Codes travel on the wire: each one must be libvirt's own value.
    STATIC_REQUIRE(static_cast<int>(ErrorCode::InternalError) == VIR_ERR_INTERNAL_ERROR);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::NoSupport) == VIR_ERR_NO_SUPPORT);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::InvalidArg) == VIR_ERR_INVALID_ARG);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::OperationFailed) == VIR_ERR_OPERATION_FAILED);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::XmlError) == VIR_ERR_XML_ERROR);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::OperationDenied) == VIR_ERR_OPERATION_DENIED);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::OpenFailed) == VIR_ERR_OPEN_FAILED);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::ReadFailed) == VIR_ERR_READ_FAILED);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::ParseFailed) == VIR_ERR_PARSE_FAILED);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::ConfSyntax) == VIR_ERR_CONF_SYNTAX);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::WriteFailed) == VIR_ERR_WRITE_FAILED);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::XmlDetail) == VIR_ERR_XML_DETAIL);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::InvalidNetwork) == VIR_ERR_INVALID_NETWORK);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::NetworkExist) == VIR_ERR_NETWORK_EXIST);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::SystemError) == VIR_ERR_SYSTEM_ERROR);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::Rpc) == VIR_ERR_RPC);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::NoNetwork) == VIR_ERR_NO_NETWORK);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::InvalidMac) == VIR_ERR_INVALID_MAC);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::AuthFailed) == VIR_ERR_AUTH_FAILED);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::AuthUnavailable) == VIR_ERR_AUTH_UNAVAILABLE);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::DbusService) == VIR_ERR_DBUS_SERVICE);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::OperationInvalid) == VIR_ERR_OPERATION_INVALID);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::ConfigUnsupported) == VIR_ERR_CONFIG_UNSUPPORTED);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::OperationTimeout) == VIR_ERR_OPERATION_TIMEOUT);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::HookScriptFailed) == VIR_ERR_HOOK_SCRIPT_FAILED);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::ArgumentUnsupported) ==
                   VIR_ERR_ARGUMENT_UNSUPPORTED);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::Overflow) == VIR_ERR_OVERFLOW);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::OperationUnsupported) ==
                   VIR_ERR_OPERATION_UNSUPPORTED);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::ResourceBusy) == VIR_ERR_RESOURCE_BUSY);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::XmlInvalidSchema) == VIR_ERR_XML_INVALID_SCHEMA);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::DeviceMissing) == VIR_ERR_DEVICE_MISSING);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::InvalidNetworkPort) == VIR_ERR_INVALID_NETWORK_PORT);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::NetworkPortExist) == VIR_ERR_NETWORK_PORT_EXIST);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::NoNetworkPort) == VIR_ERR_NO_NETWORK_PORT);
    STATIC_REQUIRE(static_cast<int>(ErrorCode::NoName) == VIR_ERR_NO_NAME);
    STATIC_REQUIRE(static_cast<int>(dvs::ErrorDomain::Network) == VIR_FROM_NETWORK);
    STATIC_REQUIRE(static_cast<int>(dvs::ErrorDomain::Rpc) == VIR_FROM_RPC);
    STATIC_REQUIRE(static_cast<int>(dvs::ErrorDomain::Xml) == VIR_FROM_XML);
}

TEST_CASE("error messages carry libvirt's prefixes")
{
    Error notFound(ErrorCode::NoNetwork, "no network with matching name 'x'");
    CHECK(notFound.fullMessage() == "Network not found: no network with matching name 'x'");
    CHECK(notFound.message() == "no network with matching name 'x'");
    CHECK(notFound.domain() == dvs::ErrorDomain::Network);

    CHECK(Error(ErrorCode::NetworkExist, "'web'").fullMessage() == "network 'web' exists already");
    CHECK(Error(ErrorCode::XmlDetail, "(x):1: boom").fullMessage() == "(x):1: boom");
    CHECK(Error(ErrorCode::XmlError, "").fullMessage() ==
          "XML description is invalid or not well formed");
    CHECK_THROWS_MATCHES(
        dvs::raise(ErrorCode::OperationInvalid, "network '{}' is not active", "a"), Error,
        Catch::Matchers::Message("Requested operation is not valid: network 'a' is not active"));
}
