// The WebSocket frame layer (RFC 6455 section 5), without sockets: a parser
// for client-to-server frames and a serializer. The session feeds the parser
// whatever bytes arrived, split anywhere; tests feed it every possible split.
#pragma once

#include <araldo/utf8.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace araldo::plugins::endpoint_websocket {

enum class opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t no_status = 1005;  // never sent: a close frame without a code
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t policy_violation = 1008;
inline constexpr std::uint16_t too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;
// araldo's own (the application range 4000-4999): the client's key was
// revoked; reconnecting with it cannot help.
inline constexpr std::uint16_t key_revoked = 4001;
}  // namespace close_code

// What the parser found. `reason` views the parser's storage (close) or a
// string literal (fail) and is valid until the next call to next().
struct frame_event {
    enum kind_t { need_more, text, binary, ping, pong, close, fail } kind = need_more;
    std::uint16_t code = 0;  // close: the peer's code (1005 without one); fail: the code to close with
    std::string_view reason;
};

// Parses a client's frames: masking required, fragmentation, control frames
// (at most 125 bytes, never fragmented), RSV bits refused (no extension is
// negotiated), text validated as UTF-8 across fragments. A message larger than
// `max_message` fails from the frame header, before its payload is buffered.
// After a failure everything further is discarded.
class frame_parser {
public:
    explicit frame_parser(std::uint64_t max_message, bool require_mask = true)
        : max_message_{max_message}, require_mask_{require_mask} {}

    // Consumes bytes from the front of `in` until one event is complete or
    // `in` is empty (need_more).
    frame_event next(std::string_view& in);

    // The message after a text or binary event; leaves the parser's buffer empty.
    std::string take_message() { return std::move(message_); }
    // The payload of a ping or pong, valid until the next call to next().
    std::string_view control_payload() const { return control_; }
    bool failed() const noexcept { return failed_; }

private:
    frame_event header_complete();
    frame_event payload_complete();
    frame_event fail(std::uint16_t code, std::string_view why);
    frame_event close_event();
    void unmask_into(std::string& out, std::string_view chunk);

    // Ordered by size: every connected client has one of these.
    std::string message_;  // the message being assembled across fragments
    std::string control_;  // ping/pong/close payload (at most 125 bytes)
    std::uint64_t max_message_;
    std::uint64_t remaining_ = 0;  // of the frame being read

    std::array<std::uint8_t, 14> header_{};
    std::array<std::uint8_t, 4> mask_{};
    std::uint8_t header_have_ = 0;
    std::uint8_t mask_offset_ = 0;  // 0..3
    opcode op_ = opcode::continuation;
    utf8_validator utf8_;

    bool require_mask_;
    bool failed_ = false;
    bool in_payload_ = false;
    bool fin_ = false;
    bool masked_ = false;
    bool in_message_ = false;
    bool message_text_ = false;
};

// Size of a frame header for a payload of `length` bytes.
std::size_t frame_header_size(std::uint64_t length, bool masked = false) noexcept;

// A complete frame. Server frames are unmasked; a mask (tests acting as a
// client) masks the payload.
std::string encode_frame(opcode op, std::string_view payload, bool fin = true,
                         std::optional<std::array<std::uint8_t, 4>> mask = std::nullopt);

// A close frame with code and reason (cut to fit 125 bytes on a UTF-8 boundary).
std::string encode_close(std::uint16_t code, std::string_view reason);

// True for codes a peer may send in a close frame (RFC 6455 7.4).
bool valid_close_code(std::uint16_t code) noexcept;

}  // namespace araldo::plugins::endpoint_websocket
