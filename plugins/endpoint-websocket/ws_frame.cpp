#include "ws_frame.hpp"

#include <algorithm>

namespace araldo::plugins::endpoint_websocket {

namespace {

constexpr std::size_t max_control_payload = 125;

bool is_control(opcode op) noexcept { return (static_cast<std::uint8_t>(op) & 0x8) != 0; }

bool known_opcode(std::uint8_t op) noexcept { return op <= 0x2 || (op >= 0x8 && op <= 0xA); }

// Bytes of header still needed once the first two are known.
std::size_t header_length(const std::array<std::uint8_t, 14>& h) noexcept {
    const std::uint8_t len7 = h[1] & 0x7F;
    const std::size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    return 2 + ext + ((h[1] & 0x80) ? 4 : 0);
}

}  // namespace

frame_event frame_parser::next(std::string_view& in) {
    if (failed_) {
        in = {};
        return {};
    }
    while (!in.empty()) {
        if (!in_payload_) {
            const std::size_t want = header_have_ < 2 ? 2 : header_length(header_);
            const std::size_t take = std::min(want - header_have_, in.size());
            std::copy_n(in.data(), take, header_.data() + header_have_);
            header_have_ = static_cast<std::uint8_t>(header_have_ + take);
            in.remove_prefix(take);
            if (header_have_ < 2 || header_have_ < header_length(header_)) continue;
            auto ev = header_complete();
            if (ev.kind != frame_event::need_more) return ev;
            if (remaining_ > 0) continue;
            ev = payload_complete();  // an empty payload is complete at once
            if (ev.kind != frame_event::need_more) return ev;
            continue;
        }
        const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
        const std::string_view chunk = in.substr(0, take);
        in.remove_prefix(take);
        remaining_ -= take;
        if (is_control(op_)) {
            unmask_into(control_, chunk);
        } else {
            const std::size_t before = message_.size();
            unmask_into(message_, chunk);
            if (message_text_ && !utf8_.feed(std::string_view{message_}.substr(before)))
                return fail(close_code::invalid_payload, "invalid UTF-8 in text message");
        }
        if (remaining_ > 0) continue;
        auto ev = payload_complete();
        if (ev.kind != frame_event::need_more) return ev;
    }
    return {};
}

frame_event frame_parser::header_complete() {
    const std::uint8_t b0 = header_[0];
    const std::uint8_t b1 = header_[1];
    fin_ = (b0 & 0x80) != 0;
    masked_ = (b1 & 0x80) != 0;
    if (b0 & 0x70) return fail(close_code::protocol_error, "reserved bits set");
    if (!known_opcode(b0 & 0x0F)) return fail(close_code::protocol_error, "unknown opcode");
    op_ = static_cast<opcode>(b0 & 0x0F);
    if (require_mask_ && !masked_) return fail(close_code::protocol_error, "client frame not masked");
    std::uint64_t length = b1 & 0x7F;
    std::size_t pos = 2;
    if (length == 126) {
        length = (std::uint64_t{header_[2]} << 8) | header_[3];
        pos = 4;
    } else if (length == 127) {
        length = 0;
        for (std::size_t i = 2; i < 10; ++i) length = (length << 8) | header_[i];
        pos = 10;
        if (length >> 63) return fail(close_code::protocol_error, "payload length out of range");
    }
    if (masked_) std::copy_n(header_.data() + pos, 4, mask_.data());
    mask_offset_ = 0;
    remaining_ = length;
    header_have_ = 0;
    in_payload_ = true;
    if (is_control(op_)) {
        if (!fin_) return fail(close_code::protocol_error, "fragmented control frame");
        if (length > max_control_payload) return fail(close_code::protocol_error, "control frame too long");
        control_.clear();
        return {};
    }
    if (op_ == opcode::continuation && !in_message_)
        return fail(close_code::protocol_error, "continuation without a message");
    if (op_ != opcode::continuation && in_message_)
        return fail(close_code::protocol_error, "new message inside a fragmented one");
    // Checked before any of the payload is kept: a huge frame costs nothing.
    if (length > max_message_ - std::min<std::uint64_t>(message_.size(), max_message_))
        return fail(close_code::too_big, "message too big");
    if (op_ != opcode::continuation) {
        in_message_ = true;
        message_text_ = op_ == opcode::text;
        message_.clear();
        utf8_.reset();
    }
    // Reserve what the header announces, but no more than a modest chunk: a
    // client that announces a large frame and then stalls holds little.
    message_.reserve(message_.size() + static_cast<std::size_t>(std::min<std::uint64_t>(length, 64 * 1024)));
    return {};
}

frame_event frame_parser::payload_complete() {
    in_payload_ = false;
    if (is_control(op_)) {
        if (op_ == opcode::ping) return {frame_event::ping, 0, {}};
        if (op_ == opcode::pong) return {frame_event::pong, 0, {}};
        return close_event();
    }
    if (!fin_) return {};
    if (message_text_ && !utf8_.complete()) return fail(close_code::invalid_payload, "invalid UTF-8 in text message");
    in_message_ = false;
    return {message_text_ ? frame_event::text : frame_event::binary, 0, {}};
}

frame_event frame_parser::close_event() {
    if (control_.empty()) return {frame_event::close, close_code::no_status, {}};
    if (control_.size() == 1) return fail(close_code::protocol_error, "close frame with a one-byte payload");
    const auto code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(control_[0]) << 8) |
                                                 static_cast<std::uint8_t>(control_[1]));
    if (!valid_close_code(code)) return fail(close_code::protocol_error, "invalid close code");
    const std::string_view reason = std::string_view{control_}.substr(2);
    if (!valid_utf8(reason)) return fail(close_code::invalid_payload, "invalid UTF-8 in close reason");
    return {frame_event::close, code, reason};
}

