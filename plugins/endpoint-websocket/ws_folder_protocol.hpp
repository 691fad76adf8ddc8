// The messages of folder mode (`folders: true`), in the house shape
// {"type": ..., "parameters": {...}}: what a client may ask (subscribe,
// unsubscribe) and what the server says (connect, subscribed, unsubscribed,
// error), and the stamp a delivered message gets (its folder, and with a
// history its offset and epoch). Parses bytes from clients: fuzzed
// (fuzz/ws_folder_protocol.cpp).
#pragma once

#include "ws_folder_index.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace araldo::plugins::endpoint_websocket {

// Where a client left off in one folder.
struct resume_point {
    std::string folder{};  // the subscription's own folder when the client named none
    std::uint64_t offset = 0;
    std::string epoch{};
};

struct subscription_request {
    folder_subscription sub;
    std::vector<resume_point> since;  // empty: live messages only
    std::string error;                // why this one is refused (invalid folder...): the others still count
};

struct client_request {
    enum class kind { subscribe, unsubscribe, message };
    kind what = kind::message;
    // subscribe and unsubscribe: one per entry of "subscriptions".
    std::vector<subscription_request> subscriptions;
    // message: the top-level "folder", if it is a string (checked later, as any folder).
    std::optional<std::string> folder;
    // A subscribe or unsubscribe that cannot be read at all.
    std::string error;
};

// A text frame from a client. Anything that is not a JSON object whose
// "type" is "subscribe" or "unsubscribe" is a message for the routes.
client_request parse_client_request(std::string_view text);

// {"type":"connect","parameters":{"client":"17","identity":...,"folder":...}}:
// identity and folder are null when the client has none.
std::string connect_json(std::uint64_t client, std::string_view identity, std::string_view folder);

struct subscription_reply {
    const folder_subscription* sub = nullptr;
    std::optional<bool> recovered{};  // only when the request asked to resume
    // With a history: the folder's offset and epoch now, where a client
    // resumes from if no message comes before it leaves.
    std::optional<std::uint64_t> offset{};
    std::string_view epoch{};
};
// {"type":"subscribed"|"unsubscribed","parameters":{"subscriptions":[...]}}
std::string subscriptions_json(std::string_view type, const std::vector<subscription_reply>& subs);

// {"type":"error","parameters":{"request":...,"folder":...,"message":...}}; folder may be empty.
std::string request_error_json(std::string_view request, std::string_view folder, std::string_view message);

// A delivered message with its folder (and offset and epoch, with a
// history) added as top-level members, when the bytes are a JSON object;
// std::nullopt when they are not (they then go as they are). Members the
// object already has are replaced rather than written twice.
struct delivery_stamp {
    std::string_view folder{};
    std::optional<std::uint64_t> offset{};
    std::string_view epoch{};
};
std::optional<std::string> stamp_message(std::string_view bytes, const delivery_stamp& stamp);

}  // namespace araldo::plugins::endpoint_websocket
