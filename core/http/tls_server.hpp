// The server side of TLS on a listener: the SSL context made from a
// listener's `tls` block (re-made on SIGHUP), and the connection a handshake
// produces. OpenSSL runs directly on the socket's descriptor, not through a
// memory BIO pair as asio::ssl::stream does: that is what lets OpenSSL hand
// the record layer to the kernel (kTLS) where the kernel offers it, and it
// spares the two 17 KiB buffers asio's stream keeps per connection.
#pragma once

#include "config/listener_config.hpp"

#include <araldo/tls.hpp>
#include <araldo/units.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <memory>
#include <string>

struct ssl_ctx_st;
struct ssl_st;

namespace araldo::detail {

namespace asio = boost::asio;

// One SSL_CTX, shared by the connections made from it: a reload makes a new
// one for new connections while the old one lives on in the connections that
// hold it.
class tls_server_context {
public:
    // Reads the certificate, key and CA files. Throws std::runtime_error
    // naming the file and OpenSSL's reason.
    explicit tls_server_context(const tls_listener_config& config);
    ~tls_server_context();
    tls_server_context(const tls_server_context&) = delete;
    tls_server_context& operator=(const tls_server_context&) = delete;

    ssl_ctx_st* native() const noexcept { return ctx_; }
    const tls_listener_config& config() const noexcept { return config_; }

private:
    tls_listener_config config_;
    ssl_ctx_st* ctx_ = nullptr;
};

// Why a handshake failed, as the label of araldo_tls_handshake_failures_total.
// `detail` is for the log.
struct handshake_failure {
    std::string reason;  // timeout, closed, no_certificate, certificate, version, plaintext, protocol
    std::string detail;
};

// A TLS connection on an accepted socket, from the first handshake byte on.
// The socket must stay open (and in place) for as long as this lives.
class server_tls_connection final : public tls_stream {
public:
    server_tls_connection(std::shared_ptr<const tls_server_context> ctx, asio::ip::tcp::socket& socket);
    ~server_tls_connection() override;

    // One non-blocking handshake step: done (wait none, no error), a
    // readiness to wait for, or an error (then failure() says why).
    io_result handshake_step();
    handshake_failure failure(bool timed_out) const;

    io_result read(void* data, std::size_t size) override;
    io_result write(std::span<const boost::asio::const_buffer> buffers) override;
    bool has_buffered() const override;
    void close_notify() override;
    const tls_info& info() const override { return *info_; }
    // Shared with every request of the connection (http_request::tls).
    const std::shared_ptr<const tls_info>& shared_info() const { return info_; }

private:
    io_result step_result(int ret, std::size_t bytes);
    void collect_info();

    std::shared_ptr<const tls_server_context> ctx_;
    ssl_st* ssl_ = nullptr;
    std::shared_ptr<const tls_info> info_ = std::make_shared<tls_info>();
    unsigned long last_error_ = 0;  // OpenSSL's error queue, taken when a step fails
    int last_ssl_error_ = 0;
    // A write OpenSSL must retry: the plaintext gathered for it, kept until
    // it completes (the retry must offer the same bytes).
    std::string staged_;
};

// "kernel TLS (send and receive)", "userspace TLS (the kernel offers no tls
// module)" and the like: for the log line of a listener's first connection.
std::string describe_record_layer(const tls_info& info);

}  // namespace araldo::detail
