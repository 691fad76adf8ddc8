#include "redis_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace araldo::plugins::endpoint_redis {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

}  // namespace

asio::awaitable<error_code> redis_stream::connect(const redis_address& address, std::chrono::milliseconds timeout) {
    using namespace asio::experimental::awaitable_operators;
    close();
    asio::steady_timer timer(ex_, timeout);
    // A named local: g++ 12 destroys temporaries of a ?: inside co_await twice.
    asio::awaitable<error_code> attempt = address.unix_socket ? connect_unix(address) : connect_tcp(address);
    auto done = co_await (std::move(attempt) || timer.async_wait(use_tuple));
    if (done.index() == 1) {
        close();
        co_return error_code(asio::error::timed_out);
    }
    error_code ec = std::get<0>(done);
    if (ec) close();
    co_return ec;
}

asio::awaitable<error_code> redis_stream::connect_tcp(const redis_address& address) {
    asio::ip::tcp::resolver resolver(ex_);
    auto [rec, results] = co_await resolver.async_resolve(address.host, std::to_string(address.port), use_tuple);
    if (rec) co_return rec;
    auto& socket = socket_.emplace<asio::ip::tcp::socket>(ex_);
    auto [ec, endpoint] = co_await asio::async_connect(socket, results, use_tuple);
    if (ec) co_return ec;
    socket.set_option(asio::ip::tcp::no_delay(true), ec);  // pipelined small commands: no Nagle delay
    co_return error_code{};
}

asio::awaitable<error_code> redis_stream::connect_unix(const redis_address& address) {
    auto& socket = socket_.emplace<asio::local::stream_protocol::socket>(ex_);
    auto [ec] = co_await socket.async_connect(asio::local::stream_protocol::endpoint(address.path), use_tuple);
    co_return ec;
}

asio::awaitable<std::pair<error_code, std::size_t>> redis_stream::read_some(asio::mutable_buffer buf) {
    if (auto* tcp = std::get_if<asio::ip::tcp::socket>(&socket_)) {
        auto [ec, n] = co_await tcp->async_read_some(buf, use_tuple);
        co_return std::pair{ec, n};
    }
    if (auto* local = std::get_if<asio::local::stream_protocol::socket>(&socket_)) {
        auto [ec, n] = co_await local->async_read_some(buf, use_tuple);
        co_return std::pair{ec, n};
    }
    co_return std::pair{error_code(asio::error::not_connected), std::size_t{0}};
}

asio::awaitable<error_code> redis_stream::write(asio::const_buffer buf) {
    if (auto* tcp = std::get_if<asio::ip::tcp::socket>(&socket_)) {
        auto [ec, n] = co_await asio::async_write(*tcp, buf, use_tuple);
        co_return ec;
    }
    if (auto* local = std::get_if<asio::local::stream_protocol::socket>(&socket_)) {
        auto [ec, n] = co_await asio::async_write(*local, buf, use_tuple);
        co_return ec;
    }
    co_return error_code(asio::error::not_connected);
}

void redis_stream::close() noexcept {
    error_code ignored;
    if (auto* tcp = std::get_if<asio::ip::tcp::socket>(&socket_)) tcp->close(ignored);
    if (auto* local = std::get_if<asio::local::stream_protocol::socket>(&socket_)) local->close(ignored);
}

bool redis_stream::is_open() const noexcept {
    if (auto* tcp = std::get_if<asio::ip::tcp::socket>(&socket_)) return tcp->is_open();
    if (auto* local = std::get_if<asio::local::stream_protocol::socket>(&socket_)) return local->is_open();
    return false;
}

}  // namespace araldo::plugins::endpoint_redis
