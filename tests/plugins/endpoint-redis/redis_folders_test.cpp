// Folders through a real redis-server between two araldo nodes: node A takes
// POSTs with folders and PUBLISHes them on channels made of the folder; node
// B PSUBSCRIBEs, makes each message's folder of its channel, and routes by
// folder into endpoint-mocks whose admin lists show what arrived.
#include "redis_server.hpp"

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/relay.hpp"
#include "support/temp_dir.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <csignal>

using namespace araldo::test;
using namespace std::chrono_literals;

namespace {

const std::string token = "redis-folders-token";

std::string node_a(const std::string& url) {
    return R"(global:
  server-port: 0
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - {name: emit, id: endpoint-http, marshalling: json}
    - {name: bus, id: endpoint-redis, url: ")" +
           url + R"(", publish: "{folder}", marshalling: json}
    - {name: events, id: endpoint-redis, url: ")" +
           url + R"(", publish: "events{folder}", marshalling: json}
routes:
  emit: [bus, events]
)";
}

std::string node_b(const std::string& url) {
    return R"(global:
  server-port: 0
  admin-token: )" +
           token + R"(
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - {name: bus, id: endpoint-redis, url: ")" +
           url + R"(", psubscribe: ["/acme/*"], folder: "{channel}", marshalling: json}
    - {name: events, id: endpoint-redis, url: ")" +
           url + R"(", psubscribe: ["events/*"], folder: "/redis/{channel}", marshalling: json}
    - {name: greenhouse, id: endpoint-mock}
    - {name: everything, id: endpoint-mock}
routes:
  bus: [{to: greenhouse, folder: "/acme/greenhouse/**"}]
  events: [everything]
)";
}

struct kept {
    std::string folder;
    std::string channel;
    std::string payload;
};

std::vector<kept> received(const relay& r, const std::string& endpoint) {
    auto reply = http_request(r.port(), "GET", "/_admin/endpoints/" + endpoint + "/received", {},
                              {{"Authorization", "Bearer " + token}});
    REQUIRE(reply.status == 200);
    std::vector<kept> out;
    const boost::json::value list = boost::json::parse(reply.body);
    for (const auto& m : list.as_array()) {
        const auto& attrs = m.at("attributes").as_object();
        out.push_back({std::string(attrs.at("folder").as_string()), std::string(attrs.at("redis.channel").as_string()),
                       std::string(m.at("payload").as_string())});
    }
    return out;
}

http_reply post(const relay& r, const std::string& target, const std::string& body) {
    return http_request(r.port(), "POST", target, body, {{"Content-Type", "application/json"}});
}

}  // namespace

