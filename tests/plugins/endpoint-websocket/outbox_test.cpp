// The outbox without a socket: every write is simulated by taking the first
// n bytes of a gather, so each order rule is checked byte by byte.
#include "ws_outbox.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <map>
#include <random>
#include <string>

using namespace araldo::plugins::endpoint_websocket;

namespace {

constexpr std::uint64_t no_limit = 1ull << 40;

// What a series of writes produced, and what the outbox said finished.
struct wire {
    std::string bytes;
    std::size_t data_frames = 0;
    std::size_t handshake_done_at = 0;  // bytes on the wire after the write that finished the 101
    std::size_t close_done_at = 0;
};

// One write that takes at most `max` bytes of what a gather offers.
// Returns the bytes offered.
std::size_t write_once(ws_outbox& o, wire& w, std::size_t max, std::size_t slots = 1024) {
    std::array<iovec, 1024> iov{};
    std::size_t total = 0;
    const std::size_t n = o.gather(std::span<iovec>(iov.data(), slots), total);
    std::size_t took = 0;
    for (std::size_t i = 0; i < n && took < max; ++i) {
        const std::size_t k = std::min(iov[i].iov_len, max - took);
        w.bytes.append(static_cast<const char*>(iov[i].iov_base), k);
        took += k;
    }
    const auto p = o.consumed(took);
    w.data_frames += p.data_frames;
    if (p.handshake_done) w.handshake_done_at = w.bytes.size();
    if (p.close_done) w.close_done_at = w.bytes.size();
    return total;
}

// Writes everything, `step` bytes at a time.
wire drain(ws_outbox& o, std::size_t step, wire w = {}) {
    while (write_once(o, w, step) > 0) {}
    return w;
}

frame_ptr f(std::string s) { return make_frame(std::move(s)); }

}  // namespace

TEST_CASE("outbox: the 101 first, then control frames, data frames, the close frame", "[ws][outbox]") {
    for (std::size_t step = 1; step <= 40; ++step) {
        ws_outbox o;
        o.push_handshake(f("HTTP/1.1 101\r\n\r\n"));
        CHECK(o.push_data(f("data-1"), no_limit, false).queued);
        o.push_control(f("pong"));
        CHECK(o.push_data(f("data-2"), no_limit, false).queued);
        CHECK(o.close(f("close"), true) == 0);
        CHECK(o.handshake_pending());
        const auto w = drain(o, step);
        INFO("step " << step);
        CHECK(w.bytes == "HTTP/1.1 101\r\n\r\npongdata-1data-2close");
        // Reported by the write that took the 101's last byte.
        CHECK(w.handshake_done_at >= 16);
        CHECK(w.handshake_done_at < 16 + step);
        CHECK(w.close_done_at == w.bytes.size());
        CHECK(w.data_frames == 2);
        CHECK_FALSE(o.handshake_pending());
        CHECK(o.close_sent());
        CHECK(o.queued_bytes() == 0);
        CHECK(o.empty());
    }
}

TEST_CASE("outbox: the rest of a frame cut short goes before a control frame queued since", "[ws][outbox]") {
    ws_outbox o;
    o.push_data(f("AAAAAA"), no_limit, false);
    o.push_data(f("BBBB"), no_limit, false);
    wire w;
    write_once(o, w, 2);  // "AA": the frame is now cut short
    o.push_control(f("ping"));
    o.push_data(f("CC"), no_limit, false);
    w = drain(o, 3, w);
    CHECK(w.bytes == "AAAAAApingBBBBCC");
    CHECK(w.data_frames == 3);
}

TEST_CASE("outbox: a close frame cut short is finished, and nothing follows it", "[ws][outbox]") {
    ws_outbox o;
    o.push_data(f("data"), no_limit, false);
    o.close(f("CLOSE"), true);
    wire w;
    write_once(o, w, 6);  // "data" and "CL"
    CHECK_FALSE(o.close_sent());
    o.push_control(f("pong"));  // the session queues none after its close frame; if it did, not after it
    CHECK_FALSE(o.push_data(f("late"), no_limit, false).queued);
    write_once(o, w, 3);
    CHECK(w.bytes == "dataCLOSE");
    CHECK(o.close_sent());
    std::size_t total = 0;
    std::array<iovec, 4> iov{};
    CHECK(o.gather(iov, total) == 0);
}

