// endpoint-upstream's HTTP/1.1 codec (http1_codec.cpp) without sockets: the
// request bytes append_request_head writes and what response_parser makes of a
// service's bytes, whole and as they arrive a byte at a time. The expected
// bytes are written out by hand from RFC 9112 (and RFC 9110 for the fields),
// never produced by the codec itself.
#include "http1_codec.hpp"

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace araldo::plugins::endpoint_upstream;
using parser_state = response_parser::state;

namespace {

constexpr std::uint64_t big = 1024 * 1024;

std::string request(std::string_view method, std::string_view target, std::string_view content_type,
                    const araldo::string_pairs& headers, std::string_view body) {
    std::string out;
    append_request_head(out, method, target, "svc.example:8080", content_type, headers, body.size());
    return out.append(body);
}

// What a parser made of a response, with how many bytes it took in all and
// how many it left (offered but not taken).
struct outcome {
    parser_state state = parser_state::head;
    unsigned status = 0;
    std::string content_type;
    std::string body;
    bool keep_alive = false;
    bool too_large = false;
    bool started = false;
    std::size_t taken = 0;
    std::size_t left = 0;
    std::string error;
};

outcome read(response_parser& p, std::size_t taken, std::size_t left) {
    outcome o;
    o.state = p.current();
    o.status = p.status();
    o.content_type = p.content_type();
    o.body = p.body();
    o.keep_alive = p.keep_alive();
    o.too_large = p.too_large();
    o.started = p.started();
    o.taken = taken;
    o.left = left;
    o.error = p.error();
    return o;
}

// All of `in` in one feed, then the end of the connection when `eof`.
outcome whole(std::string_view in, bool eof = false, std::uint64_t body_limit = big,
              std::size_t header_limit = 16 * 1024) {
    response_parser p{body_limit, header_limit};
    const auto n = p.feed(in);
    CHECK(n <= in.size());
    if (eof) p.feed_eof();
    return read(p, n, in.size() - n);
}

// `in` as it arrives a byte at a time: as the connection does, what the
// parser did not take is offered again with the next byte.
outcome bytewise(std::string_view in, bool eof = false, std::uint64_t body_limit = big,
                 std::size_t header_limit = 16 * 1024) {
    response_parser p{body_limit, header_limit};
    std::string pending;
    std::size_t taken = 0;
    for (char c : in) {
        pending.push_back(c);
        const auto n = p.feed(pending);
        REQUIRE(n <= pending.size());
        taken += n;
        pending.erase(0, n);
    }
    if (eof) p.feed_eof();
    return read(p, taken, pending.size());
}

// Whole and byte by byte agree; returns the whole outcome. What a failed
// parser holds of the body, and how far it got, depend on where the bytes
// were cut (the connection closes anyway): only the failure itself counts.
outcome both(std::string_view in, bool eof = false, std::uint64_t body_limit = big,
             std::size_t header_limit = 16 * 1024) {
    const auto a = whole(in, eof, body_limit, header_limit);
    const auto b = bytewise(in, eof, body_limit, header_limit);
    CHECK(a.state == b.state);
    CHECK(a.too_large == b.too_large);
    CHECK(a.started == b.started);
    if (a.state != parser_state::failed) {
        CHECK(a.status == b.status);
        CHECK(a.content_type == b.content_type);
        CHECK(a.body == b.body);
        CHECK(a.keep_alive == b.keep_alive);
        CHECK(a.taken == b.taken);
        CHECK(a.left == b.left);
    }
    return a;
}

// A response the parser refuses: it fails on these bytes alone (no end of
// the connection needed), whole and byte by byte, and says why.
void check_fails(std::string_view in) {
    INFO(std::string(in));
    const auto a = whole(in);
    CHECK(a.state == parser_state::failed);
    CHECK_FALSE(a.error.empty());
    CHECK_FALSE(a.too_large);
    CHECK(bytewise(in).state == parser_state::failed);
}

}  // namespace

// ---- the request ----