TEST_CASE("folders travel through Redis channels between two nodes", "[redis][folder]") {
    redis_server redis;
    redis_client watcher(redis.port());
    watcher.subscribe({"*"}, true);
    relay b(node_b(redis.url()));
    relay a(node_a(redis.url()));
    REQUIRE(wait_until([&] { return healthy(a) && healthy(b); }));

    const std::string reading = R"({"type":"sensor_update","v":1})";
    REQUIRE(post(a, "/emit?folder=/acme/greenhouse/pi-7", reading).status == 202);
    const std::string shed = R"({"type":"sensor_update","folder":"/acme/shed"})";
    REQUIRE(post(a, "/emit", shed).status == 202);
    // No folder: neither templated channel can be made, and both say why.
    REQUIRE(post(a, "/emit", R"({"type":"sensor_update"})").status == 202);
    CHECK(metric(a.port(), R"(araldo_messages_dropped_total{endpoint="bus",reason="missing_attribute"})") == 1);
    CHECK(metric(a.port(), R"(araldo_messages_dropped_total{endpoint="events",reason="missing_attribute"})") == 1);
    CHECK_THAT(a.process().err(), Catch::Contains("publish channel '{folder}' needs the attribute 'folder'"));

    // The channels, as any Redis client sees them.
    std::vector<std::string> channels;
    for (int i = 0; i < 4; ++i) {
        auto m = watcher.next_message();
        REQUIRE(m);
        channels.push_back(m->channel);
    }
    std::sort(channels.begin(), channels.end());
    CHECK(channels == std::vector<std::string>{"/acme/greenhouse/pi-7", "/acme/shed", "events/acme/greenhouse/pi-7",
                                               "events/acme/shed"});

    // A channel that makes no folder is dropped on node B, counted.
    redis_client publisher(redis.port());
    CHECK(publisher.command({"PUBLISH", "/acme//x", "{}"}) == "2");  // node B and the watcher
    REQUIRE(wait_until([&] { return received(b, "everything").size() == 2; }));
    REQUIRE(wait_until([&] { return metric(b.port(), R"(araldo_redis_invalid_folder_total{endpoint="bus"})") == 1; }));
    CHECK(metric(b.port(), R"(araldo_redis_received_total{endpoint="bus"})") == 2);
    CHECK_THAT(b.process().err(), Catch::Contains(R"(channel "/acme//x" makes no valid folder through '{channel}')"));

    // The folder filter on node B let the greenhouse through, not the shed.
    auto greenhouse = received(b, "greenhouse");
    REQUIRE(greenhouse.size() == 1);
    CHECK(greenhouse[0].folder == "/acme/greenhouse/pi-7");
    CHECK(greenhouse[0].channel == "/acme/greenhouse/pi-7");
    CHECK(greenhouse[0].payload == reading);

    auto everything = received(b, "everything");
    std::sort(everything.begin(), everything.end(), [](const kept& x, const kept& y) { return x.folder < y.folder; });
    CHECK(everything[0].folder == "/redis/events/acme/greenhouse/pi-7");
    CHECK(everything[0].channel == "events/acme/greenhouse/pi-7");
    // The channel's folder wins over the one the payload carries.
    CHECK(everything[1].folder == "/redis/events/acme/shed");
    CHECK(everything[1].payload == shed);

    for (relay* r : {&a, &b}) {
        r->process().signal(SIGTERM);
        CHECK(r->process().wait(10s) == 0);
    }
}

TEST_CASE("templates that cannot work stop --check at the option", "[redis][folder][config]") {
    temp_dir dir;
    struct bad_case {
        std::string options;
        std::string expected;
    };
    const std::vector<bad_case> cases{
        {R"(publish: "events{folder")", "publish: '{' at 6 is not closed (write {{ for a literal brace)"},
        {R"(subscribe: [a], folder: "/redis/{type}")",
         "folder: {type} is not known here; the placeholders are {channel}"},
        {R"(subscribe: [a], folder: "redis/{channel}")",
         "folder: no channel can make this a folder: a folder starts with '/'"},
        {R"(subscribe: [a], folder: "/redis/")", "folder: a folder cannot end with '/'"},
        {R"(publish: out, folder: "/redis/{channel}")",
         "folder: is for inbound messages: it needs subscribe or psubscribe"},
    };
    for (const auto& c : cases) {
        INFO(c.options);
        const std::string config =
            "plugins:\n  araldo.endpoints.endpoint:\n    - {name: bus, id: endpoint-redis, " + c.options + "}\n";
        auto r = run_command({ARALDO_BINARY, "--check", "-c", dir.write("bad.yaml", config)}, dir.path());
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains(c.expected));
    }
    const std::string good =
        "plugins:\n  araldo.endpoints.endpoint:\n"
        "    - {name: bus, id: endpoint-redis, subscribe: [a], folder: /redis/fixed, publish: \"x{{y}}{type}\"}\n";
    CHECK(run_command({ARALDO_BINARY, "--check", "-c", dir.write("good.yaml", good)}, dir.path()).code == 0);
}

TEST_CASE("an endpoint does not hear its own PUBLISH on a templated channel", "[redis][folder][echo]") {
    redis_server redis;
    relay r(R"(global:
  server-port: 0
  admin-token: )" +
            token + R"(
plugins:
  araldo.marshalling:
    - {name: json, id: marshal-json}
  araldo.endpoints.endpoint:
    - {name: emit, id: endpoint-http, marshalling: json}
    - {name: bus, id: endpoint-redis, url: ")" +
            redis.url() + R"(", publish: "{folder}", psubscribe: ["/acme/*"], folder: "{channel}", marshalling: json}
    - {name: heard, id: endpoint-mock}
routes:
  emit: [bus]
  bus: [heard]
)");
    REQUIRE(wait_until([&] { return healthy(r); }));
    const std::string payload = R"({"type":"ping"})";
    REQUIRE(post(r, "/emit?folder=/acme/a", payload).status == 202);
    REQUIRE(wait_until([&] { return metric(r.port(), R"(araldo_redis_echo_suppressed_total{endpoint="bus"})") == 1; }));
    // Someone else's copy of the same payload, on another channel, is heard.
    redis_client other(redis.port());
    CHECK(other.command({"PUBLISH", "/acme/b", payload}) == "1");
    REQUIRE(wait_until([&] { return received(r, "heard").size() == 1; }));
    CHECK(received(r, "heard")[0].folder == "/acme/b");
    CHECK(metric(r.port(), R"(araldo_redis_echo_suppressed_total{endpoint="bus"})") == 1);
}
