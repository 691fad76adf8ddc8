// Deliveries as a receiver sees them: bodies, headers, signatures, fan-out,
// and a dead receiver next to a healthy one.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <csignal>

using namespace araldo::test;
using namespace araldo::test::webhook;
using namespace std::chrono_literals;

TEST_CASE("one message fans out to two webhooks, as json and as a form, signed", "[webhook]") {
    receiver json_rx({secret_a, secret_b});
    receiver form_rx({secret_a});
    relay r = start(config({
        {"hook-json", "{url: \"" + json_rx.url("/in?x=1") + "\", secret: [\"" + secret_a + "\", \"" + secret_b +
                          "\"], headers: {X-Tenant: acme}}"},
        {"hook-form", "{url: \"" + form_rx.url() + "\", content-type: form, secret: \"" + secret_a + "\"}"},
    }));
    const std::vector<std::string> lines{R"({"type":"a","n":1})", R"({"type":"b","text":"x & y = z?"})",
                                         "caf\xC3\xA9 + more"};
    for (const auto& l : lines) r.process().write_stdin(l + "\n");
    REQUIRE(json_rx.wait_for(3));
    REQUIRE(form_rx.wait_for(3));

    auto js = json_rx.requests();
    auto fs = form_rx.requests();
    for (std::size_t i = 0; i < lines.size(); ++i) {
        INFO("message " << i);
        CHECK(js[i].method == "POST");
        CHECK(js[i].target == "/in?x=1");
        CHECK(js[i].body == lines[i]);
        CHECK(js[i].header("content-type") == "application/json");
        CHECK(js[i].header("x-tenant") == "acme");
        CHECK(js[i].signature_valid);
        INFO(js[i].signature_problem);
        // One signature per secret, for rotation.
        std::string sig = js[i].header("webhook-signature");
        CHECK(std::count(sig.begin(), sig.end(), ' ') == 1);
        CHECK(fs[i].header("content-type") == "application/x-www-form-urlencoded");
        CHECK(fs[i].signature_valid);
        INFO(fs[i].signature_problem);
        CHECK(fs[i].header("webhook-id") == js[i].header("webhook-id"));
        CHECK(js[i].header("webhook-id").size() == 26);
    }
    CHECK(fs[0].body == "payload=%7B%22type%22%3A%22a%22%2C%22n%22%3A1%7D");
    CHECK(fs[1].body == "payload=%7B%22type%22%3A%22b%22%2C%22text%22%3A%22x+%26+y+%3D+z%3F%22%7D");
    CHECK(fs[2].body == "payload=caf%C3%A9+%2B+more");
    CHECK(r.process().wait_for_err("RESPONSE " + js[2].header("webhook-id") + " 200"));
    r.process().signal(SIGTERM);
    CHECK(r.process().wait(10s) == 0);
}

TEST_CASE("a receiver that never answers times out without delaying another webhook", "[webhook]") {
    receiver dead, alive;
    dead.respond([](const received_request&, std::size_t) { return reply{200, {}, true}; });
    relay r = start(config({
        {"stuck", "{url: \"" + dead.url() + "\", timeout: 400ms, max-in-flight: 1, retry-schedule: [0s, 100ms]}"},
        {"fine", "{url: \"" + alive.url() + "\"}"},
    }));
    for (int i = 0; i < 8; ++i) r.process().write_stdin("{\"n\":" + std::to_string(i) + "}\n");
    // All 8 reach the healthy receiver while the stuck one still holds its first.
    REQUIRE(alive.wait_for(8));
    CHECK(dead.count() <= 2);
    REQUIRE(r.process().wait_for_err("timeout after 400 ms"));
    // Two attempts each, then dead letters with the timeout as last error.
    REQUIRE(wait_until([&] { return dead_letters(r, "stuck").size() >= 1; }, 20s));
    auto letters = dead_letters(r, "stuck");
    CHECK(letters[0].at("attempts").as_int64() == 2);
    CHECK(std::string(letters[0].at("last_error").as_string()).find("timeout") != std::string::npos);
    CHECK(alive.count() == 8);
}

TEST_CASE("bad urls and secrets stop start-up with the option's place", "[webhook][config]") {
    temp_dir dir;
    auto check = [&](const std::string& opts, const std::string& expect) {
        std::string cfg = dir.write("araldo.yaml", config({{"hook", opts}}, dir.path()));
        auto res = run_command({ARALDO_BINARY, "--check", "-c", cfg}, dir.path());
        INFO(res.err);
        CHECK(res.code == 2);
        CHECK_THAT(res.err, Catch::Contains("araldo.yaml:8:") && Catch::Contains(expect));
    };
    check("{url: \"ftp://x/\"}", "scheme 'ftp' is not supported");
    check("{url: \"not a url\"}", "not an absolute URL");
    check("{url: \"http://127.0.0.1/\", secret: \"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"}", "whsec_");
    check("{url: \"http://127.0.0.1/\", content-type: xml}", "content-type: must be one of: json, form; got 'xml'");
    check("{url: \"http://127.0.0.1/\", content-type: fomr}", "hint: did you mean 'form'?");
    check("{url: \"http://127.0.0.1/\", retry-schedule: []}", "needs at least one entry");
    check("{url: \"http://127.0.0.1/\", max-in-flight: 0}", "max-in-flight: must be between 1 and 1024, got 0");
    check("{url: \"http://127.0.0.1/\", max-in-flight: 1025}", "max-in-flight: must be between 1 and 1024, got 1025");
    check("{url: \"http://127.0.0.1/\", timeout: 0s}", "timeout: must be at least 1ms, got 0s");
    check("{url: \"http://127.0.0.1/\", ca-file: /etc/hostname}", "only applies to an https:// url");
}

TEST_CASE("log-payloads: REQUEST and RESPONSE lines carry the bodies, secrets masked, headers never",
          "[webhook][logs]") {
    receiver rx;
    rx.respond([](const received_request&, std::size_t) {
        return reply{200, {}, false, R"({"ok":true,"api_key":"from-the-receiver","note":"line1
line2"})"};
    });
    relay r = start(config({
        {"logged", "{url: \"" + rx.url() + "\", log-payloads: true, headers: {Authorization: Bearer hdr-secret}}"},
    }));
    r.process().write_stdin(R"({"type":"a","password":"hunter2","n":1})"
                            "\n");
    REQUIRE(rx.wait_for(1));
    const std::string id = rx.requests()[0].header("webhook-id");
    REQUIRE(r.process().wait_for_err("RESPONSE " + id + " 200"));
    r.process().signal(SIGTERM);
    CHECK(r.process().wait(10s) == 0);
    const std::string log = r.process().err();
    CHECK_THAT(log, Catch::Contains("REQUEST " + id + " POST " + rx.url() + " attempt=1 " +
                                    R"({"type":"a","password":"***","n":1})"));
    CHECK_THAT(log, Catch::Contains(R"({"ok":true,"api_key":"***","note":"line1\nline2"})"));
    CHECK_THAT(log, !Catch::Contains("hunter2"));
    CHECK_THAT(log, !Catch::Contains("from-the-receiver"));
    CHECK_THAT(log, !Catch::Contains("hdr-secret"));
}
