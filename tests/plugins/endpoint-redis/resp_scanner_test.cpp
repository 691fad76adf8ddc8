// The reader's bounds, without a socket: everything a Redis connection of this
// endpoint legitimately receives passes, split at every byte offset; each kind
// of violation is refused, at the same byte however the input is split, and
// the replies before it still come out of the reader. The scanner against
// hiredis on random input: scanner_hiredis_test.cpp.
#include "resp_scanner.hpp"
#include "resp.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace araldo::plugins::endpoint_redis;
using namespace std::string_literals;

namespace {

// Small limits, so the exact boundaries are cheap to write out.
constexpr resp_limits small{.max_bulk = 16, .max_elements = 4, .max_depth = 1, .max_line = 32};

const std::string legit =
    "+OK\r\n"
    "+PONG\r\n"
    "-NOAUTH Authentication required.\r\n"
    "-ERR a\rb\r\n"  // a lone CR inside an error text: hiredis ends lines at CRLF only
    ":0\r\n"
    ":-1\r\n"
    ":9223372036854775807\r\n"
    ":-9223372036854775808\r\n"
    "$-1\r\n"
    "$0\r\n\r\n"
    "$5\r\nhe\r\nl\r\n"
    "$16\r\n0123456789abcdef\r\n"  // exactly max_bulk
    "*-1\r\n"
    "*0\r\n"
    "*2\r\n$4\r\npong\r\n$0\r\n\r\n"
    "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n"
    "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$11\r\nhello world\r\n"
    "*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$3\r\n\x00\xff\x01\r\n"s
    "+" +
    std::string(32, 'x') + "\r\n";  // exactly max_line
constexpr std::uint64_t legit_replies = 19;

// Feeds `wire` as the given pieces; returns the bytes accepted in total.
std::size_t feed_pieces(resp_scanner& s, const std::string& wire, const std::vector<std::size_t>& cuts) {
    std::size_t accepted = 0;
    std::size_t from = 0;
    for (std::size_t cut : cuts) {
        accepted += s.feed(std::string_view(wire).substr(from, cut - from));
        from = cut;
    }
    return accepted + s.feed(std::string_view(wire).substr(from));
}

struct violation_case {
    const char* name;
    std::string wire;
    std::string why;       // expected in the violation text
    std::size_t accepted;  // bytes before the one that shows the violation
};

std::vector<violation_case> violations() {
    return {
        {"a huge array", "*2000000000\r\n", "an array of 2000000000 elements, more than 4 at byte 12", 12},
        {"one element too many", "*5\r\n", "an array of 5 elements, more than 4", 3},
        {"a huge bulk string", "$9999999999\r\n", "a bulk string of 9999999999 bytes, more than max-message-size (16)",
         12},
        {"one byte too many", "$17\r\n", "a bulk string of 17 bytes, more than max-message-size (16)", 4},
        {"a nested array", "*2\r\n*1\r\n:1\r\n", "an array nested 2 deep, more than 1", 7},
        {"a nested empty array", "*1\r\n*0\r\n", "an array nested 2 deep", 7},
        {"a negative bulk length", "$-2\r\n", "a negative length in '$-2'", 4},
        {"a negative array length", "*-5\r\n", "a negative length in '*-5'", 4},
        {"a letter in an integer", ":12a\r\n", "an integer with a byte that is not a digit", 3},
        {"a plus sign", ":+1\r\n", "an integer with a byte that is not a digit", 1},
        {"an empty integer", ":\r\n", "an integer with no digits", 2},
        {"a leading zero", ":012\r\n", "an integer with a leading zero", 2},
        {"a length with a leading zero", "$01\r\nx\r\n", "a bulk string length with a leading zero", 2},
        {"a negative zero", ":-0\r\n", "an integer with a negative zero", 4},
        {"a lone minus", ":-\r\n", "an integer with no digits", 3},
        {"an integer past 64 bits", ":9223372036854775808\r\n", "an integer with a number out of the 64-bit range", 19},
        {"a length past 64 bits", "$99999999999999999999\r\n",
         "a bulk string length with a number out of the 64-bit range", 19},
        {"a CR without LF in a header", "*1\rX", "an array length with a CR without LF", 3},
        {"a bulk string without CRLF", "$3\r\nabcXY", "a bulk string not followed by CRLF at byte 7", 7},
        {"a bulk string with CR only", "$3\r\nabc\rX", "a bulk string not followed by CRLF at byte 8", 8},
        {"an unknown type byte", "+OK\r\n!x\r\n", "unknown reply type byte 0x21 at byte 5", 5},
        {"a RESP3 map", "%1\r\n", "unknown reply type byte 0x25", 0},
        {"a status line too long", "+" + std::string(33, 'x'), "a line longer than 32 bytes at byte 33", 33},
        {"an error line too long", "-" + std::string(40, 'x') + "\r\n", "a line longer than 32 bytes", 33},
        {"a long line of CRs", "+" + std::string(40, '\r'), "a line longer than 32 bytes", 34},
        {"good replies, then a huge array", "+OK\r\n*1\r\n:1\r\n*2000000000\r\n", "an array of 2000000000 elements",
         25},
    };
}

}  // namespace