frame_event frame_parser::fail(std::uint16_t code, std::string_view why) {
    failed_ = true;
    message_ = std::string{};  // release what a hostile client made us hold
    return {frame_event::fail, code, why};
}

void frame_parser::unmask_into(std::string& out, std::string_view chunk) {
    const std::size_t start = out.size();
    out.append(chunk);
    if (!masked_) return;
    char* p = out.data() + start;
    for (std::size_t i = 0; i < chunk.size(); ++i)
        p[i] = static_cast<char>(static_cast<std::uint8_t>(p[i]) ^ mask_[(mask_offset_ + i) & 3]);
    mask_offset_ = static_cast<std::uint8_t>((mask_offset_ + chunk.size()) & 3);
}

std::size_t frame_header_size(std::uint64_t length, bool masked) noexcept {
    const std::size_t base = length < 126 ? 2 : length <= 0xFFFF ? 4 : 10;
    return base + (masked ? 4 : 0);
}

std::string encode_frame(opcode op, std::string_view payload, bool fin,
                         std::optional<std::array<std::uint8_t, 4>> mask) {
    const std::uint64_t n = payload.size();
    std::string out;
    out.reserve(frame_header_size(n, mask.has_value()) + payload.size());
    out += static_cast<char>((fin ? 0x80 : 0x00) | static_cast<std::uint8_t>(op));
    const std::uint8_t mask_bit = mask ? 0x80 : 0x00;
    if (n < 126) {
        out += static_cast<char>(mask_bit | n);
    } else if (n <= 0xFFFF) {
        out += static_cast<char>(mask_bit | 126);
        out += static_cast<char>(n >> 8);
        out += static_cast<char>(n & 0xFF);
    } else {
        out += static_cast<char>(mask_bit | 127);
        for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((n >> shift) & 0xFF);
    }
    if (!mask) {
        out.append(payload);
        return out;
    }
    for (auto b : *mask) out += static_cast<char>(b);
    for (std::size_t i = 0; i < payload.size(); ++i)
        out += static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^ (*mask)[i & 3]);
    return out;
}

std::string encode_close(std::uint16_t code, std::string_view reason) {
    std::string payload;
    payload += static_cast<char>(code >> 8);
    payload += static_cast<char>(code & 0xFF);
    payload.append(utf8_prefix(reason, max_control_payload - 2));
    return encode_frame(opcode::close, payload);
}

bool valid_close_code(std::uint16_t code) noexcept {
    if (code >= 3000 && code <= 4999) return true;  // registered and private codes
    if (code < 1000 || code > 1014) return false;
    return code != 1004 && code != 1005 && code != 1006;
}

}  // namespace araldo::plugins::endpoint_websocket
