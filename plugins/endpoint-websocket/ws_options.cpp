#include "ws_options.hpp"

#include <araldo/context.hpp>
#include <araldo/keys.hpp>

#include <limits>
#include <string>

namespace araldo::plugins::endpoint_websocket {

option_table ws_options() {
    using araldo::option_spec;
    using araldo::option_type;
    return {
        option_spec{"path", option_type::string, "/ws", "the URL path clients connect to on the core's listener",
                    false},
        option_spec{
            "echo", option_type::boolean, "false",
            "when a route sends this endpoint's messages back to it, also deliver a message to the client that sent it",
            false},
        option_spec{.name = "max-message-size",
                    .type = option_type::size,
                    .default_value = "1MiB",
                    .description = "largest message a client may send (all fragments together); larger: close 1009 "
                                   "before it is buffered",
                    .min = "1"},
        option_spec{.name = "max-clients",
                    .type = option_type::integer,
                    .default_value = "10000",
                    .description = "connected clients at most; further upgrade requests get 503",
                    .min = "1"},
        option_spec{.name = "send-queue-bytes",
                    .type = option_type::size,
                    .default_value = "1MiB",
                    .description = "bytes queued for one client (waiting or being written) before the slow-consumer "
                                   "policy applies",
                    .min = "1"},
        option_spec{.name = "slow-consumer",
                    .type = option_type::string,
                    .default_value = "disconnect",
                    .description = "when a client's send queue is full: disconnect (close 1008 \"slow consumer\") or "
                                   "drop-oldest",
                    .one_of = {"disconnect", "drop-oldest"}},
        option_spec{"ping-interval", option_type::duration, "25s", "how often each client is pinged; 0ms: never",
                    false},
        option_spec{"pong-timeout", option_type::duration, "10s",
                    "a client that does not answer a ping within this time is closed", false},
        option_spec{.name = "handshake-timeout",
                    .type = option_type::duration,
                    .default_value = "10s",
                    .description = "time allowed from the upgrade request to a written 101 response",
                    .min = "1ms"},
        option_spec{"allowed-origins", option_type::string_list, "[]",
                    "browser origins allowed to connect (e.g. https://example.com), or * for any; empty: only the "
                    "listener's own origin. Requests without an Origin header are not browsers and are allowed",
                    false},
        option_spec{
            "auth",
            option_type::object,
            std::nullopt,
            "client authentication, checked before the upgrade (401 on failure); with several kinds configured, any "
            "one credential is enough",
            false,
            {
                option_spec{
                    "tokens", option_type::string_list, "[]",
                    "static bearer tokens (use ${ENV} substitution), sent as Authorization: Bearer or ?token=", false},
                option_spec{"jwt-secret", option_type::string, "",
                            "HS256 key: a JWT signed with it (exp and nbf checked) is accepted; its expiry closes the "
                            "connection",
                            false},
                option_spec{"client-certs", option_type::string_list, "[]",
                            "names accepted in a verified client certificate (its CN or one of its SAN DNS names or "
                            "URIs); needs a TLS listener whose client-certs is optional or required",
                            false},
            }},
        option_spec{.name = "on-invalid",
                    .type = option_type::string,
                    .default_value = "close",
                    .description = "a message the marshaller rejects: close (1007 with the reason) or error-frame "
                                   "(send {\"type\":\"error\",\"error\":reason} and keep the connection)",
                    .one_of = {"close", "error-frame"}},
        araldo::keys_file_option(),
        option_spec{"folders", option_type::boolean, "false",
                    "folder mode: clients subscribe to folders ({\"type\": \"subscribe\", ...}) and receive only the "
                    "messages of those folders; messages without a folder reach nobody (docs/folders.md)",
                    false},
        option_spec{.name = "max-subscriptions",
                    .type = option_type::integer,
                    .default_value = "100",
                    .description = "subscriptions one client may hold in folder mode; more are refused with an error "
                                   "message",
                    .min = "1"},
        option_spec{
            "history",
            option_type::object,
            std::nullopt,
            "folder mode: keep the last messages of each folder so that a client coming back resumes where it left "
            "off (each message then carries its offset and epoch)",
            false,
            {
                option_spec{.name = "size",
                            .type = option_type::integer,
                            .default_value = "0",
                            .description = "messages kept per folder; 0: no history",
                            .min = "0",
                            .max = "100000"},
                option_spec{.name = "ttl",
                            .type = option_type::duration,
                            .default_value = "5m",
                            .description = "how long a message stays; a folder without messages is forgotten after "
                                           "it (a client resuming from it is told recovered: false)",
                            .min = "1s"},
            }},
        option_spec{"client-events", option_type::boolean, "false",
                    "send client.connected and client.disconnected messages (identity, folder, client, remote "
                    "address) into this endpoint's routes",
                    false},
        option_spec{"offline-after", option_type::duration, "10s",
                    "client.disconnected is sent only if the same identity has not connected again within this time; "
                    "0ms: at once",
                    false},
    };
}

ws_settings read_ws_settings(const araldo::options& opts, const araldo::global_settings& global) {
    ws_settings s;
    s.path = opts.string("path");
    if (!s.path.starts_with('/')) opts.fail("path", "must start with /", "path: /ws");
    s.echo = opts.boolean("echo");
    // The table keeps sizes and max-clients at 1 or more, and the policies to
    // their names; durations are never negative (the parser takes no sign).
    s.max_message_size = opts.size("max-message-size");
    s.max_clients = static_cast<std::size_t>(opts.integer("max-clients"));
    s.send_queue_bytes = opts.size("send-queue-bytes");
    s.slow_consumer = opts.string("slow-consumer") == "drop-oldest" ? slow_consumer_policy::drop_oldest
                                                                    : slow_consumer_policy::disconnect;
    s.ping_interval = opts.duration("ping-interval");
    s.pong_timeout = opts.duration("pong-timeout");
    if (s.ping_interval.count() > 0 && s.pong_timeout.count() == 0)
        opts.fail("pong-timeout", "must be positive when pings are sent");
    s.handshake_timeout = opts.duration("handshake-timeout");
    s.allowed_origins = opts.string_list("allowed-origins");
    const auto& auth = opts.object("auth");
    s.tokens = auth.string_list("tokens");
    for (const auto& t : s.tokens)
        if (t.empty()) auth.fail("tokens", "a token cannot be empty", "is an environment variable unset?");
    s.jwt_secret = auth.string("jwt-secret");
    s.client_certs = auth.string_list("client-certs");
    for (const auto& name : s.client_certs)
        if (name.empty()) auth.fail("client-certs", "a name cannot be empty", "is an environment variable unset?");
    s.on_invalid = opts.string("on-invalid") == "error-frame" ? invalid_policy::error_frame : invalid_policy::close;
    s.keys_file = araldo::read_keys_file_option(opts, global);
    s.folders = opts.boolean("folders");
    s.max_subscriptions = static_cast<std::size_t>(opts.integer("max-subscriptions"));
    const auto& history = opts.object("history");
    s.history.size = static_cast<std::size_t>(history.integer("size"));
    s.history.ttl = history.duration("ttl");
    s.client_events = opts.boolean("client-events");
    s.offline_after = opts.duration("offline-after");
    if (s.history.enabled() && !s.folders)
        history.fail("size", "a history is kept per folder: it needs folders: true", "folders: true");
    return s;
}

ws_settings without_live_changes(ws_settings next, const ws_settings& now) {
    next.tokens = now.tokens;
    next.jwt_secret = now.jwt_secret;
    next.client_certs = now.client_certs;
    next.allowed_origins = now.allowed_origins;
    next.max_clients = now.max_clients;
    next.max_message_size = now.max_message_size;
    next.send_queue_bytes = now.send_queue_bytes;
    return next;
}

}  // namespace araldo::plugins::endpoint_websocket
