#include "metrics.hpp"
#include "route_table.hpp"
#include "router.hpp"

#include <araldo/endpoint.hpp>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>

using namespace araldo;
using namespace araldo::detail;

namespace {

// Records deliveries; refuses once `capacity` is reached, as a full queue would.
class recording_endpoint final : public endpoint {
public:
    explicit recording_endpoint(std::size_t capacity = 1000) : capacity_(capacity) {}
    asio::awaitable<void> run() override { co_return; }
    delivery_result deliver(const message_ptr& m) override {
        if (got.size() >= capacity_) return delivery_result::dropped("queue_full");
        got.push_back(m);
        return delivery_result::ok();
    }
    void stop() override {}
    std::vector<message_ptr> got;

private:
    std::size_t capacity_;
};

message_ptr typed(std::string type) {
    message::fields f;
    f.payload = "{}";
    if (!type.empty()) f.attributes.set("type", std::move(type));
    return make_message(std::move(f));
}

std::shared_ptr<spdlog::logger> quiet() {
    return std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_st>());
}

}  // namespace

TEST_CASE("type filters are shell globs", "[route]") {
    CHECK(glob_match("comment-*", "comment-added"));
    CHECK(glob_match("comment-*", "comment-"));
    CHECK_FALSE(glob_match("comment-*", "comments"));
    CHECK(glob_match("*", ""));
    CHECK(glob_match("a?c", "abc"));
    CHECK_FALSE(glob_match("a?c", "ac"));
    CHECK(glob_match("*.created", "user.created"));
    CHECK(glob_match("a*b*c", "a-xx-b-yy-c"));
    CHECK_FALSE(glob_match("a*b*c", "a-xx-c-yy-b"));
    CHECK_FALSE(glob_match("", "x"));
    CHECK(glob_match("exact", "exact"));
}

TEST_CASE("the router fans out to every target, honouring filters", "[route]") {
    recording_endpoint chat, audit, events;
    std::vector<endpoint_slot> slots{{"chat", &chat}, {"audit", &audit}, {"events", &events}};
    std::vector<route_entry> routes{
        {"events", {}, {{"chat", "", {}}, {"audit", "comment-*", {}}}},
        {"chat", {}, {{"chat", "", {}}}},
    };
    metrics m;
    router r(m, quiet());
    r.install(compile_routes(routes, slots, m), {"chat", "audit", "events"});

    r.route(2, typed("comment-added"));
    r.route(2, typed("like"));
    r.route(2, typed(""));
    r.route(0, typed("hello"));
    CHECK(chat.got.size() == 4);
    REQUIRE(audit.got.size() == 1);
    CHECK(audit.got[0]->type() == "comment-added");
    CHECK(events.got.empty());
    // The same message object reaches every target: fan-out copies nothing.
    CHECK(chat.got[0].get() == audit.got[0].get());

    std::string text = m.render();
    CHECK_THAT(text, Catch::Contains("araldo_messages_in_total{endpoint=\"events\"} 3"));
    CHECK_THAT(text, Catch::Contains("araldo_messages_out_total{endpoint=\"chat\"} 4"));
    CHECK_THAT(text, Catch::Contains("araldo_route_messages_total{source=\"events\",target=\"audit\"} 1"));
}

namespace {

message_ptr addressed(std::string type, std::string folder) {
    message::fields f;
    f.payload = "{}";
    if (!type.empty()) f.attributes.set("type", std::move(type));
    if (!folder.empty()) f.attributes.set("folder", std::move(folder));
    return make_message(std::move(f));
}

route_target filtered(std::string name, std::string type, std::string folder) {
    route_target t{std::move(name), std::move(type), {}};
    if (!folder.empty()) t.folder = folder_glob::compile(folder).value();
    return t;
}

}  // namespace

