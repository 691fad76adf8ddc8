// Signals: a graceful stop exits 0 within the shutdown timeout; a second
// signal exits at once; a port that cannot be bound is a runtime failure.
#include "support/http_client.hpp"
#include "support/relay.hpp"

#include <catch2/catch.hpp>

#include <csignal>

using namespace araldo::test;
using namespace std::chrono_literals;

namespace {

std::string config_with(const std::string& endpoint_extra, const std::string& timeout = "5s") {
    return R"(global:
  server-port: 0
  shutdown-timeout: )" + timeout + R"(
plugins:
  araldo.endpoints.endpoint:
    - {name: a, id: endpoint-mock)" + endpoint_extra + R"(}
    - {name: out, id: endpoint-file, output: "{DIR}/out.txt"}
routes:
  a: [out]
)";
}

}  // namespace

TEST_CASE("SIGTERM stops every endpoint and exits 0", "[integration][lifecycle]") {
    relay r(config_with(", inject: [x, y]"));
    REQUIRE(wait_until([&] { return read_file(r.path("out.txt")) == "x\ny\n"; }));
    auto started = std::chrono::steady_clock::now();
    r.process().signal(SIGTERM);
    CHECK(r.process().wait(10s) == 0);
    CHECK(std::chrono::steady_clock::now() - started < 5s);
    CHECK_THAT(r.process().err(), Catch::Contains("signal 15: stopping"));
    CHECK_THAT(r.process().err(), Catch::Contains("stopped"));
}

TEST_CASE("an endpoint slower than shutdown-timeout does not hold the exit", "[integration][lifecycle]") {
    relay r(config_with(", stop-delay: 60s", "500ms"));
    r.process().signal(SIGTERM);
    CHECK(r.process().wait(10s) == 0);
    CHECK_THAT(r.process().err(), Catch::Contains("shutdown timeout: endpoint a still running"));
}

TEST_CASE("a second signal exits at once", "[integration][lifecycle]") {
    relay r(config_with(", stop-delay: 60s", "60s"));
    r.process().signal(SIGINT);
    REQUIRE(r.process().wait_for_err("signal 2: stopping"));
    r.process().signal(SIGINT);
    CHECK(r.process().wait(10s) == 1);
    CHECK_THAT(r.process().err(), Catch::Contains("second signal"));
}

TEST_CASE("a port already in use is a runtime failure, exit 1", "[integration][lifecycle]") {
    relay first(config_with(""));
    std::string busy = "global:\n  server-port: " + std::to_string(first.port()) + "\n";
    relay second(busy, {.wait_listening = false});
    CHECK(second.process().wait(10s) == 1);
    CHECK_THAT(second.process().err(), Catch::Contains("cannot listen on 127.0.0.1:" + std::to_string(first.port())));
}
