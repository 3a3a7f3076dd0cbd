// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ovsdb/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <fmt/format.h>

#include "util/cdeleter.h"
#include "util/error.h"

namespace dvs::ovsdb {

namespace {

using SslCtxPtr = util::CPtr<SSL_CTX, SSL_CTX_free>;
using SslPtr = util::CPtr<SSL, SSL_free>;

// OpenSSL's queued reasons, most recent last, as one sentence; clears the queue.
std::string openSslErrors()
{
    std::string text;
    while (unsigned long code = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        if (!text.empty()) {
            text += "; ";
        }
        text += buffer;
    }
    return text.empty() ? "unknown error" : text;
}

} // namespace

struct TlsSession::Handles
{
    SslCtxPtr ctx;
    SslPtr ssl;
    BIO* in = nullptr;  // owned by ssl
    BIO* out = nullptr; // owned by ssl
};

TlsSession::TlsSession(const TlsOptions& options, std::string peer)
    : handles_(std::make_unique<Handles>()), peer_(std::move(peer))
{
    ERR_clear_error();
    auto need = [&](const std::filesystem::path& path, const char* what) {
        if (path.empty()) {
            raise(ErrorCode::AuthFailed,
                  "OVSDB remote '{}' needs a {} (ssl: remotes need a "
                  "private key, a certificate and a CA certificate)",
                  peer_, what);
        }
    };
    need(options.privateKey, "private key");
    need(options.certificate, "certificate");
    need(options.caCert, "CA certificate");
    handles_->ctx.reset(SSL_CTX_new(TLS_client_method()));
    if (!handles_->ctx) {
        fail("cannot create a TLS context");
    }
    SSL_CTX* ctx = handles_->ctx.get();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(ctx, options.certificate.c_str()) != 1) {
        fail(fmt::format("cannot use certificate '{}'", options.certificate.string()));
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, options.privateKey.c_str(), SSL_FILETYPE_PEM) != 1) {
        fail(fmt::format("cannot use private key '{}'", options.privateKey.string()));
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        fail(fmt::format("private key '{}' does not match certificate '{}'",
                         options.privateKey.string(), options.certificate.string()));
    }
    if (SSL_CTX_load_verify_locations(ctx, options.caCert.c_str(), nullptr) != 1) {
        fail(fmt::format("cannot use CA certificate '{}'", options.caCert.string()));
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);

    handles_->ssl.reset(SSL_new(ctx));
    handles_->in = BIO_new(BIO_s_mem());
    handles_->out = BIO_new(BIO_s_mem());
    if (!handles_->ssl || handles_->in == nullptr || handles_->out == nullptr) {
        BIO_free(handles_->in);
        BIO_free(handles_->out);
        fail("cannot create a TLS session");
    }
    SSL_set_bio(handles_->ssl.get(), handles_->in, handles_->out);
    SSL_set_connect_state(handles_->ssl.get());
}

TlsSession::~TlsSession() = default;

void TlsSession::fail(std::string_view what) const
{
    raise(ErrorCode::AuthFailed, "TLS with OVSDB server '{}' failed: {}: {}", peer_, what,
          openSslErrors());
}

bool TlsSession::handshake()
{
    if (established_) {
        return true;
    }
    ERR_clear_error();
    int rc = SSL_do_handshake(handles_->ssl.get());
    if (rc == 1) {
        established_ = true;
        return true;
    }
    int error = SSL_get_error(handles_->ssl.get(), rc);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
        return false;
    }
    long verify = SSL_get_verify_result(handles_->ssl.get());
    if (verify != X509_V_OK) {
        raise(ErrorCode::AuthFailed,
              "TLS with OVSDB server '{}' failed: its certificate is not trusted: {}", peer_,
              X509_verify_cert_error_string(verify));
    }
    fail("handshake");
}

void TlsSession::feed(std::string_view cipher)
{
    while (!cipher.empty()) {
        int n = BIO_write(handles_->in, cipher.data(), static_cast<int>(cipher.size()));
        if (n <= 0) {
            fail("cannot buffer received data");
        }
        cipher.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::size_t TlsSession::readPlain(char* buffer, std::size_t size)
{
    if (!established_) {
        return 0;
    }
    ERR_clear_error();
    std::size_t read = 0;
    int rc = SSL_read_ex(handles_->ssl.get(), buffer, size, &read);
    if (rc == 1) {
        return read;
    }
    int error = SSL_get_error(handles_->ssl.get(), rc);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
        return 0;
    }
    if (error == SSL_ERROR_ZERO_RETURN) {
        raise(ErrorCode::SystemError, "OVSDB server '{}' closed the TLS session.", peer_);
    }
    raise(ErrorCode::SystemError, "TLS with OVSDB server '{}' failed: {}", peer_, openSslErrors());
}

void TlsSession::writePlain(std::string_view plain)
{
    ERR_clear_error();
    while (!plain.empty()) {
        std::size_t written = 0;
        if (SSL_write_ex(handles_->ssl.get(), plain.data(), plain.size(), &written) != 1) {
            raise(ErrorCode::SystemError, "TLS with OVSDB server '{}' failed: {}", peer_,
                  openSslErrors());
        }
        plain.remove_prefix(written);
    }
}

void TlsSession::takeCipher(std::string& out)
{
    char buffer[16384];
    while (BIO_ctrl_pending(handles_->out) > 0) {
        int n = BIO_read(handles_->out, buffer, sizeof buffer);
        if (n <= 0) {
            break;
        }
        out.append(buffer, static_cast<std::size_t>(n));
    }
}

} // namespace dvs::ovsdb
