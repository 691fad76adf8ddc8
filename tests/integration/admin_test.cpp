// The core's admin API at /_admin/ against the real binary: the token check,
// the refusals in one JSON shape, the listing, per-endpoint mounting (two
// webhook endpoints side by side) and a throwing admin handler (the faulty
// fixture plugin's /_admin/endpoints/<name>/explode).
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/relay.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <csignal>

using namespace araldo::test;
using namespace std::chrono_literals;

namespace {

const std::string token = "adm1n-t0ken";

relay::options with_fixture() {
    relay::options o;
    o.extra_args = {"--plugin-dir", std::string(ARALDO_FIXTURE_DIR) + "/faulty"};
    return o;
}

// An endpoint-faulty "bad" (admin handlers explode and echo), an endpoint-mock
// "quiet" (only its "received" list), an endpoint-file "none" (no admin handlers).
std::string faulty_config(const std::string& admin_token) {
    return "global:\n  server-port: 0\n  admin-token: \"" + admin_token +
           "\"\nplugins:\n  araldo.endpoints.endpoint:\n"
           "    - {name: bad, id: endpoint-faulty}\n"
           "    - {name: quiet, id: endpoint-mock}\n"
           "    - {name: none, id: endpoint-file, output: \"-\"}\n";
}

http_reply admin(const relay& r, const std::string& method, const std::string& target, const std::string& body = {},
                 const std::string& auth = "Bearer " + token) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!auth.empty()) headers.emplace_back("Authorization", auth);
    return http_request(r.port(), method, target, body, headers);
}

// The one error shape: {"error": "<reason>", "status": <status>}.
bool error_shaped(const http_reply& reply) {
    boost::system::error_code ec;
    auto v = boost::json::parse(reply.body, ec);
    if (ec || !v.is_object()) return false;
    const auto& o = v.as_object();
    return o.contains("error") && o.at("error").is_string() && o.contains("status") &&
           o.at("status").as_int64() == reply.status && reply.header("content-type") == "application/json";
}

