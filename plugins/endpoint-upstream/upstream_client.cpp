#include "upstream_client.hpp"

#include "http1_codec.hpp"

#include <araldo/tls.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <memory>
#include <optional>
#include <variant>
#include <vector>

namespace araldo::plugins::endpoint_upstream {

using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t read_size = 16 * 1024;

using tls_socket = asio::ssl::stream<tcp::socket>;

// A kept-alive connection the service closed while idle fails like this
// before any response byte: worth one retry on a fresh connection.
bool stale_connection(const error_code& ec) {
    return ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
           ec == asio::ssl::error::stream_truncated;
}

// One slot's connection, and the deadline of the request it carries: one
// timer per request rather than one per read and write.
struct connection {
    explicit connection(const asio::any_io_executor& ex) : timer{ex} {}

    // A TLS session cannot be reused after it closed: every connect builds the socket anew.
    std::optional<std::variant<tcp::socket, tls_socket>> socket;
    std::string request;   // the head of the one being sent; its capacity serves the next
    std::string unparsed;  // read, not yet taken by the parser (a header section still coming)
    std::unique_ptr<char[]> incoming;  // read_size bytes, made on the first connect
    asio::steady_timer timer;
    tcp::resolver* resolving = nullptr;  // while a connect resolves: the deadline cancels it
    std::uint64_t generation = 0;        // a timer handler of an earlier request leaves this one alone
    bool timed_out = false;

    bool open() const { return socket.has_value(); }
    tcp::socket& lowest() {
        if (auto* tls = std::get_if<tls_socket>(&*socket)) return tls->next_layer();
        return std::get<tcp::socket>(*socket);
    }
    void close() {
        if (!socket) return;
        error_code ignored;
        lowest().shutdown(tcp::socket::shutdown_both, ignored);
        lowest().close(ignored);
    }
    void reset() {
        close();
        socket.reset();
        unparsed.clear();
    }
};

// Closes the connection (and cancels its resolve) at `deadline`, unless the
// request ends first: every pending operation then completes with an error
// and `timed_out` says why.
void arm(const std::shared_ptr<connection>& c, std::chrono::steady_clock::time_point deadline) {
    c->timed_out = false;
    c->timer.expires_at(deadline);
    c->timer.async_wait([weak = std::weak_ptr<connection>(c), generation = c->generation](error_code ec) {
        auto conn = weak.lock();
        if (ec || !conn || conn->generation != generation) return;
        conn->timed_out = true;
        if (conn->resolving != nullptr) conn->resolving->cancel();
        conn->close();
    });
}

void disarm(connection& c) {
    ++c.generation;  // a handler already queued by the expiry now does nothing
    c.timer.cancel();
}

// The head and the body in one gather write: the body is not copied.
asio::awaitable<error_code> write_all(connection& c, std::string_view head, std::string_view body) {
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(head), asio::buffer(body)};
    auto op = std::visit([&buffers](auto& s) { return asio::async_write(s, buffers, use_tuple); }, *c.socket);
    auto [ec, n] = co_await std::move(op);
    co_return ec;
}

asio::awaitable<std::pair<error_code, std::size_t>> read_some(connection& c) {
    auto op = std::visit([&c](auto& s) { return s.async_read_some(asio::buffer(c.incoming.get(), read_size), use_tuple); },
                         *c.socket);
    auto [ec, n] = co_await std::move(op);
    co_return std::pair{ec, n};
}

struct exchange_result {
    error_code ec;  // an I/O error; the parser's own failure is in the parser
    bool keep_alive = false;
};

// Writes the request and feeds the parser until it is done or fails.
asio::awaitable<exchange_result> exchange(connection& c, std::string_view head, std::string_view body,
                                          response_parser& p) {
    exchange_result r;
    if (auto ec = co_await write_all(c, head, body)) {
        r.ec = ec;
        co_return r;
    }
    // What the parser leaves in `unparsed` it cannot take without more bytes.
    while (!p.done() && !p.failed()) {
        auto [ec, n] = co_await read_some(c);
        if (ec == asio::error::eof) {
            p.feed_eof();  // completes a body delimited by the close
            if (p.failed()) r.ec = ec;
            break;
        }
        if (ec) {
            r.ec = ec;
            co_return r;
        }
        std::string_view data{c.incoming.get(), n};
        if (c.unparsed.empty()) {
            c.unparsed.assign(data.substr(p.feed(data)));
        } else {
            c.unparsed.append(data);
            c.unparsed.erase(0, p.feed(c.unparsed));
        }
    }
    // Bytes after the response answer nothing araldo asked: the connection is not reused.
    r.keep_alive = p.done() && p.keep_alive() && c.unparsed.empty();
    co_return r;
}

}  // namespace

struct upstream_client::impl {
    asio::any_io_executor ex;
    base_url url;
    string_pairs headers;
    std::uint64_t max_body = 0;
    std::optional<asio::ssl::context> ssl;
    std::vector<std::shared_ptr<connection>> slots;
    std::uint64_t opened = 0;
    bool closed = false;

    asio::awaitable<upstream_outcome> connect(connection& c);
};

