// endpoint-upstream without sockets: the request target made from a
// request's noun, args and query, and the reply made from an outcome.
#include "upstream_request.hpp"

#include <catch2/catch.hpp>

using namespace araldo::plugins::endpoint_upstream;

namespace {

araldo::request_view request(std::string method, std::string noun, std::vector<std::string> args = {},
                             std::string query = {}) {
    araldo::request_view r;
    r.method = std::move(method);
    r.noun = std::move(noun);
    r.args = std::move(args);
    r.query = std::move(query);
    r.content_type = "application/json";
    return r;
}

std::string target(std::string_view base, const araldo::request_view& r) {
    auto call = make_call(base, r);
    REQUIRE(call);
    return call.value().target;
}

}  // namespace

TEST_CASE("the target is the base path, the noun's segments and one segment per arg", "[upstream]") {
    CHECK(target("", request("GET", "time")) == "/time");
    CHECK(target("/api", request("GET", "files/report")) == "/api/files/report");
    CHECK(target("/api", request("PUT", "files", {"a b", "c/d", "ü"})) == "/api/files/a%20b/c%2Fd/%C3%BC");
    CHECK(target("/api", request("GET", "files", {"", "x"})) == "/api/files//x");
    CHECK(target("", request("GET", "")) == "/");
    CHECK(target("/api", request("GET", "")) == "/api");
    // Empty segments of the noun stay, as the caller wrote them.
    CHECK(target("/api", request("GET", "a/")) == "/api/a/");
    CHECK(target("/api", request("GET", "a//b")) == "/api/a//b");
    // Segments of the noun keep what makes them one segment each.
    CHECK(target("", request("GET", "a%b/c?d")) == "/a%25b/c%3Fd");
}

TEST_CASE("the query goes on as sent, with what a request line cannot hold encoded", "[upstream]") {
    CHECK(target("/api", request("GET", "q", {}, "a=1&b=%2F")) == "/api/q?a=1&b=%2F");
    CHECK(target("/api", request("GET", "q", {}, "a=x y#z")) == "/api/q?a=x%20y%23z");
    CHECK(target_query(std::string_view("\r\n\x7f\xff", 4)) == "%0D%0A%7F%FF");
}

TEST_CASE("method and content type are carried; other methods and dot segments are refused", "[upstream]") {
    for (const char* m : {"GET", "POST", "PUT", "DELETE"}) {
        auto call = make_call("", request(m, "x"));
        REQUIRE(call);
        CHECK(call.value().method == m);
        CHECK(call.value().content_type == "application/json");
    }
    for (const char* m : {"PATCH", "get", "CONNECT", ""}) {
        auto call = make_call("", request(m, "x"));
        REQUIRE_FALSE(call);
        CHECK_THAT(call.reason(), Catch::Contains("is not forwarded"));
    }
    CHECK_FALSE(make_call("/api", request("GET", "../admin")));
    CHECK_FALSE(make_call("/api", request("GET", "a/./b")));
    CHECK_FALSE(make_call("/api", request("GET", "a", {".."})));
    CHECK(make_call("/api", request("GET", "a", {"..."})));
}

TEST_CASE("an answer carries the service's status, type and body with return code 0", "[upstream]") {
    upstream_outcome o;
    o.status = 418;
    o.content_type = "text/plain";
    o.body = std::string("a\0b", 3);
    auto r = to_reply(o);
    CHECK(r.status == 418);
    CHECK(r.content_type == "text/plain");
    CHECK(r.body == std::string("a\0b", 3));
    CHECK(r.return_code == 0);
    o.content_type.clear();
    CHECK(to_reply(o).content_type == "application/octet-stream");
}

TEST_CASE("no answer from the service is a 502 exception naming why", "[upstream]") {
    struct row {
        failure f;
        const char* cls;
        int code;
        const char* label;
    };
    for (auto [f, cls, code, label] : {row{failure::unreachable, "upstream_unreachable", 1, "unreachable"},
                                       row{failure::broken, "upstream_error", 1, "error"},
                                       row{failure::too_large, "upstream_error", 1, "too_large"},
                                       row{failure::timeout, "upstream_timeout", 2, "timeout"}}) {
        upstream_outcome o;
        o.failed = f;
        o.what = "connection refused";
        auto r = to_reply(o);
        CHECK(r.status == 502);
        CHECK(r.return_code == code);
        CHECK(r.content_type == "application/json");
        CHECK_THAT(r.body, Catch::Contains(cls) && Catch::Contains("connection refused"));
        CHECK(outcome_label(f) == label);
    }
    CHECK(outcome_label(failure::none) == "ok");
}
