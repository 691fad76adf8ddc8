// RFC 6455 framing and the handshake key, shared by the load generator and the
// reference relay. Sans-I/O: callers own the sockets and the buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace araldo::bench {

enum class ws_opcode : std::uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

struct ws_frame_view {
    std::uint8_t opcode = 0;
    bool fin = true;
    bool masked = false;
    std::uint8_t mask[4] = {0, 0, 0, 0};
    const char* payload = nullptr;  // still masked when `masked`
    std::size_t length = 0;
    std::size_t total = 0;  // header + payload bytes consumed
};

// Parses one frame at p[0..n). Returns false when the frame is not complete yet.
inline bool ws_parse_frame(const char* p, std::size_t n, ws_frame_view& f) {
    if (n < 2) return false;
    const auto b0 = static_cast<std::uint8_t>(p[0]);
    const auto b1 = static_cast<std::uint8_t>(p[1]);
    f.fin = (b0 & 0x80) != 0;
    f.opcode = b0 & 0x0f;
    f.masked = (b1 & 0x80) != 0;
    std::size_t pos = 2;
    std::uint64_t len = b1 & 0x7f;
    if (len == 126) {
        if (n < 4) return false;
        len = (std::uint64_t{static_cast<std::uint8_t>(p[2])} << 8) | static_cast<std::uint8_t>(p[3]);
        pos = 4;
    } else if (len == 127) {
        if (n < 10) return false;
        len = 0;
        for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<std::uint8_t>(p[2 + i]);
        pos = 10;
    }
    if (f.masked) {
        if (n < pos + 4) return false;
        std::memcpy(f.mask, p + pos, 4);
        pos += 4;
    }
    if (n - pos < len) return false;
    f.payload = p + pos;
    f.length = static_cast<std::size_t>(len);
    f.total = pos + f.length;
    return true;
}

inline void ws_unmask(char* data, std::size_t n, const std::uint8_t mask[4]) {
    for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<char>(data[i] ^ mask[i & 3]);
}

// Appends a frame header; a client (masked) frame gets an all-zero mask key so the
// payload bytes can be appended unchanged.
inline void ws_append_header(std::string& out, ws_opcode op, std::size_t len, bool masked) {
    out.push_back(static_cast<char>(0x80 | static_cast<std::uint8_t>(op)));
    const std::uint8_t m = masked ? 0x80 : 0;
    if (len < 126) {
        out.push_back(static_cast<char>(m | len));
    } else if (len <= 0xffff) {
        out.push_back(static_cast<char>(m | 126));
        out.push_back(static_cast<char>(len >> 8));
        out.push_back(static_cast<char>(len & 0xff));
    } else {
        out.push_back(static_cast<char>(m | 127));
        for (int i = 7; i >= 0; --i)
            out.push_back(static_cast<char>((static_cast<std::uint64_t>(len) >> (8 * i)) & 0xff));
    }
    if (masked) out.append(4, '\0');
}

// Sec-WebSocket-Accept for a Sec-WebSocket-Key (SHA-1 + base64, via OpenSSL).
std::string ws_accept_key(std::string_view key);

// Case-insensitive lookup of a header value in a raw request or response head.
std::string_view http_header(std::string_view head, std::string_view name);

}  // namespace araldo::bench
