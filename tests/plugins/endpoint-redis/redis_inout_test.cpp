// endpoint-redis in and out through the real binary and a real redis-server:
// subscribe/psubscribe inbound, PUBLISH outbound, 10 000 each way, AUTH.
#include "redis_server.hpp"

#include "support/http_client.hpp"
#include "support/relay.hpp"

#include <catch2/catch.hpp>

#include <csignal>

using namespace araldo::test;
using namespace std::chrono_literals;

namespace {

std::string numbered(const std::string& prefix, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += prefix + std::to_string(i) + "\n";
    return s;
}

}  // namespace

TEST_CASE("subscribed channels and patterns are ingested with redis.channel and redis.pattern", "[redis]") {
    redis_server redis;
    relay r(R"(global:
  server-port: 0
  log-level: debug
plugins:
  araldo.endpoints.endpoint:
    - {name: bus, id: endpoint-redis, url: ")" +
            redis.url() + R"(", subscribe: [news, chat], psubscribe: ["alerts.*"]}
    - {name: out, id: endpoint-file, output: "{DIR}/out.txt"}
    - {name: probe, id: endpoint-mock, inject: ["refused"]}
routes:
  bus: [out]
  probe: [bus]
)");
    REQUIRE(wait_until([&] { return healthy(r); }));
    redis_client c(redis.port());
    CHECK(c.command({"PUBLISH", "news", "n1"}) == "1");
    CHECK(c.command({"PUBLISH", "alerts.fire", "a1"}) == "1");
    CHECK(c.command({"PUBLISH", "elsewhere", "x"}) == "0");
    CHECK(c.command({"PUBLISH", "chat", "c1"}) == "1");
    REQUIRE(wait_until([&] { return file_lines(r.path("out.txt")).size() >= 3; }));
    CHECK(file_lines(r.path("out.txt")) == std::vector<std::string>{"n1", "a1", "c1"});
    std::string log = r.process().err();
    CHECK_THAT(log, Catch::Contains("IN channel=news pattern=- 2 bytes"));
    CHECK_THAT(log, Catch::Contains("IN channel=alerts.fire pattern=alerts.* 2 bytes"));
    CHECK_THAT(log, Catch::Contains("subscriber connected to " + redis.url() +
                                    ", subscribed to 2 channel(s) and 1 pattern(s)"));
    // Without `publish` the endpoint refuses deliveries, says so once, and counts them.
    CHECK_THAT(log, Catch::Contains("no publish channel: routed messages are refused"));
    CHECK(metric(r.port(), R"(araldo_messages_dropped_total{endpoint="bus",reason="no_publish_channel"})") == 1);
    CHECK(metric(r.port(), R"(araldo_redis_received_total{endpoint="bus"})") == 3);
    r.process().signal(SIGTERM);
    CHECK(r.process().wait(10s) == 0);
}

TEST_CASE("routed messages are PUBLISHed where a plain subscriber sees them", "[redis]") {
    redis_server redis;
    redis_client sub(redis.port());
    sub.subscribe({"events"});
    relay r(R"(global:
  server-port: 0
plugins:
  araldo.endpoints.endpoint:
    - {name: bus, id: endpoint-redis, url: ")" +
            redis.url() + R"(", publish: events}
    - {name: probe, id: endpoint-mock, inject: ["one", "two", "three"]}
routes:
  probe: [bus]
)");
    for (std::string expected : {"one", "two", "three"}) {
        auto m = sub.next_message();
        REQUIRE(m);
        CHECK(m->channel == "events");
        CHECK(m->payload == expected);
    }
    REQUIRE(wait_until([&] { return metric(r.port(), R"(araldo_redis_published_total{endpoint="bus"})") == 3; }));
    CHECK(metric(r.port(), R"(araldo_redis_publish_errors_total{endpoint="bus"})") == 0);
}

