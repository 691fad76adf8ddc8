// The frame layer without sockets: every byte split of a conversation parses
// the same, and every protocol violation maps to its close code.
#include "ws_frame.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace araldo::plugins::endpoint_websocket;
using araldo::utf8_prefix;
using araldo::utf8_validator;
using araldo::valid_utf8;

namespace {

const std::array<std::uint8_t, 4> key{0x37, 0xfa, 0x21, 0x3d};

std::string client(opcode op, std::string_view payload, bool fin = true) { return encode_frame(op, payload, fin, key); }

// One line per event: "text:<payload>", "ping:<payload>", "close:1000:<reason>", "fail:1002".
std::vector<std::string> parse_all(frame_parser& p, std::string_view bytes) {
    std::vector<std::string> out;
    while (!bytes.empty()) {
        const auto ev = p.next(bytes);
        switch (ev.kind) {
            case frame_event::need_more: break;
            case frame_event::text: out.push_back("text:" + p.take_message()); break;
            case frame_event::binary: out.push_back("binary:" + p.take_message()); break;
            case frame_event::ping: out.push_back("ping:" + std::string{p.control_payload()}); break;
            case frame_event::pong: out.push_back("pong:" + std::string{p.control_payload()}); break;
            case frame_event::close:
                out.push_back("close:" + std::to_string(ev.code) + ":" + std::string{ev.reason});
                break;
            case frame_event::fail: out.push_back("fail:" + std::to_string(ev.code)); break;
        }
    }
    return out;
}

std::vector<std::string> parse_in_pieces(std::string_view bytes, std::vector<std::size_t> cuts,
                                         std::uint64_t max = 1 << 20) {
    frame_parser p{max};
    std::vector<std::string> out;
    std::size_t start = 0;
    cuts.push_back(bytes.size());
    for (const auto cut : cuts) {
        auto part = parse_all(p, bytes.substr(start, cut - start));
        out.insert(out.end(), part.begin(), part.end());
        start = cut;
    }
    return out;
}

std::string first_event(const std::string& bytes, std::uint64_t max = 1 << 20) {
    frame_parser p{max};
    auto events = parse_all(p, bytes);
    return events.empty() ? "none" : events.front();
}

}  // namespace

TEST_CASE("a conversation parses identically at every split point", "[ws][frame]") {
    const std::string big(70000, 'x');
    const std::string medium(300, 'y');
    std::string wire;
    wire += client(opcode::text, "Hello");
    wire += client(opcode::text, "caf\xC3", false);  // U+00E9 split across fragments
    wire += client(opcode::ping, "are you there");   // control frame between fragments
    wire += client(opcode::continuation, "\xA9 ok", true);
    wire += client(opcode::binary, medium);  // 16-bit length
    wire += client(opcode::binary, big);     // 64-bit length
    wire += client(opcode::text, "");        // empty message
    wire += client(opcode::pong, "");
    wire += client(opcode::close, std::string{"\x03\xE8"
                                              "bye"});
    const std::vector<std::string> expected{
        "text:Hello", "ping:are you there", "text:caf\xC3\xA9 ok", "binary:" + medium, "binary:" + big, "text:",
        "pong:",      "close:1000:bye"};

    CHECK(parse_in_pieces(wire, {}) == expected);
    // Splitting everywhere around the small frames, and sampled through the big one.
    for (std::size_t cut = 1; cut < wire.size(); cut += cut < 400 || cut > wire.size() - 200 ? 1 : 997) {
        INFO("cut at " << cut);
        REQUIRE(parse_in_pieces(wire, {cut}) == expected);
    }
    std::vector<std::size_t> every_byte;
    for (std::size_t i = 1; i < wire.size(); ++i) every_byte.push_back(i);
    CHECK(parse_in_pieces(wire, every_byte) == expected);
}

TEST_CASE("protocol violations fail with 1002", "[ws][frame]") {
    CHECK(first_event(encode_frame(opcode::text, "unmasked")) == "fail:1002");
    std::string rsv = client(opcode::text, "x");
    rsv[0] = static_cast<char>(rsv[0] | 0x40);  // RSV1 without a negotiated extension
    CHECK(first_event(rsv) == "fail:1002");
    std::string unknown = client(opcode::text, "x");
    unknown[0] = static_cast<char>(0x83);
    CHECK(first_event(unknown) == "fail:1002");
    CHECK(first_event(client(opcode::ping, "x", false)) == "fail:1002");
    CHECK(first_event(client(opcode::ping, std::string(126, 'p'))) == "fail:1002");
    CHECK(first_event(client(opcode::continuation, "x")) == "fail:1002");
    CHECK(first_event(client(opcode::text, "a", false) + client(opcode::text, "b")) == "fail:1002");
    CHECK(first_event(client(opcode::close, "\x03")) == "fail:1002");
    for (const std::uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000}) {
        std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
        INFO("close code " << code);
        CHECK(first_event(client(opcode::close, payload)) == "fail:1002");
    }
    std::string huge_length{"\x82\xFF\x80\x00\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04", 14};
    CHECK(first_event(huge_length) == "fail:1002");
}

