// One HTTP/1.1 connection: read a request within the limits, route it, reply,
// and loop while the client keeps the connection alive.
//
// Each connection is one coroutine that owns its stream. Only the first
// byte of a request is awaited with the idle timeout; from there the whole
// request (header and body) shares request_timeout.
//
// Pipelined requests are served in batches: whatever complete requests the
// buffer holds are parsed and handled without a turn of the event loop, and
// their replies are written together when the session next has to wait.
// Between two turns, the rest of the relay (the messages those requests
// routed) can then also be delivered in batches rather than one at a time.
#include "http/listener_session.hpp"
#include "http/plain_socket_stream.hpp"
#include "http/reply_writer.hpp"
#include "http/request_rules.hpp"
#include "http/tls_socket_stream.hpp"

#include <araldo/log_rate.hpp>

#include <spdlog/logger.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <type_traits>

namespace araldo::detail {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using body_parser = http::request_parser<http::string_body>;

// I/O errors are expected (clients vanish, time out): handled inline, not thrown.
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t min_read_size = 4 * 1024;
constexpr std::size_t max_read_size = 64 * 1024;
// A long pipeline or a large body grows the buffers; past this, they are
// given back once the connection is idle again.
constexpr std::size_t max_kept_capacity = 64 * 1024;
// After the last reply the client may still be sending (a refused body):
// draining a little before closing keeps the kernel from answering unread
// data with a reset, which can destroy the reply before the client reads it.
constexpr std::chrono::milliseconds linger_timeout{1000};
constexpr std::size_t linger_max_bytes = 1024 * 1024;

// Registers a session for open_connections() and stop(); unregisters when the
// session ends or hands its socket to an upgrade route.
class session_registration {
public:
    session_registration(listener_state& st, tcp::socket& socket)
        : sessions_{&st.sessions}, it_{st.sessions.insert(st.sessions.end(), session_entry{&socket})} {}
    ~session_registration() { release(); }
    session_registration(const session_registration&) = delete;
    session_registration& operator=(const session_registration&) = delete;

    void set_idle(bool idle) { it_->idle = idle; }
    void release() {
        if (sessions_ != nullptr) sessions_->erase(it_);
        sessions_ = nullptr;
    }

private:
    std::list<session_entry>* sessions_;
    std::list<session_entry>::iterator it_;
};

std::string remote_of(const tcp::socket& socket) {
    error_code ec;
    const auto ep = socket.remote_endpoint(ec);
    if (ec) return "unknown";
    const auto ip = ep.address().to_string();
    return (ep.address().is_v6() ? "[" + ip + "]" : ip) + ":" + std::to_string(ep.port());
}

constexpr reply_to closing_reply{11, false, false};

// A handler that throws on every request would otherwise write one line per
// request: faults share araldo::worth_logging's policy.
void log_fault(listener_state& st, const std::string& what) {
    const auto n = ++st.handler_faults;
    if (worth_logging(n)) st.log->error("http: {} ({} so far)", what, n);
}

// ---- the session -------------------------------------------------------------

enum class step { keep_alive, close, linger_close, handed_over };

// Plain connections run on plain_socket_stream, TLS ones on
// tls_socket_stream; everything above the bytes is the same.
template <class Stream>
constexpr bool is_tls = std::is_same_v<Stream, tls_socket_stream>;

template <class Stream>
Stream make_stream(tcp::socket socket, const listening_port& port) {
    if constexpr (is_tls<Stream>) {
        return Stream{std::move(socket), port.tls};
    } else {
        return Stream{std::move(socket)};
    }
}

template <class Stream>
class session {
public:
    session(std::shared_ptr<listener_state> st, listening_port& port, tcp::socket socket)
        : st_{std::move(st)},
          port_{port},
          listener_name_{port.name},
          remote_{remote_of(socket)},
          stream_{make_stream<Stream>(std::move(socket), port)},
          registration_{*st_, stream_.socket()} {}

