// One delivery: the message as it is sent, and what happened to it so far.
// Its JSON form is what dead letters, the saved queue and the spool store.
#pragma once

#include <araldo/options.hpp>

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace araldo::plugins::endpoint_webhook {

struct attempt_record {
    std::int64_t at_ms = 0;  // Unix milliseconds
    unsigned status = 0;     // 0: no response
    std::string error;
};

struct delivery {
    std::string id;        // the message id: webhook-id on every attempt
    std::string endpoint;  // the webhook endpoint that owns it
    std::string source;
    std::int64_t time_ms = 0;  // when the message was received
    std::string payload;       // marshalled for this endpoint, as sent (before form encoding)
    bool binary = false;
    string_pairs attributes;
    std::size_t attempts = 0;             // made so far
    std::vector<attempt_record> history;  // the most recent attempts
    std::string last_error;
    std::int64_t next_at_ms = 0;  // Unix ms of the next attempt (0: at once)
    std::int64_t dead_at_ms = 0;  // set when it became a dead letter
    // With spool: the exact {"add": ...} line written for it. A compaction
    // snapshot reuses it (immutable, shared with the writer thread) instead
    // of serialising every pending delivery again on the core thread.
    std::shared_ptr<const std::string> spool_record;

    void record(attempt_record a);
};

std::int64_t unix_ms_now();

// Every string that is not valid UTF-8 (araldo::valid_utf8, the rule Boost.JSON
// reads back with) is written as base64 under "<key>_base64", and a binary
// payload always is: whatever deliver() accepted reads back byte for byte.
std::string to_json(const delivery& d);
// nullopt when the text is not a delivery this plugin wrote (the caller
// quarantines it; nothing is dropped silently).
std::optional<delivery> delivery_from_json(std::string_view text);
std::optional<delivery> delivery_from_json(const boost::json::value& v);

// A file name for an id. Ids pass araldo::valid_message_id, which still
// allows "." and "..": anything but [A-Za-z0-9_-] is percent-encoded (the
// mapping of earlier versions, so their dead letters stay addressable).
std::string file_name_for(std::string_view id);

}  // namespace araldo::plugins::endpoint_webhook
