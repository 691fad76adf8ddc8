// Metrics in the Prometheus model, served by the core at /metrics.
//
// The registry owns counters; references stay valid for the process lifetime.
// One thread: plain integers, no atomics.
#pragma once

#include <araldo/export.hpp>
#include <araldo/options.hpp>

#include <cstdint>
#include <functional>
#include <string_view>

namespace araldo {

using metric_labels = string_pairs;

class counter {
public:
    void inc(std::uint64_t n = 1) noexcept { value_ += n; }
    std::uint64_t value() const noexcept { return value_; }

private:
    std::uint64_t value_ = 0;
};

class ARALDO_EXPORT metrics_registry {
public:
    virtual ~metrics_registry();
    // The same name and labels return the same counter. Names follow Prometheus
    // conventions: araldo_<what>_total.
    virtual araldo::counter& counter(std::string_view name, metric_labels labels, std::string_view help) = 0;
    // A value read when /metrics is scraped. The callback must stay valid for
    // the process lifetime (capture the endpoint, which the core never destroys early).
    virtual void gauge(std::string_view name, metric_labels labels, std::string_view help,
                       std::function<double()> read) = 0;
};

class endpoint_context;

// The metrics of one endpoint: ctx.metrics().counter(name, {{"endpoint",
// ctx.name()}, extra...}, help), so every plugin labels its series alike.
ARALDO_EXPORT araldo::counter& endpoint_counter(endpoint_context& ctx, std::string_view name, std::string_view help,
                                                metric_labels extra = {});
ARALDO_EXPORT void endpoint_gauge(endpoint_context& ctx, std::string_view name, std::string_view help,
                                  std::function<double()> read, metric_labels extra = {});

}  // namespace araldo
