// The real araldo pointed at a "Redis" that lies about sizes: one header
// declaring a 2-billion-element array, or a 10 GB bulk string followed by a
// stream of bytes. The reader's bounds must refuse it before hiredis acts on
// it: the relay stays responsive and small, counts the error and reconnects.
#include "fake_redis.hpp"
#include "redis_server.hpp"

#include "support/http_client.hpp"
#include "support/relay.hpp"

#include <catch2/catch.hpp>

#include <csignal>

using namespace araldo::test;
using namespace std::chrono_literals;

namespace {

std::string subscriber_config(const std::string& url) {
    return R"(global:
  server-port: 0
plugins:
  araldo.endpoints.endpoint:
    - {name: bus, id: endpoint-redis, url: ")" +
           url + R"(", subscribe: [in], reconnect: {min: 50ms, max: 200ms}}
    - {name: dst, id: endpoint-file, output: "{DIR}/out.txt"}
routes:
  bus: [dst]
)";
}

// Far below the gigabytes hiredis would take without the bounds (2 000 000 000
// elements are 16 GB of pointers alone), far above what the sanitized relay
// needs at rest with every plugin of the build loaded (about 270 MB under ASan).
constexpr std::uint64_t rss_bound = 512ull * 1024 * 1024;

void check_refused(fake_redis& fake, const std::string& why) {
    relay r(subscriber_config(fake.url()));
    const std::string errors = R"(araldo_redis_protocol_errors_total{endpoint="bus"})";
    // Reconnected after the violation: the fake sees a second connection.
    REQUIRE(wait_until([&] { return fake.connections() >= 2; }, 20s));
    REQUIRE(wait_until([&] { return metric(r.port(), errors) >= 1; }));
    // The loop is not stuck in the reader: liveness answers, the detail says why.
    CHECK(http_get(r.port(), "/_health/").status == 200);
    auto full = http_get(r.port(), "/_health/?full");
    CHECK(full.status == 500);
    CHECK_THAT(full.body, Catch::Contains(down_problem("subscriber", fake.url())));
    CHECK_THAT(full.body, Catch::Contains("protocol error: " + why));
    CHECK(resident_bytes(r.process().pid()) < rss_bound);
    CHECK_THAT(r.process().err(),
               Catch::Contains("subscriber connection to " + fake.url() + ": protocol error: " + why));
    // Every connection ends the same way, and each is counted.
    REQUIRE(wait_until([&] { return fake.connections() >= 3; }, 20s));
    REQUIRE(wait_until([&] { return metric(r.port(), errors) >= 2; }));
    CHECK(resident_bytes(r.process().pid()) < rss_bound);
    r.process().signal(SIGTERM);
    CHECK(r.process().wait(10s) == 0);
}

}  // namespace

TEST_CASE("a reply declaring 2 000 000 000 elements is refused, not allocated", "[redis][protocol]") {
    fake_redis fake({.port = 0, .replies = {"*2000000000\r\n"}, .filler = 0});
    check_refused(fake, "an array of 2000000000 elements, more than 8");
}

TEST_CASE("a bulk string beyond max-message-size is refused before its bytes are buffered", "[redis][protocol]") {
    // The server goes on sending what it declared: without the bound the
    // reader would buffer it all (hundreds of MB here) waiting for the end.
    fake_redis fake({.port = 0, .replies = {"$9999999999\r\n"}, .filler = 512ull * 1024 * 1024});
    check_refused(fake, "a bulk string of 9999999999 bytes, more than max-message-size (1048576)");
}

