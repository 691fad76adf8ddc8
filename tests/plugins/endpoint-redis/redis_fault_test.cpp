// Redis going away, with a real redis-server: what was waiting is published
// exactly once when it comes back, and while it stays away the reconnects
// follow the backoff and cost next to no CPU.
#include "fake_redis.hpp"
#include "redis_server.hpp"

#include "support/http_client.hpp"
#include "support/relay.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>

using namespace araldo::test;
using namespace std::chrono_literals;

namespace {

// araldo's own Redis user. Redis keeps no ACL across a restart (no ACL file),
// so after one araldo is refused until the test creates the user again: the
// test decides when araldo comes back, and can watch before it does.
void create_araldo_user(unsigned short port) {
    redis_client admin(port);
    REQUIRE(admin.command({"ACL", "SETUSER", "araldo", "on", ">pw", "~*", "&*", "+@all"}) == "OK");
}

}  // namespace

TEST_CASE("Redis killed and back: queued messages are published once, in order; new ones flow both ways",
          "[redis][reconnect]") {
    redis_server redis;
    create_araldo_user(redis.port());
    const std::string url = "redis://araldo:pw@127.0.0.1:" + std::to_string(redis.port());
    relay r(bus_config(url, "subscribe: [in], publish: out, reconnect: {min: 50ms, max: 500ms}"), {.pipe_stdin = true});
    REQUIRE(wait_until([&] { return healthy(r); }));
    {
        redis_client c(redis.port());
        CHECK(c.command({"PUBLISH", "in", "in-before"}) == "1");
        r.process().write_stdin("out-before\n");
        REQUIRE(wait_until([&] { return metric(r.port(), R"(araldo_redis_published_total{endpoint="bus"})") == 1; }));
        REQUIRE(wait_until([&] { return file_lines(r.path("out.txt")).size() == 1; }));
    }

    redis.kill();
    REQUIRE(r.process().wait_for_err("publisher connection to " + redis.url() + " lost"));
    REQUIRE(r.process().wait_for_err("subscriber connection to " + redis.url() + " lost"));
    r.process().write_stdin("queued-1\nqueued-2\nqueued-3\n");
    REQUIRE(wait_until([&] { return metric(r.port(), R"(araldo_endpoint_queue_depth{endpoint="bus"})") == 3; }));

    redis.start();
    REQUIRE(r.process().wait_for_err("authentication failed"));  // araldo is knocking, and kept out
    redis_client watch(redis.port());
    watch.subscribe({"out"});
    create_araldo_user(redis.port());
    REQUIRE(wait_until([&] { return healthy(r); }, 30s));

    // The queue, exactly once and in order; the next message is the new one,
    // so nothing queued came twice.
    r.process().write_stdin("out-after\n");
    for (std::string expected : {"queued-1", "queued-2", "queued-3", "out-after"}) {
        auto m = watch.next_message();
        REQUIRE(m);
        CHECK(m->payload == expected);
    }
    // Inbound after the restart arrives, and nothing from before comes again.
    redis_client c(redis.port());
    CHECK(c.command({"PUBLISH", "in", "in-after"}) == "1");
    REQUIRE(wait_until([&] { return file_lines(r.path("out.txt")).size() >= 2; }));
    CHECK(file_lines(r.path("out.txt")) == std::vector<std::string>{"in-before", "in-after"});
    REQUIRE(wait_until([&] { return metric(r.port(), R"(araldo_redis_published_total{endpoint="bus"})") == 5; }));
    CHECK(metric(r.port(), R"(araldo_redis_publish_lost_total{endpoint="bus"})") == 0);
    CHECK(metric(r.port(), R"(araldo_redis_received_total{endpoint="bus"})") == 2);
    CHECK(metric(r.port(), R"(araldo_redis_connects_total{endpoint="bus",connection="publisher"})") == 2);
    CHECK(metric(r.port(), R"(araldo_redis_connects_total{endpoint="bus",connection="subscriber"})") == 2);
    r.process().signal(SIGTERM);
    CHECK(r.process().wait(10s) == 0);
}

