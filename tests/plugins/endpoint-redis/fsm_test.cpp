// The subscriber state machine, the connection setup and the echo filter,
// without a socket.
#include "echo_filter.hpp"
#include "subscriber_fsm.hpp"

#include <catch2/catch.hpp>

using namespace araldo::plugins::endpoint_redis;
using kind = subscriber_event::kind;

namespace {

resp_value bulk(std::string s) { return {resp_type::string, std::move(s), 0, {}}; }
resp_value integer(std::int64_t n) { return {resp_type::integer, {}, n, {}}; }
resp_value error(std::string s) { return {resp_type::error, std::move(s), 0, {}}; }
resp_value status(std::string s) { return {resp_type::status, std::move(s), 0, {}}; }
resp_value array(std::vector<resp_value> e) { return {resp_type::array, {}, 0, std::move(e)}; }

resp_value parse(const std::string& wire) {
    resp_reader r;
    r.feed(wire);
    auto v = r.next();
    REQUIRE(v);
    return std::move(*v);
}

}  // namespace

TEST_CASE("subscriptions are pending until each is confirmed", "[redis][fsm]") {
    subscriber_fsm fsm({"news", "chat"}, {"alerts.*"});
    CHECK(fsm.start() ==
          "*3\r\n$9\r\nSUBSCRIBE\r\n$4\r\nnews\r\n$4\r\nchat\r\n*2\r\n$10\r\nPSUBSCRIBE\r\n$8\r\nalerts.*\r\n");
    CHECK_FALSE(fsm.subscribed());
    CHECK(fsm.on_reply(array({bulk("subscribe"), bulk("news"), integer(1)})).what == kind::none);
    CHECK(fsm.on_reply(array({bulk("subscribe"), bulk("chat"), integer(2)})).what == kind::none);
    CHECK_FALSE(fsm.subscribed());
    CHECK(fsm.on_reply(array({bulk("psubscribe"), bulk("alerts.*"), integer(3)})).what == kind::subscribed);
    CHECK(fsm.subscribed());
    // A reconnect makes everything pending again.
    fsm.start();
    CHECK_FALSE(fsm.subscribed());
}

TEST_CASE("message and pmessage pushes carry channel, pattern and payload", "[redis][fsm]") {
    subscriber_fsm fsm({"news"}, {"n*"});
    fsm.start();
    auto m = fsm.on_reply(parse("*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n"));
    CHECK(m.what == kind::message);
    CHECK(m.channel == "news");
    CHECK(m.pattern.empty());
    CHECK(m.payload == "hi");
    auto p = fsm.on_reply(parse("*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$3\r\nyo!\r\n"));
    CHECK(p.what == kind::message);
    CHECK(p.pattern == "n*");
    CHECK(p.channel == "news");
    CHECK(p.payload == "yo!");
    CHECK(fsm.on_reply(array({bulk("pong"), bulk("")})).what == kind::none);
}

TEST_CASE("errors and surprises on the subscriber end the connection", "[redis][fsm]") {
    subscriber_fsm fsm({"news"}, {});
    fsm.start();
    auto e = fsm.on_reply(error("NOAUTH Authentication required."));
    CHECK(e.what == kind::failed);
    CHECK(e.payload == "subscription refused: NOAUTH Authentication required.");
    CHECK(fsm.on_reply(integer(3)).what == kind::failed);
    CHECK(fsm.on_reply(array({bulk("subscribe"), bulk("other"), integer(1)})).what == kind::failed);
    CHECK(fsm.on_reply(array({bulk("message"), bulk("news")})).what == kind::failed);
    CHECK(fsm.on_reply(array({})).what == kind::failed);
}

TEST_CASE("connection setup sends AUTH and SELECT and checks their replies", "[redis][fsm]") {
    redis_address plain;
    connection_setup none(plain);
    CHECK(none.commands() == "*1\r\n$4\r\nPING\r\n");
    CHECK_FALSE(none.done());
    CHECK(none.on_reply(status("PONG")));
    CHECK(none.done());
    none.reset();
    auto noauth = none.on_reply(error("NOAUTH Authentication required."));
    REQUIRE_FALSE(noauth);
    CHECK(noauth.reason() == "authentication failed: NOAUTH Authentication required.");

    redis_address acl;
    acl.user = "alice";
    acl.password = "s3cret";
    acl.db = 2;
    connection_setup full(acl);
    CHECK(full.commands() ==
          "*3\r\n$4\r\nAUTH\r\n$5\r\nalice\r\n$6\r\ns3cret\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*1\r\n$4\r\nPING\r\n");
    CHECK(full.on_reply(status("OK")));
    CHECK(full.on_reply(status("OK")));
    CHECK_FALSE(full.done());
    CHECK(full.on_reply(status("PONG")));
    CHECK(full.done());

    full.reset();
    auto bad = full.on_reply(error("WRONGPASS invalid username-password pair or user is disabled."));
    REQUIRE_FALSE(bad);
    CHECK(bad.reason() == "authentication failed: WRONGPASS invalid username-password pair or user is disabled.");
    auto db = full.on_reply(error("ERR DB index is out of range"));
    REQUIRE_FALSE(db);
    CHECK(db.reason() == "SELECT failed: ERR DB index is out of range");

    redis_address pass_only;
    pass_only.password = "pw";
    CHECK(connection_setup(pass_only).commands() == "*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*1\r\n$4\r\nPING\r\n");
}

