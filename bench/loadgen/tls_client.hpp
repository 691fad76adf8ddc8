// TLS for the generator's WebSocket clients (wss://), straight on OpenSSL. Its BIO
// reads with recvmsg() so that a TLS subscriber keeps the kernel's receive
// timestamps, as a plain one does; everything else is OpenSSL's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

using SSL_CTX = struct ssl_ctx_st;
using SSL = struct ssl_st;

namespace araldo::bench {

// What every wss connection of a run offers: TLS 1.3 only, TLS_AES_128_GCM_SHA256
// only, X25519 only, so that both relays negotiate the same thing whatever they
// prefer. The peer is verified against the CA file (the system's store when empty).
class tls_client {
public:
    // Throws std::runtime_error naming the file when the CA does not load.
    tls_client(const std::string& ca_file, bool release_buffers);
    ~tls_client();
    tls_client(const tls_client&) = delete;
    tls_client& operator=(const tls_client&) = delete;
    SSL_CTX* native() const { return ctx_; }

private:
    SSL_CTX* ctx_ = nullptr;
};

// One client connection. Owns its SSL, not the socket.
class tls_conn {
public:
    enum : long { would_block = -1, failed = -2 };

    tls_conn();
    ~tls_conn();
    tls_conn(tls_conn&&) noexcept;
    tls_conn& operator=(tls_conn&&) noexcept;

    // Blocking handshake on a connected socket (its SO_RCVTIMEO bounds the wait);
    // the certificate must name `host` (an IP address or a DNS name).
    bool handshake(const tls_client& ctx, int fd, const std::string& host, std::string& err);
    explicit operator bool() const { return st_ != nullptr; }

    // Bytes moved (> 0), 0 when the peer closed, would_block or failed.
    long read(char* p, std::size_t n);
    long write(const char* p, std::size_t n);
    // Decrypted or undecrypted bytes OpenSSL holds that epoll cannot see.
    bool has_pending() const;
    // The last read from the socket took everything the kernel had.
    bool drained() const;
    // The kernel's receive time (CLOCK_REALTIME ns) of the newest bytes read; 0: none.
    std::uint64_t stamp_wall_ns() const;
    std::string error() const;
    // "TLSv1.3 TLS_AES_128_GCM_SHA256 x25519"
    std::string describe() const;

private:
    struct state;
    std::unique_ptr<state> st_;
};

}  // namespace araldo::bench
