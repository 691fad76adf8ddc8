#include "json_quote.hpp"

#include <cstdint>

namespace araldo::plugins::marshal_json {

namespace {

constexpr std::string_view replacement = "\\ufffd";

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629, table 3-7 of the
// Unicode standard: no overlong forms, no surrogates, nothing past U+10FFFF),
// or 0 when the bytes there are not one.
std::size_t utf8_length(std::string_view s, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
    const std::uint8_t b0 = byte(i);
    if (b0 < 0x80) return 1;
    std::size_t len = 0;
    std::uint8_t lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        if (b0 == 0xE0) lo = 0xA0;
        if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        if (b0 == 0xF0) lo = 0x90;
        if (b0 == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (s.size() - i < len) return 0;
    if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < len; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
    }
    return len;
}

void append_escaped(std::string& out, char c) {
    static constexpr char hex[] = "0123456789abcdef";
    switch (c) {
    case '"': out += "\\\""; return;
    case '\\': out += "\\\\"; return;
    case '\b': out += "\\b"; return;
    case '\f': out += "\\f"; return;
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    default: break;
    }
    const auto u = static_cast<std::uint8_t>(c);
    out += "\\u00";
    out += hex[u >> 4];
    out += hex[u & 0xF];
}

}  // namespace

std::string json_quote(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() + bytes.size() / 8 + 2);
    out += '"';
    std::size_t i = 0;
    while (i < bytes.size()) {
        const char c = bytes[i];
        const auto u = static_cast<std::uint8_t>(c);
        if (u < 0x20 || c == '"' || c == '\\') {
            append_escaped(out, c);
            ++i;
            continue;
        }
        std::size_t len = utf8_length(bytes, i);
        if (len == 0) {
            out += replacement;
            ++i;
            continue;
        }
        out.append(bytes.substr(i, len));
        i += len;
    }
    out += '"';
    return out;
}

}  // namespace araldo::plugins::marshal_json
