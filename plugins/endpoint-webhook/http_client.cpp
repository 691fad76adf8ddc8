#include "http_client.hpp"

#include <araldo/tls.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/ssl.h>

#include <array>
#include <optional>
#include <variant>

namespace araldo::plugins::endpoint_webhook {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t header_limit = 16 * 1024;

using request = http::request<http::string_body>;
using https_stream = beast::ssl_stream<beast::tcp_stream>;

// A stale kept-alive connection fails like this before any response byte:
// worth one immediate retry on a fresh connection.
bool stale_connection(const error_code& ec) {
    return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
           ec == asio::error::broken_pipe;
}

struct connection {
    std::optional<beast::tcp_stream> tcp;
    std::optional<https_stream> tls;
    beast::flat_buffer buffer;

    bool open() const { return tcp.has_value() || tls.has_value(); }
    beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *tcp; }
    void close() {
        if (!open()) return;
        error_code ignored;
        lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
        lowest().close();
    }
    void reset() {
        close();
        tls.reset();
        tcp.reset();
        buffer.clear();
    }
};

// Reads the response: status, Retry-After, and the body, discarded, within
// `body_limit` bytes (an endless body ends in http::error::body_limit, the
// buffers stay at a chunk and one read). The status is filled in as soon as
// the head is read, even when an error follows.
template <class Stream>
asio::awaitable<error_code> read_response(Stream& s, beast::flat_buffer& buf, attempt_result& r, bool& keep_alive,
                                          std::uint64_t body_limit, std::size_t keep) {
    http::response_parser<http::buffer_body> p;
    p.header_limit(header_limit);
    p.body_limit(body_limit);
    auto [ec, n] = co_await http::async_read_header(s, buf, p, use_tuple);
    if (p.is_header_done()) {
        r.status = p.get().result_int();
        if (auto it = p.get().find(http::field::retry_after); it != p.get().end()) {
            r.retry_after = parse_retry_after(it->value(), std::chrono::system_clock::now());
        }
        keep_alive = p.get().keep_alive();
    }
    if (ec) co_return ec;
    std::array<char, 8192> chunk;
    while (!p.is_done()) {
        p.get().body().data = chunk.data();
        p.get().body().size = chunk.size();
        auto [rec, m] = co_await http::async_read(s, buf, p, use_tuple);
        const std::size_t got = chunk.size() - p.get().body().size;
        r.body_bytes += got;
        if (r.body_head.size() < keep) r.body_head.append(chunk.data(), std::min(got, keep - r.body_head.size()));
        if (rec && rec != http::error::need_buffer) co_return rec;
    }
    co_return error_code{};
}

}  // namespace

struct http_client::impl {
    asio::any_io_executor ex;
    target_url url;
    std::uint64_t max_body = 0;
    std::size_t keep_body = 0;
    std::optional<asio::ssl::context> ssl;
    std::vector<connection> slots;
    bool closed = false;

    asio::awaitable<error_code> connect(connection& c, std::chrono::steady_clock::time_point deadline);
    asio::awaitable<error_code> exchange(connection& c, request& req, attempt_result& r);
};

asio::awaitable<error_code> http_client::impl::connect(connection& c, std::chrono::steady_clock::time_point deadline) {
    using namespace asio::experimental::awaitable_operators;
    c.reset();
    // The resolver has no deadline of its own: race it against the attempt's.
    tcp::resolver resolver(ex);
    asio::steady_timer timer(ex, deadline);
    auto first = co_await (resolver.async_resolve(url.host, url.port, use_tuple) || timer.async_wait(use_tuple));
    if (first.index() == 1) co_return beast::error::timeout;
    auto [rec, endpoints] = std::get<0>(std::move(first));
    if (rec) co_return rec;
    if (closed) co_return asio::error::operation_aborted;
    if (url.tls) {
        if (!ssl) co_return asio::error::operation_not_supported;  // load_tls() was not called: a bug
        c.tls.emplace(ex, *ssl);
    } else {
        c.tcp.emplace(ex);
    }
    c.lowest().expires_at(deadline);
    auto [ec, ep] = co_await c.lowest().async_connect(endpoints, use_tuple);
    if (ec || !c.tls) co_return ec;
    if (!araldo::prepare_tls_client(c.tls->native_handle(), url.host)) co_return asio::error::invalid_argument;
    auto [hec] = co_await c.tls->async_handshake(asio::ssl::stream_base::client, use_tuple);
    co_return hec;
}