bool metric_is(const relay& r, const std::string& series, const std::string& value) {
    return http_get(r.port(), "/metrics").body.find(series + " " + value + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("admin: a missing or wrong token is a 401, an unset one a 403, before anything else",
          "[integration][admin]") {
    {
        relay r(faulty_config(token), with_fixture());
        const std::vector<std::string> refused_auths{"", "Bearer wrong", "Bearer " + token + "x", "Basic " + token,
                                                     token};
        for (const auto& auth : refused_auths) {
            INFO(auth);
            auto refused = admin(r, "GET", "/_admin/", {}, auth);
            CHECK(refused.status == 401);
            CHECK(refused.header("www-authenticate") == "Bearer");
            CHECK(error_shaped(refused));
        }
        // Unauthenticated, an unknown path tells nothing: 401, not 404.
        CHECK(admin(r, "GET", "/_admin/endpoints/nope/x", {}, "").status == 401);
        CHECK(admin(r, "GET", "/_admin/endpoints/bad/explode", {}, "Bearer wrong").status == 401);
        CHECK(admin(r, "GET", "/_admin/").status == 200);
        CHECK(metric_is(r, R"(araldo_admin_refused_total{status="401"})", "7"));
    }
    relay off(faulty_config(""), with_fixture());
    for (const std::string target : {"/_admin/", "/_admin/endpoints/bad/echo"}) {
        INFO(target);
        auto disabled = admin(off, "GET", target, {}, "Bearer anything");
        CHECK(disabled.status == 403);
        CHECK(error_shaped(disabled));
        CHECK_THAT(disabled.body, Catch::Contains("admin API disabled"));
    }
    CHECK(admin(off, "GET", "/_admin/", {}, "").status == 403);
    CHECK(metric_is(off, R"(araldo_admin_refused_total{status="403"})", "3"));
}

TEST_CASE("admin: 404, 405 with Allow and 413, all in the one JSON error shape", "[integration][admin]") {
    relay r(faulty_config(token), with_fixture());
    for (const std::string target :
         {"/_admin/endpoints/nope/echo", "/_admin/endpoints/quiet/echo", "/_admin/endpoints/bad/nothing",
          "/_admin/endpoints/bad", "/_admin/endpoints", "/_admin/other", "/_admin/endpoints/bad/explode/more",
          "/_admin/endpoints/bad/\xC3"}) {
        INFO(target);
        auto missing = admin(r, "GET", target);
        CHECK(missing.status == 404);
        CHECK(error_shaped(missing));
    }
    auto wrong = admin(r, "DELETE", "/_admin/endpoints/bad/explode");
    CHECK(wrong.status == 405);
    CHECK(wrong.header("allow") == "GET, POST");
    CHECK(error_shaped(wrong));
    CHECK(admin(r, "GET", "/_admin/endpoints/bad/echo/x").header("allow") == "POST");
    auto listing_method = admin(r, "DELETE", "/_admin/");
    CHECK(listing_method.status == 405);
    CHECK(listing_method.header("allow") == "GET");

    // echo takes 16 bytes, and is a prefix route: the handler gets the rest,
    // each segment percent-decoded on its own.
    auto echoed = admin(r, "POST", "/_admin/endpoints/bad/echo/a%2Fb/c", "sixteen bytes ok");
    CHECK(echoed.status == 200);
    CHECK(echoed.body == "sixteen bytes ok [a/b][c]");
    CHECK(admin(r, "POST", "/_admin/endpoints/b%61d/echo/", "x").body == "x ");
    // explode takes no body: refused before the handler could throw.
    auto large = admin(r, "POST", "/_admin/endpoints/bad/explode", "x");
    CHECK(large.status == 413);
    CHECK(error_shaped(large));
    // Over every admin route's limit: the listener refuses it before reading, unauthenticated.
    auto larger = admin(r, "POST", "/_admin/endpoints/bad/echo", "seventeen bytes!!", "");
    CHECK(larger.status == 413);
    CHECK(error_shaped(larger));

    CHECK(metric_is(r, R"(araldo_admin_refused_total{status="404"})", "8"));
    CHECK(metric_is(r, R"(araldo_admin_refused_total{status="405"})", "3"));
    CHECK(metric_is(r, R"(araldo_admin_refused_total{status="413"})", "1"));
    CHECK(metric_is(r, R"(araldo_http_refused_total{status="413"})", "1"));
    CHECK_THAT(r.process().err(), Catch::Contains("admin: GET /_admin/endpoints/nope/echo from 127.0.0.1:"));
}

TEST_CASE("admin: GET /_admin/ lists the endpoints that have admin handlers, and their paths", "[integration][admin]") {
    relay r(faulty_config(token), with_fixture());
    for (const std::string target : {"/_admin/", "/_admin"}) {
        INFO(target);
        auto reply = admin(r, "GET", target);
        REQUIRE(reply.status == 200);
        auto endpoints = boost::json::parse(reply.body).at("endpoints").as_array();
        REQUIRE(endpoints.size() == 2);  // "none" has no admin handlers
        CHECK(endpoints[1].at("name").as_string() == "quiet");
        const auto& bad = endpoints[0].as_object();
        CHECK(bad.at("name").as_string() == "bad");
        CHECK(bad.at("plugin").as_string() == "endpoint-faulty");
        const auto& routes = bad.at("routes").as_array();
        REQUIRE(routes.size() == 2);
        CHECK(routes[0] ==
              boost::json::parse(
                  R"({"path":"/_admin/endpoints/bad/explode","prefix":false,"methods":["GET","POST"],"max_body":0})"));
        CHECK(routes[1] ==
              boost::json::parse(
                  R"({"path":"/_admin/endpoints/bad/echo","prefix":true,"methods":["POST"],"max_body":16})"));
    }
}

TEST_CASE("admin: a handler that throws is a 500 charged to its endpoint, and the relay keeps serving",
          "[integration][admin][fault]") {
    relay r(faulty_config(token), with_fixture());
    auto failed = admin(r, "GET", "/_admin/endpoints/bad/explode");
    CHECK(failed.status == 500);
    CHECK(error_shaped(failed));
    CHECK_THAT(failed.body, Catch::Contains("bad"));
    CHECK(metric_is(r, R"(araldo_plugin_errors_total{endpoint="bad",where="admin"})", "1"));
    CHECK(admin(r, "GET", "/_admin/endpoints/bad/explode").status == 500);
    CHECK(metric_is(r, R"(araldo_plugin_errors_total{endpoint="bad",where="admin"})", "2"));
    CHECK_THAT(r.process().err(), Catch::Contains("plugin error in admin: admin handler exploded (1 so far)"));

    CHECK(admin(r, "POST", "/_admin/endpoints/bad/echo", "still").body == "still ");
    CHECK(http_get(r.port(), "/_health/").status == 200);
    auto full = http_get(r.port(), "/_health/?full");
    CHECK_THAT(full.body, Catch::Contains("2 plugin errors, the last in admin: admin handler exploded"));
    r.process().signal(SIGTERM);
    CHECK(r.process().wait(10s) == 0);
}

TEST_CASE("admin: two webhook endpoints, each at its own path, neither sees the other's dead letters",
          "[integration][admin][webhook]") {
    // Nothing listens on the URL: every delivery fails at once and, with no
    // retries left, becomes a dead letter of the endpoint it was routed to.
    const std::string down = "http://127.0.0.1:" + std::to_string(free_port()) + "/hook";
    relay r("global:\n  server-port: 0\n  data-dir: \"{DIR}/data\"\n  admin-token: \"" + token +
            "\"\nplugins:\n  araldo.endpoints.endpoint:\n"
            "    - {name: src, id: endpoint-mock, inject: [\"for a\"]}\n"
            "    - {name: a, id: endpoint-webhook, url: \"" +
            down +
            "\", retry-schedule: [0s]}\n"
            "    - {name: b, id: endpoint-webhook, url: \"" +
            down +
            "\", retry-schedule: [0s]}\n"
            "routes:\n  src: [a]\n");
    auto letters = [&](const std::string& ep) {
        auto reply = admin(r, "GET", "/_admin/endpoints/" + ep + "/deadletters");
        REQUIRE(reply.status == 200);
        return boost::json::parse(reply.body).at("deadletters").as_array();
    };
    REQUIRE(wait_until([&] { return letters("a").size() == 1; }));
    const std::string id(letters("a")[0].at("id").as_string());
    CHECK(letters("b").empty());
    CHECK(admin(r, "GET", "/_admin/endpoints/b/deadletters/" + id).status == 404);
    CHECK(admin(r, "DELETE", "/_admin/endpoints/b/deadletters/" + id).status == 404);
    CHECK(admin(r, "POST", "/_admin/endpoints/b/deadletters/" + id + "/retry").status == 404);
    CHECK_THAT(admin(r, "POST", "/_admin/endpoints/b/deadletters/retry").body, Catch::Contains("\"retried\":0"));
    CHECK(admin(r, "GET", "/_admin/endpoints/a/deadletters/" + id).status == 200);
    CHECK(letters("a").size() == 1);

    auto enabled = admin(r, "POST", "/_admin/endpoints/b/enable");
    CHECK(enabled.status == 200);
    CHECK_THAT(enabled.body, Catch::Contains("\"endpoint\":\"b\""));

    auto listing = boost::json::parse(admin(r, "GET", "/_admin/").body).at("endpoints").as_array();
    REQUIRE(listing.size() == 3);  // src (endpoint-mock) has its "received" list
    CHECK(listing[0].at("name").as_string() == "src");
    CHECK(listing[1].at("name").as_string() == "a");
    CHECK(listing[2].at("name").as_string() == "b");
    CHECK(listing[2].at("plugin").as_string() == "endpoint-webhook");
    CHECK(listing[2].at("routes").as_array().size() == 4);

    CHECK(admin(r, "DELETE", "/_admin/endpoints/a/deadletters/" + id).status == 200);
    CHECK(letters("a").empty());
}
