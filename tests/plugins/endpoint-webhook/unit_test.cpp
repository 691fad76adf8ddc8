// The plugin's sans-I/O parts: signatures (checked against the test's own
// implementation and a published vector), outcomes, Retry-After, schedules.
#include "delivery.hpp"
#include "outcome.hpp"
#include "receiver.hpp"

#include <araldo/signing.hpp>

#include <catch2/catch.hpp>

using namespace araldo::plugins::endpoint_webhook;
using namespace std::chrono_literals;

TEST_CASE("signatures match the Standard Webhooks reference vector", "[webhook][unit]") {
    // The SDK's signing as this plugin calls it, checked against the test's own
    // implementation (the SDK's own vectors: tests/unit/signing_test.cpp).
    auto key = araldo::parse_webhook_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    REQUIRE(key);
    std::string body = R"({"test": 2432232314})";
    CHECK(araldo::standard_webhook_header({*key}, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", body) ==
          "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    CHECK(araldo::test::expected_signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                           "1614265330", body) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    auto other = araldo::parse_webhook_secret("whsec_dGhpcyBpcyBhIHNlY29uZCB0ZXN0IHNlY3JldA==");
    REQUIRE(other);
    auto two = araldo::standard_webhook_header({*key, *other}, "id", "1", "b");
    CHECK(two.find(' ') != std::string::npos);
    CHECK(two.substr(two.find(' ') + 1) ==
          araldo::test::expected_signature("whsec_dGhpcyBpcyBhIHNlY29uZCB0ZXN0IHNlY3JldA==", "id", "1", "b"));
}

namespace {
attempt_result with_status(unsigned s) {
    attempt_result r;
    r.status = s;
    return r;
}
}  // namespace

TEST_CASE("outcomes by status", "[webhook][unit]") {
    auto v = [](unsigned s) { return classify(with_status(s)); };
    CHECK(v(200) == verdict::success);
    CHECK(v(204) == verdict::success);
    CHECK(v(0) == verdict::retry);
    CHECK(v(408) == verdict::retry);
    CHECK(v(429) == verdict::retry);
    CHECK(v(500) == verdict::retry);
    CHECK(v(503) == verdict::retry);
    CHECK(v(301) == verdict::fail);
    CHECK(v(400) == verdict::fail);
    CHECK(v(404) == verdict::fail);
    CHECK(v(410) == verdict::disable);
    attempt_result t;
    t.timed_out = true;
    CHECK(outcome_label(t) == "timeout");
    CHECK(outcome_label(with_status(503)) == "5xx");
}

TEST_CASE("Retry-After as seconds or an HTTP date", "[webhook][unit]") {
    auto now = std::chrono::system_clock::from_time_t(1445412480);  // Wed, 21 Oct 2015 07:28:00 GMT
    CHECK(parse_retry_after("120", now) == 120s);
    CHECK(parse_retry_after(" 2 ", now) == 2s);
    CHECK(parse_retry_after("Wed, 21 Oct 2015 07:29:00 GMT", now) == 60s);
    CHECK(parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now) == 0s);
    CHECK_FALSE(parse_retry_after("soon", now));
    CHECK_FALSE(parse_retry_after("-5", now));
}

TEST_CASE("the schedule: jitter within 10%, Retry-After as a floor, exhaustion", "[webhook][unit]") {
    std::vector<araldo::duration> s{0s, 5s, 300s};
    CHECK(next_delay(s, 0, std::nullopt, 1.0) == 0s);
    CHECK(next_delay(s, 1, std::nullopt, 1.0) == 5500ms);
    CHECK(next_delay(s, 1, std::nullopt, -1.0) == 4500ms);
    CHECK(next_delay(s, 1, 60s, -1.0) == 60s);
    CHECK(next_delay(s, 2, 60s, 0.0) == 300s);
    CHECK_FALSE(next_delay(s, 3, std::nullopt, 0.0));
}

TEST_CASE("a delivery survives its JSON form, text or binary", "[webhook][unit]") {
    delivery d;
    d.id = "01HZX";
    d.endpoint = "hook";
    d.source = "in";
    d.time_ms = 1700000000123;
    d.payload = std::string("\xff\x00\x01", 3);
    d.attributes = {{"type", "t"}};
    d.attempts = 2;
    d.record({1, 500, ""});
    d.record({2, 0, "timeout after 10 ms"});
    auto back = delivery_from_json(to_json(d));
    REQUIRE(back);
    CHECK(back->payload == d.payload);
    CHECK(back->attributes == d.attributes);
    CHECK(back->attempts == 2);
    CHECK(back->history.size() == 2);
    CHECK(back->last_error == "timeout after 10 ms");
    d.payload = "caf\xC3\xA9";
    CHECK(to_json(d).find("\"payload\":\"caf") != std::string::npos);
    CHECK(file_name_for("a/b.c") == "a%2Fb%2Ec");
    CHECK(file_name_for("..") == "%2E%2E");
    CHECK(file_name_for("a~b") == "a%7Eb");
}
