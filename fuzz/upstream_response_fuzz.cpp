// endpoint-upstream's response parser (plugins/endpoint-upstream/http1_codec.cpp):
// what the service, or whatever answers on its port, sends back to a request.
//
// Input: one control byte, then the bytes of the connection. The control
// byte's low three bits choose the body limit (0 to 255, 4096 or 1 MiB), bit 3
// the header limit (256 bytes or the default 16 KiB), its high four bits how
// the bytes are cut: a byte at a time (0) or pieces of pseudo-random sizes.
//
// Properties: feed never takes more than it was offered, nor anything once
// done or failed; the body never holds more than the limit; a response that
// is done has a final status (200 to 999); a failure says why, and too_large
// comes only with one; nothing is started before a byte arrives. The stream
// read all at once and read in pieces, each piece offered together with what
// the parser left of the one before (as upstream_client.cpp does), end in the
// same state with the same status, keep_alive and too_large, and, unless
// they failed, the same content type, body and bytes taken; then again after
// the end of the connection.
#include "fuzz_check.hpp"
#include "http1_codec.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace up = araldo::plugins::endpoint_upstream;

namespace {

constexpr std::uint64_t body_limits[] = {0, 1, 5, 16, 100, 255, 4096, 1024 * 1024};

struct outcome {
    up::response_parser::state state;
    unsigned status;
    std::string content_type;
    std::string body;
    bool keep_alive;
    bool too_large;
    bool started;
    std::size_t taken;  // in all
};

// Checks what holds after every feed and every end of the connection.
void check_invariants(up::response_parser& p, std::uint64_t limit) {
    FUZZ_CHECK(p.body().size() <= limit);
    if (p.done()) {
        FUZZ_CHECK(p.status() >= 200 && p.status() <= 999);
        FUZZ_CHECK(p.error().empty());
    }
    if (p.failed()) FUZZ_CHECK(!p.error().empty());
    if (p.too_large()) FUZZ_CHECK(p.failed());
}

// Once done or failed, the parser takes nothing more.
void check_closed(up::response_parser& p, std::string_view more) {
    if (!p.done() && !p.failed()) return;
    const auto state = p.current();
    const auto body = p.body();
    FUZZ_CHECK(p.feed(more) == 0);
    FUZZ_CHECK(p.feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") == 0);
    FUZZ_CHECK(p.current() == state && p.body() == body);
}

outcome read(up::response_parser& p, std::size_t taken) {
    return {p.current(), p.status(),    p.content_type(), p.body(),
            p.keep_alive(), p.too_large(), p.started(),   taken};
}

void check_same(const outcome& a, const outcome& b) {
    FUZZ_CHECK(a.state == b.state);
    FUZZ_CHECK(a.status == b.status);
    FUZZ_CHECK(a.keep_alive == b.keep_alive);
    FUZZ_CHECK(a.too_large == b.too_large);
    FUZZ_CHECK(a.started == b.started);
    // A failed parser's partial body and position depend on the cut; the
    // connection closes anyway.
    if (a.state != up::response_parser::state::failed) {
        FUZZ_CHECK(a.content_type == b.content_type);
        FUZZ_CHECK(a.body == b.body);
        FUZZ_CHECK(a.taken == b.taken);
    }
}

// Piece sizes: all 1, or from a small xorshift seeded by the control byte.
struct cutter {
    std::uint32_t state;
    std::size_t next() {
        if (state == 0) return 1;
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        // Mostly small pieces, now and then a large one.
        return (state & 7) == 0 ? 1 + (state >> 3) % 512 : 1 + (state >> 3) % 8;
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t control = data[0];
    const std::uint64_t limit = body_limits[control & 7];
    const std::size_t header_limit = (control & 8) ? 256 : 16 * 1024;
    const std::uint32_t seed = control >> 4;
    const std::string_view stream{reinterpret_cast<const char*>(data) + 1, size - 1};

    // All at once.
    up::response_parser whole{limit, header_limit};
    const std::size_t whole_taken = whole.feed(stream);
    FUZZ_CHECK(whole_taken <= stream.size());
    FUZZ_CHECK(whole.started() == !stream.empty());
    check_invariants(whole, limit);

    // In pieces, what is left of each offered again with the next.
    up::response_parser split{limit, header_limit};
    cutter cut{seed * 2654435761u};
    std::string pending;
    std::size_t split_taken = 0;
    for (std::size_t at = 0; at < stream.size();) {
        const std::size_t n = std::min(cut.next(), stream.size() - at);
        pending.append(stream.substr(at, n));
        at += n;
        const std::size_t took = split.feed(pending);
        FUZZ_CHECK(took <= pending.size());
        pending.erase(0, took);
        split_taken += took;
        check_invariants(split, limit);
    }
    FUZZ_CHECK(split_taken + pending.size() == stream.size());

    check_same(read(whole, whole_taken), read(split, split_taken));

    // The connection ends.
    const auto before = whole.current();
    whole.feed_eof();
    split.feed_eof();
    check_invariants(whole, limit);
    check_invariants(split, limit);
    FUZZ_CHECK(whole.done() || whole.failed());
    if (before == up::response_parser::state::done) FUZZ_CHECK(whole.done());
    if (before == up::response_parser::state::head) FUZZ_CHECK(whole.failed());
    check_same(read(whole, whole_taken), read(split, split_taken));

    check_closed(whole, stream.substr(whole_taken));
    check_closed(split, pending);
    return 0;
}