TEST_CASE("folder filters: the folder glob and the type glob must both match", "[route][folder]") {
    recording_endpoint src, audit, acme, all, root;
    std::vector<endpoint_slot> slots{{"src", &src}, {"audit", &audit}, {"acme", &acme}, {"all", &all}, {"root", &root}};
    std::vector<route_entry> routes{{"src",
                                     {},
                                     {filtered("audit", "sensor_*", "/acme/**"), filtered("acme", "", "/acme/*"),
                                      filtered("all", "", "**"), filtered("root", "", "/")}}};
    metrics m;
    router r(m, quiet());
    r.install(compile_routes(routes, slots, m), {"src", "audit", "acme", "all", "root"});

    r.route(0, addressed("sensor_update", "/acme/greenhouse/pi-7"));  // audit, all
    r.route(0, addressed("sensor_update", "/acme/greenhouse"));       // audit, acme, all
    r.route(0, addressed("alarm", "/acme/greenhouse"));               // acme, all
    r.route(0, addressed("sensor_update", "/other/greenhouse"));      // all
    r.route(0, addressed("sensor_update", ""));                       // all: no folder
    r.route(0, addressed("sensor_update", "/"));                      // all, root
    CHECK(audit.got.size() == 2);
    CHECK(acme.got.size() == 2);
    CHECK(all.got.size() == 6);
    REQUIRE(root.got.size() == 1);
    CHECK(root.got[0]->attributes().get("folder") == "/");
    CHECK(audit.got[1]->attributes().get("folder") == "/acme/greenhouse");
    CHECK_THAT(m.render(), Catch::Contains("araldo_route_messages_total{source=\"src\",target=\"audit\"} 2"));
}

TEST_CASE("drops are counted per endpoint and reason", "[route]") {
    recording_endpoint src, small(2);
    std::vector<endpoint_slot> slots{{"src", &src}, {"small", &small}};
    std::vector<route_entry> routes{{"src", {}, {{"small", "", {}}}}};
    metrics m;
    router r(m, quiet());
    r.install(compile_routes(routes, slots, m), {"src", "small"});
    for (int i = 0; i < 5; ++i) r.route(0, typed("x"));
    CHECK(small.got.size() == 2);
    CHECK_THAT(m.render(),
               Catch::Contains("araldo_messages_dropped_total{endpoint=\"small\",reason=\"queue_full\"} 3"));
}

namespace {

class throwing_endpoint final : public endpoint {
public:
    asio::awaitable<void> run() override { co_return; }
    delivery_result deliver(const message_ptr&) override { throw std::runtime_error("broken plugin"); }
    void stop() override {}
};

class durable_full_endpoint final : public endpoint {
public:
    asio::awaitable<void> run() override { co_return; }
    delivery_result deliver(const message_ptr&) override { return delivery_result::refused("queue_full"); }
    void stop() override {}
};

}  // namespace

TEST_CASE("a target that throws is contained; the others still get the message", "[route]") {
    recording_endpoint src, before, after;
    throwing_endpoint broken;
    std::vector<endpoint_slot> slots{{"src", &src}, {"before", &before}, {"broken", &broken}, {"after", &after}};
    std::vector<route_entry> routes{{"src", {}, {{"before", "", {}}, {"broken", "", {}}, {"after", "", {}}}}};
    metrics m;
    std::vector<std::pair<std::size_t, std::string>> faults;
    router r(m, quiet(), [&](std::size_t index, std::string_view where) {
        try {
            throw;
        } catch (const std::exception& e) {
            faults.emplace_back(index, std::string(where) + ": " + e.what());
        }
    });
    r.install(compile_routes(routes, slots, m), {"src", "before", "broken", "after"});
    const route_outcome outcome = r.route(0, typed("x"));
    CHECK(outcome.refused_by.empty());
    CHECK(before.got.size() == 1);
    CHECK(after.got.size() == 1);
    REQUIRE(faults.size() == 1);
    CHECK(faults[0].first == 2);
    CHECK(faults[0].second == "deliver: broken plugin");
    CHECK_THAT(m.render(),
               Catch::Contains("araldo_messages_dropped_total{endpoint=\"broken\",reason=\"plugin_error\"} 1"));
}

TEST_CASE("a durable target's refusal is reported to the ingress", "[route]") {
    recording_endpoint src, live(0);
    durable_full_endpoint queue;
    std::vector<endpoint_slot> slots{{"src", &src}, {"live", &live}, {"queue", &queue}};
    std::vector<route_entry> routes{{"src", {}, {{"live", "", {}}, {"queue", "", {}}}}};
    metrics m;
    router r(m, quiet());
    r.install(compile_routes(routes, slots, m), {"src", "live", "queue"});
    // The live target's drop does not count as a refusal: retrying would not help.
    CHECK(r.route(0, typed("x")).refused_by == "queue");
}