TEST_CASE("valid close frames report their code", "[ws][frame]") {
    CHECK(first_event(client(opcode::close, "")) == "close:1005:");
    CHECK(first_event(client(opcode::close, std::string{"\x0F\xA0"})) == "close:4000:");
    CHECK(first_event(client(opcode::close, std::string{"\x03\xF3"
                                                        "restart"})) == "close:1011:restart");
}

TEST_CASE("invalid UTF-8 fails with 1007, as early as it is seen", "[ws][frame]") {
    CHECK(first_event(client(opcode::text, "ok \xFF")) == "fail:1007");
    CHECK(first_event(client(opcode::text, "truncated \xE2\x82")) == "fail:1007");
    CHECK(first_event(client(opcode::text, "a\xC3", false) + client(opcode::continuation, "(")) == "fail:1007");
    // A bad byte in the first fragment fails before the message is complete.
    CHECK(first_event(client(opcode::text, "\xC0\x80", false)) == "fail:1007");
    CHECK(first_event(client(opcode::close, std::string{"\x03\xE8\xFF"})) == "fail:1007");
    // Binary messages are not text.
    CHECK(first_event(client(opcode::binary, "\xFF\xFE")) == "binary:\xFF\xFE");
}

TEST_CASE("the size limit applies from the frame header, before the payload", "[ws][frame]") {
    const std::string frame = client(opcode::binary, std::string(2000, 'z'));
    // Only the header is fed: the decision needs no payload.
    CHECK(first_event(frame.substr(0, 8), 1000) == "fail:1009");
    CHECK(first_event(frame, 2000) == "binary:" + std::string(2000, 'z'));
    // Fragments count together.
    const std::string parts =
        client(opcode::text, std::string(600, 'a'), false) + client(opcode::continuation, std::string(600, 'b'));
    CHECK(first_event(parts, 1000) == "fail:1009");
    CHECK(first_event(parts, 1200) == "text:" + std::string(600, 'a') + std::string(600, 'b'));
}

TEST_CASE("after a failure everything further is discarded", "[ws][frame]") {
    frame_parser p{1 << 20};
    const auto events = parse_all(p, encode_frame(opcode::text, "unmasked") + client(opcode::text, "later"));
    CHECK(events == std::vector<std::string>{"fail:1002"});
    CHECK(p.failed());
}

TEST_CASE("server frames: header sizes and close reasons", "[ws][frame]") {
    for (const std::size_t n : {0u, 125u, 126u, 65535u, 65536u}) {
        const auto f = encode_frame(opcode::binary, std::string(n, 'q'));
        CHECK(f.size() == frame_header_size(n) + n);
        frame_parser p{1 << 20, false};
        CHECK(parse_all(p, f) == std::vector<std::string>{"binary:" + std::string(n, 'q')});
    }
    CHECK(encode_frame(opcode::text, "hi") == std::string{"\x81\x02hi"});
    // A reason is cut to fit 125 bytes without splitting a character.
    std::string reason;
    for (int i = 0; i < 70; ++i) reason += "\xC3\xA9";
    const auto close = encode_close(1008, reason);
    CHECK(close.size() <= 127);
    frame_parser p{1 << 20, false};
    const auto events = parse_all(p, close);
    REQUIRE(events.size() == 1);
    CHECK(events[0] == "close:1008:" + reason.substr(0, 122));
}

TEST_CASE("UTF-8 validation follows RFC 3629", "[ws][utf8]") {
    CHECK(valid_utf8("plain ascii, long enough to use the fast path"));
    CHECK(valid_utf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF"));
    CHECK_FALSE(valid_utf8("\xC0\x80"));          // overlong
    CHECK_FALSE(valid_utf8("\xE0\x80\x80"));      // overlong
    CHECK_FALSE(valid_utf8("\xED\xA0\x80"));      // surrogate
    CHECK_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
    CHECK_FALSE(valid_utf8("\xF5\x80\x80\x80"));
    CHECK_FALSE(valid_utf8("\x80"));
    CHECK_FALSE(valid_utf8("abc\xE2\x82"));
    utf8_validator v;
    CHECK(v.feed("\xF0\x9F"));
    CHECK_FALSE(v.complete());
    CHECK(v.feed("\x98\x80"));
    CHECK(v.complete());
    CHECK(utf8_prefix("\xC3\xA9\xC3\xA9", 3) == "\xC3\xA9");
}
