// 202 from the emit API means the webhook took the message: when it cannot
// (queue full), the sender hears 503 with Retry-After and nothing is queued.
#include "fixture.hpp"

#include <catch2/catch.hpp>

using namespace araldo::test;
using namespace araldo::test::webhook;

TEST_CASE("a full webhook queue makes the emit API answer 503 with Retry-After", "[webhook][refusal]") {
    receiver rx;
    rx.respond([](const received_request&, std::size_t) { return reply{200, {}, true}; });
    temp_dir data;
    relay r(emit_config("max-in-flight: 1, queue-size: 2, url: \"" + rx.url() + "\"", data.path()));
    std::vector<emitted> replies;
    for (int i = 0; i < 5; ++i) replies.push_back(emit(r.port(), "{\"n\":" + std::to_string(i) + "}"));
    CHECK(replies[0].status == 202);
    CHECK(replies[1].status == 202);
    for (int i = 2; i < 5; ++i) {
        INFO("message " << i);
        CHECK(replies[i].status == 503);
        CHECK_FALSE(replies[i].retry_after.empty());
    }
    std::string metrics = http_get(r.port(), "/metrics").body;
    CHECK_THAT(metrics, Catch::Contains(R"(araldo_messages_dropped_total{endpoint="hook",reason="queue_full"} 3)"));
    CHECK_THAT(metrics, Catch::Contains(R"(araldo_endpoint_queue_depth{endpoint="hook"} 1)"));
}
