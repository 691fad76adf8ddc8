#include "redis_stream.hpp"

#include <araldo/tls.hpp>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <string>

namespace araldo::plugins::endpoint_redis {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

araldo::result<> cannot_connect(const error_code& ec) {
    return araldo::result<>::fail("cannot connect: " + ec.message());
}

}  // namespace

asio::awaitable<araldo::result<>> redis_stream::connect(const redis_address& address,
                                                        std::chrono::milliseconds timeout) {
    using namespace asio::experimental::awaitable_operators;
    using araldo::result;
    close();
    handshaking_ = false;
    asio::steady_timer timer(ex_, timeout);
    // A named local: g++ 12 destroys temporaries of a ?: inside co_await twice.
    asio::awaitable<result<>> attempt = address.unix_socket ? connect_unix(address) : connect_tcp(address);
    auto done = co_await (std::move(attempt) || timer.async_wait(use_tuple));
    if (done.index() == 1) {
        close();
        co_return handshaking_ ? result<>::fail("TLS handshake failed: timed out")
                               : cannot_connect(asio::error::timed_out);
    }
    result<> r = std::get<0>(std::move(done));
    if (!r) close();
    co_return r;
}

asio::awaitable<araldo::result<>> redis_stream::connect_tcp(const redis_address& address) {
    asio::ip::tcp::resolver resolver(ex_);
    auto [rec, results] = co_await resolver.async_resolve(address.host, std::to_string(address.port), use_tuple);
    if (rec) co_return cannot_connect(rec);
    if (address.tls && !tls_) co_return araldo::result<>::fail("cannot connect: no TLS context");  // a bug, not config
    asio::ip::tcp::socket* tcp = nullptr;
    if (address.tls) {
        tcp = &std::get<tls_socket>(socket_.emplace(std::in_place_type<tls_socket>, ex_, *tls_)).next_layer();
    } else {
        tcp = &std::get<asio::ip::tcp::socket>(socket_.emplace(std::in_place_type<asio::ip::tcp::socket>, ex_));
    }
    auto [ec, endpoint] = co_await asio::async_connect(*tcp, results, use_tuple);
    if (ec) co_return cannot_connect(ec);
    tcp->set_option(asio::ip::tcp::no_delay(true), ec);  // pipelined small commands: no Nagle delay
    if (!address.tls) co_return araldo::result<>::ok();
    co_return co_await handshake(std::get<tls_socket>(*socket_), address.host);
}

asio::awaitable<araldo::result<>> redis_stream::handshake(tls_socket& socket, const std::string& host) {
    using araldo::result;
    if (auto prepared = araldo::prepare_tls_client(socket.native_handle(), host); !prepared)
        co_return result<>::fail("TLS handshake failed: " + prepared.reason());
    handshaking_ = true;
    auto [ec] = co_await socket.async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (!ec) co_return result<>::ok();
    std::string why = ec.message();
    if (const long v = ::SSL_get_verify_result(socket.native_handle()); v != X509_V_OK)
        why += std::string(": ") + ::X509_verify_cert_error_string(v);
    co_return result<>::fail("TLS handshake failed: " + why);
}

asio::awaitable<araldo::result<>> redis_stream::connect_unix(const redis_address& address) {
    auto& socket = std::get<asio::local::stream_protocol::socket>(
        socket_.emplace(std::in_place_type<asio::local::stream_protocol::socket>, ex_));
    auto [ec] = co_await socket.async_connect(asio::local::stream_protocol::endpoint(address.path), use_tuple);
    co_return ec ? cannot_connect(ec) : araldo::result<>::ok();
}

asio::awaitable<std::pair<error_code, std::size_t>> redis_stream::read_some(asio::mutable_buffer buf) {
    if (!socket_) co_return std::pair{error_code(asio::error::not_connected), std::size_t{0}};
    // Not a coroutine: each alternative returns the same awaitable type.
    auto op = std::visit([buf](auto& s) { return s.async_read_some(buf, use_tuple); }, *socket_);
    auto [ec, n] = co_await std::move(op);
    // Redis closes TLS connections without close_notify. A cut inside a
    // reply cannot pass for a whole one (RESP says every length), so the
    // missing close_notify is only the server having closed.
    if (ec == asio::ssl::error::stream_truncated) ec = asio::error::eof;
    co_return std::pair{ec, n};
}

asio::awaitable<error_code> redis_stream::write(asio::const_buffer buf) {
    if (!socket_) co_return error_code(asio::error::not_connected);
    auto op = std::visit([buf](auto& s) { return asio::async_write(s, buf, use_tuple); }, *socket_);
    auto [ec, n] = co_await std::move(op);
    co_return ec;
}

asio::awaitable<error_code> redis_stream::alert_before(error_code write_error) {
    auto* tls = socket_ ? std::get_if<tls_socket>(&*socket_) : nullptr;
    // Only after a reset: the socket is closed for reading too, so the read cannot wait.
    if (!tls || write_error != asio::error::connection_reset) co_return write_error;
    error_code ec;
    if (tls->next_layer().available(ec) == 0 || ec) co_return write_error;
    char byte = 0;
    auto [alert, n] = co_await tls->async_read_some(asio::buffer(&byte, 1), use_tuple);
    co_return alert.category() == asio::error::get_ssl_category() ? alert : write_error;
}

std::string io_failure(std::string_view doing, const error_code& ec) {
    if (ec.category() == asio::error::get_ssl_category()) return "TLS error: " + ec.message();
    return std::string(doing) + ": " + ec.message();
}

void redis_stream::close() noexcept {
    if (!socket_) return;
    error_code ignored;
    // No close_notify: it would wait on a peer that may be gone, and Redis does not need it.
    std::visit([&](auto& s) { s.lowest_layer().close(ignored); }, *socket_);
}

bool redis_stream::is_open() const noexcept {
    return socket_ && std::visit([](const auto& s) { return s.lowest_layer().is_open(); }, *socket_);
}

}  // namespace araldo::plugins::endpoint_redis