asio::awaitable<error_code> http_client::impl::exchange(connection& c, request& req, attempt_result& r) {
    bool keep_alive = false;
    error_code ec;
    if (c.tls) {
        auto [wec, n] = co_await http::async_write(*c.tls, req, use_tuple);
        ec = wec ? wec : co_await read_response(*c.tls, c.buffer, r, keep_alive, max_body, keep_body);
    } else {
        auto [wec, n] = co_await http::async_write(*c.tcp, req, use_tuple);
        ec = wec ? wec : co_await read_response(*c.tcp, c.buffer, r, keep_alive, max_body, keep_body);
    }
    if (ec || !keep_alive) c.reset();
    co_return ec;
}

http_client::http_client(asio::any_io_executor ex, target_url url, std::size_t slots, std::uint64_t max_response_body)
    : impl_(std::make_unique<impl>()) {
    impl_->ex = std::move(ex);
    impl_->max_body = max_response_body;
    impl_->url = std::move(url);
    impl_->slots.resize(slots);
}

void http_client::load_tls() {
    if (!impl_->url.tls || impl_->ssl) return;
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    araldo::configure_tls_client(ctx, impl_->url.tls_files);
    impl_->ssl.emplace(std::move(ctx));
}

http_client::~http_client() { close_all(); }

void http_client::keep_response_body(std::size_t bytes) { impl_->keep_body = bytes; }

asio::awaitable<attempt_result> http_client::post(std::size_t slot, string_pairs headers, std::string body,
                                                  araldo::duration timeout) {
    auto started = std::chrono::steady_clock::now();
    auto deadline = started + timeout;  // for everything, a reconnect included
    request req{http::verb::post, impl_->url.target, 11};
    req.set(http::field::host, impl_->url.host_header);
    req.set(http::field::user_agent, "araldo-webhook");
    for (auto& [name, value] : headers) req.set(name, value);
    req.body() = std::move(body);
    req.prepare_payload();
    req.keep_alive(true);

    attempt_result r;
    error_code ec;
    for (int round = 0; round < 2; ++round) {
        // A slot belongs to one worker and `slots` never resizes: its
        // connection stays put while this coroutine is suspended.
        connection& c = impl_->slots.at(slot);
        bool reused = c.open();
        if (reused) {
            c.lowest().expires_at(deadline);
        } else {
            ec = co_await impl_->connect(c, deadline);
            if (ec) {
                c.reset();
                break;
            }
        }
        ec = co_await impl_->exchange(c, req, r);
        if (!ec || !reused || r.status != 0 || !stale_connection(ec) || impl_->closed) break;
    }
    r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    if (ec && r.status != 0) {
        // An answer counts only when it arrives whole, within the timeout and
        // the body limit: a receiver streaming forever must not pass for one
        // that took the delivery.
        std::string why = ec == http::error::body_limit ? "a body over " + std::to_string(impl_->max_body) + " bytes"
                          : ec == beast::error::timeout
                              ? "no end of the body within " + std::to_string(timeout.count()) + " ms"
                              : ec.message();
        r.error = "HTTP " + std::to_string(r.status) + " with " + why;
        r.timed_out = ec == beast::error::timeout;
        r.status = 0;
        r.retry_after.reset();
    } else if (ec) {
        r.timed_out = ec == beast::error::timeout;
        r.error = r.timed_out ? "timeout after " + std::to_string(timeout.count()) + " ms" : ec.message();
    }
    co_return r;
}

void http_client::close_all() {
    impl_->closed = true;
    for (auto& c : impl_->slots) c.close();
}

}  // namespace araldo::plugins::endpoint_webhook