TEST_CASE("10 000 messages each way, none lost, in order", "[redis][load]") {
    redis_server redis;
    redis_client sub(redis.port());
    sub.subscribe({"outbound"});
    temp_dir in;
    std::string input = in.write("in.txt", numbered("out-", 10000));
    relay r(R"(global:
  server-port: 0
plugins:
  araldo.endpoints.endpoint:
    - {name: bus, id: endpoint-redis, url: ")" +
            redis.url() + R"(", subscribe: [inbound], publish: outbound}
    - {name: src, id: endpoint-file, input: ")" +
            input + R"("}
    - {name: dst, id: endpoint-file, output: "{DIR}/out.txt"}
routes:
  src: [bus]
  bus: [dst]
)");
    REQUIRE(wait_until([&] { return healthy(r); }));
    std::vector<std::string> payloads;
    for (int i = 0; i < 10000; ++i) payloads.push_back("in-" + std::to_string(i));
    redis_client pub(redis.port());
    auto replies = pub.publish_all("inbound", payloads);
    CHECK(std::count(replies.begin(), replies.end(), "1") == 10000);

    for (int i = 0; i < 10000; ++i) {
        auto m = sub.next_message();
        REQUIRE(m);
        if (m->payload != "out-" + std::to_string(i)) FAIL("message " << i << " is " << m->payload);
    }
    REQUIRE(wait_until([&] { return file_lines(r.path("out.txt")).size() >= 10000; }, 30s));
    CHECK(file_lines(r.path("out.txt")) == payloads);
    REQUIRE(wait_until([&] { return metric(r.port(), R"(araldo_redis_published_total{endpoint="bus"})") == 10000; }));
    CHECK(r.process().err().find("DROP") == std::string::npos);
}

TEST_CASE("AUTH with a password (requirepass) from the environment", "[redis][auth]") {
    redis_server redis({"--requirepass", "s3cret"});
    redis_client sub(redis.port(), "s3cret");
    sub.subscribe({"out"});
    relay r(R"(global:
  server-port: 0
plugins:
  araldo.endpoints.endpoint:
    - {name: bus, id: endpoint-redis, url: "redis://:${REDIS_PASSWORD}@127.0.0.1:)" +
                std::to_string(redis.port()) + R"(", subscribe: [in], publish: out}
    - {name: probe, id: endpoint-mock, inject: ["hello"]}
    - {name: dst, id: endpoint-file, output: "{DIR}/out.txt"}
routes:
  probe: [bus]
  bus: [dst]
)",
            {.env = {{"REDIS_PASSWORD", "s3cret"}}});
    auto m = sub.next_message();
    REQUIRE(m);
    CHECK(m->payload == "hello");
    REQUIRE(wait_until([&] { return healthy(r); }));
    redis_client pub(redis.port(), "s3cret");
    CHECK(pub.command({"PUBLISH", "in", "inbound"}) == "1");
    REQUIRE(wait_until([&] { return file_lines(r.path("out.txt")).size() == 1; }));
    CHECK(file_lines(r.path("out.txt"))[0] == "inbound");
    CHECK(r.process().err().find("s3cret") == std::string::npos);  // never logged
}

TEST_CASE("AUTH with an ACL user, and SELECT of the database in the URL", "[redis][auth]") {
    redis_server redis({"--requirepass", "admin"});
    redis_client admin(redis.port(), "admin");
    CHECK(admin.command({"ACL", "SETUSER", "alice", "on", ">wonderland", "~*", "&*", "+@all"}) == "OK");
    admin.subscribe({"out"});
    relay r(R"(global:
  server-port: 0
plugins:
  araldo.endpoints.endpoint:
    - {name: bus, id: endpoint-redis, url: "redis://alice:wonderland@127.0.0.1:)" +
            std::to_string(redis.port()) + R"(/2", subscribe: [in], publish: out}
    - {name: probe, id: endpoint-mock, inject: ["from-alice"]}
    - {name: dst, id: endpoint-file, output: "{DIR}/out.txt"}
routes:
  probe: [bus]
  bus: [dst]
)");
    auto m = admin.next_message();
    REQUIRE(m);
    CHECK(m->payload == "from-alice");
    REQUIRE(wait_until([&] { return healthy(r); }));
    redis_client c(redis.port(), "admin");
    std::string clients = c.command({"CLIENT", "LIST"});
    // Both of araldo's connections: logged in as alice, on database 2.
    std::size_t alice_db2 = 0;
    for (std::size_t p = clients.find("db=2"); p != std::string::npos; p = clients.find("db=2", p + 1)) {
        auto line_end = clients.find('\n', p);
        if (clients.substr(p, line_end - p).find("user=alice") != std::string::npos) ++alice_db2;
    }
    CHECK(alice_db2 == 2);
    CHECK(c.command({"PUBLISH", "in", "to-alice"}) == "1");
    REQUIRE(wait_until([&] { return file_lines(r.path("out.txt")).size() == 1; }));
    CHECK(file_lines(r.path("out.txt"))[0] == "to-alice");
}

