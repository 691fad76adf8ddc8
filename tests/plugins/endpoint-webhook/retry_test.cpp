// Outcomes: retries on the schedule, Retry-After, failures without retry,
// dead letters retried through the admin API, 410 Gone.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace araldo::test;
using namespace araldo::test::webhook;
using namespace std::chrono_literals;

TEST_CASE("500 three times then 200: four attempts, one webhook-id, each signed, delivered once", "[webhook]") {
    receiver rx({secret_a});
    rx.respond([](const received_request&, std::size_t i) { return reply{i < 3 ? 500u : 200u}; });
    relay r = start(config({{"hook", "{url: \"" + rx.url() + "\", secret: \"" + secret_a +
                                         "\", retry-schedule: [0s, 100ms, 100ms, 100ms, 100ms]}"}}));
    r.process().write_stdin("{\"type\":\"retry-me\"}\n");
    REQUIRE(rx.wait_for(4));
    auto reqs = rx.requests();
    std::string id = reqs[0].header("webhook-id");
    REQUIRE(r.process().wait_for_err("RESPONSE " + id + " 200"));
    for (const auto& q : reqs) {
        CHECK(q.header("webhook-id") == id);
        CHECK(q.signature_valid);
        INFO(q.signature_problem);
        CHECK(q.body == "{\"type\":\"retry-me\"}");
    }
    CHECK_THAT(r.process().err(), Catch::Contains("attempt=4"));
    CHECK(rx.count() == 4);  // the 200 ended it: no fifth attempt
    CHECK(dead_letters(r).empty());
    std::string metrics = http_get(r.port(), "/metrics").body;
    CHECK_THAT(metrics, Catch::Contains(R"(araldo_webhook_attempts_total{endpoint="hook",outcome="5xx"} 3)") &&
                            Catch::Contains(R"(araldo_webhook_attempts_total{endpoint="hook",outcome="2xx"} 1)") &&
                            Catch::Contains(R"(araldo_webhook_retries_total{endpoint="hook"} 3)") &&
                            Catch::Contains(R"(araldo_webhook_delivered_total{endpoint="hook"} 1)") &&
                            Catch::Contains(R"(araldo_webhook_in_flight{endpoint="hook"} 0)"));
}

TEST_CASE("Retry-After is honoured", "[webhook]") {
    receiver rx;
    rx.respond([](const received_request&, std::size_t i) {
        if (i == 0) return reply{503, {{"Retry-After", "2"}}};
        return reply{200};
    });
    relay r = start(config({{"hook", "{url: \"" + rx.url() + "\", retry-schedule: [0s, 100ms]}"}}));
    r.process().write_stdin("{}\n");
    REQUIRE(rx.wait_for(2, 15s));
    auto reqs = rx.requests();
    CHECK(reqs[1].at - reqs[0].at >= 2s);
}

TEST_CASE("400 makes a dead letter at once, and 3xx is not followed", "[webhook]") {
    receiver rx;
    rx.respond([](const received_request& q, std::size_t) {
        if (q.body.find("redirect") != std::string::npos) return reply{302, {{"Location", "/elsewhere"}}};
        return reply{400};
    });
    relay r = start(config({{"hook", "{url: \"" + rx.url() + "\", retry-schedule: [0s, 100ms, 100ms]}"}}));
    r.process().write_stdin("{\"bad\":true}\n{\"redirect\":true}\n");
    REQUIRE(wait_until([&] { return dead_letters(r).size() == 2; }));
    auto letters = dead_letters(r);
    CHECK(rx.count() == 2);  // one attempt each
    for (const auto& l : letters) CHECK(l.at("attempts").as_int64() == 1);
    std::string errors = std::string(letters[0].at("last_error").as_string()) + " " +
                         std::string(letters[1].at("last_error").as_string());
    CHECK_THAT(errors, Catch::Contains("HTTP 400") && Catch::Contains("HTTP 302 (redirects are not followed)"));
    CHECK(letters[0].at("history").as_array().size() == 1);
}