    asio::awaitable<void> run() {
        if constexpr (is_tls<Stream>) {
            if (!co_await handshake()) co_return;
        }
        auto next = step::keep_alive;
        while (next == step::keep_alive && !st_->stopping) next = co_await serve_one();
        if (next == step::handed_over) co_return;
        const auto ec = co_await flush();  // the replies of the last batch
        if (!ec && next == step::linger_close) co_await linger_close();
        // Otherwise the stream's destructor closes the socket.
    }

private:
    // Within the listener's handshake timeout; a failure is counted by
    // reason and logged with the rate limit, and the connection closed.
    asio::awaitable<bool> handshake() {
        stream_.expires_after(port_.handshake_timeout);
        const auto [ec, ignored] = co_await stream_.async_handshake(use_tuple);
        if (!ec) {
            if (!port_.record_layer_logged) {
                port_.record_layer_logged = true;
                st_->log->info("listener {}: {}", listener_name_, describe_record_layer(stream_.tls().info()));
            }
            tls_info_ = stream_.tls().shared_info();
            co_return true;
        }
        const auto why = stream_.tls().failure(stream_.timed_out());
        const auto n = st_->count_handshake_failure(why.reason);
        if (worth_logging(n))
            st_->log->warn("listener {}: TLS handshake with {} failed: {} ({} so far)", listener_name_, remote_,
                           why.detail, n);
        co_return false;
    }

    // A request already in the buffer is served without a turn of the event
    // loop (unless its handler suspends); its reply waits in out_ until the
    // session has to wait for bytes, close or hand the connection over.
    asio::awaitable<step> serve_one() {
        if (buffer_.size() == 0 && !co_await wait_for_request()) co_return step::close;
        deadline_ = std::chrono::steady_clock::now() + st_->limits.request_timeout;
        header_parser hp;
        hp.header_limit(st_->limits.max_header_bytes);
        hp.body_limit(boost::none);  // the route decides, once the header is known
        error_code ec;
        if (!parse_buffered(hp, true, ec)) ec = co_await parse_reading(hp, true);
        if (ec) co_return on_read_error(ec);
        auto request = make_request(hp, remote_);
        if (!request) co_return refuse_with(closing_reply, http_response::error(400, "malformed request target"));
        request->listener = listener_name_;
        request->tls = tls_info_;
        if (is_websocket_upgrade(hp)) {
            if (auto route = find_upgrade(*st_, request->path, listener_name_))
                co_return co_await serve_upgrade(std::move(route), std::move(*request), reply_of(hp));
        }
        co_return co_await serve_http(hp, *request);
    }

    // Idle: every reply is written and no byte of the next request has come.
    // Only here may stop() close the connection.
    asio::awaitable<bool> wait_for_request() {
        error_code ec;
        if (!write_now(ec)) ec = co_await write_rest();
        if (ec || st_->stopping) co_return false;
        if (buffer_.capacity() > max_kept_capacity) buffer_.shrink_to_fit();
        registration_.set_idle(true);
        stream_.expires_after(st_->limits.idle_timeout);
        const auto [read_ec, n] = co_await read_some();
        got(n);
        registration_.set_idle(false);
        co_return !read_ec;
    }

    // Parsing reads only when the buffer holds no complete header (or
    // body). Callers try parse_buffered() first and await parse_reading()
    // only when it returns false, so a request that is all buffered, the
    // usual case, costs no coroutine frame. EOF needs no put_eof(): a
    // request's body is never delimited by it, so EOF mid-request just ends
    // the connection.

    // True when the buffer held enough to finish, or to fail (ec says so).
    template <class Parser>
    bool parse_buffered(Parser& parser, bool header_only, error_code& ec) {
        const auto done = [&] { return header_only ? parser.is_header_done() : parser.is_done(); };
        while (!done()) {
            if (buffer_.size() == 0) return false;
            buffer_.consume(parser.put(buffer_.data(), ec));  // one element (header, chunk) at a time
            if (ec == http::error::need_more) {
                ec = {};
                return false;
            }
            if (ec) return true;
        }
        return true;
    }

    // After parse_buffered() returned false: what is buffered was parsed
    // already, so read first.
    template <class Parser>
    asio::awaitable<error_code> parse_reading(Parser& parser, bool header_only) {
        error_code ec;
        do {
            if ((ec = co_await read_more())) co_return ec;
        } while (!parse_buffered(parser, header_only, ec));
        co_return ec;
    }

    // The rest of a request shares the deadline set at its first byte.
    asio::awaitable<error_code> read_more() {
        if (const auto ec = co_await flush()) co_return ec;
        stream_.expires_at(deadline_);
        const auto [ec, n] = co_await read_some();
        got(n);
        co_return ec;
    }

