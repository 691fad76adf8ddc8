#include "ws_session.hpp"

#include "ws_endpoint.hpp"

#include <araldo/json.hpp>
#include <araldo/log_rate.hpp>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <utility>

namespace araldo::plugins::endpoint_websocket {

namespace {

using error_code = boost::system::error_code;
using araldo::io_wait;

// How long a closing client has to answer our close frame (and, for a slow
// consumer, to take what was already being written) before the socket closes.
constexpr std::chrono::seconds close_grace{5};
// stop() waits less: the whole relay is waiting for its endpoints.
constexpr std::chrono::seconds shutdown_grace{1};
// Bytes read from one client before the others get their turn: what is left
// is read from a posted handler, since no readiness edge will announce it.
constexpr std::size_t read_budget = 256 * 1024;

close_reason reason_for_failure(std::uint16_t code) {
    if (code == close_code::too_big) return close_reason::too_big;
    if (code == close_code::invalid_payload) return close_reason::invalid_payload;
    return close_reason::protocol_error;
}

// {"type":"error","error":"<reason>"}: a text frame, so valid UTF-8 JSON
// whatever bytes the reason quotes (araldo::append_json_string's rule).
std::string error_frame_json(std::string_view reason) {
    std::string out = R"({"type":"error","error":)";
    append_json_string(out, reason);
    out += '}';
    return out;
}

}  // namespace

ws_session::ws_session(ws_endpoint& ep, asio::ip::tcp::socket socket, std::unique_ptr<araldo::tls_stream> tls,
                       std::uint64_t id, client_identity who, std::string handshake_response)
    : ep_{ep}, transport_{std::move(socket), std::move(tls)}, parser_{ep.settings().max_message_size}, id_{id} {
    if (!who.empty()) who_ = std::make_unique<const client_identity>(std::move(who));
    outbox_.push_handshake(make_frame(std::move(handshake_response)));
    deadline_ = clock::now() + ep_.settings().handshake_timeout;
}

ws_session::~ws_session() {
    // The event loop went away with the connection still open.
    if (phase_ != phase::closed) ep_.session_ended(*this);
}

template <class Step>
void ws_session::guarded(Step&& step) noexcept {
    try {
        step();
        return;
    } catch (const std::exception& e) {
        ep_.ctx().log().error("client {}: session failed: {}", id_, e.what());
    } catch (...) {
        ep_.ctx().log().error("client {}: session failed: unknown exception", id_);
    }
    finish();
}

void ws_session::start(std::string_view buffered) {
    guarded([&] {
        write_now();  // the 101: usually all of it, at once
        if (!buffered.empty() && phase_ != phase::closed && !take_bytes(buffered)) return finish();
        if (phase_ == phase::closed) return;
        // A TLS stream may already hold records the listener's reads brought in.
        if (transport_.read_again({}, 1)) read_available();
        else wait_readable(io_wait::readable);
        if (phase_ != phase::closed) arm_timer();
    });
}

// ---- reading ------------------------------------------------------------------

// The handler of the wait an idle client always has pending: it keeps the
// session alive, and has its operation built in the session's room for it.
struct ws_session::read_waiter {
    std::shared_ptr<ws_session> self;
    // Not taken from `self`: Asio may ask a handler it has moved from.
    handler_memory<read_wait_room>* memory;

    using allocator_type = handler_allocator<void, read_wait_room>;
    allocator_type get_allocator() const noexcept { return allocator_type{*memory}; }

