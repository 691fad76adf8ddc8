#include "upstream_client.hpp"

#include <araldo/tls.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/ssl.hpp>

#include <optional>
#include <vector>

namespace araldo::plugins::endpoint_upstream {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t header_limit = 16 * 1024;

using request = http::request<http::span_body<const char>>;
using https_stream = beast::ssl_stream<beast::tcp_stream>;

// A kept-alive connection the service closed while idle fails like this
// before any response byte: worth one retry on a fresh connection.
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

struct exchange_result {
    error_code ec;
    bool head_read = false;
};

template <class Stream>
asio::awaitable<exchange_result> exchange(Stream& s, beast::flat_buffer& buf, request& req, upstream_outcome& out,
                                          bool& keep_alive, std::uint64_t body_limit) {
    exchange_result r;
    auto [wec, n] = co_await http::async_write(s, req, use_tuple);
    if (wec) {
        r.ec = wec;
        co_return r;
    }
    http::response_parser<http::string_body> p;
    p.header_limit(header_limit);
    p.body_limit(body_limit);
    auto [ec, m] = co_await http::async_read(s, buf, p, use_tuple);
    r.head_read = p.is_header_done();
    r.ec = ec;
    if (ec) co_return r;
    auto res = p.release();
    keep_alive = res.keep_alive();
    out.status = res.result_int();
    if (auto it = res.find(http::field::content_type); it != res.end()) out.content_type = std::string(it->value());
    out.body = std::move(res.body());
    co_return r;
}

}  // namespace

struct upstream_client::impl {
    asio::any_io_executor ex;
    base_url url;
    string_pairs headers;
    std::uint64_t max_body = 0;
    std::optional<asio::ssl::context> ssl;
    std::vector<connection> slots;
    std::uint64_t opened = 0;
    bool closed = false;

    asio::awaitable<upstream_outcome> connect(connection& c, clock::time_point deadline);
    asio::awaitable<exchange_result> exchange(connection& c, request& req, upstream_outcome& out);
};

asio::awaitable<upstream_outcome> upstream_client::impl::connect(connection& c, clock::time_point deadline) {
    using namespace asio::experimental::awaitable_operators;
    c.reset();
    upstream_outcome o;
    auto fail = [&](failure f, std::string what) {
        c.reset();
        o.failed = f;
        o.what = std::move(what);
        return o;
    };
    // The resolver has no deadline of its own: race it against the request's.
    tcp::resolver resolver(ex);
    asio::steady_timer timer(ex, deadline);
    auto first = co_await (resolver.async_resolve(url.host, url.port, use_tuple) || timer.async_wait(use_tuple));
    if (first.index() == 1) co_return fail(failure::timeout, "timeout resolving " + url.host);
    auto [rec, endpoints] = std::get<0>(std::move(first));
    if (rec) co_return fail(failure::unreachable, "cannot resolve " + url.host + ": " + rec.message());
    if (closed) co_return fail(failure::unreachable, "stopping");
    if (url.tls) {
        if (!ssl) co_return fail(failure::unreachable, "TLS is not set up (start() did not run)");
        c.tls.emplace(ex, *ssl);
    } else {
        c.tcp.emplace(ex);
    }
    c.lowest().expires_at(deadline);
    auto [ec, ep] = co_await c.lowest().async_connect(endpoints, use_tuple);
    if (ec == beast::error::timeout) co_return fail(failure::timeout, "timeout connecting to " + url.host_header);
    if (ec) co_return fail(failure::unreachable, "cannot connect to " + url.host_header + ": " + ec.message());
    ++opened;
    if (!c.tls) co_return o;
    if (auto prepared = araldo::prepare_tls_client(c.tls->native_handle(), url.host); !prepared)
        co_return fail(failure::unreachable, "TLS: " + prepared.reason());
    auto [hec] = co_await c.tls->async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (hec == beast::error::timeout) co_return fail(failure::timeout, "timeout in the TLS handshake");
    if (hec) co_return fail(failure::unreachable, "TLS handshake with " + url.host_header + ": " + hec.message());
    co_return o;
}

asio::awaitable<exchange_result> upstream_client::impl::exchange(connection& c, request& req, upstream_outcome& out) {
    bool keep_alive = false;
    exchange_result r = c.tls ? co_await endpoint_upstream::exchange(*c.tls, c.buffer, req, out, keep_alive, max_body)
                              : co_await endpoint_upstream::exchange(*c.tcp, c.buffer, req, out, keep_alive, max_body);
    if (r.ec || !keep_alive) c.reset();
    co_return r;
}

upstream_client::upstream_client(asio::any_io_executor ex, base_url url, string_pairs headers, std::size_t slots,
                                 std::uint64_t max_response_body)
    : impl_(std::make_unique<impl>()) {
    impl_->ex = std::move(ex);
    impl_->url = std::move(url);
    impl_->headers = std::move(headers);
    impl_->max_body = max_response_body;
    impl_->slots.resize(slots);
}

upstream_client::~upstream_client() { close_all(); }

void upstream_client::load_tls() {
    if (!impl_->url.tls || impl_->ssl) return;
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    araldo::configure_tls_client(ctx, impl_->url.tls_files);
    impl_->ssl.emplace(std::move(ctx));
}

std::size_t upstream_client::open_connections() const {
    std::size_t n = 0;
    for (const auto& c : impl_->slots) n += c.open() ? 1 : 0;
    return n;
}

std::uint64_t upstream_client::connections_opened() const { return impl_->opened; }

asio::awaitable<upstream_outcome> upstream_client::send(std::size_t slot, const upstream_call& call,
                                                        std::string_view body, clock::time_point deadline) {
    request req{http::string_to_verb(call.method), call.target, 11};
    req.set(http::field::host, impl_->url.host_header);
    req.set(http::field::user_agent, "araldo-upstream");
    if (!call.content_type.empty()) req.set(http::field::content_type, call.content_type);
    for (const auto& [name, value] : impl_->headers) req.set(name, value);
    req.body() = boost::span<const char>(body.data(), body.size());
    req.prepare_payload();
    req.keep_alive(true);

    upstream_outcome out;
    for (int round = 0; round < 2; ++round) {
        // A slot belongs to one request at a time and `slots` never resizes:
        // its connection stays put while this coroutine is suspended.
        connection& c = impl_->slots.at(slot);
        const bool reused = c.open();
        if (reused) {
            c.lowest().expires_at(deadline);
        } else {
            out = co_await impl_->connect(c, deadline);
            if (out.failed != failure::none) co_return out;
        }
        exchange_result r = co_await impl_->exchange(c, req, out);
        if (!r.ec) co_return out;
        out = {};
        if (reused && !r.head_read && stale_connection(r.ec) && !impl_->closed) continue;
        if (r.ec == beast::error::timeout) {
            out.failed = failure::timeout;
            out.what = "no whole response from " + impl_->url.text + " in time";
        } else if (r.ec == http::error::body_limit) {
            out.failed = failure::too_large;
            out.what = "a response body over " + std::to_string(impl_->max_body) + " bytes";
        } else {
            out.failed = failure::broken;
            out.what = "connection to " + impl_->url.host_header + " failed: " + r.ec.message();
        }
        co_return out;
    }
    co_return out;
}

void upstream_client::close_all() {
    impl_->closed = true;
    for (auto& c : impl_->slots) c.close();
}

}  // namespace araldo::plugins::endpoint_upstream
