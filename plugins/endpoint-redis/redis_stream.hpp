// The byte stream to a Redis server: TCP, TLS over TCP (rediss://) or a unix
// socket. The protocol code only sees connect / read_some / write / close, the
// same for all three.
#pragma once

#include "redis_url.hpp"

#include <araldo/result.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace araldo::plugins::endpoint_redis {

namespace asio = boost::asio;
using boost::system::error_code;

// Why a read or write failed, for logs and health: "read failed: ..." or,
// for an error of the TLS layer (an alert from Redis, a broken record),
// "TLS error: ...".
std::string io_failure(std::string_view doing, const error_code& ec);

class redis_stream {
public:
    explicit redis_stream(asio::any_io_executor ex) : ex_(std::move(ex)) {}

    // The context rediss:// connections use; set before the first connect
    // (it is made in start(): it reads the CA and certificate files). The
    // caller owns it, and keeps it for the stream's life.
    void use_tls(asio::ssl::context& ctx) noexcept { tls_ = &ctx; }

    // Resolves, connects and, for rediss://, completes the TLS handshake
    // (closing any previous connection), giving up after `timeout`. Fails with
    // the reason for logs and health: "cannot connect: ..." or "TLS handshake
    // failed: ...".
    asio::awaitable<araldo::result<>> connect(const redis_address& address, std::chrono::milliseconds timeout);
    // At least one byte; eof when the server closed the connection.
    asio::awaitable<std::pair<error_code, std::size_t>> read_some(asio::mutable_buffer buf);
    asio::awaitable<error_code> write(asio::const_buffer buf);
    // After a write failed with no read pending: under TLS 1.3 Redis refuses
    // a client certificate after the handshake, and the alert saying so
    // arrives just before the reset the first write meets. Returns that
    // alert when it is there to read, else `write_error`.
    asio::awaitable<error_code> alert_before(error_code write_error);
    // Closes the connection: pending operations complete with operation_aborted.
    void close() noexcept;
    bool is_open() const noexcept;

private:
    using tls_socket = asio::ssl::stream<asio::ip::tcp::socket>;

    asio::awaitable<araldo::result<>> connect_tcp(const redis_address& address);
    asio::awaitable<araldo::result<>> handshake(tls_socket& socket, const std::string& host);
    asio::awaitable<araldo::result<>> connect_unix(const redis_address& address);

    asio::any_io_executor ex_;
    asio::ssl::context* tls_ = nullptr;
    bool handshaking_ = false;  // for the timeout's reason: the TCP connection was made
    // Empty before the first connect. A TLS session cannot be reused after it
    // failed or closed, so every connect builds the socket anew.
    std::optional<std::variant<asio::ip::tcp::socket, tls_socket, asio::local::stream_protocol::socket>> socket_;
};

}  // namespace araldo::plugins::endpoint_redis