TEST_CASE("max-message-size bounds what is read and what is published", "[redis][protocol]") {
    redis_server redis;
    redis_client watch(redis.port());
    watch.subscribe({"out"});
    relay r(bus_config(redis.url(),
                       "subscribe: [in], publish: out, max-message-size: 1KiB, reconnect: {min: 50ms, max: 200ms}"),
            {.pipe_stdin = true});
    REQUIRE(wait_until([&] { return healthy(r); }));
    // Outbound: a message longer than the limit is refused, not published.
    r.process().write_stdin(std::string(1025, 'o') + "\nsmall\n");
    auto m = watch.next_message();
    REQUIRE(m);
    CHECK(m->payload == "small");
    CHECK(metric(r.port(), R"(araldo_messages_dropped_total{endpoint="bus",reason="too_large"})") == 1);
    // Inbound: exactly the limit passes; one byte more drops the subscriber
    // connection, which comes back and goes on.
    redis_client c(redis.port());
    CHECK(c.command({"PUBLISH", "in", std::string(1024, 'i')}) == "1");
    CHECK(c.command({"PUBLISH", "in", std::string(1025, 'x')}) == "1");
    REQUIRE(r.process().wait_for_err("a bulk string of 1025 bytes, more than max-message-size (1024)"));
    REQUIRE(wait_until([&] {
        return metric(r.port(), R"(araldo_redis_connects_total{endpoint="bus",connection="subscriber"})") == 2;
    }));
    CHECK(c.command({"PUBLISH", "in", "after"}) == "1");
    REQUIRE(wait_until([&] { return file_lines(r.path("out.txt")).size() == 2; }));
    CHECK(file_lines(r.path("out.txt")) == std::vector<std::string>{std::string(1024, 'i'), "after"});
    CHECK(metric(r.port(), R"(araldo_redis_protocol_errors_total{endpoint="bus"})") == 1);
}

TEST_CASE("on the publisher, a reply beyond the bounds ends the session; its PUBLISH counts as lost",
          "[redis][protocol]") {
    // PING is answered, so the publisher is up; the PUBLISH gets the lie.
    fake_redis fake({.port = 0, .replies = {"+PONG\r\n", "*2000000000\r\n"}, .filler = 0});
    relay r(R"(global:
  server-port: 0
plugins:
  araldo.endpoints.endpoint:
    - {name: bus, id: endpoint-redis, url: ")" +
                fake.url() + R"(", publish: out, reconnect: {min: 50ms, max: 200ms}}
    - {name: src, id: endpoint-file, input: "-"}
routes:
  src: [bus]
)",
            {.pipe_stdin = true});
    REQUIRE(wait_until([&] { return healthy(r); }));
    r.process().write_stdin("first-payload\n");
    REQUIRE(wait_until([&] { return metric(r.port(), R"(araldo_redis_protocol_errors_total{endpoint="bus"})") == 1; }));
    REQUIRE(wait_until([&] { return fake.connections() >= 2; }));
    CHECK(http_get(r.port(), "/_health/").status == 200);
    CHECK(metric(r.port(), R"(araldo_redis_publish_lost_total{endpoint="bus"})") == 1);
    CHECK(metric(r.port(), R"(araldo_redis_published_total{endpoint="bus"})") == 0);
    CHECK_THAT(r.process().err(), Catch::Contains("publisher connection to " + fake.url() +
                                                  ": protocol error: an array of 2000000000 elements"));
    CHECK(resident_bytes(r.process().pid()) < rss_bound);
    // The next connection answers PING again: the publisher is back, and the
    // unconfirmed PUBLISH is not sent again (at most once): only the new one.
    REQUIRE(wait_until([&] { return healthy(r); }));
    CHECK(metric(r.port(), R"(araldo_redis_connects_total{endpoint="bus",connection="publisher"})") == 2);
    r.process().write_stdin("second-payload\n");
    REQUIRE(wait_until([&] { return metric(r.port(), R"(araldo_redis_protocol_errors_total{endpoint="bus"})") == 2; }));
    CHECK_THAT(fake.received(0), Catch::Contains("first-payload"));
    CHECK_THAT(fake.received(1), Catch::Contains("second-payload"));
    CHECK_THAT(fake.received(1), !Catch::Contains("first-payload"));
    CHECK(wait_until([&] { return metric(r.port(), R"(araldo_redis_publish_lost_total{endpoint="bus"})") == 2; }));
}
