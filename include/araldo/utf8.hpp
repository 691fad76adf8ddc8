// UTF-8 validation, one rule for the whole tree (RFC 3629: no overlong forms,
// no surrogates, nothing above U+10FFFF). Every place that decides whether
// bytes are text (a WebSocket frame, a Redis payload, a stored webhook body)
// uses this, so what one part accepts as text another never refuses.
#pragma once

#include <araldo/export.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace araldo {

// Incremental, because a text message may arrive in pieces split anywhere and
// a bad byte must be refused as soon as it is seen.
class ARALDO_EXPORT utf8_validator {
public:
    // False as soon as `bytes` (continuing what came before) cannot be UTF-8.
    bool feed(std::string_view bytes) noexcept;
    // True when everything fed so far ends on a character boundary.
    bool complete() const noexcept { return need_ == 0; }
    void reset() noexcept {
        need_ = 0;
        lo_ = 0x80;
        hi_ = 0xBF;
    }

private:
    std::uint8_t need_ = 0;   // continuation bytes still expected
    std::uint8_t lo_ = 0x80;  // range allowed for the next continuation byte
    std::uint8_t hi_ = 0xBF;
};

// One-shot check of a whole string.
ARALDO_EXPORT bool valid_utf8(std::string_view bytes) noexcept;

// The longest prefix of `s` no longer than `max` bytes that does not cut a
// UTF-8 sequence (for log lines and close reasons of a fixed size).
ARALDO_EXPORT std::string_view utf8_prefix(std::string_view s, std::size_t max) noexcept;

}  // namespace araldo
