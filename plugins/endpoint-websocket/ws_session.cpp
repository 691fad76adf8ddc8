#include "ws_session.hpp"

#include "ws_endpoint.hpp"

#include <araldo/json.hpp>
#include <araldo/log_rate.hpp>

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace araldo::plugins::endpoint_websocket {

namespace {

using error_code = boost::system::error_code;
using tcp = asio::ip::tcp;

// How long a closing client has to answer our close frame (and, for a slow
// consumer, to take what was already being written) before the socket closes.
constexpr std::chrono::seconds close_grace{5};
// stop() waits less: the whole relay is waiting for its endpoints.
constexpr std::chrono::seconds shutdown_grace{1};

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

ws_session::ws_session(ws_endpoint& ep, tcp::socket socket, std::uint64_t id, client_identity who,
                       std::string handshake_response)
    : ep_{ep},
      socket_{std::move(socket)},
      timer_{socket_.get_executor()},
      parser_{ep.settings().max_message_size},
      id_{id},
      client_attr_{std::to_string(id)},
      subject_{std::move(who.subject)},
      expires_{who.expires},
      handshake_left_{handshake_response.size()},
      started_{clock::now()} {
    control_.push_back(make_frame(std::move(handshake_response)));
    ping_due_ = started_ + ep_.settings().ping_interval;
    error_code ignored;
    socket_.non_blocking(true, ignored);  // reads and writes never block the one thread
    socket_.set_option(tcp::no_delay(true), ignored);
}

ws_session::~ws_session() {
    // The event loop went away with the connection still open.
    if (!finished_) ep_.session_ended(*this);
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
        if (!buffered.empty() && !finished_ && !take_bytes(buffered)) return finish();
        if (finished_) return;
        wait_readable();
        arm_timer();
    });
}

// ---- reading ------------------------------------------------------------------

void ws_session::wait_readable() {
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](const error_code& ec) {
        self->guarded([&] { self->on_readable(ec); });
    });
}

void ws_session::on_readable(const error_code& ec) {
    if (finished_) return;
    if (ec) return finish();
    auto& buffer = ep_.read_buffer();
    error_code read_ec;
    const std::size_t n = socket_.read_some(asio::buffer(buffer), read_ec);
    if (read_ec == asio::error::would_block || read_ec == asio::error::try_again) return wait_readable();
    if (read_ec) return finish();  // the client left (EOF or reset)
    ep_.metrics().bytes_in.inc(n);
    if (!take_bytes({buffer.data(), n})) return finish();
    if (!finished_) wait_readable();
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
            if (!closing_) on_message(ev.kind == frame_event::binary);
            else parser_.take_message();  // after our close frame, data is ignored
            break;
        case frame_event::ping:
            if (!closing_) push_control(make_frame(encode_frame(opcode::pong, parser_.control_payload())));
            break;
        case frame_event::pong:
            awaiting_pong_ = false;
            ping_due_ = clock::now() + ep_.settings().ping_interval;
            break;
        case frame_event::close:
            on_close_frame(ev);
            // Our close frame already went out: the handshake is complete, and the
            // server closes the TCP connection first.
            return !close_sent_;
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
    attrs.set("ws.client", client_attr_);
    if (!subject_.empty()) attrs.set("ws.user", subject_);
    // Routing happens inside ingest(): deliver() to this very endpoint may
    // queue frames on this session (echo) before it returns.
    const auto result = ep_.ctx().ingest(parser_.take_message(), binary, std::move(attrs));
    if (result) return;
    if (ep_.settings().on_invalid == invalid_policy::close) {
        begin_close(close_code::invalid_payload, result.error, close_reason::invalid_payload, false);
        return;
    }
    push(make_frame(encode_frame(opcode::text, error_frame_json(result.error))));
}

void ws_session::on_close_frame(const frame_event& ev) {
    close_received_ = true;
    if (closing_) return;
    // Echo the client's code; a close without one is answered with 1000.
    const std::uint16_t code = ev.code == close_code::no_status ? close_code::normal : ev.code;
    begin_close(code, {}, close_reason::client_close, false);
}

// ---- writing ------------------------------------------------------------------

