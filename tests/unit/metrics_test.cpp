#include "metrics.hpp"

#include <catch2/catch.hpp>

using araldo::detail::metrics;

TEST_CASE("counters and gauges render in Prometheus text format", "[metrics]") {
    metrics m;
    auto& a = m.counter("araldo_things_total", {{"endpoint", "a"}}, "things seen");
    auto& again = m.counter("araldo_things_total", {{"endpoint", "a"}}, "things seen");
    CHECK(&a == &again);
    m.counter("araldo_things_total", {{"endpoint", "b \"quoted\"\n"}}, "things seen").inc(2);
    a.inc();
    a.inc(4);
    double depth = 1.5;
    m.gauge("araldo_depth", {}, "queue depth", [&] { return depth; });
    std::string text = m.render();
    CHECK_THAT(text, Catch::Contains("# HELP araldo_things_total things seen\n# TYPE araldo_things_total counter\n"));
    CHECK_THAT(text, Catch::Contains("araldo_things_total{endpoint=\"a\"} 5\n"));
    CHECK_THAT(text, Catch::Contains("araldo_things_total{endpoint=\"b \\\"quoted\\\"\\n\"} 2\n"));
    CHECK_THAT(text, Catch::Contains("# TYPE araldo_depth gauge\naraldo_depth 1.5\n"));
    depth = 7;
    CHECK_THAT(m.render(), Catch::Contains("araldo_depth 7\n"));
    CHECK_THROWS_AS(m.gauge("araldo_things_total", {}, "x", [] { return 0.0; }), std::logic_error);
}
