#include <araldo/log_payload.hpp>

#include <algorithm>
#include <array>
#include <cctype>

namespace araldo {
namespace {

bool secret_name(std::string_view name) {
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    static constexpr std::array<std::string_view, 6> words{"token", "secret",        "password",
                                                           "key",   "authorization", "signature"};
    return std::any_of(words.begin(), words.end(), [&](auto w) { return lower.find(w) != std::string::npos; });
}

// The end of a JSON string starting at `open` (the quote), or npos.
std::size_t string_end(std::string_view s, std::size_t open) {
    for (std::size_t i = open + 1; i < s.size(); ++i) {
        if (s[i] == '\\') ++i;
        else if (s[i] == '"') return i;
    }
    return std::string_view::npos;
}

// "password": "x" -> "password": "***", wherever the payload is JSON-like;
// anything else passes unchanged.
std::string mask_json_secrets(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        if (s[i] != '"') {
            out += s[i++];
            continue;
        }
        const std::size_t close = string_end(s, i);
        if (close == std::string_view::npos) break;
        const std::string_view name = s.substr(i + 1, close - i - 1);
        out.append(s.substr(i, close - i + 1));
        i = close + 1;
        std::size_t j = i;
        while (j < s.size() && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r')) ++j;
        if (j >= s.size() || s[j] != ':' || !secret_name(name)) continue;
        ++j;
        while (j < s.size() && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r')) ++j;
        if (j < s.size() && s[j] == '"') {
            const std::size_t value_end = string_end(s, j);
            out.append(s.substr(i, j - i));
            if (value_end == std::string_view::npos) {  // cut inside the secret: hide the rest
                out += "\"***";
                return out;
            }
            out += "\"***\"";
            i = value_end + 1;
        }
    }
    if (i < s.size()) out.append(s.substr(i));
    return out;
}

}  // namespace

std::string loggable_payload(std::string_view payload, std::size_t limit) {
    const std::string masked = mask_json_secrets(payload);
    std::string out;
    const std::size_t shown = std::min(masked.size(), limit);
    for (std::size_t i = 0; i < shown; ++i) {
        const unsigned char c = static_cast<unsigned char>(masked[i]);
        if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\t') out += "\\t";
        else if (c < 0x20 || c == 0x7f) {
            static constexpr char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    if (masked.size() > limit) out += "... (" + std::to_string(masked.size() - limit) + " more bytes)";
    return out;
}

}  // namespace araldo