    // As much as the buffer has room for, at least read_size_. Reads start
    // small, so an idle keep-alive connection holds 4 KiB, and double each time
    // one fills what it was given: a client that pipelines soon has one read
    // bring in a whole batch of requests. The read is awaited directly (no
    // coroutine frame here); got() takes its result.
    auto read_some() {
        read_want_ = std::clamp<std::size_t>(buffer_.capacity() - buffer_.size(), read_size_, max_read_size);
        return stream_.async_read_some(buffer_.prepare(read_want_), use_tuple);
    }
    void got(std::size_t n) {
        buffer_.commit(n);
        if (n == read_want_) read_size_ = std::min(read_size_ * 2, max_read_size);
    }

    step on_read_error(error_code ec) {
        if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
            return refuse_with(closing_reply, http_response::error(431, "request header too large"));
        if (ec == http::error::body_limit)
            return refuse_with(closing_reply, http_response::error(413, "request body too large"));
        const bool parse_error = ec.category() == http::make_error_code(http::error::bad_target).category() &&
                                 ec != http::error::end_of_stream && ec != http::error::partial_message;
        if (parse_error)
            return refuse_with(closing_reply, http_response::error(400, "malformed request: " + ec.message()));
        return step::close;  // the client left or timed out, or a write failed: nobody to answer
    }

    // `request` is serve_one's, which awaits this: taken by reference, it is
    // not moved into one more coroutine frame.
    asio::awaitable<step> serve_http(header_parser& hp, http_request& request) {
        reply_to reply = reply_of(hp);
        const auto route = find_route(*st_, request.path, listener_name_);
        auto refusal = upgrade_required(*st_, route.get(), request);
        if (!refusal) refusal = refuse(route.get(), request, hp);
        if (refusal) {
            // An unread body would be parsed as the next request: close instead.
            if (has_body(hp) || refusal->status == 413) reply.keep_alive = false;
            co_return refuse_with(reply, *refusal);
        }
        if (has_body(hp)) {
            const auto ec = co_await read_body(hp, route->max_body, request.body);
            if (ec) co_return on_read_error(ec);
        }
        // The handler is awaited here, not in a coroutine of its own: this is
        // every request's path. A handler that throws is answered 500.
        std::optional<http_response> response;
        std::string failure;
        try {
            response = co_await route->handler(std::move(request));
        } catch (const std::exception& e) {
            failure = e.what();
        } catch (...) {
            failure = "unknown exception";
        }
        if (!response) {
            log_fault(*st_, "handler for " + route->path + " failed: " + failure);
            response = http_response::error(500, "internal error");
        }
        co_return respond(reply, *response);
    }

    asio::awaitable<error_code> read_body(header_parser& hp, std::uint64_t max_body, std::string& body) {
        // Queued after the earlier replies; it goes out at the latest when the
        // body has to be awaited.
        if (expects_continue(hp)) out_ += "HTTP/1.1 100 Continue\r\n\r\n";
        body_parser bp{std::move(hp)};
        bp.body_limit(max_body);  // a chunked body has no Content-Length to check up front
        error_code ec;
        if (!parse_buffered(bp, false, ec)) ec = co_await parse_reading(bp, false);
        if (ec) co_return ec;
        body = std::move(bp.get().body());
        co_return error_code{};
    }

    asio::awaitable<step> serve_upgrade(std::shared_ptr<const upgrade_route> route, http_request request,
                                        reply_to reply) {
        // The replies to the requests before this one must precede whatever the
        // new owner writes on the socket.
        if (const auto ec = co_await flush()) co_return step::close;
        reply.keep_alive = false;  // a refused upgrade ends the connection
        if (st_->stopping) co_return refuse_with(reply, http_response::error(503, "shutting down"));
        if (auto refusal = check_upgrade(*route, request)) co_return respond(reply, *refusal);
        hand_over(*route, std::move(request));
        co_return step::handed_over;
    }

    std::optional<http_response> check_upgrade(const upgrade_route& route, const http_request& request) {
        if (!route.check) return std::nullopt;
        try {
            return route.check(request);
        } catch (const std::exception& e) {
            log_fault(*st_, "upgrade check for " + route.path + " failed: " + e.what());
        } catch (...) {
            log_fault(*st_, "upgrade check for " + route.path + " failed: unknown exception");
        }
        return http_response::error(500, "internal error");
    }

