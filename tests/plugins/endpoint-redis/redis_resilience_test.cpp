// endpoint-redis when Redis goes away: killed and restarted, or closing the
// subscriber itself; and the echo of its own messages.
#include "redis_server.hpp"

#include "support/http_client.hpp"
#include "support/relay.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <thread>

using namespace araldo::test;
using namespace std::chrono_literals;

namespace {

// The bus reads channel `in` and publishes to `out`; `extra` adds options.
std::string bus_config(const redis_server& redis, const std::string& extra = {}) {
    return araldo::test::bus_config(redis.url(), "subscribe: [in], publish: out" + extra);
}

}  // namespace

TEST_CASE("Redis killed and restarted: reconnect, re-subscribe, resume", "[redis][reconnect]") {
    redis_server redis;
    relay r(bus_config(redis, ", queue-size: 3"), {.pipe_stdin = true});
    REQUIRE(wait_until([&] { return healthy(r); }));
    {
        redis_client c(redis.port());
        CHECK(c.command({"PUBLISH", "in", "before"}) == "1");
    }
    REQUIRE(wait_until([&] { return file_lines(r.path("out.txt")).size() == 1; }));

    redis.kill();
    REQUIRE(r.process().wait_for_err("subscriber connection to " + redis.url() + " lost"));
    REQUIRE(wait_until([&] {
        auto body = http_get(r.port(), "/_health/?full").body;
        return body.find(down_problem("subscriber", redis.url())) != std::string::npos &&
               body.find(down_problem("publisher", redis.url())) != std::string::npos;
    }));
    // Messages routed while Redis is down wait in the queue; beyond it they are dropped and counted.
    r.process().write_stdin("queued-1\nqueued-2\nqueued-3\ndropped-4\ndropped-5\n");
    REQUIRE(wait_until(
        [&] { return metric(r.port(), R"(araldo_messages_dropped_total{endpoint="bus",reason="queue_full"})") == 2; }));
    CHECK(metric(r.port(), R"(araldo_endpoint_queue_depth{endpoint="bus"})") == 3);
    std::this_thread::sleep_for(3s);  // the scenario: Redis stays away for 3 s
    redis.start();

    REQUIRE(wait_until([&] { return healthy(r); }, 30s));
    // The queue is flushed once the publisher is back.
    REQUIRE(wait_until([&] { return metric(r.port(), R"(araldo_redis_published_total{endpoint="bus"})") == 3; }));
    CHECK(metric(r.port(), R"(araldo_endpoint_queue_depth{endpoint="bus"})") == 0);
    // Re-subscribed: new messages come in; and new messages go out.
    redis_client sub(redis.port());
    sub.subscribe({"out"});
    redis_client c(redis.port());
    CHECK(c.command({"PUBLISH", "in", "after"}) == "1");
    REQUIRE(wait_until([&] { return file_lines(r.path("out.txt")).size() == 2; }));
    CHECK(file_lines(r.path("out.txt")) == std::vector<std::string>{"before", "after"});
    r.process().write_stdin("fresh\n");
    auto m = sub.next_message();
    REQUIRE(m);
    CHECK(m->payload == "fresh");
    CHECK(metric(r.port(), R"(araldo_redis_connects_total{endpoint="bus",connection="subscriber"})") == 2);

    REQUIRE(r.process().running());
    r.process().signal(SIGTERM);
    CHECK(r.process().wait(10s) == 0);
}

TEST_CASE("stopping while Redis is down counts what is queued as lost and exits cleanly", "[redis][reconnect]") {
    redis_server redis;
    relay r(bus_config(redis), {.pipe_stdin = true});
    REQUIRE(wait_until([&] { return healthy(r); }));
    redis.kill();
    REQUIRE(r.process().wait_for_err("publisher connection to " + redis.url() + " lost"));
    r.process().write_stdin("a\nb\n");
    REQUIRE(wait_until([&] { return metric(r.port(), R"(araldo_endpoint_queue_depth{endpoint="bus"})") == 2; }));
    r.process().signal(SIGTERM);
    CHECK(r.process().wait(10s) == 0);
    CHECK_THAT(r.process().err(), Catch::Contains("2 queued message(s) lost: stopped while disconnected from Redis"));
}

TEST_CASE("Redis closing the subscriber (output buffer limit) is a reconnect like any other", "[redis][reconnect]") {
    redis_server redis;
    relay r(bus_config(redis, ", reconnect: {min: 50ms, max: 1s}"), {.pipe_stdin = true});
    REQUIRE(wait_until([&] { return healthy(r); }));
    redis_client c(redis.port());
    CHECK(c.command({"CONFIG", "SET", "client-output-buffer-limit", "pubsub 1024 0 0"}) == "OK");
    CHECK(c.command({"PUBLISH", "in", std::string(64 * 1024, 'x')}) == "1");
    REQUIRE(r.process().wait_for_err("subscriber connection to " + redis.url() + " lost: connection closed by Redis"));
    CHECK(c.command({"CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60"}) == "OK");
    REQUIRE(wait_until([&] {
        return metric(r.port(), R"(araldo_redis_connects_total{endpoint="bus",connection="subscriber"})") == 2;
    }));
    CHECK(c.command({"PUBLISH", "in", "after"}) == "1");
    REQUIRE(wait_until([&] {
        auto lines = file_lines(r.path("out.txt"));
        return !lines.empty() && lines.back() == "after";
    }));
}

TEST_CASE("no echo: our own PUBLISHes do not come back, other publishers' identical ones do", "[redis][echo]") {
    redis_server redis;
    // Subscribed twice to the publish channel (directly and by pattern): each
    // PUBLISH comes back twice, and both copies are ours.
    relay r(bus_config(redis.url(), R"(subscribe: [chat], psubscribe: ["ch*"], publish: chat)"), {.pipe_stdin = true});
    REQUIRE(wait_until([&] { return healthy(r); }));
    redis_client watch(redis.port());
    watch.subscribe({"chat"});
    r.process().write_stdin("m1\nm2\nm1\n");
    for (std::string expected : {"m1", "m2", "m1"}) {
        auto m = watch.next_message();
        REQUIRE(m);
        CHECK(m->payload == expected);  // what other subscribers see is unchanged
    }
    REQUIRE(wait_until([&] { return metric(r.port(), R"(araldo_redis_echo_suppressed_total{endpoint="bus"})") == 6; }));
    // Someone else publishes the same payload: it arrives (twice: channel and pattern).
    redis_client other(redis.port());
    CHECK(other.command({"PUBLISH", "chat", "m1"}) == "3");
    CHECK(other.command({"PUBLISH", "chat", "end"}) == "3");
    REQUIRE(wait_until([&] { return file_lines(r.path("out.txt")).size() >= 4; }));
    CHECK(file_lines(r.path("out.txt")) == std::vector<std::string>{"m1", "m1", "end", "end"});
    CHECK(metric(r.port(), R"(araldo_redis_echo_suppressed_total{endpoint="bus"})") == 6);
    CHECK(metric(r.port(), R"(araldo_redis_received_total{endpoint="bus"})") == 4);
}
