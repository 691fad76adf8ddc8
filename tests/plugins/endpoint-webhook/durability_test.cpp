// Nothing accepted is lost: a graceful stop saves what is pending, and with
// spool: true a kill -9 loses nothing either.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <set>

using namespace araldo::test;
using namespace araldo::test::webhook;
using namespace std::chrono_literals;

namespace {

std::set<std::string> ids_in(const std::string& jsonl, bool spool) {
    std::set<std::string> ids;
    std::size_t start = 0;
    while (start < jsonl.size()) {
        auto end = jsonl.find('\n', start);
        if (end == std::string::npos) break;
        auto v = boost::json::parse(jsonl.substr(start, end - start));
        const auto& o = v.as_object();
        if (!spool) ids.insert(std::string(o.at("id").as_string()));
        if (spool && o.contains("add")) ids.insert(std::string(o.at("add").at("id").as_string()));
        start = end + 1;
    }
    return ids;
}

std::size_t lines_in(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// Bodies and ids of the requests that were answered 200.
void check_all_delivered(const receiver& rx, std::size_t skip, std::size_t n, const std::set<std::string>& ids) {
    auto reqs = rx.requests();
    std::set<std::string> bodies, got_ids;
    for (std::size_t i = skip; i < reqs.size(); ++i) {
        bodies.insert(reqs[i].body);
        got_ids.insert(reqs[i].header("webhook-id"));
    }
    for (std::size_t i = 0; i < n; ++i) CHECK(bodies.count("{\"n\":" + std::to_string(i) + "}") == 1);
    CHECK(got_ids == ids);
}

}  // namespace

TEST_CASE("graceful stop with 100 pending deliveries, then a restart delivers them all", "[webhook][durability]") {
    receiver rx;
    std::atomic<bool> up{false};
    rx.respond([&](const received_request&, std::size_t) { return up ? reply{200} : reply{200, {}, true}; });
    temp_dir data;
    std::string cfg = config({{"hook", "{url: \"" + rx.url() + "\", max-in-flight: 2, timeout: 60s}"}}, data.path());
    std::set<std::string> saved;
    {
        relay r = start(cfg);
        for (int i = 0; i < 100; ++i) r.process().write_stdin("{\"n\":" + std::to_string(i) + "}\n");
        REQUIRE(wait_until([&] {
            return http_get(r.port(), "/metrics").body.find("araldo_endpoint_queue_depth{endpoint=\"hook\"} 98") !=
                   std::string::npos;
        }));
        REQUIRE(rx.wait_for(2));  // two in flight, held by the receiver
        r.process().signal(SIGTERM);
        REQUIRE(r.process().wait(10s) == 0);
        CHECK_THAT(r.process().err(), Catch::Contains("saved 100 pending deliveries"));
        std::string queue = read_file(data.path() + "/webhook/hook/queue.jsonl");
        CHECK(lines_in(queue) == 100);
        saved = ids_in(queue, false);
        CHECK(saved.size() == 100);
    }
    up = true;
    std::size_t before = rx.count();
    relay r = start(cfg);
    REQUIRE(rx.wait_for(before + 100));
    CHECK_THAT(r.process().err(), Catch::Contains("resumed 100 pending deliveries"));
    check_all_delivered(rx, before, 100, saved);
    // The two that were in flight keep their attempt count.
    CHECK_THAT(r.process().err(), Catch::Contains("attempt=2"));
}

TEST_CASE("kill -9 with spool: true and 1000 deliveries in progress, then a restart delivers them all",
          "[webhook][durability]") {
    receiver rx;
    std::atomic<bool> up{false};
    rx.respond([&](const received_request&, std::size_t) { return up ? reply{200} : reply{503}; });
    temp_dir data;
    std::string cfg =
        config({{"hook", "{url: \"" + rx.url() + "\", spool: true, retry-schedule: [0s, 1h]}"}}, data.path());
    std::string spool_path = data.path() + "/webhook/hook/spool.jsonl";
    std::set<std::string> spooled;
    {
        relay r = start(cfg);
        std::string input;
        for (int i = 0; i < 1000; ++i) input += "{\"n\":" + std::to_string(i) + "}\n";
        r.process().write_stdin(input);
        // Accepted means written ahead: 1000 adds (finished ones would add "done" lines).
        REQUIRE(wait_until([&] { return lines_in(read_file(spool_path)) >= 1000; }, 20s));
        r.process().signal(SIGKILL);
        r.process().wait(10s);
        spooled = ids_in(read_file(spool_path), true);
        CHECK(spooled.size() == 1000);
    }
    up = true;
    std::size_t before = rx.count();
    relay r = start(cfg);
    REQUIRE(rx.wait_for(before + 1000, 30s));
    CHECK_THAT(r.process().err(), Catch::Contains("resumed 1000 pending deliveries"));
    check_all_delivered(rx, before, 1000, spooled);
    // Every delivery done: the spool is empty again.
    CHECK(wait_until([&] { return read_file(spool_path).empty(); }));
}
