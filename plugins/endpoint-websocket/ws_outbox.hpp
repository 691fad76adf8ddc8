// What a session has yet to write, without a socket: the 101, control
// frames, shared data frames and the close frame, laid out as a gather list
// and walked forward by the bytes a write took. Unit tests drive it a byte
// at a time; the session only moves its bytes between it and the transport.
//
// Order on the wire: the rest of a frame a write cut short, then control
// frames (the 101, pongs, pings), then data frames, then the close frame;
// nothing after the close frame. A TLS write that has to be retried pins
// what it was offered (OpenSSL resends the record it already made, so the
// retry must offer the same bytes first): until those are written, a gather
// offers only them, nothing jumps ahead of them and nothing of them is dropped.
//
// Every container is empty until used, so an idle client's outbox holds no
// heap memory.
#pragma once

#include "ws_frame_queue.hpp"

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace araldo::plugins::endpoint_websocket {

class ws_outbox {
public:
    enum class frame_kind : std::uint8_t { control, data, close };

    // push_data(): queued, or refused because the queue is over its limit
    // and the policy is to disconnect; `dropped` older frames made room.
    struct push_result {
        bool queued = false;
        std::size_t dropped = 0;
    };

    // What consumed() saw finish.
    struct progress {
        std::size_t data_frames = 0;  // data frames written to their last byte
        bool handshake_done = false;  // the 101's last byte went out
        bool close_done = false;      // the close frame's last byte went out
    };

    // The 101, before anything else; handshake_pending() until it is written.
    void push_handshake(frame_ptr response);
    void push_control(frame_ptr frame);
    // A pong replaces one still waiting (not started, not pinned): RFC 6455
    // 5.5.3 lets a pong answer only the most recent ping, and a client that
    // pings without reading then cannot grow the queue.
    void push_pong(frame_ptr frame);
    // Queues a data frame. With `limit` bytes already queued (a data frame
    // being written counts whole), a frame that would go over it is refused,
    // or with drop_oldest older frames not yet started make room. An empty
    // queue always takes a frame, however large.
    push_result push_data(const frame_ptr& frame, std::uint64_t limit, bool drop_oldest);
    // Queues the close frame last. Without `flush`, the data frames not yet
    // started are dropped first; returns how many.
    std::size_t close(frame_ptr frame, bool flush);

    // Fills `out` from its front in wire order; returns the entries used and
    // adds their bytes to `total`. Zero: nothing to write.
    std::size_t gather(std::span<iovec> out, std::size_t& total) const;
    // A write took `bytes` from the front of the last gather.
    progress consumed(std::size_t bytes);
    // The write was cut short and must be retried with the `bytes` it was
    // offered and did not take (a TLS write): keeps them first until written.
    void pin(std::size_t bytes);

    // Drops everything (the connection is gone).
    void clear() noexcept;

    bool empty() const noexcept { return !partial_ && control_.empty() && pending_.empty() && !close_frame_; }
    std::uint64_t queued_bytes() const noexcept { return queued_bytes_; }
    bool handshake_pending() const noexcept { return handshake_pending_; }
    bool close_queued() const noexcept { return close_queued_; }
    bool close_sent() const noexcept { return close_sent_; }
    bool pinned() const noexcept { return pinned_control_ > 0 || pinned_data_ > 0 || pinned_close_; }

private:
    std::size_t take_control(std::size_t& bytes, std::size_t limit, progress& p);
    std::size_t take_data(std::size_t& bytes, std::size_t limit, progress& p);
    bool take_close(std::size_t& bytes, progress& p);
    void cut_short(frame_ptr frame, std::size_t written, frame_kind kind);
    void frame_written(const std::string& frame, frame_kind kind, progress& p);

    frame_ptr partial_;  // a frame a write cut short; always first
    std::size_t partial_offset_ = 0;
    std::vector<frame_ptr> control_;
    frame_queue pending_;
    frame_ptr close_frame_;
    std::uint64_t queued_bytes_ = 0;  // data bytes pending or partly written
    // The front of control_ and pending_ (in that order, then the close
    // frame) that a retried write must offer first.
    std::uint32_t pinned_control_ = 0;
    std::uint32_t pinned_data_ = 0;
    frame_kind partial_kind_ = frame_kind::control;
    bool pinned_close_ = false;
    bool handshake_pending_ = false;
    bool close_queued_ = false;
    bool close_sent_ = false;
};

}  // namespace araldo::plugins::endpoint_websocket
