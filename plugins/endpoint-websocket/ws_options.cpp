#include "ws_options.hpp"

#include <limits>
#include <string>

namespace araldo::plugins::endpoint_websocket {

option_table ws_options() {
    using araldo::option_spec;
    using araldo::option_type;
    return {
        option_spec{"path", option_type::string, "/ws", "the URL path clients connect to on the core's listener", false},
        option_spec{"echo", option_type::boolean, "false",
                    "when a route sends this endpoint's messages back to it, also deliver a message to the client that sent it",
                    false},
        option_spec{"max-message-size", option_type::size, "1MiB",
                    "largest message a client may send (all fragments together); larger: close 1009 before it is buffered",
                    false},
        option_spec{"max-clients", option_type::integer, "10000",
                    "connected clients at most; further upgrade requests get 503", false},
        option_spec{"send-queue-bytes", option_type::size, "1MiB",
                    "bytes queued for one client (waiting or being written) before the slow-consumer policy applies",
                    false},
        option_spec{"slow-consumer", option_type::string, "disconnect",
                    "when a client's send queue is full: disconnect (close 1008 \"slow consumer\") or drop-oldest",
                    false},
        option_spec{"ping-interval", option_type::duration, "25s",
                    "how often each client is pinged; 0ms: never", false},
        option_spec{"pong-timeout", option_type::duration, "10s",
                    "a client that does not answer a ping within this time is closed", false},
        option_spec{"handshake-timeout", option_type::duration, "10s",
                    "time allowed from the upgrade request to a written 101 response", false},
        option_spec{"allowed-origins", option_type::string_list, "[]",
                    "browser origins allowed to connect (e.g. https://example.com), or * for any; empty: only the "
                    "listener's own origin. Requests without an Origin header are not browsers and are allowed",
                    false},
        option_spec{"auth", option_type::object, std::nullopt,
                    "client authentication, checked before the upgrade (401 on failure)", false,
                    {
                        option_spec{"tokens", option_type::string_list, "[]",
                                    "static bearer tokens (use ${ENV} substitution), sent as Authorization: Bearer or ?token=",
                                    false},
                        option_spec{"jwt-secret", option_type::string, "",
                                    "HS256 key: a JWT signed with it (exp and nbf checked) is accepted; its expiry closes the connection",
                                    false},
                    }},
        option_spec{"on-invalid", option_type::string, "close",
                    "a message the marshaller rejects: close (1007 with the reason) or error-frame (send "
                    "{\"type\":\"error\",\"error\":reason} and keep the connection)",
                    false},
    };
}

namespace {

std::uint64_t positive_size(const araldo::options& opts, const char* name) {
    const std::uint64_t v = opts.size(name);
    if (v < 1) opts.fail(name, "must be at least 1 byte");
    return v;
}

araldo::duration non_negative(const araldo::options& opts, const char* name) {
    const auto d = opts.duration(name);
    if (d.count() < 0) opts.fail(name, "cannot be negative");
    return d;
}

}  // namespace

ws_settings read_ws_settings(const araldo::options& opts) {
    ws_settings s;
    s.path = opts.string("path");
    if (!s.path.starts_with('/')) opts.fail("path", "must start with /", "path: /ws");
    s.echo = opts.boolean("echo");
    s.max_message_size = positive_size(opts, "max-message-size");
    const std::int64_t clients = opts.integer("max-clients");
    if (clients < 1) opts.fail("max-clients", "must be at least 1, got " + std::to_string(clients));
    s.max_clients = static_cast<std::size_t>(clients);
    s.send_queue_bytes = positive_size(opts, "send-queue-bytes");
    const auto& policy = opts.string("slow-consumer");
    if (policy == "disconnect") s.slow_consumer = slow_consumer_policy::disconnect;
    else if (policy == "drop-oldest") s.slow_consumer = slow_consumer_policy::drop_oldest;
    else opts.fail("slow-consumer", "unknown policy '" + policy + "'", "use disconnect or drop-oldest");
    s.ping_interval = non_negative(opts, "ping-interval");
    s.pong_timeout = non_negative(opts, "pong-timeout");
    if (s.ping_interval.count() > 0 && s.pong_timeout.count() == 0)
        opts.fail("pong-timeout", "must be positive when pings are sent");
    s.handshake_timeout = non_negative(opts, "handshake-timeout");
    if (s.handshake_timeout.count() == 0) opts.fail("handshake-timeout", "must be positive");
    s.allowed_origins = opts.string_list("allowed-origins");
    const auto& auth = opts.object("auth");
    s.tokens = auth.string_list("tokens");
    for (const auto& t : s.tokens)
        if (t.empty()) auth.fail("tokens", "a token cannot be empty", "is an environment variable unset?");
    s.jwt_secret = auth.string("jwt-secret");
    const auto& invalid = opts.string("on-invalid");
    if (invalid == "close") s.on_invalid = invalid_policy::close;
    else if (invalid == "error-frame") s.on_invalid = invalid_policy::error_frame;
    else opts.fail("on-invalid", "unknown policy '" + invalid + "'", "use close or error-frame");
    return s;
}

}  // namespace araldo::plugins::endpoint_websocket