void ws_session::push(const frame_ptr& frame) {
    auto& m = ep_.metrics();
    if (closing_ || finished_) {
        m.drops_closing.inc();
        return;
    }
    const auto& s = ep_.settings();
    const std::uint64_t size = frame->size();
    // An empty queue always takes a message, however large: the limit is
    // about a client falling behind, not about message size.
    if (queued_bytes_ > 0 && queued_bytes_ + size > s.send_queue_bytes) {
        if (s.slow_consumer == slow_consumer_policy::disconnect) {
            m.drops_slow.inc();
            if (const auto n = ++ep_.warnings().slow_consumer; araldo::worth_logging(n))
                ep_.ctx().log().warn("client {}: slow consumer ({} bytes queued), closing with 1008 ({} so far)", id_,
                                     queued_bytes_, n);
            begin_close(close_code::policy_violation, "slow consumer", close_reason::slow_consumer, false);
            return;
        }
        while (!pending_.empty() && queued_bytes_ + size > s.send_queue_bytes) {
            queued_bytes_ -= pending_.pop_front()->size();
            m.drops_slow.inc();
        }
        // A frame half written may alone fill the queue: the newest message
        // still waits behind it, so the client ends up with the latest state.
    }
    pending_.push_back(frame);
    queued_bytes_ += size;
    request_flush();
}

void ws_session::push_control(frame_ptr frame) {
    control_.push_back(std::move(frame));
    request_flush();
}

// However many frames a burst queues, the session is flushed once, after it.
void ws_session::request_flush() {
    if (flush_requested_ || finished_) return;
    flush_requested_ = true;
    ep_.schedule_flush(shared_from_this());
}

void ws_session::flush() {
    flush_requested_ = false;
    if (finished_ || write_waiting_) return;  // a pending writability wait writes when the socket takes more
    guarded([&] { write_now(); });
}

void ws_session::write_now() {
    auto& iov = ep_.iovecs();
    for (;;) {
        std::size_t total = 0;
        const std::size_t n = gather(iov, total);
        if (n == 0) break;
        msghdr msg{};
        msg.msg_iov = iov.data();
        msg.msg_iovlen = n;
        // sendmsg, not writev: MSG_NOSIGNAL keeps a vanished client from raising SIGPIPE.
        const ssize_t sent = ::sendmsg(socket_.native_handle(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return wait_writable();
            return finish();  // the client is gone
        }
        consumed(static_cast<std::size_t>(sent));
        if (finished_) return;
        if (static_cast<std::size_t>(sent) < total) return wait_writable();  // the socket buffer is full
    }
    if (close_sent_ && close_received_) finish();
}

std::size_t ws_session::gather(std::vector<iovec>& iov, std::size_t& total) {
    if (close_sent_) return 0;  // nothing follows a close frame
    std::size_t n = 0;
    const auto add = [&](const std::string& f, std::size_t offset) {
        iov[n].iov_base = const_cast<char*>(f.data() + offset);  // sendmsg only reads it
        iov[n].iov_len = f.size() - offset;
        total += f.size() - offset;
        return ++n < iov.size();
    };
    if (partial_ && (!add(*partial_, partial_offset_) || partial_kind_ == frame_kind::close)) return n;
    for (const auto& f : control_)
        if (!add(*f, 0)) return n;
    for (const auto& f : pending_)
        if (!add(*f, 0)) return n;
    if (close_frame_) add(*close_frame_, 0);
    return n;
}

// Walks what was written in the order gather() laid it out: whole frames
// leave their queue, a frame cut short becomes partial_.
void ws_session::consumed(std::size_t bytes) {
    ep_.metrics().bytes_out.inc(bytes);
    if (handshake_left_ > 0) {
        handshake_left_ -= std::min(handshake_left_, bytes);
        if (handshake_left_ == 0) arm_timer();  // from the handshake deadline to pings
    }
    if (partial_) {
        const std::size_t left = partial_->size() - partial_offset_;
        if (bytes < left) {
            partial_offset_ += bytes;
            return;
        }
        bytes -= left;
        frame_written(*partial_, partial_kind_);
        partial_.reset();
    }
    std::size_t done = 0;
    while (done < control_.size() && bytes >= control_[done]->size()) bytes -= control_[done++]->size();
    if (done < control_.size() && bytes > 0)
        cut_short(std::move(control_[done++]), std::exchange(bytes, 0), frame_kind::control);
    control_.erase(control_.begin(), control_.begin() + static_cast<std::ptrdiff_t>(done));
    if (!control_.empty() || partial_) return;
    while (!pending_.empty() && bytes >= pending_.front()->size()) {
        bytes -= pending_.front()->size();
        frame_written(*pending_.pop_front(), frame_kind::data);
    }
    if (!pending_.empty()) {
        if (bytes > 0) cut_short(pending_.pop_front(), bytes, frame_kind::data);
        return;
    }
    if (!close_frame_ || bytes == 0) return;
    if (bytes < close_frame_->size()) return cut_short(std::move(close_frame_), bytes, frame_kind::close);
    frame_written(*close_frame_, frame_kind::close);
    close_frame_.reset();
}

void ws_session::cut_short(frame_ptr frame, std::size_t written, frame_kind kind) {
    partial_ = std::move(frame);
    partial_offset_ = written;
    partial_kind_ = kind;
}

void ws_session::frame_written(const std::string& frame, frame_kind kind) {
    if (kind == frame_kind::data) {
        queued_bytes_ -= std::min<std::uint64_t>(queued_bytes_, frame.size());
        ep_.metrics().messages_out.inc();
    } else if (kind == frame_kind::close) {
        close_sent_ = true;
        // Nothing follows a close frame: the FIN tells the client so, and lets
        // it end the connection without waiting for us.
        error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_send, ignored);
    }
}

