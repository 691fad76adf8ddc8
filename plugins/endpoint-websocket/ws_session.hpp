// One connected WebSocket client, as plain callbacks on its socket and one
// timer rather than coroutines: an idle client then costs a few hundred bytes
// (the session, one pending readiness wait), where a reader, a writer and a
// watchdog coroutine cost about 9 KiB of frames.
//
// Writing: push() only queues a shared frame and asks the endpoint for a
// flush; the endpoint flushes every client it was asked to once per turn of
// the event loop, so the frames of a burst leave in one gather write
// (sendmsg) per client, written directly from the flush. Only when the socket
// will not take everything does the session wait for it to become writable.
// Data frames are immutable buffers built once per message for every client
// (server frames are unmasked, so the bytes are the same for all).
#pragma once

#include "ws_auth.hpp"
#include "ws_frame.hpp"
#include "ws_frame_queue.hpp"
#include "ws_metrics.hpp"

#include <sys/uio.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace araldo::plugins::endpoint_websocket {

namespace asio = boost::asio;

class ws_endpoint;

// Owned by the handlers pending on it (each holds a shared_ptr) and, while it
// waits for a flush, by the endpoint's flush list. The endpoint keeps a plain
// pointer while the connection is open; finish() removes it.
class ws_session : public std::enable_shared_from_this<ws_session> {
public:
    using clock = std::chrono::steady_clock;

    ws_session(ws_endpoint& ep, asio::ip::tcp::socket socket, std::uint64_t id, client_identity who,
               std::string handshake_response);
    ~ws_session();
    ws_session(const ws_session&) = delete;
    ws_session& operator=(const ws_session&) = delete;

    // Writes the 101, takes `buffered` (what the listener read past the
    // request), and starts waiting for the client.
    void start(std::string_view buffered);

    // Queues a data frame; applies the slow-consumer policy. Never blocks.
    void push(const frame_ptr& frame);
    // Starts the closing handshake: the close frame goes after what is queued
    // (flush) or at once, dropping the queue; the socket is closed when the
    // client answers or after a grace period.
    void begin_close(std::uint16_t code, std::string_view reason, close_reason why, bool flush);
    // Writes what is queued, as much as the socket takes now. Called by the
    // endpoint, once per turn, for each session that asked.
    void flush();

    std::uint64_t id() const noexcept { return id_; }
    std::uint64_t queued_bytes() const noexcept { return queued_bytes_; }
    std::size_t index = 0;  // position in the endpoint's list, for O(1) removal

private:
    enum class frame_kind { control, data, close };

    // Reading.
    void wait_readable();
    void on_readable(const boost::system::error_code& ec);
    bool take_bytes(std::string_view data);  // false: the session is over
    bool on_event(const frame_event& ev);
    void on_message(bool binary);
    void on_close_frame(const frame_event& ev);

    // Writing.
    void request_flush();
    void write_now();
    std::size_t gather(std::vector<iovec>& iov, std::size_t& total);
    void consumed(std::size_t bytes);
    void cut_short(frame_ptr frame, std::size_t written, frame_kind kind);
    void frame_written(const std::string& frame, frame_kind kind);
    void wait_writable();
    void push_control(frame_ptr frame);

    // Deadlines: the 101, pings and pongs, token expiry, the close grace.
    void arm_timer();
    void on_timer();
    void check_liveness(clock::time_point now);
    clock::time_point next_deadline(clock::time_point now) const;

    // Ends the connection now; the object goes when its last handler has run.
    void finish();
    // Runs a step of the session from a handler: what it throws (memory
    // running out) ends this session, not the event loop.
    template <class Step>
    void guarded(Step&& step) noexcept;

    ws_endpoint& ep_;
    asio::ip::tcp::socket socket_;
    asio::steady_timer timer_;
    frame_parser parser_;
    std::uint64_t id_;
    std::string client_attr_;  // id_ as text: the ws.client attribute
    std::string subject_;      // a JWT's sub: the ws.user attribute
    std::optional<wall_clock::time_point> expires_;

    // Sent in this order: the rest of a frame a write cut short, control
    // frames (the 101, pongs, pings), data frames, the close frame.
    frame_ptr partial_;
    std::size_t partial_offset_ = 0;
    frame_kind partial_kind_ = frame_kind::control;
    std::vector<frame_ptr> control_;
    frame_queue pending_;
    frame_ptr close_frame_;
    std::uint64_t queued_bytes_ = 0;  // data bytes pending or partly written
    std::size_t handshake_left_ = 0;  // bytes of the 101 not yet written

    clock::time_point started_;
    clock::time_point ping_due_;
    clock::time_point pong_due_;
    clock::time_point close_deadline_;
    clock::time_point timer_due_ = clock::time_point::max();  // what the timer is armed for

    bool flush_requested_ = false;
    bool write_waiting_ = false;  // a writability wait is pending: it will flush
    bool closing_ = false;
    bool close_sent_ = false;
    bool close_received_ = false;
    bool awaiting_pong_ = false;
    bool finished_ = false;
};

}  // namespace araldo::plugins::endpoint_websocket
