// The client side of the wire: kept-alive connections, receivers that close
// them silently, response bodies beyond the cap, a full queue.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <regex>

using namespace araldo::test;
using namespace araldo::test::webhook;

namespace {

std::string send_lines(relay& r, int n) {
    std::string input;
    for (int i = 0; i < n; ++i) input += "{\"n\":" + std::to_string(i) + "}\n";
    r.process().write_stdin(input);
    return input;
}

}  // namespace

TEST_CASE("deliveries reuse one kept-alive connection per worker", "[webhook][wire]") {
    receiver rx;
    relay r = start(config({{"hook", "{url: \"" + rx.url() + "\", max-in-flight: 1}"}}));
    send_lines(r, 10);
    REQUIRE(rx.wait_for(10));
    for (const auto& q : rx.requests()) CHECK(q.connection == 1);
}

TEST_CASE("a receiver closing kept-alive connections silently costs no attempt", "[webhook][wire]") {
    receiver rx;
    rx.respond([](const received_request&, std::size_t) {
        reply a;
        a.close_after = true;
        return a;
    });
    relay r = start(config({{"hook", "{url: \"" + rx.url() + "\", max-in-flight: 1, retry-schedule: [0s]}"}}));
    send_lines(r, 10);
    REQUIRE(rx.wait_for(10));
    REQUIRE(wait_until([&] {
        return http_get(r.port(), "/metrics").body.find(R"(araldo_webhook_delivered_total{endpoint="hook"} 10)") !=
               std::string::npos;
    }));
    auto reqs = rx.requests();
    CHECK(reqs.size() == 10);  // each sent once, on a fresh connection
    for (std::size_t i = 1; i < reqs.size(); ++i) CHECK(reqs[i].connection != reqs[i - 1].connection);
    CHECK(dead_letters(r).empty());
    CHECK_THAT(r.process().err(), !Catch::Contains("attempt=2"));
}

TEST_CASE("a response body beyond max-response-body fails the attempt and is not read to its end", "[webhook][wire]") {
    receiver rx;
    rx.respond([](const received_request&, std::size_t) {
        reply a;
        a.body = std::string(1024 * 1024, 'x');
        return a;
    });
    relay r =
        start(config({{"big", "{url: \"" + rx.url() + "\", max-in-flight: 1, retry-schedule: [0s, 0s]}"},
                      {"roomy", "{url: \"" + rx.url("/roomy") + "\", max-in-flight: 1, max-response-body: 2MiB}"}}));
    send_lines(r, 1);
    // roomy reads the whole 1 MiB: delivered. big gives up after 64 KiB twice: a dead letter.
    REQUIRE(wait_until([&] { return dead_letters(r, "big").size() == 1; }));
    REQUIRE(wait_until([&] {
        return http_get(r.port(), "/metrics").body.find(R"(araldo_webhook_delivered_total{endpoint="roomy"} 1)") !=
               std::string::npos;
    }));
    CHECK(dead_letters(r, "big")[0].at("last_error").as_string() == "HTTP 200 with a body over 65536 bytes");
    std::vector<int> big_connections;
    for (const auto& q : rx.requests())
        if (q.target == "/hook") big_connections.push_back(q.connection);
    REQUIRE(big_connections.size() == 2);
    // The connection is given up at the limit rather than drained: a new one for the retry.
    CHECK(big_connections[0] != big_connections[1]);
}

TEST_CASE("a full queue refuses deliveries, counted by reason", "[webhook][wire]") {
    // Refused (durable), not dropped: the router counts both under araldo_messages_dropped_total.
    receiver rx;
    rx.respond([](const received_request&, std::size_t) { return reply{200, {}, true}; });
    relay r = start(config({{"hook", "{url: \"" + rx.url() + "\", max-in-flight: 1, queue-size: 3}"}}));
    send_lines(r, 10);
    REQUIRE(rx.wait_for(1));
    REQUIRE(wait_until([&] {
        return http_get(r.port(), "/metrics")
                   .body.find(R"(araldo_messages_dropped_total{endpoint="hook",reason="queue_full"} 7)") !=
               std::string::npos;
    }));
    CHECK_THAT(http_get(r.port(), "/metrics").body,
               Catch::Contains(R"(araldo_endpoint_queue_depth{endpoint="hook"} 2)") &&
                   Catch::Contains(R"(araldo_webhook_in_flight{endpoint="hook"} 1)"));
}
