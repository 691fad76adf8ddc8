#include "statsd.hpp"

#include <catch2/catch.hpp>

#include <numeric>

using namespace araldo::detail;

namespace {

std::string joined(const std::vector<std::string>& packets) {
    std::string out;
    for (const auto& p : packets) out += p + "\n";
    return out;
}

}  // namespace

TEST_CASE("statsd: counters go as increases since the last push, gauges as values", "[metrics][statsd]") {
    metrics m;
    auto& in = m.counter("araldo_messages_in_total", {{"endpoint", "chat"}}, "x");
    auto& dropped = m.counter("araldo_messages_dropped_total", {{"endpoint", "chat"}, {"reason", "queue_full"}}, "x");
    double depth = 3;
    m.gauge("araldo_queue_depth", {{"endpoint", "chat"}}, "x", [&] { return depth; });
    statsd_batch batch(statsd_config{.prefix = "prod"});

    in.inc(5);
    CHECK(joined(batch.collect(m)) == "prod.araldo_messages_in_total.chat:5|c\nprod.araldo_queue_depth.chat:3|g\n");
    in.inc(2);
    dropped.inc();
    depth = 0.5;
    CHECK(joined(batch.collect(m)) ==
          "prod.araldo_messages_dropped_total.chat.queue_full:1|c\n"
          "prod.araldo_messages_in_total.chat:2|c\n"
          "prod.araldo_queue_depth.chat:0.5|g\n");
    // Nothing moved: the counters are left out, the gauge is sent again.
    CHECK(joined(batch.collect(m)) == "prod.araldo_queue_depth.chat:0.5|g\n");
}

TEST_CASE("statsd: a counter registered after a push starts from zero", "[metrics][statsd]") {
    metrics m;
    statsd_batch batch(statsd_config{});
    CHECK(batch.collect(m).empty());
    m.counter("araldo_late_total", {}, "x").inc(4);
    CHECK(joined(batch.collect(m)) == "araldo_late_total:4|c\n");
}

TEST_CASE("statsd: dogstatsd tags, reserved characters and negative gauges", "[metrics][statsd]") {
    metrics m;
    m.counter("araldo_plugin_errors_total", {{"endpoint", ""}, {"where", "handler"}}, "x").inc();
    m.counter("araldo_route_messages_total", {{"source", "a.b:c"}, {"target", "x|y,z"}}, "x").inc();
    m.gauge("araldo_offset", {}, "x", [] { return -2.0; });
    SECTION("flattened") {
        statsd_batch batch(statsd_config{});
        CHECK(joined(batch.collect(m)) ==
              "araldo_offset:0|g\naraldo_offset:-2|g\n"
              "araldo_plugin_errors_total._.handler:1|c\n"
              "araldo_route_messages_total.a_b_c.x_y_z:1|c\n");
    }
    SECTION("dogstatsd") {
        statsd_batch batch(statsd_config{.tags = statsd_tags::dogstatsd});
        CHECK(joined(batch.collect(m)) ==
              "araldo_offset:0|g\naraldo_offset:-2|g\n"
              "araldo_plugin_errors_total:1|c|#endpoint:,where:handler\n"
              "araldo_route_messages_total:1|c|#source:a.b:c,target:x_y_z\n");
    }
}

TEST_CASE("statsd: lines are packed into datagrams of at most 1432 bytes", "[metrics][statsd]") {
    metrics m;
    for (int i = 0; i < 300; ++i) m.counter("araldo_things_total", {{"n", std::to_string(i)}}, "x").inc(i + 1);
    const std::string long_label(2000, 'x');
    m.counter("araldo_zz_total", {{"n", long_label}}, "x").inc();
    statsd_batch batch(statsd_config{});
    const auto packets = batch.collect(m);
    REQUIRE(packets.size() > 3);
    std::size_t lines = 0;
    for (std::size_t i = 0; i < packets.size(); ++i) {
        const auto& p = packets[i];
        INFO(i);
        CHECK(p.back() != '\n');
        lines += static_cast<std::size_t>(std::count(p.begin(), p.end(), '\n')) + 1;
        if (p.find(long_label) != std::string::npos) CHECK(p == "araldo_zz_total." + long_label + ":1|c");
        else CHECK(p.size() <= statsd_max_packet);
        // Packed, not one line per datagram: the next line would not have fitted.
        if (i + 2 < packets.size()) {
            const auto next = packets[i + 1].substr(0, packets[i + 1].find('\n'));
            CHECK(p.size() + 1 + next.size() > statsd_max_packet);
        }
    }
    CHECK(lines == 301);
}
