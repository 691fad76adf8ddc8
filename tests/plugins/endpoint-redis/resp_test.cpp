// RESP handling without a socket: every split of the input, pushes, errors,
// nested arrays, and the commands we encode.
#include "resp.hpp"

#include <catch2/catch.hpp>

#include <hiredis/hiredis.h>

#include <cstdlib>

using namespace araldo::plugins::endpoint_redis;
using namespace std::string_literals;

namespace {

// The sample below nests arrays three deep to exercise the conversion; the
// endpoint's own readers refuse any nesting (resp_scanner_test.cpp).
resp_limits nesting_allowed() {
    resp_limits l;
    l.max_depth = 3;
    return l;
}

// All the replies `wire` holds, fed as two chunks split at `cut`.
std::vector<resp_value> read_split(const std::string& wire, std::size_t cut) {
    resp_reader r(nesting_allowed());
    std::vector<resp_value> out;
    r.feed(std::string_view(wire).substr(0, cut));
    while (auto v = r.next()) out.push_back(std::move(*v));
    r.feed(std::string_view(wire).substr(cut));
    while (auto v = r.next()) out.push_back(std::move(*v));
    return out;
}

std::vector<resp_value> read_bytewise(const std::string& wire) {
    resp_reader r(nesting_allowed());
    std::vector<resp_value> out;
    for (char c : wire) {
        r.feed(std::string_view(&c, 1));
        while (auto v = r.next()) out.push_back(std::move(*v));
    }
    return out;
}

const std::string mixed =
    "+OK\r\n"
    "-WRONGPASS invalid username-password pair\r\n"
    ":42\r\n"
    "$-1\r\n"
    "$0\r\n\r\n"
    "$5\r\nhe\r\nl\r\n"                                            // a payload holding CRLF
    "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n"                // a confirmation
    "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$11\r\nhello world\r\n"  // a push
    "*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$3\r\n\x00\xff\x01\r\n"
    "*2\r\n*2\r\n:1\r\n*1\r\n+deep\r\n*0\r\n"s;  // nested arrays

void check_mixed(const std::vector<resp_value>& v) {
    REQUIRE(v.size() == 10);
    CHECK(v[0].type == resp_type::status);
    CHECK(v[0].str == "OK");
    CHECK(v[1].is_error());
    CHECK(v[1].str == "WRONGPASS invalid username-password pair");
    CHECK(v[2].type == resp_type::integer);
    CHECK(v[2].integer == 42);
    CHECK(v[3].type == resp_type::nil);
    CHECK(v[4].type == resp_type::string);
    CHECK(v[4].str.empty());
    CHECK(v[5].str == "he\r\nl");
    REQUIRE(v[6].elements.size() == 3);
    CHECK(v[6].elements[0].is_text("subscribe"));
    CHECK(v[6].elements[2].integer == 1);
    REQUIRE(v[7].elements.size() == 3);
    CHECK(v[7].elements[2].str == "hello world");
    REQUIRE(v[8].elements.size() == 4);
    CHECK(v[8].elements[3].str == std::string("\x00\xff\x01", 3));
    REQUIRE(v[9].is_array());
    REQUIRE(v[9].elements.size() == 2);
    REQUIRE(v[9].elements[0].elements.size() == 2);
    CHECK(v[9].elements[0].elements[1].elements[0].str == "deep");
    CHECK(v[9].elements[1].is_array());
    CHECK(v[9].elements[1].elements.empty());
}

}  // namespace

TEST_CASE("replies split at every byte offset parse the same", "[redis][resp]") {
    for (std::size_t cut = 0; cut <= mixed.size(); ++cut) {
        INFO("split at " << cut);
        check_mixed(read_split(mixed, cut));
    }
    check_mixed(read_bytewise(mixed));
}

TEST_CASE("an incomplete reply yields nothing until its last byte", "[redis][resp]") {
    const std::string push = "*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$3\r\nabc\r\n";
    resp_reader r;
    for (std::size_t i = 0; i + 1 < push.size(); ++i) {
        r.feed(push.substr(i, 1));
        CHECK_FALSE(r.next().has_value());
    }
    r.feed(push.substr(push.size() - 1));
    auto v = r.next();
    REQUIRE(v);
    CHECK(v->elements[2].str == "abc");
    CHECK_FALSE(r.next().has_value());
}

TEST_CASE("malformed input is a protocol error", "[redis][resp]") {
    resp_reader r;
    CHECK_THROWS_AS((r.feed("!what\r\n"), r.next()), resp_protocol_error);
    resp_reader r2;
    CHECK_THROWS_AS((r2.feed("$abc\r\n"), r2.next()), resp_protocol_error);
}

TEST_CASE("commands are encoded as arrays of bulk strings, binary-safe", "[redis][resp]") {
    CHECK(encode_command({"SUBSCRIBE", "a", "bc"}) == "*3\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n$2\r\nbc\r\n");
    std::string out;
    append_publish(out, "chat", std::string_view("x\r\n\0y", 5));
    CHECK(out == "*3\r\n$7\r\nPUBLISH\r\n$4\r\nchat\r\n$5\r\nx\r\n\0y\r\n"s);
    // The same bytes hiredis's own formatter produces.
    const char* argv[] = {"PUBLISH", "chat", "x\r\n\0y"};
    const std::size_t lens[] = {7, 4, 5};
    char* formatted = nullptr;
    int n = redisFormatCommandArgv(&formatted, 3, argv, lens);
    REQUIRE(n > 0);
    CHECK(std::string(formatted, static_cast<std::size_t>(n)) == out);
    redisFreeCommand(formatted);
    // Our encoder's output parses back.
    resp_reader r;
    r.feed(out);
    auto v = r.next();
    REQUIRE(v);
    CHECK(v->elements[2].str == std::string("x\r\n\0y", 5));
}
