// The link's transport: Beast's WebSocket over TLS, the only translation
// unit that includes Beast (it is slow to compile). The client runs on an
// asio::ssl::stream it dials; the hub on tls_adapter over the core's upgrade.
#include "link_connection.hpp"
#include "link_frame.hpp"
#include "link_tls_adapter.hpp"

#include <araldo/tls.hpp>
#include <araldo/units.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <charconv>
#include <string_view>

namespace araldo::plugins::endpoint_link {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::system::error_code;
using steady = std::chrono::steady_clock;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

bool link_connection::send(std::string frame, bool bounded, std::size_t limit) {
    if (ended_ || closing_) return false;
    if (bounded && queue_.size() >= limit) return false;
    queue_.push_back(std::move(frame));
    wake_.notify();
    return true;
}

std::string link_connection::take_next(std::size_t& frames) {
    std::size_t size = 3;  // the batch header
    frames = 0;
    while (frames < queue_.size() && size + 4 + queue_[frames].size() <= max_batch_bytes)
        size += 4 + queue_[frames++].size();
    if (frames < 2) {  // one frame, or one too large to share a batch: it goes alone
        frames = 1;
        std::string frame = std::move(queue_.front());
        queue_.pop_front();
        return frame;
    }
    std::string batch;
    batch.reserve(size);
    for (std::size_t i = 0; i < frames; ++i) {
        append_to_batch(batch, queue_.front());
        queue_.pop_front();
    }
    return batch;
}

void link_connection::close(std::uint16_t code, std::string reason) {
    if (ended_ || closing_) return;
    closing_ = true;
    close_code_ = code;
    close_reason_ = std::move(reason);
    wake_.notify();
}

namespace {

std::string describe(const error_code& ec) {
    if (ec == websocket::error::message_too_big) return "message larger than max-message-size (closed with 1009)";
    if (ec.category() == asio::error::get_ssl_category()) return "TLS error: " + ec.message();
    return ec.message();
}

// A connection in either role: a reader, a writer (the only one that writes:
// frames, pings and the close), and a heartbeat that times the far side out.
template <class Stream>
class ws_connection final : public link_connection {
public:
    template <class... Args>
    ws_connection(asio::any_io_executor ex, const link_settings& s, Args&&... args)
        : link_connection(ex),
          ws_(std::forward<Args>(args)...),
          heartbeat_timer_(ex),
          heartbeat_(s.heartbeat),
          heartbeat_timeout_(s.heartbeat_timeout) {
        ws_.binary(true);
        ws_.read_message_max(s.max_message_size);
        ws_.auto_fragment(false);
    }

    websocket::stream<Stream>& ws() noexcept { return ws_; }

    void abort() override {
        if (why_.empty()) why_ = "closed without waiting for the far side";
        beast::close_socket(beast::get_lowest_layer(ws_));
    }

    asio::awaitable<std::string> run(connection_events events) override {
        auto self = std::static_pointer_cast<ws_connection>(shared_from_this());
        events_ = std::move(events);
        last_heard_ = steady::now();
        ws_.control_callback([this](websocket::frame_type kind, beast::string_view payload) {
            last_heard_ = steady::now();
            if (kind == websocket::frame_type::pong) pong(payload);
        });
        const auto ex = co_await asio::this_coro::executor;
        // An exception (none is expected) goes on to the core, which logs and contains it.
        const auto rethrow = [](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
        };
        asio::co_spawn(ex, write_loop(self), rethrow);
        asio::co_spawn(ex, heartbeat_loop(self), rethrow);
        co_await read_loop();
        ended_ = true;
        wake_.notify();
        heartbeat_timer_.cancel();
        beast::close_socket(beast::get_lowest_layer(ws_));
        ws_.control_callback();
        co_return why_;
    }

private:
    asio::awaitable<void> read_loop() {
        for (;;) {
            beast::flat_buffer buffer;
            auto [ec, n] = co_await ws_.async_read(buffer, use_tuple);
            if (ec) {
                if (why_.empty()) why_ = ended_by(ec);
                co_return;
            }
            last_heard_ = steady::now();
            if (!ws_.got_binary()) {
                if (why_.empty()) why_ = "the far side sent a text frame, which the link protocol has none of";
                ended_as = "protocol";
                close(1003, "binary frames only");
                continue;
            }
            bytes_in += n;
            const auto data = buffer.cdata();  // a flat_buffer is one contiguous block
            events_.on_frame(*this, std::string_view(static_cast<const char*>(data.data()), data.size()));
        }
    }

