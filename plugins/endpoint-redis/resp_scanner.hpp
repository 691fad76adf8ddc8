// A bound on what a Redis connection may send, checked before hiredis sees a
// byte. hiredis 0.14 trusts a reply's declared sizes: one `*2000000000\r\n`
// makes it allocate and walk a 16 GB array with the event loop blocked, and a
// line without CRLF grows its buffer (rescanned from the start on every read)
// without end. The scanner walks the RESP2 headers of the incoming bytes,
// incrementally (reads may split anywhere), and refuses the first one outside
// what this endpoint can legitimately receive. Sans-I/O: bytes in, verdict out.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace araldo::plugins::endpoint_redis {

struct resp_limits {
    // Bulk strings: a pushed payload, a channel or pattern name. The endpoint
    // sets this from its `max-message-size` option.
    std::uint64_t max_bulk = 1024 * 1024;
    // Elements of one array. The largest array either connection receives is
    // a pmessage push (4: "pmessage", pattern, channel, payload); subscribe
    // confirmations have 3, a PING on a subscribed connection answers 2, and
    // the replies to AUTH, SELECT, PING and PUBLISH are not arrays. 8 leaves
    // room for a field Redis might add, while one reply can hold at most
    // 8 x max_bulk bytes.
    std::size_t max_elements = 8;
    // Arrays inside arrays: none of those replies nests, so a nested array is
    // refused (depth 1: a top-level array of scalars).
    std::size_t max_depth = 1;
    // A status, error or integer line, without its CRLF. Redis's own error
    // messages are a few hundred bytes; the bound also keeps hiredis, which
    // rescans a line from its start on every read, from quadratic work.
    std::size_t max_line = 4096;
};

class resp_scanner {
public:
    explicit resp_scanner(resp_limits limits = {});

    // Checks `bytes`, continuing the stream fed so far. Returns how many of
    // them may be handed to the parser: all of them, or those before the byte
    // that revealed a violation. Every violation shows at the latest on the
    // byte that would complete its header (the LF of `*2000000000\r\n`), so
    // the accepted bytes never complete an item outside the limits.
    std::size_t feed(std::string_view bytes);

    // After a violation: why the stream is refused; nothing more is accepted.
    bool failed() const noexcept { return phase_ == phase::failed; }
    const std::string& violation() const noexcept { return violation_; }
    const resp_limits& limits() const noexcept { return limits_; }
    // Replies completely scanned so far (for tests and logs).
    std::uint64_t replies() const noexcept { return replies_; }

private:
    enum class phase { type, line, line_lf, bulk, bulk_cr, bulk_lf, failed };

    // Each returns false after recording a violation.
    bool on_type(char c);
    bool on_line_byte(char c);
    bool on_line_end();
    bool on_header();
    void value_done();
    bool fail(std::string why);
    std::string header_text() const;
    std::string fmt_header_error(std::string_view what) const;

    resp_limits limits_;
    phase phase_ = phase::type;
    char type_ = 0;                // the header's type byte: + - : $ *
    std::size_t line_length_ = 0;  // bytes of the current line, CRLF excluded
    bool negative_ = false;
    std::size_t digits_ = 0;
    std::uint64_t magnitude_ = 0;  // of the number on a : $ * line, capped by the overflow check
    std::uint64_t bulk_left_ = 0;  // payload bytes of the current bulk string still to come
    // Elements still expected by each open array, outermost first.
    static constexpr std::size_t max_tracked_depth = 8;
    std::array<std::uint64_t, max_tracked_depth> open_{};
    std::size_t depth_ = 0;
    std::uint64_t offset_ = 0;  // bytes of the stream consumed, for the error message
    std::uint64_t replies_ = 0;
    std::string violation_;
};

}  // namespace araldo::plugins::endpoint_redis