TEST_CASE("outbox: a gather fills at most the entries it is given", "[ws][outbox]") {
    ws_outbox o;
    for (char c : std::string("abcdef")) o.push_data(f(std::string(3, c)), no_limit, false);
    wire w;
    CHECK(write_once(o, w, 100, 2) == 6);  // two frames of 3
    CHECK(w.bytes == "aaabbb");
    w = drain(o, 100, w);
    CHECK(w.bytes == "aaabbbcccdddeeefff");
}

TEST_CASE("outbox: over the limit, disconnect refuses and drop-oldest makes room", "[ws][outbox]") {
    SECTION("an empty queue takes a frame however large") {
        ws_outbox o;
        CHECK(o.push_data(f(std::string(100, 'x')), 10, false).queued);
        CHECK(o.queued_bytes() == 100);
        CHECK_FALSE(o.push_data(f("y"), 10, false).queued);
        CHECK(o.queued_bytes() == 100);
    }
    SECTION("disconnect: the frame that would go over is refused, the queue is kept") {
        ws_outbox o;
        CHECK(o.push_data(f("1234"), 10, false).queued);
        CHECK(o.push_data(f("5678"), 10, false).queued);
        const auto r = o.push_data(f("abc"), 10, false);
        CHECK_FALSE(r.queued);
        CHECK(r.dropped == 0);
        CHECK(drain(o, 5).bytes == "12345678");
    }
    SECTION("drop-oldest: the oldest frames not started are dropped, a frame cut short is kept") {
        ws_outbox o;
        o.push_data(f("1111"), 10, true);
        o.push_data(f("2222"), 10, true);
        wire w;
        write_once(o, w, 1);  // "1111" is started
        o.push_data(f("33"), 10, true);
        CHECK(o.queued_bytes() == 10);
        const auto r = o.push_data(f("4444"), 10, true);
        CHECK(r.queued);
        CHECK(r.dropped == 1);  // "2222"; the next frame in line was "33", which now fits
        CHECK(o.queued_bytes() == 10);
        w = drain(o, 2, w);
        CHECK(w.bytes == "1111334444");
        CHECK(w.data_frames == 3);
        CHECK(o.queued_bytes() == 0);
    }
    SECTION("drop-oldest: a frame that alone fills the queue still waits behind the one being written") {
        ws_outbox o;
        o.push_data(f("12345678"), 10, true);
        wire w;
        write_once(o, w, 1);
        const auto r = o.push_data(f("abcdef"), 10, true);
        CHECK(r.queued);
        CHECK(r.dropped == 0);
        CHECK(o.queued_bytes() == 14);
        CHECK(drain(o, 4, w).bytes == "12345678abcdef");
    }
}

TEST_CASE("outbox: closing without flush drops the data not started, with flush keeps it", "[ws][outbox]") {
    ws_outbox o;
    o.push_handshake(f("101"));
    o.push_data(f("aaaa"), no_limit, false);
    o.push_data(f("bbbb"), no_limit, false);
    o.push_data(f("cccc"), no_limit, false);
    SECTION("without flush") {
        wire w;
        write_once(o, w, 5);  // the 101 and "aa"
        o.push_control(f("pong"));
        CHECK(o.close(f("bye"), false) == 2);  // "bbbb" and "cccc"
        CHECK(o.queued_bytes() == 4);          // "aaaa", half written
        w = drain(o, 1, w);
        CHECK(w.bytes == "101aaaapongbye");
        CHECK(w.data_frames == 1);
        CHECK(o.queued_bytes() == 0);
    }
    SECTION("with flush") {
        CHECK(o.close(f("bye"), true) == 0);
        CHECK(o.close(f("again"), false) == 0);  // one close frame only
        CHECK(drain(o, 7).bytes == "101aaaabbbbccccbye");
    }
}

