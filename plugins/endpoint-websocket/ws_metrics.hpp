// The endpoint's counters, looked up once so the hot path only increments.
#pragma once

#include <araldo/metrics.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace araldo::plugins::endpoint_websocket {

// Why a connection ended; a label of araldo_ws_disconnects_total.
enum class close_reason : std::size_t {
    client_close,       // the client sent a close frame
    connection_lost,    // the TCP connection ended without a close handshake
    slow_consumer,      // over send-queue-bytes with slow-consumer: disconnect
    pong_timeout,       // no pong within pong-timeout
    protocol_error,     // 1002
    invalid_payload,    // 1007: bad UTF-8 or rejected by the marshaller
    too_big,            // 1009
    token_expired,      // the JWT's exp passed while connected
    handshake_timeout,  // the 101 could not be written in time
    shutdown,           // stop(): 1001
    key_revoked,        // the client's key was revoked in the keys file: 4001
    count_
};

std::string_view to_string(close_reason r) noexcept;

enum class refusal : std::size_t { bad_request, origin, auth, max_clients, shutting_down, count_ };

struct ws_metrics {
    explicit ws_metrics(araldo::endpoint_context& ctx);

    araldo::counter& connections;
    araldo::counter& messages_in;
    araldo::counter& bytes_in;
    araldo::counter& messages_out;
    araldo::counter& bytes_out;
    araldo::counter& drops_slow;     // messages dropped by drop-oldest or a full queue
    araldo::counter& drops_closing;  // messages for a client that was already closing
    std::array<araldo::counter*, static_cast<std::size_t>(close_reason::count_)> disconnects{};
    std::array<araldo::counter*, static_cast<std::size_t>(refusal::count_)> refused{};

    void disconnected(close_reason r) noexcept { disconnects[static_cast<std::size_t>(r)]->inc(); }
    // Returns how many so far, for araldo::worth_logging.
    std::uint64_t refuse(refusal r) noexcept {
        auto& c = *refused[static_cast<std::size_t>(r)];
        c.inc();
        return c.value();
    }
};

}  // namespace araldo::plugins::endpoint_websocket