asio::awaitable<upstream_outcome> upstream_client::impl::connect(connection& c) {
    c.reset();
    upstream_outcome o;
    auto fail = [&](failure f, std::string what) {
        c.reset();
        o.failed = c.timed_out ? failure::timeout : f;
        o.what = std::move(what);
        return o;
    };
    if (!c.incoming) c.incoming = std::make_unique_for_overwrite<char[]>(read_size);
    tcp::resolver resolver(ex);
    c.resolving = &resolver;
    auto [rec, endpoints] = co_await resolver.async_resolve(url.host, url.port, use_tuple);
    c.resolving = nullptr;
    if (c.timed_out) co_return fail(failure::timeout, "timeout resolving " + url.host);
    if (rec) co_return fail(failure::unreachable, "cannot resolve " + url.host + ": " + rec.message());
    if (closed) co_return fail(failure::unreachable, "stopping");
    if (url.tls) {
        if (!ssl) co_return fail(failure::unreachable, "TLS is not set up (start() did not run)");
        c.socket.emplace(std::in_place_type<tls_socket>, ex, *ssl);
    } else {
        c.socket.emplace(std::in_place_type<tcp::socket>, ex);
    }
    auto [ec, ep] = co_await asio::async_connect(c.lowest(), endpoints, use_tuple);
    if (c.timed_out) co_return fail(failure::timeout, "timeout connecting to " + url.host_header);
    if (ec) co_return fail(failure::unreachable, "cannot connect to " + url.host_header + ": " + ec.message());
    ++opened;
    // A request is one write and then a wait: Nagle would only delay the next one.
    c.lowest().set_option(tcp::no_delay(true), ec);
    auto* tls = std::get_if<tls_socket>(&*c.socket);
    if (tls == nullptr) co_return o;
    if (auto prepared = araldo::prepare_tls_client(tls->native_handle(), url.host); !prepared)
        co_return fail(failure::unreachable, "TLS: " + prepared.reason());
    auto [hec] = co_await tls->async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (c.timed_out) co_return fail(failure::timeout, "timeout in the TLS handshake");
    if (hec) co_return fail(failure::unreachable, "TLS handshake with " + url.host_header + ": " + hec.message());
    co_return o;
}

upstream_client::upstream_client(asio::any_io_executor ex, base_url url, string_pairs headers, std::size_t slots,
                                 std::uint64_t max_response_body)
    : impl_(std::make_unique<impl>()) {
    impl_->ex = std::move(ex);
    impl_->url = std::move(url);
    impl_->headers = std::move(headers);
    impl_->max_body = max_response_body;
    impl_->slots.reserve(slots);
    for (std::size_t i = 0; i < slots; ++i) impl_->slots.push_back(std::make_shared<connection>(impl_->ex));
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
    for (const auto& c : impl_->slots) n += c->open() ? 1 : 0;
    return n;
}

std::uint64_t upstream_client::connections_opened() const { return impl_->opened; }

asio::awaitable<upstream_outcome> upstream_client::send(std::size_t slot, const upstream_call& call,
                                                        std::string_view body, clock::time_point deadline) {
    // A slot belongs to one request at a time and `slots` never resizes:
    // its connection stays put while this coroutine is suspended.
    const std::shared_ptr<connection> conn = impl_->slots.at(slot);
    connection& c = *conn;
    c.request.clear();
    append_request_head(c.request, call.method, call.target, impl_->url.host_header, call.content_type,
                        impl_->headers, body.size());

    arm(conn, deadline);
    upstream_outcome out;
    for (int round = 0; round < 2; ++round) {
        const bool reused = c.open();
        if (!reused) {
            out = co_await impl_->connect(c);
            if (out.failed != failure::none) break;
        }
        response_parser p{impl_->max_body};
        const auto r = co_await exchange(c, c.request, body, p);
        if (!r.ec && p.done()) {
            out.status = p.status();
            out.content_type = std::move(p.content_type());
            out.body = std::move(p.body());
            if (!r.keep_alive) c.reset();
            break;
        }
        c.reset();
        out = {};
        if (reused && !p.started() && !c.timed_out && stale_connection(r.ec) && !impl_->closed) continue;
        if (c.timed_out) {
            out.failed = failure::timeout;
            out.what = "no whole response from " + impl_->url.text + " in time";
        } else if (p.too_large()) {
            out.failed = failure::too_large;
            out.what = p.error();
        } else if (p.failed() && !r.ec) {
            out.failed = failure::broken;
            out.what = "a malformed response from " + impl_->url.host_header + ": " + p.error();
        } else if (p.failed()) {
            out.failed = failure::broken;
            out.what = "connection to " + impl_->url.host_header + " failed: " + p.error();
        } else {
            out.failed = failure::broken;
            out.what = "connection to " + impl_->url.host_header + " failed: " + r.ec.message();
        }
        break;
    }
    disarm(c);
    co_return out;
}

void upstream_client::close_all() {
    impl_->closed = true;
    for (auto& c : impl_->slots) c->close();
}

}  // namespace araldo::plugins::endpoint_upstream
