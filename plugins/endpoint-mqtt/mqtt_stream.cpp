#include "mqtt_stream.hpp"

#include <araldo/tls.hpp>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace araldo::plugins::endpoint_mqtt {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

}  // namespace

asio::awaitable<araldo::result<>> mqtt_stream::connect(const std::string& host, std::uint16_t port,
                                                       asio::ssl::context* tls) {
    using araldo::result;
    close();
    asio::ip::tcp::resolver resolver(ex_);
    auto [rec, results] = co_await resolver.async_resolve(host, std::to_string(port), use_tuple);
    if (rec) co_return result<>::fail("cannot resolve " + host + ": " + rec.message());
    asio::ip::tcp::socket* tcp = nullptr;
    if (tls) {
        tcp = &std::get<tls_socket>(socket_.emplace(std::in_place_type<tls_socket>, ex_, *tls)).next_layer();
    } else {
        tcp = &std::get<asio::ip::tcp::socket>(socket_.emplace(std::in_place_type<asio::ip::tcp::socket>, ex_));
    }
    auto [ec, endpoint] = co_await asio::async_connect(*tcp, results, use_tuple);
    if (ec) co_return result<>::fail(ec.message());
    tcp->set_option(asio::ip::tcp::no_delay(true), ec);  // acknowledgements and pings are small: no Nagle delay
    if (!tls) {
        tcp->non_blocking(true, ec);  // for read_ready(); Asio's asynchronous operations are unaffected
        co_return result<>::ok();
    }
    auto& stream = std::get<tls_socket>(*socket_);
    if (auto prepared = araldo::prepare_tls_client(stream.native_handle(), host); !prepared)
        co_return result<>::fail("TLS: " + prepared.reason());
    auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (!hec) co_return result<>::ok();
    std::string why = hec.message();
    if (const long v = ::SSL_get_verify_result(stream.native_handle()); v != X509_V_OK)
        why = std::string("the broker's certificate: ") + ::X509_verify_cert_error_string(v);
    co_return result<>::fail("TLS: " + why);
}

asio::awaitable<std::pair<error_code, std::size_t>> mqtt_stream::read_some(asio::mutable_buffer buf) {
    if (!socket_) co_return std::pair{error_code(asio::error::not_connected), std::size_t{0}};
    // Not a coroutine: each alternative returns the same awaitable type.
    auto op = std::visit([buf](auto& s) { return s.async_read_some(buf, use_tuple); }, *socket_);
    auto [ec, n] = co_await std::move(op);
    // A broker may close TLS without close_notify; MQTT's lengths tell a cut packet anyway.
    if (ec == asio::ssl::error::stream_truncated) ec = asio::error::eof;
    co_return std::pair{ec, n};
}

std::size_t mqtt_stream::read_ready(asio::mutable_buffer buf, error_code& ec) {
    ec.clear();
    auto* tcp = socket_ ? std::get_if<asio::ip::tcp::socket>(&*socket_) : nullptr;
    if (!tcp) return 0;
    const std::size_t n = tcp->read_some(buf, ec);
    if (ec == asio::error::would_block) ec.clear();
    return n;
}

asio::awaitable<error_code> mqtt_stream::write(asio::const_buffer buf) {
    if (!socket_) co_return error_code(asio::error::not_connected);
    auto op = std::visit([buf](auto& s) { return asio::async_write(s, buf, use_tuple); }, *socket_);
    auto [ec, n] = co_await std::move(op);
    co_return ec;
}

void mqtt_stream::close() noexcept {
    if (!socket_) return;
    error_code ignored;
    // No close_notify: it would wait on a broker that may be gone.
    std::visit([&](auto& s) { s.lowest_layer().close(ignored); }, *socket_);
}

}  // namespace araldo::plugins::endpoint_mqtt
