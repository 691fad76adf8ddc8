// Folders end to end through the real binary: POSTs to endpoint-http name
// folders every way it takes them, route filters pick targets by folder and
// type, and endpoint-mock's admin list shows what each target received, with
// its folder attribute. A folder filter that could never match stops --check.
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/relay.hpp"
#include "support/temp_dir.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <csignal>
#include <string>
#include <vector>

using namespace araldo::test;
using namespace std::chrono_literals;

namespace {

const std::string token = "folders-admin-token";

std::string config() {
    return R"(global:
  server-port: 0
  admin-token: )" +
           token + R"(
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - {name: emit, id: endpoint-http, marshalling: json}
    - {name: devices, id: endpoint-http, path: /devices, path-suffix: folder, marshalling: json}
    - {name: audit, id: endpoint-mock}
    - {name: acme, id: endpoint-mock}
    - {name: all, id: endpoint-mock}
    - {name: unaddressed, id: endpoint-mock}
routes:
  emit:
    - {to: audit, folder: "/acme/**", type: "sensor_*"}
    - {to: acme, folder: "/acme/*"}
    - {to: all, folder: "**"}
  devices: [all, {to: unaddressed, folder: "/"}]
)";
}

http_reply post_json(const relay& r, const std::string& target, const std::string& body,
                     std::vector<std::pair<std::string, std::string>> headers = {}) {
    headers.emplace_back("Content-Type", "application/json");
    return http_request(r.port(), "POST", target, body, headers);
}

// The folder of each message an endpoint-mock kept, oldest first ("-": none).
std::vector<std::string> folders_received(const relay& r, const std::string& endpoint) {
    auto reply = http_request(r.port(), "GET", "/_admin/endpoints/" + endpoint + "/received", {},
                              {{"Authorization", "Bearer " + token}});
    REQUIRE(reply.status == 200);
    std::vector<std::string> out;
    const boost::json::value list = boost::json::parse(reply.body);
    for (const auto& m : list.as_array()) {
        const auto& attrs = m.at("attributes").as_object();
        const auto* folder = attrs.if_contains("folder");
        out.push_back(folder ? std::string(folder->as_string()) : "-");
    }
    return out;
}

}  // namespace

TEST_CASE("folders from JSON, ?folder=, Araldo-Folder and the path pass route filters", "[integration][folder]") {
    relay r(config());
    CHECK(post_json(r, "/emit/sensor_update?folder=/acme/greenhouse/pi-7", R"({"v": 1})").status == 202);
    CHECK(post_json(r, "/emit", R"({"type": "sensor_update", "folder": "/acme/greenhouse"})").status == 202);
    CHECK(post_json(r, "/emit", R"({"type": "alarm"})", {{"Araldo-Folder", "/acme/shed"}}).status == 202);
    CHECK(post_json(r, "/emit", R"({"type": "sensor_update"})", {{"Araldo-Folder", "/other/x"}}).status == 202);
    CHECK(post_json(r, "/emit", R"({"type": "sensor_update"})").status == 202);
    // The URL wins over the body's folder, as it does over the body's type.
    CHECK(post_json(r, "/emit?folder=/other/y", R"({"folder": "/acme/greenhouse"})").status == 202);
    CHECK(post_json(r, "/devices/acme/greenhouse/pi-9", R"({"type": "sensor_update"})").status == 202);
    CHECK(post_json(r, "/devices/", R"({"type": "hello"})").status == 202);

    CHECK(folders_received(r, "audit") == std::vector<std::string>{"/acme/greenhouse/pi-7", "/acme/greenhouse"});
    CHECK(folders_received(r, "acme") == std::vector<std::string>{"/acme/greenhouse", "/acme/shed"});
    CHECK(folders_received(r, "all") == std::vector<std::string>{"/acme/greenhouse/pi-7", "/acme/greenhouse",
                                                                 "/acme/shed", "/other/x", "-", "/other/y",
                                                                 "/acme/greenhouse/pi-9", "/"});
    CHECK(folders_received(r, "unaddressed") == std::vector<std::string>{"/"});
    r.process().signal(SIGTERM);
    CHECK(r.process().wait(10s) == 0);
}

TEST_CASE("an invalid folder is a 400 with a JSON reason, and reaches no route", "[integration][folder]") {
    relay r(config());
    auto query = post_json(r, "/emit?folder=acme", "{}");
    CHECK(query.status == 400);
    CHECK(query.body == R"({"error":"invalid folder in ?folder=: a folder starts with '/'","status":400})");
    auto header = post_json(r, "/emit", "{}", {{"Araldo-Folder", "/acme/../etc"}});
    CHECK(header.status == 400);
    CHECK(
        header.body ==
        R"({"error":"invalid folder in the Araldo-Folder header: a folder cannot hold a '.' or '..' segment","status":400})");
    auto path = post_json(r, "/devices/acme%09x", "{}");
    CHECK(path.status == 400);
    CHECK(path.body ==
          R"({"error":"invalid folder in the path: a folder cannot hold control characters","status":400})");
    auto body = post_json(r, "/emit", R"({"folder": "/acme/"})");
    CHECK(body.status == 400);
    CHECK(body.body == R"({"error":"invalid \"folder\": a folder cannot end with '/'","status":400})");
    auto not_string = post_json(r, "/emit", R"({"folder": 7})");
    CHECK(not_string.status == 400);

    for (const char* target : {"audit", "acme", "all", "unaddressed"}) CHECK(folders_received(r, target).empty());
    const std::string metrics = http_get(r.port(), "/metrics").body;
    CHECK_THAT(metrics, Catch::Contains(R"(araldo_http_requests_total{endpoint="emit",status="400"} 4)"));
    CHECK_THAT(metrics, Catch::Contains(R"(araldo_http_requests_total{endpoint="devices",status="400"} 1)"));
    // The marshaller's refusals are the core's invalid messages; the URL's are the endpoint's 400s.
    CHECK_THAT(metrics, Catch::Contains(R"(araldo_messages_invalid_total{endpoint="emit"} 2)"));
    CHECK_THAT(r.process().err(), Catch::Contains("invalid folder in ?folder=: a folder starts with '/' (1 so far)"));
}

TEST_CASE("a folder filter that could never match stops --check at its position", "[integration][folder][config]") {
    temp_dir dir;
    const std::string head = R"(plugins:
  araldo.endpoints.endpoint:
    - {name: a, id: endpoint-mock}
routes:
  a:
)";
    struct bad_case {
        std::string target;
        std::string expected;
    };
    const std::vector<bad_case> cases{
        {"    - {to: a, folder: \"acme/**\"}\n",
         "bad.yaml:6:23: folder: a folder glob starts with '/' (or is \"**\" alone, for every message)\n"
         "  hint: e.g. \"/acme/**\" (this folder and everything below it) or \"/acme/*/pi-?\""},
        {"    - {to: a, folder: /acme/}\n", "bad.yaml:6:23: folder: a folder glob cannot end with '/'"},
        {"    - {to: a, folder: /a/**b}\n",
         "bad.yaml:6:23: folder: '**' in a folder glob stands for whole segments: write /a/**/b, not /a**b"},
    };
    for (const auto& c : cases) {
        INFO(c.target);
        auto r = run_command({ARALDO_BINARY, "--check", "-c", dir.write("bad.yaml", head + c.target)}, dir.path());
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains(c.expected));
    }
    auto good = run_command(
        {ARALDO_BINARY, "--check", "-c", dir.write("good.yaml", head + "    - {to: a, folder: \"/acme/**\"}\n")},
        dir.path());
    CHECK(good.code == 0);
}
