// One live link: a WebSocket carrying frames (link_frame.hpp) to the far
// relay, in either role. The transport (Beast, TLS) stays inside link_ws.cpp;
// the endpoint sees this: a bounded queue of frames to send, a close, the
// frames that arrive, and what it is worth showing an operator.
//
// Owned by shared_ptr: the endpoint holds the live ones, and the coroutines
// of run() hold it until they have ended. Everything on the core thread.
#pragma once

#include "link_options.hpp"

#include <araldo/http.hpp>
#include <araldo/result.hpp>
#include <araldo/wakeup.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace boost::asio::ssl {
class context;
}

namespace araldo::plugins::endpoint_link {

namespace asio = boost::asio;

class link_connection;

// Called for every binary message that arrives, and for every pong.
struct connection_events {
    std::function<void(link_connection&, std::string_view)> on_frame;  // valid during the call
    std::function<void(link_connection&, std::chrono::steady_clock::duration)> on_rtt;
};

// Close codes of our own (RFC 6455 leaves 4000-4999 to applications).
inline constexpr std::uint16_t close_replaced = 4000;

class link_connection : public std::enable_shared_from_this<link_connection> {
public:
    explicit link_connection(asio::any_io_executor ex) : wake_(std::move(ex)) {}
    virtual ~link_connection() = default;
    link_connection(const link_connection&) = delete;
    link_connection& operator=(const link_connection&) = delete;

    // Queues one frame. A bounded frame (event, request) is refused when
    // `limit` frames already wait; a reply never is: each answers a request
    // the far side counted against its own queue.
    bool send(std::string frame, bool bounded, std::size_t limit);
    // Sends what is queued, then a close frame with `code` and `reason`.
    void close(std::uint16_t code, std::string reason);
    // Closes the connection now, without a close handshake.
    virtual void abort() = 0;
    // Runs the link until it ends (either side closed, an I/O error, the
    // heartbeat timed out); returns why, for logs and health.
    virtual asio::awaitable<std::string> run(connection_events events) = 0;

    bool live() const noexcept { return !ended_ && !closing_; }

    // What the admin list shows.
    std::uint64_t serial = 0;
    std::string peer;    // link.peer of what arrives on it
    std::string cn;      // the far side's certificate CN (the hub's, on a client)
    std::string remote;  // "127.0.0.1:53412"
    std::chrono::system_clock::time_point since{};
    std::uint64_t messages_in = 0;
    std::uint64_t messages_out = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::chrono::steady_clock::duration last_rtt{};
    // How it ended, a metric label: closed (by us), closed_by_peer, too_big,
    // heartbeat, protocol, error.
    std::string_view ended_as = "error";

protected:
    // What goes out next: the front frame alone, or as many waiting frames as
    // fit in one batch (max_batch_bytes); `frames` says how many it holds.
    std::string take_next(std::size_t& frames);

    std::deque<std::string> queue_;
    araldo::wakeup wake_;
    bool closing_ = false;
    bool ended_ = false;
    std::uint16_t close_code_ = 1000;
    std::string close_reason_;
};

using connection_ptr = std::shared_ptr<link_connection>;

// The client: connects, verifies the hub (prepare_tls_client), presents the
// certificate of `tls` and upgrades, all within s.connect_timeout. Fails with
// the reason ("cannot connect: ...", "TLS handshake failed: ...", "hub refused
// the link: 403 ...").
// `dialing` points at the connection while it is being made, so that a stop
// can abort() it instead of waiting for the timeout.
asio::awaitable<araldo::result<connection_ptr>> dial(asio::any_io_executor ex, asio::ssl::context& tls,
                                                     const link_settings& s, std::weak_ptr<link_connection>& dialing);

// The hub: completes the WebSocket handshake on a connection the core
// upgraded (it must be TLS) within s.connect_timeout.
asio::awaitable<araldo::result<connection_ptr>> accept_upgrade(araldo::http_upgrade up, const link_settings& s);

}  // namespace araldo::plugins::endpoint_link
