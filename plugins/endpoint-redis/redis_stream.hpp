// The byte stream to a Redis server: TCP or a unix socket. The protocol code
// only sees connect / read_some / write / close, so a TLS stream can be added
// here later without touching it.
#pragma once

#include "redis_url.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <utility>
#include <variant>

namespace araldo::plugins::endpoint_redis {

namespace asio = boost::asio;
using boost::system::error_code;

class redis_stream {
public:
    explicit redis_stream(asio::any_io_executor ex) : ex_(std::move(ex)) {}

    // Resolves and connects (closing any previous connection), giving up after `timeout`.
    asio::awaitable<error_code> connect(const redis_address& address, std::chrono::milliseconds timeout);
    // At least one byte; eof when the server closed the connection.
    asio::awaitable<std::pair<error_code, std::size_t>> read_some(asio::mutable_buffer buf);
    asio::awaitable<error_code> write(asio::const_buffer buf);
    // Closes the connection: pending operations complete with operation_aborted.
    void close() noexcept;
    bool is_open() const noexcept;

private:
    asio::awaitable<error_code> connect_tcp(const redis_address& address);
    asio::awaitable<error_code> connect_unix(const redis_address& address);

    asio::any_io_executor ex_;
    std::variant<std::monostate, asio::ip::tcp::socket, asio::local::stream_protocol::socket> socket_;
};

}  // namespace araldo::plugins::endpoint_redis
