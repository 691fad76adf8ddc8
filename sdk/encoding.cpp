// Base64, base64url and percent-decoding by hand: strictness is the point
// (OpenSSL's decoder skips white space and keeps padding bytes), and the
// tables are smaller than the glue around a library.
#include <araldo/encoding.hpp>

#include "char_classes.hpp"

#include <openssl/crypto.h>

#include <cstdint>

namespace araldo {

namespace {

constexpr std::string_view standard_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view url_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// The 6-bit value of `c` in `alphabet`, -1 when it is not in it.
int sextet(char c, std::string_view alphabet) noexcept {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == alphabet[62]) return 62;
    if (c == alphabet[63]) return 63;
    return -1;
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Groups of three bytes as four characters; the tail as two or three
// characters, padded to four with '=' when `pad`.
std::string encode(std::string_view bytes, std::string_view alphabet, bool pad) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[i])); };
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
        for (int shift = 18; shift >= 0; shift -= 6) out += alphabet[v >> shift & 63];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest == 0) return out;
    const std::uint32_t v = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    if (rest == 2) out += alphabet[v >> 6 & 63];
    if (pad) out.append(rest == 2 ? 1 : 2, '=');
    return out;
}

// Unpadded text of any length but 4n+1; each character must be in `alphabet`.
std::optional<std::string> decode_unpadded(std::string_view text, std::string_view alphabet) {
    if (text.size() % 4 == 1) return std::nullopt;  // a single leftover character is no byte
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (const char c : text) {
        const int v = sextet(c, alphabet);
        if (v < 0) return std::nullopt;
        acc = (acc << 6 | static_cast<std::uint32_t>(v)) & 0xFFFFFF;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>(acc >> bits & 0xFF);
        }
    }
    return out;
}

}  // namespace

std::string base64_encode(std::string_view bytes) { return encode(bytes, standard_alphabet, true); }

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::size_t padding = 0;
    if (text.ends_with("==")) padding = 2;
    else if (text.ends_with('=')) padding = 1;
    return decode_unpadded(text.substr(0, text.size() - padding), standard_alphabet);
}

std::string base64url_encode(std::string_view bytes) { return encode(bytes, url_alphabet, false); }

std::optional<std::string> base64url_decode(std::string_view text) { return decode_unpadded(text, url_alphabet); }

std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space) {
    std::string out;
    out.reserve(text.size());
    for (;;) {
        // Most of a path or a form value is plain: copy each run in one append.
        std::size_t run = 0;
        while (run < text.size() && text[run] != '%' && (text[run] != '+' || !plus_as_space)) ++run;
        out.append(text.data(), run);
        text.remove_prefix(run);
        if (text.empty()) return out;
        if (text.front() == '+') {
            out += ' ';
            text.remove_prefix(1);
            continue;
        }
        if (text.size() < 3) return std::nullopt;
        const int high = hex_value(text[1]), low = hex_value(text[2]);
        if (high < 0 || low < 0) return std::nullopt;
        out += static_cast<char>(high * 16 + low);
        text.remove_prefix(3);
    }
}

namespace {

bool kept(unsigned char c, percent_keep keep) noexcept {
    switch (keep) {
        case percent_keep::unreserved: return detail::unreserved_chars[c];
        case percent_keep::alnum_dash_underscore: return detail::is_alnum(c) || c == '-' || c == '_';
        case percent_keep::visible_ascii: return c > 0x20 && c < 0x7F;
    }
    return false;
}

}  // namespace

std::string percent_encode(std::string_view bytes, percent_keep keep, bool space_as_plus) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(bytes.size());
    for (const char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        if (kept(u, keep)) {
            out += c;
        } else if (c == ' ' && space_as_plus) {
            out += '+';
        } else {
            const char esc[] = {'%', hex[u >> 4], hex[u & 0xF]};
            out.append(esc, sizeof esc);
        }
    }
    return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace araldo
