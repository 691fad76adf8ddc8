// endpoint-websocket's option table and the settings read from it.
#pragma once

#include "ws_history.hpp"

#include <araldo/context.hpp>
#include <araldo/options.hpp>
#include <araldo/units.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace araldo::plugins::endpoint_websocket {

enum class slow_consumer_policy { disconnect, drop_oldest };
enum class invalid_policy { close, error_frame };

struct ws_settings {
    std::string path = "/ws";
    bool echo = false;
    std::uint64_t max_message_size = 1024 * 1024;
    std::size_t max_clients = 10000;
    std::uint64_t send_queue_bytes = 1024 * 1024;
    slow_consumer_policy slow_consumer = slow_consumer_policy::disconnect;
    araldo::duration ping_interval{25'000};  // 0: no pings
    araldo::duration pong_timeout{10'000};
    araldo::duration handshake_timeout{10'000};
    std::vector<std::string> allowed_origins;        // empty: same origin only; "*": any
    std::vector<std::string> tokens;                 // static bearer tokens
    std::string jwt_secret;                          // HS256 key; empty: no JWT
    std::vector<std::string> client_certs;           // CNs or SAN names of accepted client certificates
    std::optional<std::filesystem::path> keys_file;  // keys with identities (docs/folders.md, "Keys")
    invalid_policy on_invalid = invalid_policy::close;
    // Folder mode (docs/folders.md): clients subscribe to folders and hear
    // only those; without it every client hears every message.
    bool folders = false;
    std::size_t max_subscriptions = 100;  // per client
    history_settings history;
    bool client_events = false;  // client.connected / client.disconnected into the routes
    araldo::duration offline_after{10'000};

    bool operator==(const ws_settings&) const = default;

    bool auth_required() const {
        return !tokens.empty() || !jwt_secret.empty() || !client_certs.empty() || keys_file.has_value();
    }
};

option_table ws_options();
// Reads validated options; values out of range are config errors at the option.
ws_settings read_ws_settings(const araldo::options& opts, const araldo::global_settings& global);
// `next` with what can change on a running endpoint (credentials, origins,
// limits) copied from `now`: equal to `now` when nothing else changed.
ws_settings without_live_changes(ws_settings next, const ws_settings& now);

}  // namespace araldo::plugins::endpoint_websocket