TEST_CASE("http1: a GET or DELETE without a body has no Content-Length", "[upstream][http1]") {
    CHECK(request("GET", "/time", "", {}, "") ==
          "GET /time HTTP/1.1\r\n"
          "Host: svc.example:8080\r\n"
          "User-Agent: araldo-upstream\r\n"
          "\r\n");
    CHECK(request("DELETE", "/api/items/7?force=1", "", {}, "") ==
          "DELETE /api/items/7?force=1 HTTP/1.1\r\n"
          "Host: svc.example:8080\r\n"
          "User-Agent: araldo-upstream\r\n"
          "\r\n");
    // With a body they say how long it is, like any other method.
    CHECK(request("GET", "/q", "text/plain", {}, "abc") ==
          "GET /q HTTP/1.1\r\n"
          "Host: svc.example:8080\r\n"
          "User-Agent: araldo-upstream\r\n"
          "Content-Type: text/plain\r\n"
          "Content-Length: 3\r\n"
          "\r\n"
          "abc");
}

TEST_CASE("http1: a POST or PUT always says how long its body is", "[upstream][http1]") {
    CHECK(request("POST", "/emit", "", {}, "") ==
          "POST /emit HTTP/1.1\r\n"
          "Host: svc.example:8080\r\n"
          "User-Agent: araldo-upstream\r\n"
          "Content-Length: 0\r\n"
          "\r\n");
    CHECK(request("PUT", "/files/a%20b", "application/json", {}, "{\"a\":1}") ==
          "PUT /files/a%20b HTTP/1.1\r\n"
          "Host: svc.example:8080\r\n"
          "User-Agent: araldo-upstream\r\n"
          "Content-Type: application/json\r\n"
          "Content-Length: 7\r\n"
          "\r\n"
          "{\"a\":1}");
    // Bytes of any value go through as they are.
    const std::string bin("\0\r\n\xff", 4);
    CHECK(request("POST", "/b", "application/octet-stream", {}, bin) ==
          "POST /b HTTP/1.1\r\n"
          "Host: svc.example:8080\r\n"
          "User-Agent: araldo-upstream\r\n"
          "Content-Type: application/octet-stream\r\n"
          "Content-Length: 4\r\n"
          "\r\n" +
              bin);
}

TEST_CASE("http1: the request is appended to what the buffer holds", "[upstream][http1]") {
    std::string out = "before";
    append_request_head(out, "GET", "/", "h", "", {}, 0);
    CHECK(out == "beforeGET / HTTP/1.1\r\nHost: h\r\nUser-Agent: araldo-upstream\r\n\r\n");
}

TEST_CASE("http1: configured headers follow araldo's, in their order", "[upstream][http1]") {
    CHECK(request("POST", "/e", "application/json", {{"X-Api-Key", "k1"}, {"Accept", "*/*"}}, "{}") ==
          "POST /e HTTP/1.1\r\n"
          "Host: svc.example:8080\r\n"
          "User-Agent: araldo-upstream\r\n"
          "Content-Type: application/json\r\n"
          "X-Api-Key: k1\r\n"
          "Accept: */*\r\n"
          "Content-Length: 2\r\n"
          "\r\n"
          "{}");
}

TEST_CASE("http1: a configured Host, User-Agent or Content-Type replaces araldo's", "[upstream][http1]") {
    SECTION("as written") {
        CHECK(request("PUT", "/p", "application/json",
                      {{"Host", "other.example"}, {"User-Agent", "me/1"}, {"Content-Type", "text/csv"}}, "a,b") ==
              "PUT /p HTTP/1.1\r\n"
              "Host: other.example\r\n"
              "User-Agent: me/1\r\n"
              "Content-Type: text/csv\r\n"
              "Content-Length: 3\r\n"
              "\r\n"
              "a,b");
    }
    SECTION("in any case, where the configuration puts them") {
        CHECK(request("POST", "/p", "application/json",
                      {{"X-A", "1"}, {"content-TYPE", "text/plain"}, {"HOST", "h2"}, {"user-agent", "ua"}}, "x") ==
              "POST /p HTTP/1.1\r\n"
              "X-A: 1\r\n"
              "content-TYPE: text/plain\r\n"
              "HOST: h2\r\n"
              "user-agent: ua\r\n"
              "Content-Length: 1\r\n"
              "\r\n"
              "x");
    }
    SECTION("a configured Content-Type goes out even when the request has none") {
        CHECK(request("GET", "/g", "", {{"Content-Type", "text/plain"}}, "") ==
              "GET /g HTTP/1.1\r\n"
              "Host: svc.example:8080\r\n"
              "User-Agent: araldo-upstream\r\n"
              "Content-Type: text/plain\r\n"
              "\r\n");
    }
}

