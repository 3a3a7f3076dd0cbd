// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace dvs::ovsdb {

// The files of an ssl: remote, as ovsdb-client's --private-key, --certificate and --ca-cert
// take them (PEM).
struct TlsOptions
{
    std::filesystem::path privateKey;
    std::filesystem::path certificate;
    std::filesystem::path caCert;

    bool empty() const { return privateKey.empty() && certificate.empty() && caCert.empty(); }
};

// The client side of one TLS session over a byte stream that the caller moves (OpenSSL with
// memory buffers): the caller feeds what it receives from the socket, sends what takeCipher()
// returns, and reads and writes plaintext. The server's certificate must be signed by the CA
// (as ovsdb-server checks its clients'); its name is not checked, as Open vSwitch does not.
// Methods throw Error(AuthFailed) when the handshake fails (naming OpenSSL's reason) and
// Error(SystemError) when the session breaks.
class TlsSession
{
public:
    // Reads the key, certificate and CA; throws Error(AuthFailed) naming the file that cannot
    // be used. peer names the remote in messages.
    TlsSession(const TlsOptions& options, std::string peer);
    ~TlsSession();
    TlsSession(const TlsSession&) = delete;
    TlsSession& operator=(const TlsSession&) = delete;

    // Advances the handshake; true once it is complete.
    bool handshake();
    bool established() const noexcept { return established_; }

    // Ciphertext received from the peer.
    void feed(std::string_view cipher);
    // Moves decrypted bytes into buffer; returns how many (0: none available yet). Throws
    // Error(SystemError) when the peer closed the session.
    std::size_t readPlain(char* buffer, std::size_t size);
    // Encrypts plaintext (only once established).
    void writePlain(std::string_view plain);
    // The ciphertext to send, appended to out.
    void takeCipher(std::string& out);

private:
    [[noreturn]] void fail(std::string_view what) const;

    struct Handles;
    std::unique_ptr<Handles> handles_;
    std::string peer_;
    bool established_ = false;
};

} // namespace dvs::ovsdb
