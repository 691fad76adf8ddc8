// endpoint-http's request-mode URLs without a socket: noun, arguments and
// peer from the raw target, percent-decoding per segment, and the refusals.
#include "request_target.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace araldo::plugins::endpoint_http;
using args = std::vector<std::string>;

namespace {

request_target parsed(std::string_view target, std::string_view prefix = "/api", bool peer = false) {
    auto r = parse_request_target(target, prefix, peer);
    INFO(target << ": " << r.reason());
    REQUIRE(r);
    return std::move(r).value();
}

std::string refusal(std::string_view target, std::string_view prefix = "/api", bool peer = false) {
    auto r = parse_request_target(target, prefix, peer);
    INFO(target);
    REQUIRE_FALSE(r);
    return r.reason();
}

}  // namespace

TEST_CASE("request target: noun and arguments", "[http_endpoint][unit]") {
    auto t = parsed("/api/cat//hello%20/world");
    CHECK(t.noun == "cat");
    CHECK(t.args == args{"hello ", "world"});
    CHECK(t.peer.empty());

    t = parsed("/api/time");
    CHECK(t.noun == "time");
    CHECK(t.args.empty());

    t = parsed("/api/files/report//2026?x=1&y=%2F");
    CHECK(t.noun == "files/report");
    CHECK(t.args == args{"2026"});
}

TEST_CASE("request target: an escaped slash stays inside its segment", "[http_endpoint][unit]") {
    auto t = parsed("/api/cat//a%2Fb/c");
    CHECK(t.args == args{"a/b", "c"});
    t = parsed("/api/a%2Fb//x");
    CHECK(t.noun == "a/b");  // decoded segments joined with '/': the same noun as /api/a/b
    t = parsed("/api/%C3%A9t%C3%A9//%E2%82%AC+");
    CHECK(t.noun == "\xC3\xA9t\xC3\xA9");
    CHECK(t.args == args{"\xE2\x82\xAC+"});  // '+' is a plus in a path, not a space
}

TEST_CASE("request target: empty arguments", "[http_endpoint][unit]") {
    CHECK(parsed("/api/cat//").args == args{""});
    CHECK(parsed("/api/cat//a/").args == args{"a", ""});
    CHECK(parsed("/api/cat//a//b").args == args{"a", "", "b"});
    CHECK(parsed("/api/cat///b").args == args{"", "b"});
    CHECK(parsed("/api/cat//?q").args == args{""});
}

TEST_CASE("request target: peer in path", "[http_endpoint][unit]") {
    auto t = parsed("/hub/relay-b/files/report//x", "/hub", true);
    CHECK(t.peer == "relay-b");
    CHECK(t.noun == "files/report");
    CHECK(t.args == args{"x"});
    t = parsed("/hub/r%20b/time", "/hub", true);
    CHECK(t.peer == "r b");
    CHECK(t.noun == "time");
    CHECK(refusal("/hub/relay-b", "/hub", true) == "no noun in the path after the peer");
    CHECK(refusal("/hub/relay-b//x", "/hub", true) == "no noun in the path after the peer");
    CHECK(refusal("/hub", "/hub", true) == "no peer and noun in the path");
    CHECK(refusal("/hub//x", "/hub", true) == "no peer and noun in the path");
}

TEST_CASE("request target: the root prefix", "[http_endpoint][unit]") {
    auto t = parsed("/cat//x", "/");
    CHECK(t.noun == "cat");
    CHECK(t.args == args{"x"});
    CHECK(refusal("/", "/") == "no noun in the path");
    CHECK(refusal("//x", "/") == "no noun in the path");
}

TEST_CASE("request target: refusals", "[http_endpoint][unit]") {
    CHECK(refusal("/api") == "no noun in the path");
    CHECK(refusal("/api/") == "no noun in the path");
    CHECK(refusal("/api?x=1") == "no noun in the path");
    CHECK(refusal("/api//x") == "no noun in the path");
    CHECK(refusal("/api/a/") == "an empty segment in the noun (a '/' too many?)");
    CHECK(refusal("/ap%69/cat") == "the path must start with /api written without %-escapes");
    CHECK(refusal("/apix/cat") == "the path must start with /api written without %-escapes");
    CHECK(refusal("/api/c%zzat") == "bad %-escape in the noun");
    CHECK(refusal("/api/cat//%") == "bad %-escape in the arguments");
    CHECK(refusal("/api/c%00t") == "the noun must decode to UTF-8 without NUL");
    CHECK(refusal("/api/cat//%FF") == "the arguments must decode to UTF-8 without NUL");
    CHECK(refusal("/hub/%FF/time", "/hub", true) == "the peer must decode to UTF-8 without NUL");
}
