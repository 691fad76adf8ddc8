#include "ws_session.hpp"

#include "ws_endpoint.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <span>

namespace araldo::plugins::endpoint_websocket {

namespace {

using error_code = boost::system::error_code;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Frames per gather write: what one writev() takes (Asio's limit).
constexpr std::size_t max_batch = 64;
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

// {"type":"error","error":"<reason>"} with the reason escaped as a JSON string.
std::string error_frame_json(std::string_view reason) {
    std::string out = R"({"type":"error","error":")";
    static constexpr char hex[] = "0123456789abcdef";
    for (const char c : reason) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            out += "\\u00";
            out += hex[u >> 4];
            out += hex[u & 0xF];
        } else {
            out += c;
        }
    }
    out += "\"}";
    return out;
}

}  // namespace

ws_session::ws_session(ws_endpoint& ep, tcp::socket socket, std::uint64_t id, auth_result auth,
                       std::string handshake_response, std::string buffered)
    : ep_{ep},
      socket_{std::move(socket)},
      parser_{ep.settings().max_message_size},
      id_{id},
      client_attr_{std::to_string(id)},
      subject_{std::move(auth.subject)},
      expires_{auth.expires},
      initial_{std::move(buffered)},
      wake_{socket_.get_executor()},
      tick_{socket_.get_executor()},
      started_{clock::now()} {
    control_.push_back(std::make_shared<const std::string>(std::move(handshake_response)));
    ping_due_ = started_ + ep_.settings().ping_interval;
    error_code ignored;
    socket_.non_blocking(true, ignored);  // reads are readiness waits plus non-blocking reads
    socket_.set_option(tcp::no_delay(true), ignored);
}

ws_session::~ws_session() { ep_.session_ended(*this); }

asio::awaitable<void> ws_session::run() {
    using namespace asio::experimental::awaitable_operators;
    co_await (read_loop() || write_loop() || watch_loop());
    if (!closing_) ep_.metrics().disconnected(close_reason::connection_lost);
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    ep_.ctx().log().debug("client {} disconnected", id_);
}

// ---- reading ------------------------------------------------------------------