TEST_CASE("everything this endpoint legitimately receives passes, split anywhere", "[redis][scanner]") {
    for (std::size_t cut = 0; cut <= legit.size(); ++cut) {
        INFO("split at " << cut);
        resp_scanner s(small);
        REQUIRE(feed_pieces(s, legit, {cut}) == legit.size());
        CHECK_FALSE(s.failed());
        CHECK(s.replies() == legit_replies);
    }
    resp_scanner bytewise(small);
    for (char c : legit) REQUIRE(bytewise.feed(std::string_view(&c, 1)) == 1);
    CHECK(bytewise.replies() == legit_replies);

    // Through the reader: the same replies hiredis parses without the scanner.
    for (std::size_t cut = 0; cut <= legit.size(); ++cut) {
        INFO("split at " << cut);
        resp_reader r(small);
        std::vector<resp_value> out;
        r.feed(std::string_view(legit).substr(0, cut));
        while (auto v = r.next()) out.push_back(std::move(*v));
        r.feed(std::string_view(legit).substr(cut));
        while (auto v = r.next()) out.push_back(std::move(*v));
        REQUIRE(out.size() == legit_replies);
        CHECK(out[3].str == "ERR a\rb");
        CHECK(out[6].integer == INT64_MAX);
        CHECK(out[11].str == "0123456789abcdef");
        CHECK(out[17].elements[3].str == "\x00\xff\x01"s);
        CHECK(out[18].str == std::string(32, 'x'));
    }
}

TEST_CASE("the default limits admit every push and reply shape the endpoint gets", "[redis][scanner]") {
    constexpr resp_limits d{};
    CHECK(d.max_elements >= 4);  // pmessage
    CHECK(d.max_depth == 1);
    CHECK(d.max_bulk == 1024 * 1024);
    resp_scanner s;
    const std::string big =
        "*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$1\r\nc\r\n$1048576\r\n" + std::string(1048576, 'p') + "\r\n";
    CHECK(s.feed(big) == big.size());
    CHECK(s.replies() == 1);
    CHECK(s.feed("$1048577\r\n") == 9);
    CHECK(s.failed());
}

TEST_CASE("each violation is refused at the same byte however the input is split", "[redis][scanner]") {
    for (const auto& v : violations()) {
        SECTION(v.name) {
            for (std::size_t cut = 0; cut <= v.wire.size(); ++cut) {
                INFO("split at " << cut);
                resp_scanner s(small);
                CHECK(feed_pieces(s, v.wire, {cut}) == v.accepted);
                REQUIRE(s.failed());
                CHECK_THAT(s.violation(), Catch::Contains(v.why));
                CHECK(s.feed("+OK\r\n") == 0);  // nothing more, ever
                CHECK(s.violation().find(v.why) != std::string::npos);
            }
            resp_scanner bytewise(small);
            std::size_t accepted = 0;
            for (char c : v.wire) accepted += bytewise.feed(std::string_view(&c, 1));
            CHECK(accepted == v.accepted);
            CHECK_THAT(bytewise.violation(), Catch::Contains(v.why));
        }
    }
}

TEST_CASE("the reader returns the replies before a violation, then throws", "[redis][scanner]") {
    resp_reader r(small);
    r.feed("*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nok\r\n+OK\r\n*2000000000\r\n:1\r\n");
    auto m = r.next();
    REQUIRE(m);
    CHECK(m->elements[2].str == "ok");
    auto ok = r.next();
    REQUIRE(ok);
    CHECK(ok->is_text("OK"));
    CHECK_THROWS_WITH(r.next(), Catch::Contains("an array of 2000000000 elements, more than 4"));
    CHECK_THROWS_AS(r.next(), resp_protocol_error);  // and keeps refusing
    r.feed("+more\r\n");
    CHECK_THROWS_AS(r.next(), resp_protocol_error);

    // The header split over two reads: nothing before its end reaches a reply.
    resp_reader split(small);
    split.feed("$99999");
    CHECK_FALSE(split.next());
    split.feed("99999\r\n");
    CHECK_THROWS_WITH(split.next(), Catch::Contains("a bulk string of 9999999999 bytes"));
}