TEST_CASE("http1: configured framing headers are left out", "[upstream][http1]") {
    const araldo::string_pairs headers{
        {"Content-Length", "99"}, {"transfer-encoding", "chunked"}, {"CONNECTION", "close"},
        {"X-Kept", "yes"},        {"Te", "trailers"},                {"upgrade", "h2c"},
        {"TRAILER", "X-Sum"},     {"content-length", "0"},
    };
    CHECK(request("POST", "/f", "", headers, "hello") ==
          "POST /f HTTP/1.1\r\n"
          "Host: svc.example:8080\r\n"
          "User-Agent: araldo-upstream\r\n"
          "X-Kept: yes\r\n"
          "Content-Length: 5\r\n"
          "\r\n"
          "hello");
    CHECK(request("GET", "/f", "", headers, "") ==
          "GET /f HTTP/1.1\r\n"
          "Host: svc.example:8080\r\n"
          "User-Agent: araldo-upstream\r\n"
          "X-Kept: yes\r\n"
          "\r\n");
}

TEST_CASE("http1: which header names are framing", "[upstream][http1]") {
    for (const char* name : {"Content-Length", "content-length", "CONTENT-LENGTH", "Transfer-Encoding",
                             "transfer-encoding", "Connection", "connection", "TE", "te", "Te", "Upgrade",
                             "UPGRADE", "Trailer", "trailer"}) {
        INFO(name);
        CHECK(framing_header(name));
    }
    for (const char* name : {"Host", "User-Agent", "Content-Type", "Accept", "X-Connection", "Content-Lengths",
                             "Content-Len", "T", "Trailers", "Transfer-Encodings", "Upgrade-Insecure-Requests",
                             ""}) {
        INFO(name);
        CHECK_FALSE(framing_header(name));
    }
}

// ---- the response: framing ----

TEST_CASE("http1: a body of Content-Length bytes", "[upstream][http1]") {
    const std::string in =
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: application/json\r\n"
        "Content-Length: 11\r\n"
        "\r\n"
        "{\"ok\":true}";
    const auto o = both(in);
    CHECK(o.state == parser_state::done);
    CHECK(o.status == 200);
    CHECK(o.content_type == "application/json");
    CHECK(o.body == "{\"ok\":true}");
    CHECK(o.keep_alive);
    CHECK(o.started);
    CHECK(o.taken == in.size());
    CHECK_FALSE(o.too_large);
}

TEST_CASE("http1: a zero Content-Length is done at the end of the head", "[upstream][http1]") {
    const std::string in = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
    const auto o = both(in);
    CHECK(o.state == parser_state::done);
    CHECK(o.status == 201);
    CHECK(o.body.empty());
    CHECK(o.content_type.empty());
    CHECK(o.keep_alive);
    CHECK(o.taken == in.size());
}

TEST_CASE("http1: chunked with extensions and trailers", "[upstream][http1]") {
    const std::string in =
        "HTTP/1.1 200 OK\r\n"
        "Transfer-Encoding: chunked\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "5;name=value\r\n"
        "hello\r\n"
        "1 ; a=\"quoted\";b\r\n"
        " \r\n"
        "5\r\n"
        "world\r\n"
        "0;last\r\n"
        "X-Checksum: abc\r\n"
        "X-Other: 1\r\n"
        "\r\n";
    const auto o = both(in);
    CHECK(o.state == parser_state::done);
    CHECK(o.status == 200);
    CHECK(o.content_type == "text/plain");
    CHECK(o.body == "hello world");
    CHECK(o.keep_alive);
    CHECK(o.taken == in.size());
}

