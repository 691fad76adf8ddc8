// araldo::endpoint_counter / endpoint_gauge: the endpoint label first, the
// caller's labels after it, in the core's registry.
#include "metrics.hpp"

#include <araldo/context.hpp>
#include <araldo/metrics.hpp>

#include <catch2/catch.hpp>

#include <stdexcept>

using namespace araldo;

namespace {

// Only name() and metrics() are used by the helpers.
class metrics_only_context final : public endpoint_context {
public:
    const std::string& name() const override { return name_; }
    const options& opts() const override { throw std::logic_error("not used"); }
    const global_settings& global() const override { throw std::logic_error("not used"); }
    asio::any_io_executor executor() const override { throw std::logic_error("not used"); }
    spdlog::logger& log() const override { throw std::logic_error("not used"); }
    const marshaller& marshalling() const override { throw std::logic_error("not used"); }
    http_registry& http() override { throw std::logic_error("not used"); }
    metrics_registry& metrics() override { return registry; }
    ingest_result ingest(std::string, bool, attributes) override { throw std::logic_error("not used"); }
    message_ptr emit(message::fields) override { throw std::logic_error("not used"); }
    ingest_result ingest(message::fields) override { throw std::logic_error("not used"); }

    detail::metrics registry;

private:
    std::string name_ = "bus";
};

}  // namespace

TEST_CASE("endpoint_counter labels the series with the endpoint, then the extra labels", "[sdk][metrics]") {
    metrics_only_context ctx;
    auto& plain = endpoint_counter(ctx, "araldo_x_total", "things");
    auto& same = endpoint_counter(ctx, "araldo_x_total", "things");
    CHECK(&plain == &same);
    plain.inc(2);
    endpoint_counter(ctx, "araldo_x_total", "things", {{"reason", "full"}}).inc();
    endpoint_gauge(ctx, "araldo_y", "level", [] { return 4.0; }, {{"connection", "subscriber"}});
    const std::string text = ctx.registry.render();
    CHECK_THAT(text, Catch::Contains("araldo_x_total{endpoint=\"bus\"} 2\n"));
    CHECK_THAT(text, Catch::Contains("araldo_x_total{endpoint=\"bus\",reason=\"full\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("araldo_y{endpoint=\"bus\",connection=\"subscriber\"} 4\n"));
}
