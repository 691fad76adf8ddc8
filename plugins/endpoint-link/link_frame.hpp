// The link's wire format, without sockets: what one binary WebSocket message
// carries between two relays. Encoding and decoding only; the README
// (Wire format) describes the bytes.
//
// Decoding is defensive: every length is checked against what is left, and a
// frame that does not parse is a failure with the reason, never a throw.
#pragma once

#include <araldo/message.hpp>
#include <araldo/request.hpp>
#include <araldo/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace araldo::plugins::endpoint_link {

inline constexpr std::uint8_t wire_version = 1;

enum class frame_kind : std::uint8_t { event = 1, request = 2, reply = 3, batch = 4 };

// Frames that wait together go out as one batch: one WebSocket message, one
// TLS record, one write, instead of one each (under load, most of the cost).
// A batch is never larger than this, so a far side whose max-message-size is
// at least as large (its minimum) takes any batch.
inline constexpr std::size_t max_batch_bytes = 64 * 1024;

// A decoded frame. String views point into the bytes given to decode_frame().
struct frame {
    frame_kind kind = frame_kind::event;
    // event and request
    std::string_view id;
    std::vector<std::pair<std::string_view, std::string_view>> attributes;
    bool binary = false;
    // request and reply
    std::uint64_t correlation = 0;
    std::uint32_t remaining_ms = 0;  // request: time left before the caller's deadline
    // reply
    unsigned status = 0;
    int return_code = 0;
    std::string_view content_type;
    // event and request: the payload; reply: the body
    std::string_view body;
};

// An event frame (correlation and remaining_ms unused) or a request frame.
std::string encode_message(frame_kind kind, const message& msg, std::uint64_t correlation = 0,
                           std::uint32_t remaining_ms = 0);
std::string encode_reply(std::uint64_t correlation, const reply& r);

araldo::result<frame> decode_frame(std::string_view bytes);

// Adds `frame` (not itself a batch) to `batch`, writing the batch header first
// when `batch` is empty.
void append_to_batch(std::string& batch, std::string_view frame);
// The frames of a batch, in order; views into `bytes`.
araldo::result<std::vector<std::string_view>> split_batch(std::string_view bytes);

}  // namespace araldo::plugins::endpoint_link