    std::string ended_by(const error_code& ec) {
        if (ec == websocket::error::message_too_big) ended_as = "too_big";
        if (ec == websocket::error::closed) {
            const auto& r = ws_.reason();
            ended_as = closing_ ? "closed" : "closed_by_peer";
            if (closing_) return "closed: " + close_reason_;
            return "closed by the far side (" + std::to_string(r.code) +
                   (r.reason.empty() ? "" : " " + std::string(r.reason.data(), r.reason.size())) + ")";
        }
        return describe(ec);
    }

    // `self` keeps the connection alive while the loop runs.
    asio::awaitable<void> write_loop(std::shared_ptr<ws_connection> /*self*/) {
        while (!ended_) {
            if (queue_.empty() && !ping_due_ && !closing_) {
                co_await wake_.wait();
                continue;
            }
            if (ping_due_) {
                ping_due_ = false;
                const auto stamp = std::to_string(steady::now().time_since_epoch().count());
                websocket::ping_data payload(stamp.c_str());
                auto [ec] = co_await ws_.async_ping(payload, use_tuple);
                if (ec) co_return fail(ec);
                continue;
            }
            if (!queue_.empty()) {
                std::size_t frames = 0;
                std::string out = take_next(frames);
                auto [ec, n] = co_await ws_.async_write(asio::buffer(out), use_tuple);
                if (ec) co_return fail(ec);
                messages_out += frames;
                bytes_out += n;
                continue;
            }
            closing_since_ = steady::now();
            websocket::close_reason reason(static_cast<websocket::close_code>(close_code_), close_reason_);
            auto [ec] = co_await ws_.async_close(reason, use_tuple);
            if (ec) co_return fail(ec);
            co_return;
        }
    }

    void fail(const error_code& ec) {
        if (why_.empty() && ec != asio::error::operation_aborted) why_ = "write failed: " + describe(ec);
        beast::close_socket(beast::get_lowest_layer(ws_));
    }

    asio::awaitable<void> heartbeat_loop(std::shared_ptr<ws_connection> /*self*/) {
        while (!ended_) {
            heartbeat_timer_.expires_after(heartbeat_);
            co_await heartbeat_timer_.async_wait(use_tuple);  // cancelled: ended_ says so
            if (ended_) co_return;
            const auto now = steady::now();
            // A close the far side does not answer, or silence: either way it is gone.
            const bool silent = now - last_heard_ > heartbeat_timeout_;
            const bool stuck =
                closing_ && closing_since_ != steady::time_point{} && now - closing_since_ > heartbeat_timeout_;
            if (silent || stuck) {
                ended_as = "heartbeat";
                if (why_.empty())
                    why_ = silent ? "heartbeat timeout: nothing heard for " +
                                        std::to_string(
                                            std::chrono::duration_cast<std::chrono::milliseconds>(now - last_heard_)
                                                .count()) +
                                        " ms"
                                  : "the far side did not answer the close";
                beast::close_socket(beast::get_lowest_layer(ws_));
                co_return;
            }
            if (!closing_) {
                ping_due_ = true;
                wake_.notify();
            }
        }
    }

    void pong(beast::string_view payload) {
        std::int64_t sent = 0;
        const auto [end, ec] = std::from_chars(payload.data(), payload.data() + payload.size(), sent);
        if (ec != std::errc{} || end != payload.data() + payload.size()) return;  // not one of our pings
        last_rtt = steady::now() - steady::time_point(steady::duration(sent));
        if (events_.on_rtt) events_.on_rtt(*this, last_rtt);
    }