TEST_CASE("Redis glob patterns", "[redis][glob]") {
    CHECK(redis_glob_match("*", ""));
    CHECK(redis_glob_match("news", "news"));
    CHECK_FALSE(redis_glob_match("news", "newsx"));
    CHECK(redis_glob_match("n*s", "news"));
    CHECK(redis_glob_match("n*s", "ns"));
    CHECK_FALSE(redis_glob_match("n*s", "nest"));
    CHECK(redis_glob_match("h?llo", "hello"));
    CHECK_FALSE(redis_glob_match("h?llo", "hllo"));
    CHECK(redis_glob_match("h[ae]llo", "hallo"));
    CHECK_FALSE(redis_glob_match("h[ae]llo", "hillo"));
    CHECK(redis_glob_match("h[^e]llo", "hallo"));
    CHECK_FALSE(redis_glob_match("h[^e]llo", "hello"));
    CHECK(redis_glob_match("h[a-c]llo", "hbllo"));
    CHECK(redis_glob_match("a\\*b", "a*b"));
    CHECK_FALSE(redis_glob_match("a\\*b", "axb"));
    CHECK_FALSE(redis_glob_match("a\\?", "ab"));
    CHECK(redis_glob_match("alerts.*", "alerts.fire"));
    CHECK(redis_glob_match("*.*", "a.b"));
}

TEST_CASE("copies of a publication come back once per matching subscription", "[redis][echo]") {
    CHECK(copies_received("chat", {"chat"}, {}) == 1);
    CHECK(copies_received("chat", {"chat"}, {"ch*", "*t", "x*"}) == 3);
    CHECK(copies_received("chat", {"other"}, {}) == 0);
}

TEST_CASE("the echo filter suppresses as many copies as were published, no more", "[redis][echo]") {
    using clock = echo_filter::clock;
    auto t0 = clock::now();
    echo_filter f(std::chrono::seconds(10), 100);
    f.published("chat", "a", 2, t0);
    f.published("chat", "a", 2, t0);
    f.published("chat", "b", 2, t0);
    for (int i = 0; i < 4; ++i) CHECK(f.take("chat", "a", t0));
    CHECK_FALSE(f.take("chat", "a", t0));  // someone else's identical payload
    CHECK(f.take("chat", "b", t0));
    CHECK(f.take("chat", "b", t0));
    CHECK_FALSE(f.take("chat", "b", t0));
    CHECK_FALSE(f.take("chat", "c", t0));

    // Echoes that never come back (subscriber down) are forgotten after the window.
    f.published("chat", "late", 2, t0);
    CHECK(f.take("chat", "late", t0 + std::chrono::seconds(9)));
    CHECK_FALSE(f.take("chat", "late", t0 + std::chrono::seconds(11)));
    CHECK(f.outstanding() == 0);

    // A channel that sends nothing back is not remembered at all.
    f.published("elsewhere", "x", 0, t0);
    CHECK(f.outstanding() == 0);
    CHECK_FALSE(f.take("elsewhere", "x", t0));

    echo_filter small(std::chrono::seconds(10), 2);
    small.published("chat", "1", 1, t0);
    small.published("chat", "2", 1, t0);
    small.published("chat", "3", 1, t0);  // evicts "1"
    CHECK(small.evicted() == 1);
    CHECK_FALSE(small.take("chat", "1", t0));
    CHECK(small.take("chat", "3", t0));
}

TEST_CASE("the echo filter tells channels apart", "[redis][echo][folder]") {
    using clock = echo_filter::clock;
    auto t0 = clock::now();
    // A templated publish channel: the same payload on two channels, each echoed once.
    echo_filter f(std::chrono::seconds(10), 100);
    f.published("/acme/a", "same", 1, t0);
    f.published("/acme/b", "same", 2, t0);
    CHECK_FALSE(f.take("/acme/c", "same", t0));  // someone else's, elsewhere
    CHECK(f.take("/acme/a", "same", t0));
    CHECK_FALSE(f.take("/acme/a", "same", t0));
    CHECK(f.take("/acme/b", "same", t0));
    CHECK(f.take("/acme/b", "same", t0));
    CHECK_FALSE(f.take("/acme/b", "same", t0));
    CHECK(f.outstanding() == 2);  // entries wait for their window; nothing is expected of them
    // Eviction takes back exactly the oldest entry's copies.
    echo_filter small(std::chrono::seconds(10), 1);
    small.published("x", "p", 3, t0);
    small.published("y", "p", 1, t0);  // evicts x's 3
    CHECK_FALSE(small.take("x", "p", t0));
    CHECK(small.take("y", "p", t0));
}
