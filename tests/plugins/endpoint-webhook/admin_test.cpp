// The webhook endpoint's admin handlers (under /_admin/endpoints/<name>/,
// behind the core's token check), DELETE and retry-all, and `araldo deadletters`.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <ctime>

using namespace araldo::test;
using namespace araldo::test::webhook;
using namespace std::chrono_literals;

namespace {

run_result deadletters(const std::string& cfg, std::vector<std::string> args, const std::string& out_dir) {
    std::vector<std::string> argv{ARALDO_BINARY, "deadletters"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("-c");
    argv.push_back(cfg);
    return run_command(argv, out_dir);
}

}  // namespace

TEST_CASE("the webhook's admin handlers need the token, and without a configured token they are disabled",
          "[webhook][admin]") {
    receiver rx;
    {
        relay r = start(config({{"hook", "{url: \"" + rx.url() + "\"}"}}));
        CHECK(admin(r, "GET", deadletters_path(), "").status == 401);
        auto wrong = admin(r, "GET", deadletters_path(), "not-the-token");
        CHECK(wrong.status == 401);
        CHECK_THAT(wrong.body, Catch::Contains("\"error\""));
        CHECK(admin(r, "POST", "/_admin/endpoints/hook/enable", "").status == 401);
        CHECK(admin(r, "POST", deadletters_path() + "/retry", "x").status == 401);
        CHECK(admin(r, "GET", deadletters_path()).status == 200);
        CHECK(admin(r, "DELETE", deadletters_path() + "/..%2Fx").status == 400);
        // The core's checks, with this plugin's routes: methods, body size.
        auto wrong_method = admin(r, "POST", deadletters_path());
        CHECK(wrong_method.status == 405);
        CHECK(wrong_method.header("allow") == "GET");
        CHECK(admin(r, "GET", deadletters_path() + "/retry").header("allow") == "POST");
        auto id_method = admin(r, "POST", deadletters_path() + "/some-id");
        CHECK(id_method.status == 405);
        CHECK(id_method.header("allow") == "GET, DELETE");
        CHECK(admin(r, "GET", deadletters_path() + "/some-id/retry").status == 405);
        CHECK(admin(r, "GET", deadletters_path() + "/some-id/other").status == 404);
        CHECK(admin(r, "GET", "/_admin/endpoints/in/deadletters").status == 404);  // endpoint-file has none
        auto body = http_request(r.port(), "POST", deadletters_path() + "/retry", "x",
                                 {{"Authorization", "Bearer " + admin_token}});
        CHECK(body.status == 413);
    }
    relay open = start(config({{"hook", "{url: \"" + rx.url() + "\"}"}}, "{DIR}/data", ""));
    auto disabled = admin(open, "GET", deadletters_path(), "anything");
    CHECK(disabled.status == 403);
    CHECK_THAT(disabled.body, Catch::Contains("admin API disabled"));
}

TEST_CASE("dead letters: DELETE, retry all, and the deadletters command", "[webhook][admin][command]") {
    receiver rx;
    rx.respond_always(422);
    temp_dir data;
    std::string cfg_text = config({{"hook", "{url: \"" + rx.url() + "\"}"}}, data.path());
    temp_dir work;
    std::string cfg = work.write("araldo.yaml", cfg_text);
    {
        relay r = start(cfg_text);
        for (int i = 0; i < 5; ++i) r.process().write_stdin("{\"n\":" + std::to_string(i) + "}\n");
        REQUIRE(wait_until([&] { return dead_letters(r).size() == 5; }));
        std::string first(dead_letters(r)[0].at("id").as_string());
        CHECK(admin(r, "DELETE", deadletters_path() + "/" + first).status == 200);
        CHECK(admin(r, "DELETE", deadletters_path() + "/" + first).status == 404);
        CHECK(dead_letters(r).size() == 4);
        auto page = boost::json::parse(admin(r, "GET", deadletters_path() + "?limit=2").body);
        CHECK(page.at("count").as_int64() == 2);
        CHECK(page.at("total").as_int64() == 4);
        CHECK(admin(r, "GET", deadletters_path() + "?limit=0").status == 400);

        rx.respond_always(200);
        CHECK(admin(r, "POST", deadletters_path("nope") + "/retry").status == 404);
        auto all = admin(r, "POST", deadletters_path() + "/retry");
        CHECK(all.status == 202);
        CHECK_THAT(all.body, Catch::Contains("\"retried\":4"));
        REQUIRE(rx.wait_for(9));
        REQUIRE(wait_until([&] { return dead_letters(r).empty(); }));

        rx.respond_always(400);
        for (int i = 0; i < 3; ++i) r.process().write_stdin("{\"again\":" + std::to_string(i) + "}\n");
        REQUIRE(wait_until([&] { return dead_letters(r).size() == 3; }));
        r.process().signal(SIGTERM);
        REQUIRE(r.process().wait(10s) == 0);
    }

    auto list = deadletters(cfg, {"list"}, work.path());
    CHECK(list.code == 0);
    CHECK_THAT(list.out, Catch::Contains("3 dead letters") && Catch::Contains("  hook  ") &&
                             Catch::Contains("attempts=1  HTTP 400"));
    auto as_json = deadletters(cfg, {"list", "--json"}, work.path());
    CHECK(as_json.code == 0);
    CHECK(boost::json::parse(as_json.out).as_array().size() == 3);

    CHECK(deadletters(cfg, {"purge"}, work.path()).code == 2);
    CHECK(deadletters(cfg, {"bogus"}, work.path()).code == 2);
    CHECK(deadletters(cfg, {"purge", "--days", "x"}, work.path()).code == 2);
    auto keep = deadletters(cfg, {"purge", "--days", "1"}, work.path());
    CHECK(keep.code == 0);
    CHECK_THAT(keep.out, Catch::Contains("purged 0 dead letters"));
    auto purge = deadletters(cfg, {"purge", "--days", "0"}, work.path());
    CHECK(purge.code == 0);
    CHECK_THAT(purge.out, Catch::Contains("purged 3 dead letters"));
    CHECK_THAT(deadletters(cfg, {"list"}, work.path()).out, Catch::Contains("0 dead letters"));
}

TEST_CASE("araldo deadletters retry asks the running relay", "[webhook][admin][command]") {
    receiver rx;
    rx.respond_always(400);
    temp_dir data, work;
    std::string cfg_text = config({{"hook", "{url: \"" + rx.url() + "\"}"}}, data.path());
    std::string cfg = work.write("araldo.yaml", cfg_text);
    relay r = start(cfg_text);
    r.process().write_stdin("{\"n\":1}\n");
    REQUIRE(wait_until([&] { return dead_letters(r).size() == 1; }));
    r.process().write_stdin("{\"n\":2}\n");
    REQUIRE(wait_until([&] { return dead_letters(r).size() == 2; }));
    std::string id(dead_letters(r)[0].at("id").as_string());
    rx.respond_always(200);
    // server-port is 0 in the file, so the test names the port the relay got.
    const std::string port = std::to_string(r.port());
    auto res = deadletters(cfg, {"retry", id, "--port", port}, work.path());
    CHECK(res.code == 0);
    CHECK_THAT(res.out, Catch::Contains("202"));
    REQUIRE(rx.wait_for(3));
    CHECK(rx.requests()[2].header("webhook-id") == id);
    auto all = deadletters(cfg, {"retry", "--all", "--port", port}, work.path());
    CHECK(all.code == 0);
    CHECK_THAT(all.out, Catch::Contains("\"retried\":1"));
    REQUIRE(rx.wait_for(4));
    REQUIRE(wait_until([&] { return dead_letters(r).empty(); }));
    auto none = deadletters(cfg, {"retry", "--all", "--port", port}, work.path());
    CHECK(none.code == 0);
    CHECK_THAT(none.out, Catch::Contains("0 dead letters to retry"));
    CHECK(deadletters(cfg, {"retry", "--port", port}, work.path()).code == 2);
    auto missing = deadletters(cfg, {"retry", "NOPE", "--port", port}, work.path());
    CHECK(missing.code == 1);
    CHECK_THAT(missing.err, Catch::Contains("no dead letter NOPE"));
}

TEST_CASE("dead letters are addressable by any valid id, sent as is or percent-encoded", "[webhook][admin]") {
    receiver rx;
    rx.respond_always(400);
    temp_dir data;
    relay r(R"(global:
  server-port: 0
  data-dir: ")" +
            data.path() + R"("
  admin-token: ")" +
            admin_token + R"("
plugins:
  araldo.endpoints.endpoint:
    - {name: emit, id: endpoint-http, path: /emit, verify-signature: ")" +
            secret_a + R"("}
    - {name: hook, id: endpoint-webhook, url: ")" +
            rx.url() + R"("}
routes:
  emit: [hook]
)");
    // The id comes from the sender's webhook-id: the SDK's rule allows '~' and '.'.
    auto send = [&](const std::string& id) {
        std::string ts = std::to_string(std::time(nullptr)), body = "{\"id\":\"" + id + "\"}";
        auto res = http_request(r.port(), "POST", "/emit", body,
                                {{"Content-Type", "application/json"},
                                 {"webhook-id", id},
                                 {"webhook-timestamp", ts},
                                 {"webhook-signature", expected_signature(secret_a, id, ts, body)}});
        REQUIRE(res.status == 202);
    };
    send("order~42");
    send("v1.2_x-y");
    REQUIRE(wait_until([&] { return dead_letters(r).size() == 2; }));
    const std::string dl = deadletters_path();
    CHECK(admin(r, "GET", dl + "/order~42").status == 200);
    CHECK(admin(r, "GET", dl + "/order%7E42").status == 200);
    CHECK(admin(r, "GET", dl + "/order%7e42").status == 200);
    CHECK(admin(r, "GET", dl + "/v1%2E2_x-y").status == 200);
    CHECK(admin(r, "GET", "/_admin/endpoints/h%6Fok/deadl%65tters/order%7E42").status == 200);
    CHECK(admin(r, "GET", dl + "/order%7G42").status == 400);
    CHECK(admin(r, "GET", dl + "/a%2Fb").status == 400);
    rx.respond_always(200);
    auto retried = admin(r, "POST", dl + "/order%7E42/retry");
    CHECK(retried.status == 202);
    CHECK_THAT(retried.body, Catch::Contains("\"id\":\"order~42\""));
    REQUIRE(wait_until([&] { return dead_letters(r).size() == 1; }));
    CHECK(admin(r, "DELETE", dl + "/v1.2_x-y").status == 200);
    CHECK(dead_letters(r).empty());
    CHECK(admin(r, "POST", "/_admin/endpoints/h%6Fok/enable").status == 200);
}

TEST_CASE("araldo deadletters: --days=30 and --help", "[webhook][admin][command]") {
    temp_dir data, work;
    std::string cfg = work.write("araldo.yaml", config({{"hook", "{url: \"http://127.0.0.1:9/\"}"}}, data.path()));
    auto eq = deadletters(cfg, {"purge", "--days=30"}, work.path());
    CHECK(eq.code == 0);
    CHECK_THAT(eq.out, Catch::Contains("purged 0 dead letters older than 30 days"));
    CHECK(deadletters(cfg, {"purge", "--days="}, work.path()).code == 2);
    CHECK(deadletters(cfg, {"list", "--json=yes"}, work.path()).code == 2);
    CHECK(deadletters(cfg, {"list", "--endpoint=hook"}, work.path()).code == 0);
    for (std::string flag : {"--help", "-h"}) {
        INFO(flag);
        auto help = deadletters(cfg, {flag}, work.path());
        CHECK(help.code == 0);
        CHECK_THAT(help.out, Catch::Contains("araldo deadletters purge --days N") && Catch::Contains("--days=30"));
        auto after_action = deadletters(cfg, {"purge", flag}, work.path());
        CHECK(after_action.code == 0);
        CHECK_THAT(after_action.out, Catch::Contains("araldo deadletters list"));
    }
}
