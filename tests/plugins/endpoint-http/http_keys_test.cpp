// endpoint-http with a keys file, through the real binary: keys made and
// revoked with `araldo keys`, messages sent with them kept by endpoint-mock
// (whose admin list shows their identity and folder), folders the key may not
// write refused with 403, and a key revoked while the relay runs refused with
// 401 without a restart.
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

const std::string admin_token = "keys-admin-token-0123";
const std::string static_token = "static-token-0123456";

using header_list = std::vector<std::pair<std::string, std::string>>;

// A keys file made by the real CLI, outside the relay's folder (it must exist before the relay starts).
struct keys_file {
    temp_dir dir;
    std::string path = dir / "keys.yaml";

    // `araldo keys <args> --file path`; REQUIREs exit 0 and returns stdout.
    std::string keys(std::vector<std::string> args) const {
        args.insert(args.begin(), {ARALDO_BINARY, "keys"});
        args.insert(args.end(), {"--file", path});
        const auto r = run_command(args, dir.path());
        INFO(r.err);
        REQUIRE(r.code == 0);
        return r.out;
    }
    // The key `araldo keys add` printed.
    std::string add(std::vector<std::string> args) const {
        args.insert(args.begin(), "add");
        std::string out = keys(std::move(args));
        REQUIRE(out.starts_with("ak_"));
        return out.substr(0, out.find('\n'));
    }
};

std::string config(const std::string& keys_path) {
    return R"(global:
  server-port: 0
  admin-token: )" +
           admin_token + R"(
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - name: devices
      id: endpoint-http
      path: /devices
      marshalling: json
      keys-file: )" +
           keys_path + R"(
      auth: {tokens: [)" +
           static_token + R"(]}
    - {name: sink, id: endpoint-mock}
routes:
  devices: [sink]
)";
}

http_reply post(const relay& r, const std::string& target, const std::string& body, const std::string& bearer,
                header_list headers = {}) {
    headers.emplace_back("Content-Type", "application/json");
    if (!bearer.empty()) headers.emplace_back("Authorization", "Bearer " + bearer);
    return http_request(r.port(), "POST", target, body, headers);
}

// "identity folder" of each message the sink kept, oldest first ("-": none).
std::vector<std::string> received(const relay& r) {
    auto reply = http_request(r.port(), "GET", "/_admin/endpoints/sink/received", {},
                              {{"Authorization", "Bearer " + admin_token}});
    REQUIRE(reply.status == 200);
    std::vector<std::string> out;
    const boost::json::value list = boost::json::parse(reply.body);
    for (const auto& m : list.as_array()) {
        const auto& attrs = m.at("attributes").as_object();
        const auto text = [&](const char* name) {
            const auto* v = attrs.if_contains(name);
            return v ? std::string(v->as_string()) : std::string("-");
        };
        out.push_back(text("identity") + " " + text("folder"));
    }
    return out;
}

void check_error(const http_reply& reply, int status, const std::string& reason) {
    INFO(reply.body);
    CHECK(reply.status == status);
    CHECK(reply.body == "{\"error\":\"" + reason + "\",\"status\":" + std::to_string(status) + "}");
}

void stop_cleanly(relay& r) {
    r.process().signal(SIGTERM);
    CHECK(r.process().wait(10s) == 0);
    CHECK_THAT(r.process().err(), !Catch::Contains("runtime error:") && !Catch::Contains("Sanitizer"));
}

}  // namespace

TEST_CASE("a key sends as its identity, to its own folder unless it names one it may write", "[http_endpoint][keys]") {
    keys_file k;
    const std::string pi7 =
        k.add({"--identity", "pi-7", "--folder", "/acme/greenhouse/pi-7", "--write", "/acme/alarms"});
    relay r(config(k.path));
    CHECK(post(r, "/devices", R"({"type":"reading"})", pi7).status == 202);
    CHECK(post(r, "/devices?folder=/acme/greenhouse/pi-7/soil", "{}", pi7).status == 202);
    CHECK(post(r, "/devices", R"({"folder":"/acme/alarms"})", pi7).status == 202);
    CHECK(post(r, "/devices", "{}", pi7, {{"Araldo-Folder", "/acme/alarms"}}).status == 202);
    // Another credential of the endpoint: no identity, no folder rule.
    CHECK(post(r, "/devices?folder=/anywhere", "{}", static_token).status == 202);
    wait_until([&] { return received(r).size() == 5; });
    CHECK(received(r) == std::vector<std::string>{"pi-7 /acme/greenhouse/pi-7", "pi-7 /acme/greenhouse/pi-7/soil",
                                                  "pi-7 /acme/alarms", "pi-7 /acme/alarms", "- /anywhere"});
    stop_cleanly(r);
}