    void operator()(const error_code& ec) const {
        self->guarded([&] { self->on_readable(ec); });
    }
};

void ws_session::wait_readable(io_wait what) {
#if defined(BOOST_ASIO_HAS_EPOLL) && !defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
    // Asio's internals, checked only for their size: an operation larger
    // than the room would be allocated for every wait again.
    static_assert(
        sizeof(asio::detail::reactive_wait_op<read_waiter, ws_transport::socket_type::executor_type>) <= read_wait_room,
        "read_wait_room is too small for a readiness wait");
#endif
    transport_.async_wait(what, read_waiter{shared_from_this(), &read_wait_memory_});
}

void ws_session::on_readable(const error_code& ec) {
    if (phase_ == phase::closed) return;
    if (ec) return finish();
    read_available();
}

void ws_session::read_available() {
    auto& buffer = ep_.read_buffer();
    std::size_t budget = read_budget;
    for (;;) {
        const auto r = transport_.read(buffer);
        if (r.error) return finish();  // the client left (EOF or reset)
        if (r.bytes == 0) return wait_readable(r.wait == io_wait::none ? io_wait::readable : r.wait);
        ep_.metrics().bytes_in.inc(r.bytes);
        if (!take_bytes({buffer.data(), r.bytes})) return finish();
        if (phase_ == phase::closed) return;
        if (!transport_.read_again(r, buffer.size())) return wait_readable(io_wait::readable);
        if (r.bytes >= budget) {
            asio::post(transport_.get_executor(), [self = shared_from_this()] {
                self->guarded([&] {
                    if (self->phase_ != phase::closed) self->read_available();
                });
            });
            return;
        }
        budget -= r.bytes;
    }
}

bool ws_session::take_bytes(std::string_view data) {
    while (!data.empty()) {
        const frame_event ev = parser_.next(data);
        if (ev.kind == frame_event::need_more) break;
        if (!on_event(ev)) return false;
    }
    return true;
}

bool ws_session::on_event(const frame_event& ev) {
    switch (ev.kind) {
        case frame_event::text:
        case frame_event::binary:
            if (!closing()) on_message(ev.kind == frame_event::binary);
            else parser_.take_message();  // after our close frame, data is ignored
            break;
        case frame_event::ping:
            if (!closing()) {
                outbox_.push_pong(make_frame(encode_frame(opcode::pong, parser_.control_payload())));
                request_flush();
            }
            break;
        case frame_event::pong:
            // Answered (or unasked: a client may send pongs as heartbeats),
            // the next ping is due an interval from now.
            if (phase_ == phase::open) {
                awaiting_pong_ = false;
                deadline_ = clock::now() + ep_.settings().ping_interval;
            }
            break;
        case frame_event::close:
            on_close_frame(ev);
            // Our close frame already went out: the handshake is complete, and the
            // server closes the TCP connection first.
            return !outbox_.close_sent();
        case frame_event::fail:
            if (const auto n = ++ep_.warnings().protocol; araldo::worth_logging(n))
                ep_.ctx().log().info("client {}: {} (closing with {}; {} so far)", id_, ev.reason, ev.code, n);
            begin_close(ev.code, ev.reason, reason_for_failure(ev.code), false);
            break;
        case frame_event::need_more: break;
    }
    return true;
}

void ws_session::on_message(bool binary) {
    ep_.metrics().messages_in.inc();
    araldo::attributes attrs;
    attrs.set("ws.client", std::to_string(id_));
    if (who_) {
        if (!who_->subject.empty()) {
            attrs.set("ws.user", who_->subject);
            attrs.set(std::string{araldo::identity_attribute}, who_->subject);
        }
        for (const auto& [name, value] : who_->tls) attrs.set(name, value);
    }
    // Routing happens inside ingest(): deliver() to this very endpoint may
    // queue frames on this session (echo) before it returns.
    std::string error;
    if (auto* hub = ep_.folders()) {
        error = hub->from_client(*this, parser_.take_message(), binary, std::move(attrs));
    } else {
        auto result = ep_.ctx().ingest(parser_.take_message(), binary, std::move(attrs));
        if (!result) error = std::move(result.error);
    }
    if (error.empty()) return;
    if (ep_.settings().on_invalid == invalid_policy::close) {
        begin_close(close_code::invalid_payload, error, close_reason::invalid_payload, false);
        return;
    }
    push(make_frame(encode_frame(opcode::text, error_frame_json(error))));
}

void ws_session::rights_changed(std::shared_ptr<const araldo::key_identity> rights) {
    if (!who_) return;
    auto who = std::make_unique<client_identity>(*who_);
    who->rights = std::move(rights);
    who_ = std::move(who);
}

void ws_session::on_close_frame(const frame_event& ev) {
    close_received_ = true;
    if (closing()) return;
    // Echo the client's code; a close without one is answered with 1000.
    const std::uint16_t code = ev.code == close_code::no_status ? close_code::normal : ev.code;
    begin_close(code, {}, close_reason::client_close, false);
}

// ---- writing ------------------------------------------------------------------

void ws_session::push(const frame_ptr& frame) {
    auto& m = ep_.metrics();
    if (closing()) {
        m.drops_closing.inc();
        return;
    }
    const auto& s = ep_.settings();
    const auto r = outbox_.push_data(frame, s.send_queue_bytes, s.slow_consumer == slow_consumer_policy::drop_oldest);
    m.drops_slow.inc(r.dropped);
    if (r.queued) return request_flush();
    m.drops_slow.inc();
    if (const auto n = ++ep_.warnings().slow_consumer; araldo::worth_logging(n))
        ep_.ctx().log().warn("client {}: slow consumer ({} bytes queued), closing with 1008 ({} so far)", id_,
                             outbox_.queued_bytes(), n);
    begin_close(close_code::policy_violation, "slow consumer", close_reason::slow_consumer, false);
}

void ws_session::push_control(frame_ptr frame) {
    outbox_.push_control(std::move(frame));
    request_flush();
}

// However many frames a burst queues, the session is flushed once, after it.
void ws_session::request_flush() {
    if (flush_requested_ || phase_ == phase::closed) return;
    flush_requested_ = true;
    ep_.schedule_flush(shared_from_this());
}

void ws_session::flush() {
    flush_requested_ = false;
    if (phase_ == phase::closed || write_waiting_) return;  // a pending wait writes when the socket takes more
    guarded([&] { write_now(); });
}

void ws_session::write_now() {
    auto& iov = ep_.iovecs();
    for (;;) {
        std::size_t total = 0;
        const std::size_t n = outbox_.gather(iov, total);
        if (n == 0) break;
        const auto r = transport_.write({iov.data(), n});
        if (r.error) return finish();  // the client is gone
        if (r.bytes > 0) written(r.bytes);
        if (phase_ == phase::closed) return;
        if (r.wait != io_wait::none || r.bytes == 0) {
            // OpenSSL retries the record it made: the same bytes must come first.
            if (transport_.tls()) outbox_.pin(total - r.bytes);
            return wait_writable(r.wait == io_wait::none ? io_wait::writable : r.wait);
        }
    }
    if (outbox_.close_sent() && close_received_) finish();
}

void ws_session::written(std::size_t bytes) {
    auto& m = ep_.metrics();
    m.bytes_out.inc(bytes);
    const auto done = outbox_.consumed(bytes);
    m.messages_out.inc(done.data_frames);
    if (done.handshake_done) {
        if (phase_ == phase::handshake) {
            phase_ = phase::open;
            deadline_ = clock::now() + ep_.settings().ping_interval;
        }
        arm_timer();  // from the handshake deadline to pings
    }
    // Nothing follows a close frame: the FIN (or close_notify) tells the
    // client so, and lets it end the connection without waiting for us.
    if (done.close_done) transport_.end_output();
}

void ws_session::wait_writable(io_wait what) {
    write_waiting_ = true;
    transport_.async_wait(what, [self = shared_from_this()](const error_code& ec) {
        self->write_waiting_ = false;
        if (self->phase_ == phase::closed) return;
        if (ec) return self->finish();
        self->guarded([&] { self->write_now(); });
    });
}

void ws_session::begin_close(std::uint16_t code, std::string_view reason, close_reason why, bool flush) {
    if (closing()) return;
    phase_ = phase::closing;
    auto& m = ep_.metrics();
    m.disconnected(why);
    m.drops_closing.inc(outbox_.close(make_frame(encode_close(code, reason)), flush));
    deadline_ = clock::now() + (why == close_reason::shutdown ? shutdown_grace : close_grace);
    request_flush();
    arm_timer();  // now for the close deadline
}

void ws_session::finish() {
    if (phase_ == phase::closed) return;
    if (!closing()) ep_.metrics().disconnected(close_reason::connection_lost);
    phase_ = phase::closed;
    transport_.close();  // pending waits end with operation_aborted, releasing the session
    outbox_.clear();
    ep_.session_ended(*this);  // and its deadline
    ep_.ctx().log().debug("client {} disconnected", id_);
}

// ---- liveness -------------------------------------------------------------------

void ws_session::arm_timer() {
    if (phase_ == phase::closed) return;
    ep_.set_deadline(*this, next_deadline(clock::now()));
}

void ws_session::deadline_passed() {
    guarded([&] { on_timer(); });
}

void ws_session::on_timer() {
    if (phase_ == phase::closed) return;
    const auto now = clock::now();
    if (closing()) {
        if (now >= deadline_) return finish();
    } else if (phase_ == phase::handshake && now >= deadline_) {
        ep_.metrics().disconnected(close_reason::handshake_timeout);
        phase_ = phase::closing;  // counted here; nothing more to send
        return finish();
    }
    check_liveness(now);
    arm_timer();
}

void ws_session::check_liveness(clock::time_point now) {
    if (phase_ != phase::open) return;
    if (who_ && who_->expires && wall_clock::now() >= *who_->expires) {
        begin_close(close_code::policy_violation, "token expired", close_reason::token_expired, false);
        return;
    }
    const auto& s = ep_.settings();
    if (s.ping_interval.count() <= 0) return;
    if (awaiting_pong_ && now >= deadline_) {
        if (const auto n = ++ep_.warnings().pong_timeout; araldo::worth_logging(n))
            ep_.ctx().log().info("client {}: no pong within {} ms, closing ({} so far)", id_, s.pong_timeout.count(),
                                 n);
        begin_close(close_code::policy_violation, "pong timeout", close_reason::pong_timeout, false);
        return;
    }
    if (!awaiting_pong_ && now >= deadline_) {
        awaiting_pong_ = true;
        deadline_ = now + s.pong_timeout;
        push_control(ep_.ping_frame());
    }
}

ws_session::clock::time_point ws_session::next_deadline(clock::time_point now) const {
    if (phase_ != phase::open) return deadline_;
    auto next = clock::time_point::max();
    if (ep_.settings().ping_interval.count() > 0) next = deadline_;
    if (who_ && who_->expires) {
        const auto left = std::chrono::duration_cast<clock::duration>(*who_->expires - wall_clock::now());
        next = std::min(next, now + std::max(left, clock::duration::zero()));
    }
    return next;
}

}  // namespace araldo::plugins::endpoint_websocket