    websocket::stream<Stream> ws_;
    asio::steady_timer heartbeat_timer_;
    steady::duration heartbeat_;
    steady::duration heartbeat_timeout_;
    steady::time_point last_heard_{};
    steady::time_point closing_since_{};
    bool ping_due_ = false;
    std::string why_;
    connection_events events_;
};

using client_stream = asio::ssl::stream<asio::ip::tcp::socket>;
using client_connection = ws_connection<client_stream>;
using server_connection = ws_connection<tls_adapter>;

// Closes the connection's socket if `timeout` passes first, which fails
// whatever step it is in.
template <class Connection>
std::shared_ptr<asio::steady_timer> watchdog(asio::any_io_executor ex, const std::shared_ptr<Connection>& conn,
                                             araldo::duration timeout) {
    auto timer = std::make_shared<asio::steady_timer>(ex, timeout);
    timer->async_wait([weak = std::weak_ptr<Connection>(conn)](const error_code& ec) {
        if (ec) return;
        if (auto c = weak.lock()) beast::close_socket(beast::get_lowest_layer(c->ws()));
    });
    return timer;
}

asio::awaitable<araldo::result<>> dial_steps(client_connection& conn, const link_settings& s, bool& handshaking) {
    using araldo::result;
    asio::ip::tcp::resolver resolver(co_await asio::this_coro::executor);
    auto [rec, endpoints] = co_await resolver.async_resolve(s.host, s.port, use_tuple);
    if (rec) co_return result<>::fail("cannot resolve " + s.host + ": " + rec.message());
    auto& tcp = beast::get_lowest_layer(conn.ws());
    auto [cec, ep] = co_await asio::async_connect(tcp, endpoints, use_tuple);
    if (cec) co_return result<>::fail("cannot connect: " + cec.message());
    error_code ignored;
    tcp.set_option(asio::ip::tcp::no_delay(true), ignored);
    conn.remote = ep.address().to_string() + ":" + std::to_string(ep.port());
    auto& tls = conn.ws().next_layer();
    if (auto prepared = araldo::prepare_tls_client(tls.native_handle(), s.host); !prepared)
        co_return result<>::fail("TLS handshake failed: " + prepared.reason());
    handshaking = true;
    auto [hec] = co_await tls.async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (hec) {
        std::string why = describe(hec);
        if (const long v = ::SSL_get_verify_result(tls.native_handle()); v != X509_V_OK)
            why += std::string(": ") + ::X509_verify_cert_error_string(v);
        co_return result<>::fail("TLS handshake failed: " + why);
    }
    if (auto hub = araldo::verified_peer(tls.native_handle())) conn.cn = std::move(hub->cn);
    websocket::response_type response;
    const std::string host_header = s.host + ":" + s.port;
    auto [wec] = co_await conn.ws().async_handshake(response, host_header, s.path, use_tuple);
    if (wec == websocket::error::upgrade_declined)
        co_return result<>::fail("hub refused the link: " + std::to_string(response.result_int()) + " " +
                                 std::string(response.reason()));
    // Under TLS 1.3 the hub verifies the client's certificate after the
    // client's handshake has completed: a refusal arrives as an alert on the
    // first read, which is this one.
    if (wec && wec.category() == asio::error::get_ssl_category())
        co_return result<>::fail("TLS handshake failed: the hub refused this relay's certificate (" + wec.message() +
                                 ")");
    if (wec) co_return result<>::fail("WebSocket handshake failed: " + describe(wec));
    co_return result<>::ok();
}

}  // namespace

asio::awaitable<araldo::result<connection_ptr>> dial(asio::any_io_executor ex, asio::ssl::context& tls,
                                                     const link_settings& s, std::weak_ptr<link_connection>& dialing) {
    using araldo::result;
    auto conn = std::make_shared<client_connection>(ex, s, ex, tls);
    dialing = conn;
    auto timer = watchdog(ex, conn, s.connect_timeout);
    bool handshaking = false;
    result<> r = co_await dial_steps(*conn, s, handshaking);
    const bool timed_out = timer->expiry() <= steady::now();
    timer->cancel();
    if (!r) {
        if (timed_out)
            co_return result<connection_ptr>::fail("timed out after " + format_duration(s.connect_timeout) + ": " +
                                                   r.reason());
        co_return result<connection_ptr>::fail(r.reason());
    }
    conn->since = std::chrono::system_clock::now();
    conn->peer = s.peer_name;
    co_return result<connection_ptr>::ok(std::move(conn));
}

asio::awaitable<araldo::result<connection_ptr>> accept_upgrade(araldo::http_upgrade up, const link_settings& s) {
    using araldo::result;
    if (!up.tls) co_return result<connection_ptr>::fail("not a TLS connection");
    beast::http::request<beast::http::empty_body> request;
    request.method_string(up.request.method);
    request.target(up.request.target);
    request.version(11);
    for (const auto& [name, value] : up.request.headers) request.insert(name, value);
    const auto ex = up.socket.get_executor();
    auto conn =
        std::make_shared<server_connection>(ex, s, std::move(up.socket), std::move(up.tls), std::move(up.buffered));
    conn->remote = up.request.remote_address;
    auto timer = watchdog(ex, conn, s.connect_timeout);
    auto [ec] = co_await conn->ws().async_accept(request, use_tuple);
    timer->cancel();
    if (ec) co_return result<connection_ptr>::fail("WebSocket handshake failed: " + describe(ec));
    conn->since = std::chrono::system_clock::now();
    co_return result<connection_ptr>::ok(std::move(conn));
}

}  // namespace araldo::plugins::endpoint_link
