// One connected WebSocket client: a reader, a writer and a watchdog coroutine
// that end together. The writer is the only one writing to the socket; it
// sends everything queued (the 101, pongs, pings, data frames, the close
// frame) in one gather write. Data frames are shared, immutable buffers built
// once per message for every client (server frames are unmasked, so the bytes
// are the same for all).
#pragma once

#include "ws_auth.hpp"
#include "ws_frame.hpp"
#include "ws_frame_queue.hpp"
#include "ws_metrics.hpp"

#include <araldo/wakeup.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace araldo::plugins::endpoint_websocket {

namespace asio = boost::asio;

class ws_endpoint;

// Owned by its own coroutine (a shared_ptr in run_session); the endpoint keeps
// a plain pointer while it lives, removed by the destructor.
class ws_session {
public:
    using clock = std::chrono::steady_clock;

    ws_session(ws_endpoint& ep, asio::ip::tcp::socket socket, std::uint64_t id, auth_result auth,
               std::string handshake_response, std::string buffered);
    ~ws_session();
    ws_session(const ws_session&) = delete;
    ws_session& operator=(const ws_session&) = delete;

    // Runs until the connection is closed.
    asio::awaitable<void> run();

    // Queues a data frame; applies the slow-consumer policy. Never suspends.
    void push(const frame_ptr& frame);
    // Starts the closing handshake: the close frame goes after what is queued
    // (flush) or at once, dropping the queue; the socket is closed when the
    // client answers or after a grace period.
    void begin_close(std::uint16_t code, std::string_view reason, close_reason why, bool flush);

    std::uint64_t id() const noexcept { return id_; }
    std::uint64_t queued_bytes() const noexcept { return queued_bytes_; }
    std::size_t index = 0;  // position in the endpoint's list, for O(1) removal

private:
    asio::awaitable<void> read_loop();
    asio::awaitable<void> write_loop();
    asio::awaitable<void> watch_loop();

    bool take_bytes(std::string_view data);  // false: the close handshake is complete
    bool on_event(const frame_event& ev);
    void on_message(bool binary);
    void on_close_frame(const frame_event& ev);
    bool fill_batch();
    void written(std::size_t bytes);
    void push_control(frame_ptr frame);
    void wake_writer();
    clock::time_point next_deadline(clock::time_point now);
    void check_liveness(clock::time_point now);

    ws_endpoint& ep_;
    asio::ip::tcp::socket socket_;
    frame_parser parser_;
    std::uint64_t id_;
    std::string client_attr_;  // id_ as text: the ws.client attribute
    std::string subject_;      // a JWT's sub: the ws.user attribute
    std::optional<wall_clock::time_point> expires_;
    std::string initial_;      // bytes the listener read past the request

    frame_queue pending_;             // data frames waiting for the writer
    std::vector<frame_ptr> control_;  // the 101, pongs and pings: sent before pending data
    frame_ptr close_frame_;
    std::vector<frame_ptr> batch_;    // what the writer is writing now
    std::vector<asio::const_buffer> buffers_;
    std::uint64_t queued_bytes_ = 0;  // data bytes pending or being written
    std::uint64_t batch_data_bytes_ = 0;
    std::size_t batch_data_frames_ = 0;
    bool batch_has_close_ = false;

    araldo::wakeup wake_;  // parks the writer while there is nothing to write
    asio::steady_timer tick_;  // the watchdog's next deadline
    bool handshake_done_ = false;
    bool closing_ = false;
    bool close_sent_ = false;
    bool close_received_ = false;
    bool awaiting_pong_ = false;
    clock::time_point started_;
    clock::time_point ping_due_;
    clock::time_point pong_due_;
    clock::time_point close_deadline_;
};

}  // namespace araldo::plugins::endpoint_websocket