TEST_CASE("outbox: a pinned write is offered again first, alone, and nothing of it is dropped", "[ws][outbox]") {
    ws_outbox o;
    o.push_data(f("AAAA"), 12, true);
    o.push_data(f("BBBB"), 12, true);
    wire w;
    // A TLS write took 2 bytes of the 8 offered and must be retried.
    const std::size_t offered = write_once(o, w, 2);
    CHECK(offered == 8);
    o.pin(offered - 2);
    CHECK(o.pinned());
    o.push_control(f("ping"));                          // would go before "BBBB" if not pinned
    const auto r = o.push_data(f("CCCCCC"), 12, true);  // drop-oldest may not drop "BBBB"
    CHECK(r.queued);
    CHECK(r.dropped == 0);
    CHECK(o.close(f("bye"), false) == 1);  // "CCCCCC" goes, the pinned "BBBB" stays
    // The retry is offered exactly the pinned bytes.
    std::array<iovec, 8> iov{};
    std::size_t total = 0;
    CHECK(o.gather(iov, total) == 2);
    CHECK(total == 6);
    // It takes 3 more, and has to wait again: what is left of "BBBB" is cut
    // short, so it comes first anyway, and the rest may follow it.
    CHECK(write_once(o, w, 3) == 6);
    o.pin(3);
    CHECK_FALSE(o.pinned());
    total = 0;
    CHECK(o.gather(iov, total) == 3);
    CHECK(std::string(static_cast<const char*>(iov[0].iov_base), iov[0].iov_len) == "BBB");
    w = drain(o, 100, w);
    CHECK(w.bytes == "AAAABBBBpingbye");
    CHECK_FALSE(o.pinned());
    CHECK(w.data_frames == 2);
    CHECK(o.queued_bytes() == 0);
}

TEST_CASE("outbox: a pin over control frames, the data and the close frame", "[ws][outbox]") {
    for (std::size_t took = 0; took < 15; ++took) {
        ws_outbox o;
        o.push_control(f("pong"));
        o.push_data(f("data"), no_limit, false);
        o.close(f("close"), true);
        wire w;
        const std::size_t offered = write_once(o, w, took);
        REQUIRE(offered == 13);
        o.pin(offered - took);
        o.push_control(f("late"));  // not offered before what is pinned
        w = drain(o, 1, w);
        INFO("took " << took);
        // The close frame was offered, so it stays last and nothing follows it.
        CHECK(w.bytes == "pongdataclose");
        CHECK(o.close_sent());
    }
}

TEST_CASE("outbox: clear drops everything", "[ws][outbox]") {
    ws_outbox o;
    o.push_handshake(f("101"));
    o.push_data(f("abc"), no_limit, false);
    wire w;
    write_once(o, w, 4);
    o.clear();
    CHECK(o.empty());
    CHECK(o.queued_bytes() == 0);
    std::array<iovec, 4> iov{};
    std::size_t total = 0;
    CHECK(o.gather(iov, total) == 0);
}

namespace {

// A frame that names itself: "<D12>" then `n` filler bytes, so the bytes on
// the wire can be cut back into frames and checked whole and in order.
frame_ptr tagged(char kind, std::size_t id, std::size_t n) {
    return make_frame("<" + std::string(1, kind) + std::to_string(id) + ">" + std::string(n, 'a' + id % 26));
}

struct parsed_frame {
    char kind;
    std::size_t id;
    std::size_t size;
};

std::vector<parsed_frame> parse_wire(const std::string& w) {
    std::vector<parsed_frame> out;
    std::size_t i = 0;
    while (i < w.size()) {
        REQUIRE(w[i] == '<');
        const auto close = w.find('>', i);
        REQUIRE(close != std::string::npos);
        parsed_frame f{w[i + 1], std::stoul(w.substr(i + 2, close - i - 2)), 0};
        std::size_t j = close + 1;
        while (j < w.size() && w[j] != '<') ++j;
        f.size = j - i;
        out.push_back(f);
        i = j;
    }
    return out;
}

}  // namespace