void ws_session::wait_writable() {
    write_waiting_ = true;
    socket_.async_wait(tcp::socket::wait_write, [self = shared_from_this()](const error_code& ec) {
        self->write_waiting_ = false;
        if (self->finished_) return;
        if (ec) return self->finish();
        self->guarded([&] { self->write_now(); });
    });
}

void ws_session::begin_close(std::uint16_t code, std::string_view reason, close_reason why, bool flush) {
    if (closing_ || finished_) return;
    closing_ = true;
    auto& m = ep_.metrics();
    m.disconnected(why);
    if (!flush) {
        m.drops_closing.inc(pending_.size());
        for (const auto& f : pending_) queued_bytes_ -= std::min<std::uint64_t>(queued_bytes_, f->size());
        pending_.clear();
    }
    close_frame_ = make_frame(encode_close(code, reason));
    close_deadline_ = clock::now() + (why == close_reason::shutdown ? shutdown_grace : close_grace);
    request_flush();
    arm_timer();  // now for the close deadline
}

void ws_session::finish() {
    if (finished_) return;
    finished_ = true;
    if (!closing_) ep_.metrics().disconnected(close_reason::connection_lost);
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);  // pending waits end with operation_aborted, releasing the session
    timer_.cancel();
    partial_.reset();
    control_.clear();
    pending_.clear();
    close_frame_.reset();
    queued_bytes_ = 0;
    ep_.session_ended(*this);
    ep_.ctx().log().debug("client {} disconnected", id_);
}

// ---- liveness -------------------------------------------------------------------

void ws_session::arm_timer() {
    if (finished_) return;
    const auto due = next_deadline(clock::now());
    if (due == timer_due_) return;
    timer_due_ = due;
    if (due == clock::time_point::max()) {
        timer_.cancel();
        return;
    }
    timer_.expires_at(due);  // cancels a wait armed for another time
    timer_.async_wait([self = shared_from_this()](const error_code& ec) {
        if (ec != asio::error::operation_aborted) self->guarded([&] { self->on_timer(); });
    });
}

void ws_session::on_timer() {
    timer_due_ = clock::time_point::max();
    if (finished_) return;
    const auto now = clock::now();
    if (closing_ && now >= close_deadline_) return finish();
    if (handshake_left_ > 0 && now >= started_ + ep_.settings().handshake_timeout) {
        ep_.metrics().disconnected(close_reason::handshake_timeout);
        closing_ = true;  // counted here; nothing more to send
        return finish();
    }
    check_liveness(now);
    arm_timer();
}

void ws_session::check_liveness(clock::time_point now) {
    if (closing_ || handshake_left_ > 0) return;
    if (expires_ && wall_clock::now() >= *expires_) {
        begin_close(close_code::policy_violation, "token expired", close_reason::token_expired, false);
        return;
    }
    const auto& s = ep_.settings();
    if (s.ping_interval.count() <= 0) return;
    if (awaiting_pong_ && now >= pong_due_) {
        if (const auto n = ++ep_.warnings().pong_timeout; araldo::worth_logging(n))
            ep_.ctx().log().info("client {}: no pong within {} ms, closing ({} so far)", id_, s.pong_timeout.count(),
                                 n);
        begin_close(close_code::policy_violation, "pong timeout", close_reason::pong_timeout, false);
        return;
    }
    if (!awaiting_pong_ && now >= ping_due_) {
        awaiting_pong_ = true;
        pong_due_ = now + s.pong_timeout;
        push_control(ep_.ping_frame());
    }
}

ws_session::clock::time_point ws_session::next_deadline(clock::time_point now) const {
    if (closing_) return close_deadline_;
    if (handshake_left_ > 0) return started_ + ep_.settings().handshake_timeout;
    auto next = clock::time_point::max();
    if (ep_.settings().ping_interval.count() > 0) next = awaiting_pong_ ? pong_due_ : ping_due_;
    if (expires_) {
        const auto left = std::chrono::duration_cast<clock::duration>(*expires_ - wall_clock::now());
        next = std::min(next, now + std::max(left, clock::duration::zero()));
    }
    return next;
}

}  // namespace araldo::plugins::endpoint_websocket