TEST_CASE("http1: chunk sizes in upper and lower case hex", "[upstream][http1]") {
    const std::string a(0x1A, 'a'), b(0xb, 'b'), c(0x10, 'c');
    const std::string in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1A\r\n" + a + "\r\nB\r\n" + b +
                           "\r\n010\r\n" + c + "\r\n0\r\n\r\n";
    const auto o = both(in);
    CHECK(o.state == parser_state::done);
    CHECK(o.body == a + b + c);
    CHECK(o.taken == in.size());
}

TEST_CASE("http1: transfer coding and field names in any case", "[upstream][http1]") {
    const auto o = both("HTTP/1.1 200 OK\r\ntransfer-encoding: CHUNKED\r\nCONTENT-TYPE: a/b\r\n\r\n2\r\nhi\r\n0\r\n\r\n");
    CHECK(o.state == parser_state::done);
    CHECK(o.body == "hi");
    CHECK(o.content_type == "a/b");
}

TEST_CASE("http1: bare LF line endings", "[upstream][http1]") {
    SECTION("with a length") {
        const std::string in = "HTTP/1.1 200 OK\nContent-Length: 3\nContent-Type: text/plain\n\nabc";
        const auto o = both(in);
        CHECK(o.state == parser_state::done);
        CHECK(o.body == "abc");
        CHECK(o.content_type == "text/plain");
        CHECK(o.taken == in.size());
    }
    SECTION("chunked") {
        const std::string in = "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n2\r\nde\n0\n\n";
        const auto o = both(in);
        CHECK(o.state == parser_state::done);
        CHECK(o.body == "abcde");
        CHECK(o.taken == in.size());
    }
}

TEST_CASE("http1: interim responses before the real one are skipped", "[upstream][http1]") {
    const std::string in =
        "HTTP/1.1 100 Continue\r\n"
        "\r\n"
        "HTTP/1.1 103 Early Hints\r\n"
        "Link: </style.css>; rel=preload\r\n"
        "\r\n"
        "HTTP/1.1 202 Accepted\r\n"
        "Content-Length: 2\r\n"
        "\r\n"
        "ok";
    const auto o = both(in);
    CHECK(o.state == parser_state::done);
    CHECK(o.status == 202);
    CHECK(o.body == "ok");
    CHECK(o.keep_alive);
    CHECK(o.taken == in.size());

    // An interim response alone leaves the parser waiting for the real one.
    response_parser p{big};
    CHECK(p.feed("HTTP/1.1 100 Continue\r\n\r\n") == 25);
    CHECK(p.current() == parser_state::head);
    CHECK(p.started());
    p.feed_eof();
    CHECK(p.failed());
}