TEST_CASE("a wrong password is reported in the log and /_health/?full, and retried", "[redis][auth]") {
    redis_server redis({"--requirepass", "right"});
    relay r(R"(global:
  server-port: 0
plugins:
  araldo.endpoints.endpoint:
    - name: bus
      id: endpoint-redis
      url: "redis://:wrong@127.0.0.1:)" +
            std::to_string(redis.port()) + R"("
      subscribe: [in]
      publish: out
      reconnect: {min: 50ms, max: 500ms}
)");
    REQUIRE(r.process().wait_for_err("authentication failed: WRONGPASS"));
    auto full = http_get(r.port(), "/_health/?full");
    CHECK(full.status == 500);
    CHECK_THAT(full.body, Catch::Contains(down_problem("subscriber", redis.url())));
    CHECK_THAT(full.body, Catch::Contains(down_problem("publisher", redis.url())));
    CHECK_THAT(full.body, Catch::Contains("authentication failed: WRONGPASS invalid username-password pair"));
    CHECK_THAT(r.process().err(), Catch::Contains("error [endpoint/bus] subscriber cannot connect to " + redis.url()));
    // It keeps trying: once the password matches, it connects without a restart.
    redis_client admin(redis.port(), "right");
    CHECK(admin.command({"CONFIG", "SET", "requirepass", "wrong"}) == "OK");
    REQUIRE(wait_until([&] { return healthy(r); }, 15s));
    // Not one line per retry: each connection says it at its 1st, 2nd, 4th...
    // failure, and each line says how many so far.
    std::string log = r.process().err();
    for (const std::string role : {"subscriber", "publisher"}) {
        const auto counts = outage_counts(log, role + " cannot connect to " + redis.url() + ": authentication failed");
        REQUIRE_FALSE(counts.empty());
        CHECK(counts.front() == 1);
        for (std::size_t i = 0; i < counts.size(); ++i) {
            CHECK(logged_occurrence(counts[i]));
            if (i > 0) CHECK(counts[i] > counts[i - 1]);
        }
    }
    CHECK(log.find(":wrong@") == std::string::npos);
}

TEST_CASE("a missing password is an authentication failure too, on both connections", "[redis][auth]") {
    redis_server redis({"--requirepass", "needed"});
    relay r(R"(global:
  server-port: 0
plugins:
  araldo.endpoints.endpoint:
    - {name: bus, id: endpoint-redis, url: ")" +
            redis.url() + R"(", subscribe: [in], publish: out}
)");
    REQUIRE(r.process().wait_for_err("publisher cannot connect to " + redis.url() +
                                     ": authentication failed: NOAUTH Authentication required."));
    REQUIRE(r.process().wait_for_err("subscriber cannot connect to " + redis.url() +
                                     ": authentication failed: NOAUTH Authentication required."));
    CHECK(http_get(r.port(), "/_health/?full").status == 500);
}

TEST_CASE("bad options stop start-up with the place of the option", "[redis][config]") {
    temp_dir dir;
    std::string file = dir.write("araldo.yaml", R"(global:
  server-port: 0
plugins:
  araldo.endpoints.endpoint:
    - {name: bus, id: endpoint-redis, url: "http://127.0.0.1:6379", subscribe: [a]}
)");
    auto res = run_command({ARALDO_BINARY, "-c", file}, dir.path());
    CHECK(res.code == 2);
    CHECK_THAT(res.err, Catch::Contains("araldo.yaml:5:"));
    CHECK_THAT(res.err, Catch::Contains("unknown scheme 'http'"));
}

TEST_CASE("a unix socket URL, with the database as a parameter", "[redis]") {
    temp_dir dir;
    const std::string sock = dir / "redis.sock";
    redis_server redis({"--unixsocket", sock, "--unixsocketperm", "700"});
    redis_client sub(redis.port());
    sub.subscribe({"out"});
    relay r(R"(global:
  server-port: 0
plugins:
  araldo.endpoints.endpoint:
    - {name: bus, id: endpoint-redis, url: "unix://)" +
            sock + R"(?db=3", subscribe: [in], publish: out}
    - {name: probe, id: endpoint-mock, inject: ["over-unix"]}
    - {name: dst, id: endpoint-file, output: "{DIR}/out.txt"}
routes:
  probe: [bus]
  bus: [dst]
)");
    auto m = sub.next_message();
    REQUIRE(m);
    CHECK(m->payload == "over-unix");
    REQUIRE(wait_until([&] { return healthy(r); }));
    redis_client c(redis.port());
    CHECK(c.command({"PUBLISH", "in", "back"}) == "1");
    REQUIRE(wait_until([&] { return file_lines(r.path("out.txt")).size() == 1; }));
    CHECK_THAT(r.process().err(), Catch::Contains("subscriber connected to unix://" + sock + "?db=3"));
}