TEST_CASE("a folder the key may not write is a 403 naming it, and reaches no route", "[http_endpoint][keys]") {
    keys_file k;
    const std::string pi7 = k.add({"--identity", "pi-7", "--folder", "/acme/greenhouse/pi-7"});
    const std::string reader = k.add({"--identity", "dashboard", "--read", "/acme/**"});
    relay r(config(k.path));
    check_error(post(r, "/devices?folder=/acme/shed", "{}", pi7), 403, "pi-7 may not write to the folder /acme/shed");
    check_error(post(r, "/devices", "{}", pi7, {{"Araldo-Folder", "/acme/greenhouse/pi-70"}}), 403,
                "pi-7 may not write to the folder /acme/greenhouse/pi-70");
    check_error(post(r, "/devices", R"({"folder":"/acme/greenhouse"})", pi7), 403,
                "pi-7 may not write to the folder /acme/greenhouse");
    // Read rights are not write rights.
    check_error(post(r, "/devices?folder=/acme/x", "{}", reader), 403, "dashboard may not write to the folder /acme/x");
    // A key without a folder of its own sends without one.
    CHECK(post(r, "/devices", "{}", reader).status == 202);
    // A body the marshaller refuses is its 400, as for any sender.
    check_error(post(r, "/devices", "{", pi7), 400, "invalid JSON at offset 1: incomplete JSON");
    wait_until([&] { return received(r).size() == 1; });
    CHECK(received(r) == std::vector<std::string>{"dashboard -"});
    const auto metrics = http_get(r.port(), "/metrics").body;
    CHECK_THAT(metrics, Catch::Contains("araldo_http_requests_total{endpoint=\"devices\",status=\"403\"} 4"));
    CHECK_THAT(metrics, Catch::Contains("araldo_keys_active{endpoint=\"devices\"} 2"));
    CHECK_THAT(r.process().err(), Catch::Contains("may not write to /acme/shed (1 so far)"));
    stop_cleanly(r);
}

TEST_CASE("a key revoked with araldo keys is refused within a second, without a restart", "[http_endpoint][keys]") {
    keys_file k;
    const std::string pi7 = k.add({"--identity", "pi-7", "--folder", "/acme/pi-7"});
    const std::string pi8 = k.add({"--identity", "pi-8", "--folder", "/acme/pi-8"});
    relay r(config(k.path));
    CHECK(post(r, "/devices", "{}", pi7).status == 202);
    CHECK(post(r, "/devices", "{}", "ak_not-a-key-of-this-file-0000").status == 401);

    k.keys({"revoke", "pi-7"});
    // The watcher polls every 250 ms: a second is the bound, not the expectation.
    CHECK(wait_until([&] { return post(r, "/devices", "{}", pi7).status == 401; }, 1s));
    check_error(post(r, "/devices", "{}", pi7), 401, "revoked key");
    CHECK(post(r, "/devices", "{}", pi8).status == 202);

    // A broken file is not applied: the keys loaded before stay in use.
    write_file(k.path, "keys: [\n");
    CHECK(r.process().wait_for_err("keys file not reloaded"));
    CHECK(post(r, "/devices", "{}", pi8).status == 202);
    CHECK_THAT(http_get(r.port(), "/metrics").body,
               Catch::Contains("araldo_keys_reload_failures_total{endpoint=\"devices\"} 1"));
    CHECK_THAT(r.process().err(), Catch::Contains(k.path + ":2:1: invalid YAML"));
    stop_cleanly(r);
}

TEST_CASE("a keys file that does not load stops the start, naming its line and column", "[http_endpoint][keys]") {
    keys_file k;
    write_file(k.path, "keys:\n  - key-sha256: abc\n    identity: x\n");
    relay r(config(k.path), relay::options{.wait_listening = false});
    CHECK(r.process().wait(10s) == 1);
    CHECK_THAT(r.process().err(),
               Catch::Contains(k.path + ":2:17: key-sha256: must be 64 hex digits (sha256sum of the key)"));
}
