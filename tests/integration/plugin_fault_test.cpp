// A plugin that throws must not take the relay down: the real binary with a
// fixture plugin that throws from deliver(), an HTTP handler, a timer
// callback and a marshaller, and one whose start() refuses.
#include "support/http_client.hpp"
#include "support/relay.hpp"

#include <catch2/catch.hpp>

#include <csignal>

using namespace araldo::test;
using namespace std::chrono_literals;

namespace {

relay::options with_fixture() {
    relay::options o;
    o.extra_args = {"--plugin-dir", std::string(ARALDO_FIXTURE_DIR) + "/faulty"};
    return o;
}

bool metric_is(const relay& r, const std::string& series, const std::string& value) {
    return http_get(r.port(), "/metrics").body.find(series + " " + value + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("exceptions from a plugin are contained, counted and reported; the others keep running",
          "[integration][fault]") {
    relay r(R"(global:
  server-port: 0
plugins:
  araldo.marshalling:
    - {name: faulty, id: marshal-faulty}
  araldo.endpoints.endpoint:
    - {name: src, id: endpoint-mock, inject: ["one", "boom", "three"], inject-interval: 20ms}
    - {name: bad, id: endpoint-faulty, throw-in-timer: true}
    - {name: dst, id: endpoint-mock}
    - {name: parse, id: endpoint-mock, marshalling: faulty, inject: ["boom", "fine"]}
routes:
  src: [bad, dst]
  parse: [dst]
)",
            with_fixture());
    // deliver(): the throwing target loses its message, the next target still gets it.
    REQUIRE(wait_until([&] { return metric_is(r, R"(araldo_messages_out_total{endpoint="dst"})", "4"); }));
    CHECK(metric_is(r, R"(araldo_plugin_errors_total{endpoint="bad",where="deliver"})", "1"));
    CHECK(metric_is(r, R"(araldo_messages_dropped_total{endpoint="bad",reason="plugin_error"})", "1"));
    // unmarshal(): the bytes are refused, the next payload still goes.
    CHECK(metric_is(r, R"(araldo_plugin_errors_total{endpoint="parse",where="unmarshal"})", "1"));
    // A timer callback of the plugin's own: contained at the loop, charged to nobody.
    CHECK(wait_until([&] { return metric_is(r, R"(araldo_plugin_errors_total{endpoint="",where="handler"})", "1"); }));
    // The HTTP handler: a 500 for the caller, charged to the endpoint.
    auto failed = http_get(r.port(), "/faulty/bad");
    CHECK(failed.status == 500);
    CHECK(metric_is(r, R"(araldo_plugin_errors_total{endpoint="bad",where="http"})", "1"));
    // A response header that would inject a second header is never sent.
    auto injected = http_get(r.port(), "/faulty/bad/header");
    CHECK(injected.status == 500);
    CHECK(injected.header("x-injected").empty());
    CHECK(metric_is(r, R"(araldo_plugin_errors_total{endpoint="bad",where="http"})", "2"));

    // Liveness holds: every endpoint still runs. The detail view names the faults.
    CHECK(http_get(r.port(), "/_health/").status == 200);
    auto full = http_get(r.port(), "/_health/?full");
    CHECK(full.status == 500);
    CHECK_THAT(
        full.body,
        Catch::Contains(
            R"({"endpoint":"bad","severity":"error","problem":"3 plugin errors, the last in http: header X-Echo contains CR, LF or NUL"})"));
    CHECK_THAT(full.body, Catch::Contains(R"("endpoint":"parse","severity":"error")"));
    CHECK(metric_is(r, R"(araldo_endpoint_up{endpoint="bad"})", "0"));
    CHECK(metric_is(r, R"(araldo_endpoint_up{endpoint="dst"})", "1"));
    CHECK_THAT(r.process().err(), Catch::Contains("plugin error in deliver: deliver exploded (1 so far)"));

    r.process().signal(SIGTERM);
    CHECK(r.process().wait(10s) == 0);
}

TEST_CASE("an endpoint whose start() throws stops the relay with exit 1, the others stopped gracefully",
          "[integration][fault]") {
    relay::options o = with_fixture();
    o.wait_listening = false;
    relay r(R"(global:
  server-port: 0
plugins:
  araldo.endpoints.endpoint:
    - {name: first, id: endpoint-mock}
    - {name: bad, id: endpoint-faulty, throw-in-start: true}
    - {name: never, id: endpoint-mock}
)",
            o);
    CHECK(r.process().wait(10s) == 1);
    CHECK_THAT(r.process().err(), Catch::Contains("endpoint bad cannot start: start refused on purpose"));
    CHECK_THAT(r.process().err(), !Catch::Contains(" listening on "));
}

TEST_CASE("an endpoint whose loop ended with an error fails liveness, as critical", "[integration][fault]") {
    relay r(R"(global:
  server-port: 0
plugins:
  araldo.endpoints.endpoint:
    - {name: gone, id: endpoint-faulty, throw-in-run: true}
    - {name: fine, id: endpoint-mock}
)",
            with_fixture());
    // Only a restart brings that endpoint back: this node should be replaced.
    REQUIRE(wait_until([&] { return http_get(r.port(), "/_health/").status == 503; }));
    CHECK(http_get(r.port(), "/_health/").body == "fail: gone is not running\n");
    auto full = http_get(r.port(), "/_health/?full");
    CHECK(full.status == 500);
    CHECK_THAT(
        full.body,
        Catch::StartsWith(
            R"({"live":false,"problems":[{"endpoint":"gone","severity":"critical","problem":"stopped with an error: run gave up"})"));
    r.process().signal(SIGTERM);
    CHECK(r.process().wait(10s) == 0);
}
