// The WebSocket frame parser (plugins/endpoint-websocket/ws_frame.cpp) on a
// client's bytes, and the serializer that builds frames for it.
//
// Properties: the events do not depend on how the bytes are split (the
// session feeds whatever one read returned); a failed parser stays failed; a
// message never exceeds the limit; text messages are valid UTF-8; a close
// reason is valid UTF-8; and frames built by encode_frame parse back.
#include "fuzz_check.hpp"
#include "ws_frame.hpp"

#include <araldo/utf8.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ws = araldo::plugins::endpoint_websocket;

namespace {

// What a session would act on, written down to compare two runs.
std::string run(std::string_view bytes, std::uint64_t max_message, bool require_mask, const std::uint8_t* cuts,
                std::size_t ncuts) {
    ws::frame_parser p{max_message, require_mask};
    std::string log;
    std::size_t pos = 0, cut = 0;
    while (pos < bytes.size()) {
        const std::size_t step = ncuts == 0 ? bytes.size() : 1 + cuts[cut++ % ncuts] % 64;
        std::string_view in = bytes.substr(pos, step);
        pos += in.size();
        while (true) {
            const bool was_failed = p.failed();
            const auto ev = p.next(in);
            if (was_failed) FUZZ_CHECK(ev.kind == ws::frame_event::need_more && in.empty());
            if (ev.kind == ws::frame_event::need_more) {
                FUZZ_CHECK(in.empty());
                break;
            }
            log += std::to_string(ev.kind) + ":" + std::to_string(ev.code) + ":";
            switch (ev.kind) {
                case ws::frame_event::text:
                case ws::frame_event::binary: {
                    const std::string m = p.take_message();
                    FUZZ_CHECK(m.size() <= max_message);
                    if (ev.kind == ws::frame_event::text) FUZZ_CHECK(araldo::valid_utf8(m));
                    log += m;
                    break;
                }
                case ws::frame_event::ping:
                case ws::frame_event::pong:
                    FUZZ_CHECK(p.control_payload().size() <= 125);
                    log += p.control_payload();
                    break;
                case ws::frame_event::close:
                    FUZZ_CHECK(araldo::valid_utf8(ev.reason));
                    FUZZ_CHECK(ev.code == ws::close_code::no_status || ws::valid_close_code(ev.code));
                    log += ev.reason;
                    break;
                case ws::frame_event::fail:
                    FUZZ_CHECK(p.failed());
                    log += ev.reason;
                    break;
                default: break;
            }
            log += '\n';
        }
    }
    return log;
}

// Frames the fuzzer describes rather than writes: each 3-byte record picks an
// opcode, FIN and a payload length taken from the rest of the input, so
// fragmented and interleaved messages come up more often than from raw bytes.
std::string build_frames(std::string_view spec, std::string_view payload) {
    std::string out;
    for (std::size_t i = 0; i + 3 <= spec.size(); i += 3) {
        static constexpr ws::opcode ops[] = {ws::opcode::continuation, ws::opcode::text, ws::opcode::binary,
                                             ws::opcode::close,        ws::opcode::ping, ws::opcode::pong};
        const auto op = ops[static_cast<std::uint8_t>(spec[i]) % 6];
        const bool fin = (static_cast<std::uint8_t>(spec[i]) & 0x80) != 0;
        const std::size_t len = std::min<std::size_t>(static_cast<std::uint8_t>(spec[i + 1]), payload.size());
        const std::array<std::uint8_t, 4> mask{static_cast<std::uint8_t>(spec[i + 2]), 0x5a, 0x00, 0xff};
        out += ws::encode_frame(op, payload.substr(0, len), fin, mask);
        payload.remove_prefix(len);
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    // Byte 0: the message limit (small, so "too big" is reachable) and
    // whether unmasked frames are allowed; byte 1: how the rest is read.
    const std::uint64_t max_message = (data[0] & 0x7F) * 8 + 1;
    const bool require_mask = (data[0] & 0x80) == 0;
    const bool described = (data[1] & 1) != 0;
    const std::string_view rest{reinterpret_cast<const char*>(data + 2), size - 2};

    std::string bytes;
    if (described) {
        const std::size_t nspec = std::min<std::size_t>(rest.size(), (data[1] >> 1) * 3);
        bytes = build_frames(rest.substr(0, nspec), rest.substr(nspec));
    } else {
        bytes = std::string(rest);
    }
    const std::string whole = run(bytes, max_message, require_mask, nullptr, 0);
    FUZZ_CHECK(whole == run(bytes, max_message, require_mask, data, size));
    FUZZ_CHECK(whole == run(bytes, max_message, require_mask, data + 1, 1));  // one fixed read size

    // Server-side helpers: a close frame fits a control frame and its reason
    // stays UTF-8 however it was cut.
    const std::string close = ws::encode_close(ws::close_code::normal, rest);
    FUZZ_CHECK(close.size() <= 2 + 125);
    if (araldo::valid_utf8(rest)) {
        ws::frame_parser p{max_message, false};
        std::string_view in = close;
        const auto ev = p.next(in);
        FUZZ_CHECK(ev.kind == ws::frame_event::close && ev.code == ws::close_code::normal);
    }
    return 0;
}