asio::awaitable<void> ws_session::read_loop() {
    if (!initial_.empty()) {
        const std::string first = std::move(initial_);
        if (!take_bytes(first)) co_return;
    }
    auto& buffer = ep_.read_buffer();
    for (;;) {
        const auto [wait_ec] = co_await socket_.async_wait(tcp::socket::wait_read, use_tuple);
        if (wait_ec) co_return;
        error_code ec;
        const std::size_t n = socket_.read_some(asio::buffer(buffer), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
        if (ec) co_return;  // the client left (EOF or reset)
        ep_.metrics().bytes_in.inc(n);
        if (!take_bytes({buffer.data(), n})) co_return;
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
        if (!closing_) on_message(ev.kind == frame_event::binary);
        else parser_.take_message();  // after our close frame, data is ignored
        break;
    case frame_event::ping:
        if (!closing_) push_control(std::make_shared<const std::string>(encode_frame(opcode::pong, parser_.control_payload())));
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
        if (ep_.may_warn()) ep_.ctx().log().info("client {}: {} (closing with {})", id_, ev.reason, ev.code);
        begin_close(ev.code, ev.reason, reason_for_failure(ev.code), false);
        break;
    case frame_event::need_more:
        break;
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
    push(std::make_shared<const std::string>(encode_frame(opcode::text, error_frame_json(result.error))));
}

void ws_session::on_close_frame(const frame_event& ev) {
    close_received_ = true;
    if (closing_) return;
    // Echo the client's code; a close without one is answered with 1000.
    const std::uint16_t code = ev.code == close_code::no_status ? close_code::normal : ev.code;
    begin_close(code, {}, close_reason::client_close, false);
}

// ---- writing ------------------------------------------------------------------

asio::awaitable<void> ws_session::write_loop() {
    for (;;) {
        if (!fill_batch()) {
            if (close_sent_ && close_received_) co_return;
            co_await wake_.wait();  // push(), push_control() or begin_close()
            continue;
        }
        // A span, not the vector: the write operation then copies two words, not the list.
        const std::span<const asio::const_buffer> gather{buffers_};
        const auto [ec, n] = co_await asio::async_write(socket_, gather, use_tuple);
        if (ec) co_return;  // the client is gone; the reader ends with the socket
        written(n);
        if (close_sent_ && close_received_) co_return;
    }
}

bool ws_session::fill_batch() {
    batch_.clear();
    buffers_.clear();
    batch_data_bytes_ = 0;
    batch_data_frames_ = 0;
    batch_has_close_ = false;
    if (close_sent_) return false;
    for (auto& f : control_) batch_.push_back(std::move(f));
    control_.clear();
    while (!pending_.empty() && batch_.size() < max_batch) {
        batch_data_bytes_ += pending_.front()->size();
        ++batch_data_frames_;
        batch_.push_back(pending_.pop_front());
    }
    if (pending_.empty() && close_frame_) {
        batch_.push_back(close_frame_);
        batch_has_close_ = true;
    }
    for (const auto& f : batch_) buffers_.emplace_back(f->data(), f->size());
    return !batch_.empty();
}

void ws_session::written(std::size_t bytes) {
    if (!handshake_done_) {
        handshake_done_ = true;
        tick_.cancel();  // the watchdog switches from the handshake deadline to pings
    }
    queued_bytes_ -= std::min(queued_bytes_, batch_data_bytes_);
    auto& m = ep_.metrics();
    m.messages_out.inc(batch_data_frames_);
    m.bytes_out.inc(bytes);
    batch_.clear();
    if (!batch_has_close_) return;
    close_sent_ = true;
    // Nothing follows a close frame: the FIN tells the client so, and lets it
    // end the connection without waiting for us.
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
}

void ws_session::push(const frame_ptr& frame) {
    auto& m = ep_.metrics();
    if (closing_) {
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
            if (ep_.may_warn()) ep_.ctx().log().warn("client {}: slow consumer ({} bytes queued), closing with 1008", id_, queued_bytes_);
            begin_close(close_code::policy_violation, "slow consumer", close_reason::slow_consumer, false);
            return;
        }
        while (!pending_.empty() && queued_bytes_ + size > s.send_queue_bytes) {
            queued_bytes_ -= pending_.pop_front()->size();
            m.drops_slow.inc();
        }
        // What is being written may alone fill the queue: the newest message
        // still waits behind it, so the client ends up with the latest state.
    }
    pending_.push_back(frame);
    queued_bytes_ += size;
    wake_writer();
}

void ws_session::push_control(frame_ptr frame) {
    control_.push_back(std::move(frame));
    wake_writer();
}

void ws_session::wake_writer() { wake_.notify(); }  // one wake-up per burst, however many frames

void ws_session::begin_close(std::uint16_t code, std::string_view reason, close_reason why, bool flush) {
    if (closing_) return;
    closing_ = true;
    auto& m = ep_.metrics();
    m.disconnected(why);
    if (!flush) {
        m.drops_closing.inc(pending_.size());
        for (const auto& f : pending_) queued_bytes_ -= std::min<std::uint64_t>(queued_bytes_, f->size());
        pending_.clear();
    }
    close_frame_ = std::make_shared<const std::string>(encode_close(code, reason));
    close_deadline_ = clock::now() + (why == close_reason::shutdown ? shutdown_grace : close_grace);
    wake_writer();
    tick_.cancel();  // the watchdog now waits for the close deadline
}

// ---- liveness -------------------------------------------------------------------

asio::awaitable<void> ws_session::watch_loop() {
    for (;;) {
        const auto now = clock::now();
        if (closing_ && now >= close_deadline_) co_return;  // ends the reader and writer too
        if (!handshake_done_ && now >= started_ + ep_.settings().handshake_timeout) {
            ep_.metrics().disconnected(close_reason::handshake_timeout);
            closing_ = true;  // counted here; nothing more to send
            co_return;
        }
        check_liveness(now);
        tick_.expires_at(next_deadline(now));
        co_await tick_.async_wait(use_tuple);  // cancelled by begin_close()
    }
}

void ws_session::check_liveness(clock::time_point now) {
    if (closing_ || !handshake_done_) return;
    if (expires_ && wall_clock::now() >= *expires_) {
        begin_close(close_code::policy_violation, "token expired", close_reason::token_expired, false);
        return;
    }
    const auto& s = ep_.settings();
    if (s.ping_interval.count() <= 0) return;
    if (awaiting_pong_ && now >= pong_due_) {
        if (ep_.may_warn()) ep_.ctx().log().info("client {}: no pong within {} ms, closing", id_, s.pong_timeout.count());
        begin_close(close_code::policy_violation, "pong timeout", close_reason::pong_timeout, false);
        return;
    }
    if (!awaiting_pong_ && now >= ping_due_) {
        awaiting_pong_ = true;
        pong_due_ = now + s.pong_timeout;
        push_control(ep_.ping_frame());
    }
}

ws_session::clock::time_point ws_session::next_deadline(clock::time_point now) {
    if (closing_) return close_deadline_;
    if (!handshake_done_) return started_ + ep_.settings().handshake_timeout;
    auto next = clock::time_point::max();
    if (ep_.settings().ping_interval.count() > 0) next = awaiting_pong_ ? pong_due_ : ping_due_;
    if (expires_) {
        const auto left = std::chrono::duration_cast<clock::duration>(*expires_ - wall_clock::now());
        next = std::min(next, now + std::max(left, clock::duration::zero()));
    }
    return next;
}

}  // namespace araldo::plugins::endpoint_websocket
