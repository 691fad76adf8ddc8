#include "utf8_sequence.hpp"

#include <araldo/json.hpp>

#include <cstdint>

namespace araldo {

namespace {

constexpr std::string_view replacement = "\\ufffd";

void append_escape(std::string& out, std::uint8_t u) {
    static constexpr char hex[] = "0123456789abcdef";
    switch (u) {
        case '"': out += "\\\""; return;
        case '\\': out += "\\\\"; return;
        case '\b': out += "\\b"; return;
        case '\f': out += "\\f"; return;
        case '\n': out += "\\n"; return;
        case '\r': out += "\\r"; return;
        case '\t': out += "\\t"; return;
        default: break;
    }
    const char esc[] = {'\\', 'u', '0', '0', hex[u >> 4], hex[u & 0xF]};
    out.append(esc, sizeof esc);
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
    // Room for the common case (little to escape), so `out` grows once.
    out.reserve(out.size() + s.size() + s.size() / 8 + 2);
    out += '"';
    std::size_t run = 0;  // start of the bytes not yet copied
    std::size_t i = 0;
    while (i < s.size()) {
        const auto u = static_cast<std::uint8_t>(s[i]);
        if (u >= 0x20 && u < 0x80 && u != '"' && u != '\\') {
            ++i;
            continue;
        }
        if (u >= 0x80) {
            if (const std::size_t len = detail::utf8_sequence_length(s.substr(i))) {
                i += len;
                continue;
            }
        }
        if (i > run) out.append(s.data() + run, i - run);
        if (u >= 0x80) {
            out.append(replacement);
        } else {
            append_escape(out, u);
        }
        run = ++i;
    }
    out.append(s.data() + run, s.size() - run);
    out += '"';
}

std::string json_quote(std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
}

}  // namespace araldo
