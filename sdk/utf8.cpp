#include "utf8_sequence.hpp"

#include <araldo/utf8.hpp>

#include <cstring>

namespace araldo {

bool utf8_validator::feed(std::string_view bytes) noexcept {
    const auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data());
    const auto* end = p + bytes.size();
    while (p < end) {
        if (need_ == 0) {
            // Chat and JSON are mostly ASCII: skip it eight bytes at a time.
            while (end - p >= 8) {
                std::uint64_t word;
                std::memcpy(&word, p, sizeof word);
                if (word & 0x8080808080808080ULL) break;
                p += 8;
            }
            if (p == end) break;
            const std::uint8_t b = *p++;
            if (b < 0x80) continue;
            lo_ = 0x80;
            hi_ = 0xBF;
            if (b >= 0xC2 && b <= 0xDF) {
                need_ = 1;
            } else if (b >= 0xE0 && b <= 0xEF) {
                need_ = 2;
                if (b == 0xE0) lo_ = 0xA0;  // overlong
                if (b == 0xED) hi_ = 0x9F;  // surrogates
            } else if (b >= 0xF0 && b <= 0xF4) {
                need_ = 3;
                if (b == 0xF0) lo_ = 0x90;  // overlong
                if (b == 0xF4) hi_ = 0x8F;  // above U+10FFFF
            } else {
                return false;
            }
            continue;
        }
        const std::uint8_t b = *p++;
        if (b < lo_ || b > hi_) return false;
        --need_;
        lo_ = 0x80;
        hi_ = 0xBF;
    }
    return true;
}

bool valid_utf8(std::string_view bytes) noexcept {
    utf8_validator v;
    return v.feed(bytes) && v.complete();
}

namespace detail {

// The validator's table, for one sequence: the lead byte fixes the length and
// the range of the second byte (overlongs, surrogates, > U+10FFFF excluded).
std::size_t utf8_sequence_length(std::string_view s) noexcept {
    if (s.empty()) return 0;
    const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
    const std::uint8_t b0 = byte(0);
    if (b0 < 0x80) return 1;
    std::size_t len = 0;
    std::uint8_t lo = 0x80, hi = 0xBF;
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
    if (s.size() < len || byte(1) < lo || byte(1) > hi) return 0;
    for (std::size_t k = 2; k < len; ++k)
        if ((byte(k) & 0xC0) != 0x80) return 0;
    return len;
}

}  // namespace detail

std::string_view utf8_prefix(std::string_view s, std::size_t max) noexcept {
    if (s.size() <= max) return s;
    std::size_t end = max;
    // Step back over continuation bytes (10xxxxxx) to the start of a sequence.
    while (end > 0 && (static_cast<std::uint8_t>(s[end]) & 0xC0) == 0x80) --end;
    return s.substr(0, end);
}

}  // namespace araldo
