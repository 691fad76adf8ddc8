// Two araldo nodes with the same config against one Redis. endpoint-file
// stands in for the browsers (stdin: what browsers on that node send; the
// output file: what they receive): the routing is the one a WebSocket
// endpoint would have.
#include "redis_server.hpp"

#include "support/http_client.hpp"
#include "support/relay.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>

using namespace araldo::test;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> numbered(const std::string& prefix, int n) {
    std::vector<std::string> v;
    for (int i = 0; i < n; ++i) v.push_back(prefix + std::to_string(i));
    return v;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string s;
    for (const auto& l : lines) s += l + "\n";
    return s;
}

// The lines of `all` that start with `prefix`, in their order.
std::vector<std::string> only(const std::vector<std::string>& all, const std::string& prefix) {
    std::vector<std::string> v;
    std::copy_if(all.begin(), all.end(), std::back_inserter(v),
                 [&](const std::string& s) { return s.starts_with(prefix); });
    return v;
}

}  // namespace

TEST_CASE("two nodes share one Redis: each message reaches the other node's clients exactly once", "[redis][cluster]") {
    redis_server redis;
    const std::string config = R"(global:
  server-port: 0
plugins:
  araldo.endpoints.endpoint:
    - {name: browsers, id: endpoint-file, input: "-", output: "{DIR}/browsers.txt"}
    - {name: bus, id: endpoint-redis, url: ")" +
                               redis.url() + R"(", subscribe: [chat], publish: chat}
routes:
  browsers: [browsers, bus]   # local clients, and the other nodes through Redis
  bus: [browsers]             # from the other nodes: local clients only, never back to Redis
)";
    relay a(config, {.pipe_stdin = true});
    relay b(config, {.pipe_stdin = true});
    REQUIRE(wait_until([&] { return healthy(a) && healthy(b); }));
    redis_client watch(redis.port());
    watch.subscribe({"chat"});

    const auto from_a = numbered("A-", 300);
    const auto from_b = numbered("B-", 200);
    a.process().write_stdin(joined(from_a));
    b.process().write_stdin(joined(from_b));

    // Exactly one PUBLISH per message on the bus: nothing is republished.
    std::size_t on_bus = 0;
    while (on_bus < 500) {
        auto m = watch.next_message();
        REQUIRE(m);
        ++on_bus;
    }
    redis_client pub(redis.port());
    CHECK(pub.command({"PUBLISH", "chat", "marker"}) == "3");  // a, b and watch
    // Redis delivers in publish order: once the marker is in, everything before it is too.
    REQUIRE(wait_until(
        [&] {
            auto x = file_lines(a.path("browsers.txt")), y = file_lines(b.path("browsers.txt"));
            return !x.empty() && x.back() == "marker" && !y.empty() && y.back() == "marker";
        },
        30s));
    for (relay* node : {&a, &b}) {
        auto lines = file_lines(node->path("browsers.txt"));
        CHECK(lines.size() == 501);
        CHECK(only(lines, "A-") == from_a);  // each once, in order
        CHECK(only(lines, "B-") == from_b);
    }
    CHECK(metric(a.port(), R"(araldo_redis_echo_suppressed_total{endpoint="bus"})") == 300);
    CHECK(metric(b.port(), R"(araldo_redis_echo_suppressed_total{endpoint="bus"})") == 200);
    CHECK(metric(a.port(), R"(araldo_messages_in_total{endpoint="bus"})") == 201);
    CHECK(metric(b.port(), R"(araldo_messages_in_total{endpoint="bus"})") == 301);
    CHECK(metric(a.port(), R"(araldo_redis_published_total{endpoint="bus"})") == 300);
    CHECK(metric(b.port(), R"(araldo_redis_published_total{endpoint="bus"})") == 200);
    // Nothing was republished: the marker is the next thing on the bus, and nothing follows it.
    auto m = watch.next_message();
    REQUIRE(m);
    CHECK(m->payload == "marker");
    CHECK_FALSE(watch.next_message(500ms));
}