TEST_CASE("always 500: a dead letter, listed, retried through the admin API once the receiver recovers",
          "[webhook][admin]") {
    receiver rx({secret_a});
    rx.respond_always(500);
    relay r = start(config(
        {{"hook", "{url: \"" + rx.url() + "\", secret: \"" + secret_a + "\", retry-schedule: [0s, 100ms, 100ms]}"}}));
    r.process().write_stdin("{\"type\":\"doomed\"}\n");
    REQUIRE(wait_until([&] { return dead_letters(r).size() == 1; }));
    CHECK(rx.count() == 3);
    auto letter = dead_letters(r)[0].as_object();
    std::string id(letter.at("id").as_string());
    CHECK(letter.at("endpoint").as_string() == "hook");
    CHECK(letter.at("source").as_string() == "in");
    CHECK(letter.at("payload").as_string() == "{\"type\":\"doomed\"}");
    CHECK(letter.at("attempts").as_int64() == 3);
    CHECK(letter.at("last_error").as_string() == "HTTP 500");
    CHECK(dead_letters(r, "other").empty());
    CHECK(dead_letters(r, "hook", "?since=1h").size() == 1);
    CHECK(dead_letters(r, "hook", "?since=4102444800").empty());  // 2100-01-01
    CHECK(admin(r, "GET", deadletters_path() + "?since=yesterday").status == 400);
    auto one = admin(r, "GET", deadletters_path() + "/" + id);
    CHECK(one.status == 200);
    CHECK(boost::json::parse(one.body).at("history").as_array().size() == 3);
    auto health = http_get(r.port(), "/_health/?full");
    CHECK(health.status == 500);
    CHECK_THAT(health.body, Catch::Contains("1 dead letters in the last hour"));

    rx.respond_always(200);
    auto retry = admin(r, "POST", deadletters_path() + "/" + id + "/retry");
    CHECK(retry.status == 202);
    REQUIRE(rx.wait_for(4));
    REQUIRE(r.process().wait_for_err("RESPONSE " + id + " 200"));
    auto last = rx.requests().back();
    CHECK(last.header("webhook-id") == id);
    CHECK(last.signature_valid);
    CHECK(dead_letters(r).empty());
    CHECK(admin(r, "POST", deadletters_path() + "/" + id + "/retry").status == 404);
}

TEST_CASE("410 Gone disables the endpoint until an operator enables it", "[webhook][admin]") {
    receiver rx;
    rx.respond([](const received_request&, std::size_t i) { return reply{i == 0 ? 410u : 200u}; });
    relay r = start(config({{"hook", "{url: \"" + rx.url() + "\"}"}}));
    r.process().write_stdin("{\"n\":1}\n");
    REQUIRE(r.process().wait_for_err("answered 410 Gone: endpoint disabled"));
    r.process().write_stdin("{\"n\":2}\n");
    auto health = http_get(r.port(), "/_health/?full");
    CHECK(health.status == 500);
    CHECK_THAT(health.body, Catch::Contains("disabled since"));
    std::this_thread::sleep_for(300ms);  // a held delivery must not go out meanwhile
    CHECK(rx.count() == 1);
    CHECK(dead_letters(r).empty());

    CHECK(admin(r, "POST", "/_admin/endpoints/nope/enable").status == 404);
    auto enabled = admin(r, "POST", "/_admin/endpoints/hook/enable");
    CHECK(enabled.status == 200);
    REQUIRE(rx.wait_for(3));
    auto reqs = rx.requests();
    CHECK(reqs[1].header("webhook-id") == reqs[0].header("webhook-id"));  // the held one first
    CHECK(reqs[2].body == "{\"n\":2}");
    CHECK(wait_until([&] { return http_get(r.port(), "/_health/?full").status == 200; }));
}