TEST_CASE("Redis down for long: retries back off to the cap and cost next to no CPU", "[redis][reconnect]") {
    redis_server redis;
    relay r(bus_config(redis.url(), "subscribe: [in], reconnect: {min: 50ms, max: 400ms, jitter: false}"),
            {.pipe_stdin = true});
    REQUIRE(wait_until([&] { return healthy(r); }));
    redis.kill();
    // In Redis's place, a listener that accepts each attempt and closes it:
    // every retry is seen, and fails as a real one would.
    std::size_t attempts = 0;
    double cpu_at_first = 0;
    {
        fake_redis down({.port = redis.port(), .replies = {}, .filler = 0});
        REQUIRE(wait_until([&] { return down.connections() >= 1; }));
        cpu_at_first = cpu_seconds(r.process().pid());
        // Delays without jitter: 50, 100, 200, 400, 400... ms. Ten attempts take
        // about 3 s with the cap; without it the tenth would wait 25 s.
        REQUIRE(wait_until([&] { return down.connections() >= 10; }, 20s));
        const auto cpu = cpu_seconds(r.process().pid()) - cpu_at_first;
        const auto at = down.accepted_at();
        const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - at.front();
        attempts = at.size();
        // Each retry starts after the previous attempt failed, which is after
        // the listener took it: a gap is at least the backoff delay. The first
        // attempt seen is retry 1 or later, so gap k waits at least delay k+1.
        for (std::size_t k = 0; k + 1 < at.size(); ++k) {
            INFO("gap " << k);
            const auto expected = std::min(400ms, 50ms * (1 << std::min<std::size_t>(k + 1, 8)));
            CHECK(at[k + 1] - at[k] >= expected);
        }
        INFO("CPU " << cpu << " s over " << wall.count() << " s down");
        CHECK(cpu < 0.1 * wall.count());
        // Not once per retry: connected, lost, then each reason's 1st, 2nd,
        // 4th, 8th... failure of the outage; ten or more if it logged each retry.
        const std::string log = r.process().err();
        std::size_t lines = 0;
        for (auto p = log.find("[endpoint/bus] subscriber "); p != std::string::npos;
             p = log.find("[endpoint/bus] subscriber ", p + 1)) {
            ++lines;
        }
        CHECK_THAT(log, Catch::Contains("subscriber connection to " + redis.url() +
                                        " lost: connection closed by Redis; reconnecting"));
        const auto counts = outage_counts(log, "subscriber cannot connect to " + redis.url());
        for (auto n : counts) CHECK(logged_occurrence(n));
        CHECK(counts.size() + 2 == lines);
        CHECK(lines < attempts);
    }
    CHECK(attempts >= 10);

    redis.start();
    REQUIRE(wait_until([&] { return healthy(r); }, 30s));
    redis_client c(redis.port());
    CHECK(c.command({"PUBLISH", "in", "back"}) == "1");
    REQUIRE(wait_until([&] { return file_lines(r.path("out.txt")) == std::vector<std::string>{"back"}; }));
    r.process().signal(SIGTERM);
    CHECK(r.process().wait(10s) == 0);
}

TEST_CASE("check mode builds the endpoint without connecting: effects begin at start", "[redis][check]") {
    fake_redis redis({.port = 0, .replies = {"+PONG\r\n"}, .filler = 0});
    temp_dir dir;
    const std::string config = dir.write("araldo.yaml", bus_config(redis.url(), "subscribe: [in], publish: out"));
    auto checked = run_command({ARALDO_BINARY, "--check", "-c", config}, dir.path());
    CHECK(checked.code == 0);
    CHECK_THAT(checked.out, Catch::Contains("bus (endpoint-redis"));
    CHECK(redis.connections() == 0);
    // The same config started does connect (both links), so the count above can move.
    relay r(bus_config(redis.url(), "subscribe: [in], publish: out"), {.pipe_stdin = true});
    REQUIRE(wait_until([&] { return redis.connections() >= 1; }));
}