TEST_CASE("outbox: random pushes, writes, pins and closes keep frames whole and in order", "[ws][outbox]") {
    std::mt19937 rng(20261202);
    const auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
    for (int round = 0; round < 300; ++round) {
        const bool tls = round % 2 == 1;  // a write that waits pins what it was offered
        const std::size_t slots = 1 + pick(8);  // the session's gather list has a fixed size
        ws_outbox o;
        o.push_handshake(tagged('H', 0, 10));
        std::map<std::string, std::size_t> sizes;  // frame tag -> size
        sizes["H0"] = tagged('H', 0, 10)->size();
        std::size_t data_ids = 0, control_ids = 0, accepted = 0, dropped = 0, written_data = 0;
        bool closed = false;
        std::string retry;  // what a waiting TLS write must be offered first
        wire w;
        const auto write = [&](std::size_t max) {
            std::array<iovec, 1024> iov{};
            std::size_t total = 0;
            const std::size_t n = o.gather(std::span<iovec>(iov.data(), slots), total);
            std::string offered;
            for (std::size_t i = 0; i < n; ++i)
                offered.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
            REQUIRE(offered.size() == total);
            REQUIRE(offered.starts_with(retry));
            const std::size_t took = std::min(max, total);
            w.bytes += offered.substr(0, took);
            const auto p = o.consumed(took);
            written_data += p.data_frames;
            retry.clear();
            if (tls && took < total) {
                o.pin(total - took);
                retry = offered.substr(took);
            }
            return total;
        };
        for (int op = 0; op < 120; ++op) {
            switch (pick(10)) {
                case 0:
                case 1:
                case 2:
                case 3: {
                    const auto f = tagged('D', ++data_ids, pick(40));
                    sizes["D" + std::to_string(data_ids)] = f->size();
                    const auto r = o.push_data(f, 60 + pick(100), pick(2) == 1);
                    REQUIRE((!closed || !r.queued));
                    accepted += r.queued ? 1 : 0;
                    dropped += r.dropped;
                    break;
                }
                case 4:
                    if (!closed) {
                        const auto f = tagged('C', ++control_ids, pick(6));
                        sizes["C" + std::to_string(control_ids)] = f->size();
                        o.push_control(f);
                    }
                    break;
                case 5:
                    if (!closed && pick(6) == 0) {
                        closed = true;
                        const auto f = tagged('X', 0, 3);
                        sizes["X0"] = f->size();
                        dropped += o.close(f, pick(2) == 1);
                    }
                    break;
                default: write(pick(3) == 0 ? 0 : 1 + pick(90)); break;
            }
        }
        while (write(1 + pick(50)) > 0) {}
        INFO("round " << round);
        const auto frames = parse_wire(w.bytes);
        REQUIRE(!frames.empty());
        CHECK(frames.front().kind == 'H');
        std::size_t last_data = 0, last_control = 0, controls = 0, datas = 0;
        for (std::size_t i = 0; i < frames.size(); ++i) {
            const auto& f = frames[i];
            CHECK(f.size == sizes[std::string(1, f.kind) + std::to_string(f.id)]);  // whole
            if (f.kind == 'D') {
                CHECK(f.id > last_data);
                last_data = f.id;
                ++datas;
            } else if (f.kind == 'C') {
                CHECK(f.id == last_control + 1);  // every one, in order
                last_control = f.id;
                ++controls;
            } else if (f.kind == 'X') {
                CHECK(i + 1 == frames.size());
            }
        }
        CHECK(controls == control_ids);
        CHECK(datas == written_data);
        CHECK(datas + dropped == accepted);
        CHECK(o.queued_bytes() == 0);
        CHECK_FALSE(o.pinned());
        CHECK(o.close_sent() == closed);
    }
}

TEST_CASE("outbox: a pong replaces one still waiting, so pings without reads cannot grow the queue", "[ws][outbox]") {
    const auto pong = [](char tag) { return f(std::string("\x8A\x01", 2) + tag); };
    ws_outbox o;
    o.push_control(f(std::string("\x89\x00", 2)));  // a ping of ours stays
    for (char tag = 'a'; tag <= 'z'; ++tag) o.push_pong(pong(tag));
    CHECK(drain(o, 3).bytes == std::string("\x89\x00\x8A\x01z", 5));

    // A pong already offered to a write that must be retried is pinned: the
    // next one queues behind it instead of replacing it.
    o.push_pong(pong('1'));
    wire w;
    const auto offered = write_once(o, w, 0);
    o.pin(offered);
    o.push_pong(pong('2'));
    o.push_pong(pong('3'));
    CHECK(drain(o, 1, w).bytes == std::string("\x8A\x01" "1" "\x8A\x01" "3", 6));
    CHECK(o.empty());
}
