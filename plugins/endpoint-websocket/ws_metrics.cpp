#include "ws_metrics.hpp"

#include <araldo/context.hpp>

namespace araldo::plugins::endpoint_websocket {

namespace {

std::string_view to_string(refusal r) noexcept {
    switch (r) {
        case refusal::bad_request: return "bad_request";
        case refusal::origin: return "origin";
        case refusal::auth: return "auth";
        case refusal::max_clients: return "max_clients";
        case refusal::shutting_down: return "shutting_down";
        case refusal::count_: break;
    }
    return "unknown";
}

araldo::counter& make(araldo::endpoint_context& ctx, std::string_view name, std::string_view help,
                      std::string_view reason = {}) {
    metric_labels extra;
    if (!reason.empty()) extra.emplace_back("reason", std::string{reason});
    return araldo::endpoint_counter(ctx, name, help, std::move(extra));
}

}  // namespace

std::string_view to_string(close_reason r) noexcept {
    switch (r) {
        case close_reason::client_close: return "client_close";
        case close_reason::connection_lost: return "connection_lost";
        case close_reason::slow_consumer: return "slow_consumer";
        case close_reason::pong_timeout: return "pong_timeout";
        case close_reason::protocol_error: return "protocol_error";
        case close_reason::invalid_payload: return "invalid_payload";
        case close_reason::too_big: return "too_big";
        case close_reason::token_expired: return "token_expired";
        case close_reason::handshake_timeout: return "handshake_timeout";
        case close_reason::key_revoked: return "key_revoked";
        case close_reason::shutdown: return "shutdown";
        case close_reason::count_: break;
    }
    return "unknown";
}

ws_metrics::ws_metrics(araldo::endpoint_context& ctx)
    : connections{make(ctx, "araldo_ws_connections_total", "WebSocket connections accepted")},
      messages_in{make(ctx, "araldo_ws_frames_in_total", "WebSocket messages received from clients")},
      bytes_in{make(ctx, "araldo_ws_bytes_in_total", "bytes read from WebSocket clients")},
      messages_out{make(ctx, "araldo_ws_frames_out_total", "WebSocket data frames written to clients")},
      bytes_out{make(ctx, "araldo_ws_bytes_out_total", "bytes written to WebSocket clients")},
      drops_slow{make(ctx, "araldo_ws_drops_total", "messages not sent to a WebSocket client", "slow_consumer")},
      drops_closing{make(ctx, "araldo_ws_drops_total", "messages not sent to a WebSocket client", "closing")} {
    for (std::size_t i = 0; i < disconnects.size(); ++i) {
        disconnects[i] = &make(ctx, "araldo_ws_disconnects_total", "WebSocket connections ended, by reason",
                               to_string(static_cast<close_reason>(i)));
    }
    for (std::size_t i = 0; i < refused.size(); ++i) {
        refused[i] = &make(ctx, "araldo_ws_upgrades_refused_total",
                           "WebSocket upgrade requests refused before the upgrade, by reason",
                           to_string(static_cast<refusal>(i)));
    }
}

}  // namespace araldo::plugins::endpoint_websocket