TEST_CASE("http1: 101 Switching Protocols fails", "[upstream][http1]") {
    const auto o = both("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    CHECK(o.state == parser_state::failed);
    CHECK_FALSE(o.error.empty());
}

TEST_CASE("http1: 204 and 304 never have a body", "[upstream][http1]") {
    for (const char* status : {"204 No Content", "304 Not Modified"}) {
        INFO(status);
        const std::string head = std::string("HTTP/1.1 ") + status + "\r\nContent-Length: 42\r\n\r\n";
        const std::string in = head + "HTTP/1.1 200 OK\r\n";
        const auto o = both(in);
        CHECK(o.state == parser_state::done);
        CHECK(o.body.empty());
        CHECK(o.keep_alive);
        CHECK(o.taken == head.size());
        CHECK(o.left == in.size() - head.size());
    }
    // Nor is a Content-Length over the limit on them a body too large.
    const auto o = both("HTTP/1.1 304 Not Modified\r\nContent-Length: 1000\r\n\r\n", false, 10);
    CHECK(o.state == parser_state::done);
    CHECK_FALSE(o.too_large);
    // And chunked on them frames nothing either.
    const auto c = both("HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n");
    CHECK(c.state == parser_state::done);
    CHECK(c.body.empty());
}

TEST_CASE("http1: with neither length nor chunked the body ends with the connection", "[upstream][http1]") {
    const std::string in = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this\r\n0\r\n\r\nand this";
    const auto before = both(in);
    CHECK(before.state == parser_state::body);
    CHECK(before.taken == in.size());
    const auto o = both(in, true);
    CHECK(o.state == parser_state::done);
    CHECK(o.status == 200);
    CHECK(o.body == "all of this\r\n0\r\n\r\nand this");
    CHECK_FALSE(o.keep_alive);

    // An empty one, too.
    const auto e = both("HTTP/1.1 500 Internal Server Error\r\n\r\n", true);
    CHECK(e.state == parser_state::done);
    CHECK(e.status == 500);
    CHECK(e.body.empty());
    CHECK_FALSE(e.keep_alive);
}

// ---- the response: keeping the connection ----

TEST_CASE("http1: HTTP/1.0 closes unless it says keep-alive", "[upstream][http1]") {
    const auto closed = both("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi");
    CHECK(closed.state == parser_state::done);
    CHECK(closed.body == "hi");
    CHECK_FALSE(closed.keep_alive);

    const auto kept = both("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi");
    CHECK(kept.state == parser_state::done);
    CHECK(kept.keep_alive);

    const auto kept_case = both("HTTP/1.0 200 OK\r\nconnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n");
    CHECK(kept_case.keep_alive);

    // Without a length the close ends the body: keep-alive cannot hold.
    const auto until_close = both("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nbody", true);
    CHECK(until_close.state == parser_state::done);
    CHECK(until_close.body == "body");
    CHECK_FALSE(until_close.keep_alive);
}

TEST_CASE("http1: Connection: close on HTTP/1.1", "[upstream][http1]") {
    const auto o = both("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi");
    CHECK(o.state == parser_state::done);
    CHECK(o.body == "hi");
    CHECK_FALSE(o.keep_alive);

    const auto listed = both("HTTP/1.1 200 OK\r\nConnection: foo, CLOSE\r\nContent-Length: 0\r\n\r\n");
    CHECK_FALSE(listed.keep_alive);

    const auto other = both("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n");
    CHECK(other.keep_alive);
}

// ---- the response: Content-Length and Transfer-Encoding together or twice ----

TEST_CASE("http1: a Content-Length list of equal values is one length", "[upstream][http1]") {
    const auto o = both("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello");
    CHECK(o.state == parser_state::done);
    CHECK(o.body == "hello");
    CHECK(o.keep_alive);
    const auto twice = both("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello");
    CHECK(twice.state == parser_state::done);
    CHECK(twice.body == "hello");
}

TEST_CASE("http1: conflicting or malformed Content-Length fails", "[upstream][http1]") {
    check_fails("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello!");
    check_fails("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!");
    check_fails("HTTP/1.1 200 OK\r\nContent-Length: 6\r\nContent-Length: 5\r\n\r\nhello!");
    check_fails("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n");
    check_fails("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello");
    check_fails("HTTP/1.1 200 OK\r\nContent-Length: 0x5\r\n\r\nhello");
    check_fails("HTTP/1.1 200 OK\r\nContent-Length: 5 5\r\n\r\nhello");
    check_fails("HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n");
    check_fails("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n");
}

TEST_CASE("http1: Transfer-Encoding with Content-Length is chunked and closes", "[upstream][http1]") {
    for (const char* order : {"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n",
                              "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n"}) {
        INFO(order);
        const std::string in = std::string("HTTP/1.1 200 OK\r\n") + order + "\r\n5\r\nhello\r\n0\r\n\r\n";
        const auto o = both(in);
        CHECK(o.state == parser_state::done);
        CHECK(o.body == "hello");
        CHECK_FALSE(o.keep_alive);
        CHECK(o.taken == in.size());
    }
}

TEST_CASE("http1: chunked on HTTP/1.0 is read but the connection closes", "[upstream][http1]") {
    const auto o = both("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n");
    CHECK(o.state == parser_state::done);
    CHECK(o.body == "hi");
    CHECK_FALSE(o.keep_alive);
}

TEST_CASE("http1: a transfer coding other than chunked fails", "[upstream][http1]") {
    check_fails("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    check_fails("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    check_fails("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n");
    check_fails("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz");
    check_fails("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n");
    check_fails("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
}

// ---- the response: malformed heads ----

TEST_CASE("http1: malformed header lines fail", "[upstream][http1]") {
    // obs-fold (RFC 9112 5.2), after a field and right after the status line.
    check_fails("HTTP/1.1 200 OK\r\nX-Long: a\r\n  b\r\nContent-Length: 0\r\n\r\n");
    check_fails("HTTP/1.1 200 OK\r\nX-Long: a\r\n\tb\r\nContent-Length: 0\r\n\r\n");
    check_fails("HTTP/1.1 200 OK\r\n Content-Length: 0\r\n\r\n");
    // A line without a colon.
    check_fails("HTTP/1.1 200 OK\r\nContent-Length 0\r\n\r\n");
    check_fails("HTTP/1.1 200 OK\r\nContent-Length: 0\r\ngarbage\r\n\r\n");
    // Whitespace between the name and the colon (RFC 9112 5.1), an empty name.
    check_fails("HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n");
    check_fails("HTTP/1.1 200 OK\r\n: x\r\nContent-Length: 0\r\n\r\n");
    // A bare CR or a NUL in a value.
    check_fails("HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n");
    static constexpr char nul[] = "HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 0\r\n\r\n";
    check_fails(std::string_view(nul, sizeof nul - 1));
    // An empty line before the status line.
    check_fails("\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
}

TEST_CASE("http1: bad status lines fail", "[upstream][http1]") {
    for (const char* line : {"HTTP/2 200 OK", "HTTP/1.1 20", "HTTP/1.1 20 OK", "HTTP/1.1 2000", "HTTP/1.1 2000 OK",
                             "ICY 200 OK", "HTTP/1.1 099 Low", "HTTP/1.1 000", "HTTP/1.1 2x0 OK", "HTTP/1.1  200 OK",
                             "HTTP/1.1\t200 OK", "http/1.1 200 OK", "HTTP/1.1", "",
                             "HTTP/1.1 200\tOK"}) {
        check_fails(std::string(line) + "\r\nContent-Length: 0\r\n\r\n");
    }
    // A later HTTP/1.x minor version reads as 1.1 (RFC 9112 2.3): kept alive.
    CHECK(both("HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n").keep_alive);
    // A status line of just the code, or with an empty reason, is fine.
    CHECK(both("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n").state == parser_state::done);
    CHECK(both("HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n").status == 404);
    CHECK(both("HTTP/1.1 599 Whatever It Says\r\nContent-Length: 0\r\n\r\n").status == 599);
}

TEST_CASE("http1: a header section over the limit fails", "[upstream][http1]") {
    // 64 bytes exactly, its empty line included, is taken.
    const std::string at_limit = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Pad: " + std::string(17, 'p') + "\r\n\r\n";
    REQUIRE(at_limit.size() == 64);
    const auto ok = both(at_limit, false, big, 64);
    CHECK(ok.state == parser_state::done);
    CHECK(ok.taken == 64);

    const std::string over = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Pad: " + std::string(18, 'p') + "\r\n\r\n";
    const auto a = both(over, false, big, 64);
    CHECK(a.state == parser_state::failed);
    CHECK_FALSE(a.too_large);

    // Without its end yet: it fails as soon as it is longer than the limit.
    const std::string endless = "HTTP/1.1 200 OK\r\nX-Pad: " + std::string(100, 'p');
    CHECK(both(endless.substr(0, 64), false, big, 64).state == parser_state::head);
    CHECK(both(endless, false, big, 64).state == parser_state::failed);
}

// ---- the response: limits ----

TEST_CASE("http1: a body over the limit fails as too large", "[upstream][http1]") {
    SECTION("Content-Length: as soon as the head says so") {
        const auto at = both("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", false, 10);
        CHECK(at.state == parser_state::done);
        CHECK(at.body == "0123456789");
        response_parser p{10};
        p.feed("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n");
        CHECK(p.failed());
        CHECK(p.too_large());
        CHECK_FALSE(p.error().empty());
    }
    SECTION("chunked: over the whole body, not per chunk") {
        const auto at = both("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n4\r\n6789\r\n0\r\n\r\n",
                             false, 10);
        CHECK(at.state == parser_state::done);
        CHECK(at.body == "0123456789");
        const auto over = both("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n5\r\n6789a\r\n0\r\n\r\n",
                               false, 10);
        CHECK(over.state == parser_state::failed);
        CHECK(over.too_large);
        const auto huge = both("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n", false, 10);
        CHECK(huge.state == parser_state::failed);
        CHECK(huge.too_large);
    }
    SECTION("until the close") {
        const auto at = both("HTTP/1.1 200 OK\r\n\r\n0123456789", true, 10);
        CHECK(at.state == parser_state::done);
        CHECK(at.body == "0123456789");
        const auto over = both("HTTP/1.1 200 OK\r\n\r\n0123456789a", true, 10);
        CHECK(over.state == parser_state::failed);
        CHECK(over.too_large);
    }
    SECTION("a limit of zero still takes empty bodies") {
        CHECK(both("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, 0).state == parser_state::done);
        CHECK(both("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", false, 0).state ==
              parser_state::done);
        CHECK(both("HTTP/1.1 200 OK\r\n\r\n", true, 0).state == parser_state::done);
        CHECK(both("HTTP/1.1 200 OK\r\n\r\nx", true, 0).too_large);
    }
}

TEST_CASE("http1: chunk data must end with CRLF", "[upstream][http1]") {
    const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    check_fails(head + "5\r\nhelloX\r\n0\r\n\r\n");
    check_fails(head + "5\r\nhello\rX0\r\n\r\n");
    check_fails(head + "5\r\nhello world\r\n0\r\n\r\n");
    check_fails(head + "5\r\nhello\r\r\n0\r\n\r\n");
}

TEST_CASE("http1: malformed chunk size lines fail", "[upstream][http1]") {
    const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    check_fails(head + "\r\n5\r\nhello\r\n0\r\n\r\n");
    check_fails(head + "x\r\n0\r\n\r\n");
    check_fails(head + "-5\r\nhello\r\n0\r\n\r\n");
    check_fails(head + " 5\r\nhello\r\n0\r\n\r\n");
    check_fails(head + "5 x\r\nhello\r\n0\r\n\r\n");
    check_fails(head + "0x5\r\nhello\r\n0\r\n\r\n");
    check_fails(head + "10000000000000000\r\n");  // 17 hex digits: over 64 bits
}

TEST_CASE("http1: a chunk size line over 4096 bytes fails", "[upstream][http1]") {
    const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    // 4096 bytes, CRLF included, is taken.
    const std::string at_limit = "2;" + std::string(4092, 'e') + "\r\n";
    REQUIRE(at_limit.size() == 4096);
    CHECK(both(head + at_limit + "hi\r\n0\r\n\r\n").body == "hi");
    // One more fails, with its end or still without it.
    check_fails(head + "2;" + std::string(4093, 'e') + "\r\nhi\r\n0\r\n\r\n");
    const auto open = both(head + "2;" + std::string(5000, 'e'));
    CHECK(open.state == parser_state::failed);
    CHECK_FALSE(open.too_large);
}

// ---- the response: the end of the connection ----

TEST_CASE("http1: the connection ending before a whole response", "[upstream][http1]") {
    SECTION("before any byte: nothing was started") {
        response_parser p{big};
        p.feed_eof();
        CHECK(p.failed());
        CHECK_FALSE(p.started());
        CHECK_FALSE(p.error().empty());
        // Nor does an empty read start it.
        response_parser q{big};
        CHECK(q.feed("") == 0);
        CHECK_FALSE(q.started());
    }
    SECTION("mid-head") {
        const auto o = both("HTTP/1.1 200 OK\r\nContent-Le", true);
        CHECK(o.state == parser_state::failed);
        CHECK(o.started);
    }
    SECTION("mid-body with a length") {
        const auto o = both("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true);
        CHECK(o.state == parser_state::failed);
        CHECK(o.started);
        CHECK_FALSE(o.too_large);
    }
    SECTION("mid-chunked, in data, before the last chunk and in the trailer") {
        const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        for (const std::string& rest : {std::string("5\r\nhel"), std::string("5\r\nhello\r\n"),
                                        std::string("5\r\nhello\r\n0\r\n"), std::string("5\r\nhello\r\n0\r\nX: y\r\n")}) {
            INFO(rest);
            const auto o = both(head + rest, true);
            CHECK(o.state == parser_state::failed);
            CHECK(o.started);
        }
    }
    SECTION("after a whole response: nothing changes") {
        response_parser p{big};
        p.feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
        p.feed_eof();
        CHECK(p.done());
        CHECK(p.body() == "x");
        CHECK(p.keep_alive());
    }
}

TEST_CASE("http1: any byte starts a response", "[upstream][http1]") {
    response_parser p{big};
    CHECK(p.feed("H") == 0);  // not a whole header section: offered again later
    CHECK(p.started());
    CHECK(p.current() == parser_state::head);
    response_parser q{big};
    q.feed("\x16\x03\x01");
    CHECK(q.started());
}

TEST_CASE("http1: bytes after a whole response are not taken", "[upstream][http1]") {
    const std::string first = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
    const std::string next = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    response_parser p{big};
    CHECK(p.feed(first + next) == first.size());
    CHECK(p.done());
    CHECK(p.body() == "hi");
    CHECK(p.feed(next) == 0);
    CHECK(p.body() == "hi");

    const std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n";
    response_parser c{big};
    CHECK(c.feed(chunked + "extra") == chunked.size());
    CHECK(c.done());

    const auto o = both(first + "junk");
    CHECK(o.taken == first.size());
    CHECK(o.left == 4);

    // Nor after a failure.
    response_parser f{big};
    CHECK(f.feed("HTTP/2 200 OK\r\n\r\n") == 0);
    CHECK(f.failed());
    CHECK(f.feed("HTTP/1.1 200 OK\r\n\r\n") == 0);
}

// ---- split-invariance ----

TEST_CASE("http1: byte by byte reads as all at once", "[upstream][http1]") {
    // Each is checked whole and byte by byte by both(); this names the cases
    // and what they read to.
    struct sample {
        const char* in;
        bool eof;
        unsigned status;
        const char* body;
        bool keep_alive;
    };
    const sample samples[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd", false, 200, "abcd", true},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x=1\r\nabcd\r\n2\r\nef\r\n0\r\nT: 1\r\n\r\n", false,
         200, "abcdef", true},
        {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnop", false, 404, "nop",
         true},
        {"HTTP/1.0 200 OK\r\n\r\nuntil\r\nclose", true, 200, "until\r\nclose", false},
        {"HTTP/1.1 204 No Content\r\n\r\n", false, 204, "", true},
        {"HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\nA\n0123456789\n0\n\n", false, 200, "0123456789", true},
        {"HTTP/1.1 503 Busy\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx", false, 503, "x", false},
    };
    for (const auto& s : samples) {
        INFO(s.in);
        const auto o = both(s.in, s.eof);
        CHECK(o.state == parser_state::done);
        CHECK(o.status == s.status);
        CHECK(o.body == s.body);
        CHECK(o.keep_alive == s.keep_alive);
    }
}

TEST_CASE("http1: HTTP/1.0 with both keep-alive and close closes", "[upstream][http1]") {
    // "close" in Connection means the connection closes (RFC 9112 9.6),
    // whatever else the field lists.
    CHECK_FALSE(both("HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n").keep_alive);
    CHECK_FALSE(
        both("HTTP/1.0 200 OK\r\nConnection: close\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").keep_alive);
}

TEST_CASE("http1: an empty Transfer-Encoding is not chunked", "[upstream][http1]") {
    // It names no chunked coding, so the body is not chunked (RFC 9112 6.3:
    // chunked not final means until the close; araldo refuses other codings).
    const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: \r\n\r\n";
    const std::string rest = "5\r\nhello\r\n0\r\n\r\n";
    const auto o = whole(head + rest, true);
    CHECK((o.state == parser_state::failed || (o.state == parser_state::done && o.body == rest)));
}
