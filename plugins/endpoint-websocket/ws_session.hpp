// One connected WebSocket client, as plain callbacks on its socket rather
// than coroutines: an idle client then costs a few hundred bytes (the
// session, with room for its one pending readiness wait inside it, and
// Asio's state for the socket), where a reader, a writer and a watchdog
// coroutine cost about 9 KiB of frames. Its deadlines are entries in the
// endpoint's one timer (ws_deadlines.hpp), not a timer of its own.
//
// Three parts: the transport (the socket, and TLS over it), the outbox (what
// is to be written, without a socket) and the session itself, which reads
// frames, moves bytes from the outbox to the transport, keeps the deadlines
// and walks the phases handshake -> open -> closing -> closed.
//
// Writing: push() only queues a shared frame and asks the endpoint for a
// flush; the endpoint flushes every client it was asked to once per turn of
// the event loop, so the frames of a burst leave in one gather write per
// client, written directly from the flush. Only when the socket will not take
// everything does the session wait for it to become writable. Data frames are
// immutable buffers built once per message for every client (server frames
// are unmasked, so the bytes are the same for all).
#pragma once

#include "ws_auth.hpp"
#include "ws_deadlines.hpp"
#include "ws_folder_index.hpp"
#include "ws_frame.hpp"
#include "ws_frame_queue.hpp"
#include "ws_handler_memory.hpp"
#include "ws_metrics.hpp"
#include "ws_outbox.hpp"
#include "ws_transport.hpp"

#include <araldo/tls.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace araldo::plugins::endpoint_websocket {

namespace asio = boost::asio;

class ws_endpoint;

// Owned by the handlers pending on it (each holds a shared_ptr) and, while it
// waits for a flush or its deadline is being handled, by the endpoint's lists.
// The endpoint keeps plain pointers (its list of clients, its deadline heap)
// while the connection is open; finish() removes them.
class ws_session : public folder_subscriber, public std::enable_shared_from_this<ws_session> {
public:
    using clock = std::chrono::steady_clock;

    // handshake: the 101 is not written yet. closing: our close frame is
    // queued or sent, and the client's answer awaited. closed: the socket is
    // closed, and the object waits for its last handler.
    enum class phase : std::uint8_t { handshake, open, closing, closed };

    // `tls` is the upgrade's TLS stream, null on a plain listener.
    ws_session(ws_endpoint& ep, asio::ip::tcp::socket socket, std::unique_ptr<araldo::tls_stream> tls, std::uint64_t id,
               client_identity who, std::string handshake_response);
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
    // The deadline the endpoint keeps for this session has come.
    void deadline_passed();

    std::uint64_t id() const noexcept { return id_; }
    // Null for a client without a JWT's sub or exp, folder claims or a client certificate.
    const client_identity* identity() const noexcept { return who_.get(); }
    // Null: unrestricted.
    const araldo::key_identity* rights() const noexcept { return who_ ? who_->rights.get() : nullptr; }
    // The key it connected with (empty: none), and what a reload of the
    // keys file makes of it: new rights, or a close with 4001 when revoked.
    std::string_view key_id() const noexcept { return who_ ? std::string_view{who_->key_id} : std::string_view{}; }
    void rights_changed(std::shared_ptr<const araldo::key_identity> rights);
    std::string_view name() const noexcept { return who_ ? who_->name() : std::string_view{}; }
    std::string_view own_folder() const noexcept {
        return rights() ? std::string_view{rights()->folder} : std::string_view{};
    }
    // Kept only with client-events, which announce it.
    std::string remote_address;
    std::uint64_t queued_bytes() const noexcept { return outbox_.queued_bytes(); }
    // Positions in the endpoint's list of clients and in its deadline heap
    // (which alone writes deadline_slot), so that leaving either is cheap.
    std::uint32_t index = 0;
    std::uint32_t deadline_slot = deadline_heap<ws_session>::none;

private:
    // Room for the pending read wait's operation (ws_handler_memory.hpp):
    // 104 bytes with Boost 1.81's reactive_wait_op; a larger one is allocated.
    static constexpr std::size_t read_wait_room = 104;
    struct read_waiter;
    bool closing() const noexcept { return phase_ >= phase::closing; }

    // Reading.
    void wait_readable(araldo::io_wait what);
    void on_readable(const boost::system::error_code& ec);
    void read_available();
    bool take_bytes(std::string_view data);  // false: the session is over
    bool on_event(const frame_event& ev);
    void on_message(bool binary);
    void on_close_frame(const frame_event& ev);

    // Writing.
    void push_control(frame_ptr frame);
    void request_flush();
    void write_now();
    void written(std::size_t bytes);
    void wait_writable(araldo::io_wait what);

    // Deadlines: the 101, pings and pongs, token expiry, the close grace.
    // arm_timer() tells the endpoint the next one.
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

    // Every connected client has one of these: members are ordered to keep
    // padding small.
    ws_endpoint& ep_;
    ws_transport transport_;
    frame_parser parser_;
    ws_outbox outbox_;
    handler_memory<read_wait_room> read_wait_memory_;
    std::uint64_t id_;  // also the ws.client attribute
    // A JWT's sub and exp, a client certificate's names: null for a client
    // that has none of them, which is most.
    std::unique_ptr<const client_identity> who_;

    // Per phase: the 101's deadline; then when the next ping is due, or
    // while one is out the pong's deadline; then the end of the close grace.
    clock::time_point deadline_;

    phase phase_ = phase::handshake;
    bool awaiting_pong_ = false;   // a ping is out (open phase only)
    bool close_received_ = false;  // the client's close frame came: once ours is out, the connection ends
    bool flush_requested_ = false;
    bool write_waiting_ = false;  // a readiness wait for a write is pending: it will flush
};

}  // namespace araldo::plugins::endpoint_websocket
