// Character classes the SDK checks outside bytes against, as tables: a
// lookup per character instead of a chain of comparisons (or a memchr per
// character). Private to the SDK.
#pragma once

#include <array>
#include <string_view>

namespace araldo::detail {

using char_class = std::array<bool, 256>;

template <class Pred>
constexpr char_class make_char_class(Pred pred) {
    char_class table{};
    for (unsigned c = 0; c < 256; ++c) table[c] = pred(static_cast<unsigned char>(c));
    return table;
}

constexpr bool is_alnum(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// tchar of RFC 9110 section 5.6.2: what a header field name is made of.
inline constexpr char_class token_chars = make_char_class([](unsigned char c) {
    return is_alnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
});

// unreserved of RFC 3986 section 2.3: what a message id is made of.
inline constexpr char_class unreserved_chars =
    make_char_class([](unsigned char c) { return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~'; });

// True when every character of `s` is in `cls`.
constexpr bool all_of_class(std::string_view s, const char_class& cls) {
    for (const char c : s)
        if (!cls[static_cast<unsigned char>(c)]) return false;
    return true;
}

}  // namespace araldo::detail