    void hand_over(const upgrade_route& route, http_request request) {
        registration_.release();  // the endpoint owns the connection from here
        auto upgrade = release(std::move(request));
        buffer_.clear();
        try {
            route.accept(std::move(upgrade));
        } catch (const std::exception& e) {
            log_fault(*st_, "upgrade accept for " + route.path + " failed: " + e.what());
        } catch (...) {
            log_fault(*st_, "upgrade accept for " + route.path + " failed: unknown exception");
        }
    }

    http_upgrade release(http_request request) {
        auto buffered = beast::buffers_to_string(buffer_.data());
        if constexpr (is_tls<Stream>) {
            auto [socket, tls] = stream_.release();
            return http_upgrade{std::move(socket), std::move(request), std::move(buffered), std::move(tls)};
        } else {
            return http_upgrade{stream_.release_socket(), std::move(request), std::move(buffered), nullptr};
        }
    }

    step refuse_with(reply_to reply, const http_response& response) {
        st_->count_refusal(response.status);
        return respond(reply, response);
    }

    step respond(reply_to reply, const http_response& response) {
        if (st_->stopping) reply.keep_alive = false;  // finish this request, then close
        append_response(out_, reply, response);
        return reply.keep_alive ? step::keep_alive : step::linger_close;
    }

    // One write for all the replies queued since the last one. On failure the
    // replies are dropped with the connection.
    asio::awaitable<error_code> flush() {
        error_code ec;
        if (write_now(ec)) co_return ec;
        co_return co_await write_rest();
    }

    // Usually the socket takes all the replies at once: that costs no
    // completion, no turn of the loop and no timer. True when nothing is left
    // to await (all written, or the write failed: ec says so).
    bool write_now(error_code& ec) {
        if (out_.empty()) return true;
        const std::size_t taken = stream_.write_now(asio::buffer(out_), ec);
        if (ec || taken == out_.size()) {
            clear_out();
            return true;
        }
        out_.erase(0, taken);
        return false;
    }

    // What the socket could not take at once, within request_timeout.
    asio::awaitable<error_code> write_rest() {
        stream_.expires_after(st_->limits.request_timeout);
        const auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(out_), use_tuple);
        clear_out();
        co_return ec;
    }

    void clear_out() {
        out_.clear();
        if (out_.capacity() > max_kept_capacity) std::string{}.swap(out_);
    }

    asio::awaitable<void> linger_close() {
        error_code ec;
        if constexpr (is_tls<Stream>) stream_.tls().close_notify();
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        stream_.expires_after(linger_timeout);
        std::array<char, 2048> sink;
        for (std::size_t drained = 0; drained < linger_max_bytes;) {
            const auto [read_ec, n] = co_await stream_.async_read_some(asio::buffer(sink), use_tuple);
            if (read_ec) break;
            drained += n;
        }
    }

    std::shared_ptr<listener_state> st_;
    listening_port& port_;        // owned by st_
    std::string listener_name_;  // port_.name, which every request carries
    std::string remote_;
    Stream stream_;
    std::shared_ptr<const tls_info> tls_info_;  // after the handshake
    beast::flat_buffer buffer_;  // received, not yet parsed
    std::string out_;            // replies not yet written, in request order
    std::size_t read_size_ = min_read_size;
    std::size_t read_want_ = 0;  // of the read in progress
    std::chrono::steady_clock::time_point deadline_;  // of the request being read
    session_registration registration_;               // after stream_: unregisters before the stream dies
};

template <class Stream>
asio::awaitable<void> run_session(std::shared_ptr<listener_state> st, listening_port& port, tcp::socket socket) {
    session<Stream> s{std::move(st), port, std::move(socket)};
    co_await s.run();
}

}  // namespace

void spawn_session(const std::shared_ptr<listener_state>& st, listening_port& port, tcp::socket socket) {
    // Responses are small and often follow a pipelined request: without this,
    // Nagle holds each one back until the client's delayed ACK (tens of ms).
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto ex = socket.get_executor();
    auto done = [st](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            log_fault(*st, std::string("session failed: ") + ex.what());
        } catch (...) {
            log_fault(*st, "session failed: unknown exception");
        }
    };
    if (port.tls) {
        asio::co_spawn(std::move(ex), run_session<tls_socket_stream>(st, port, std::move(socket)), std::move(done));
    } else {
        asio::co_spawn(std::move(ex), run_session<plain_socket_stream>(st, port, std::move(socket)), std::move(done));
    }
}

}  // namespace araldo::detail
