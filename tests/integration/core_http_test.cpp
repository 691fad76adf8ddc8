// What the core serves on its listener: health, metrics, JSON errors.
#include "support/http_client.hpp"
#include "support/relay.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

using namespace araldo::test;

namespace {

const char* healthy = R"(global:
  server-port: 0
plugins:
  araldo.endpoints.endpoint:
    - {name: src, id: endpoint-mock, inject: ["one", "two", "three"]}
    - {name: dst, id: endpoint-mock}
routes:
  src: [dst]
)";

}  // namespace

TEST_CASE("/_health/ and /_health/?full on a healthy relay", "[integration][http]") {
    relay r(healthy);
    auto plain = http_get(r.port(), "/_health/");
    CHECK(plain.status == 200);
    CHECK(plain.body == "ok\n");
    CHECK(http_get(r.port(), "/_health").status == 200);
    auto full = http_get(r.port(), "/_health/?full");
    CHECK(full.status == 200);
    CHECK(full.header("content-type") == "application/json");
    // "config": the first 16 hex digits of the loaded file's SHA-256.
    CHECK_THAT(full.body, Catch::Matches(R"(\{"live":true,"problems":\[\],"config":"[0-9a-f]{16}"\})"));
}

TEST_CASE("/_health/?full lists each endpoint's problems with a severity; /_health/ stays live",
          "[integration][http]") {
    relay r(R"(global:
  server-port: 0
plugins:
  araldo.endpoints.endpoint:
    - {name: sick, id: endpoint-mock, problems: ["upstream unreachable since 12:00"]}
    - {name: fine, id: endpoint-mock}
)");
    auto full = http_get(r.port(), "/_health/?full");
    CHECK(full.status == 500);
    CHECK(
        full.body ==
        R"({"live":true,"problems":[{"endpoint":"sick","severity":"warning","problem":"upstream unreachable since 12:00"}]})");
    // A soft problem is the same on every node: failing liveness on it would
    // take the whole fleet out of a load balancer at once.
    auto plain = http_get(r.port(), "/_health/");
    CHECK(plain.status == 200);
    CHECK(plain.body == "ok\n");
}

TEST_CASE("/metrics counts messages per endpoint in Prometheus text", "[integration][http]") {
    relay r(healthy);
    REQUIRE(wait_until([&] {
        return http_get(r.port(), "/metrics").body.find("araldo_messages_out_total{endpoint=\"dst\"} 3") !=
               std::string::npos;
    }));
    auto m = http_get(r.port(), "/metrics");
    CHECK(m.status == 200);
    CHECK_THAT(m.header("content-type"), Catch::StartsWith("text/plain; version=0.0.4"));
    CHECK_THAT(m.body, Catch::Contains("# TYPE araldo_messages_in_total counter"));
    CHECK_THAT(m.body, Catch::Contains("araldo_messages_in_total{endpoint=\"src\"} 3"));
    CHECK_THAT(m.body, Catch::Contains("araldo_route_messages_total{source=\"src\",target=\"dst\"} 3"));
    CHECK_THAT(m.body, Catch::Contains("araldo_uptime_seconds "));
    CHECK_THAT(m.body, Catch::Contains("araldo_http_connections 1"));
    CHECK_THAT(m.body, Catch::Contains("araldo_endpoint_up{endpoint=\"dst\"} 1"));
}

TEST_CASE("unknown paths and wrong methods get JSON errors", "[integration][http]") {
    relay r(healthy);
    auto missing = http_get(r.port(), "/nope");
    CHECK(missing.status == 404);
    CHECK(missing.header("content-type") == "application/json");
    CHECK_THAT(missing.body, Catch::Contains("\"status\":404"));
    auto wrong = http_request(r.port(), "DELETE", "/metrics");
    CHECK(wrong.status == 405);
    CHECK_THAT(wrong.header("allow"), Catch::Contains("GET"));
    CHECK_THAT(wrong.body, Catch::Contains("\"status\":405"));
    auto garbage = raw_exchange(r.port(), "NOT HTTP AT ALL\r\n\r\n");
    CHECK_THAT(garbage, Catch::StartsWith("HTTP/1.1 400"));
    // The listener's own refusals are counted by status. The 404 came from the
    // static files handler (the catch-all "/"), which answered: not counted.
    const auto m = http_get(r.port(), "/metrics").body;
    CHECK_THAT(m, Catch::Contains("araldo_http_refused_total{status=\"405\"} 1"));
    CHECK_THAT(m, Catch::Contains("araldo_http_refused_total{status=\"400\"} 1"));
    CHECK_THAT(m, !Catch::Contains("araldo_http_refused_total{status=\"404\"}"));
    CHECK_THAT(m, !Catch::Contains("araldo_http_refused_total{status=\"200\"}"));
}

TEST_CASE("static files: content types, index.html, no path traversal", "[integration][http][static]") {
    temp_dir site;
    site.write("index.html", "<!doctype html><title>araldo</title>");
    site.write("app.js", "console.log('hi')");
    site.write(".secret", "hidden");
    temp_dir outside;
    outside.write("passwd", "root:x:0:0");
    REQUIRE(::symlink((outside / "passwd").c_str(), (site / "escape.txt").c_str()) == 0);

    relay r("global:\n  server-port: 0\n  static-dir: " + site.path() + "\n");
    auto index = http_get(r.port(), "/");
    CHECK(index.status == 200);
    CHECK(index.header("content-type") == "text/html; charset=utf-8");
    CHECK(index.body == "<!doctype html><title>araldo</title>");
    CHECK(http_get(r.port(), "/index.html").body == index.body);
    auto js = http_get(r.port(), "/app.js");
    CHECK(js.header("content-type") == "text/javascript; charset=utf-8");
    CHECK(js.body == "console.log('hi')");
    CHECK(http_get(r.port(), "/nope.css").status == 404);
    CHECK(http_get(r.port(), "/.secret").status == 404);
    CHECK(http_get(r.port(), "/escape.txt").status == 404);
    for (const char* target : {"/../", "/%2e%2e/", "/a/../../", "/..%2f..%2f"}) {
        INFO(target);
        auto reply = raw_exchange(r.port(), std::string("GET ") + target + (outside / "passwd").substr(1) +
                                                " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        CHECK_THAT(reply, !Catch::Contains("root:x"));
    }
    // The health and metrics routes still win over the catch-all "/".
    CHECK(http_get(r.port(), "/_health/").body == "ok\n");
    CHECK(http_request(r.port(), "POST", "/index.html", "x").status == 405);
}

TEST_CASE("static-dir: none serves nothing", "[integration][http][static]") {
    relay r("global:\n  server-port: 0\n  static-dir: none\n");
    CHECK(http_get(r.port(), "/").status == 404);
    CHECK(http_get(r.port(), "/x").status == 404);
    // Without the catch-all route these 404s are the listener's own.
    CHECK_THAT(http_get(r.port(), "/metrics").body, Catch::Contains("araldo_http_refused_total{status=\"404\"} 2"));
}
