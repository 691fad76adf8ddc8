// The metrics registry and its Prometheus text rendering (/metrics).
#pragma once

#include <araldo/metrics.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace araldo::detail {

class metrics final : public metrics_registry {
public:
    araldo::counter& counter(std::string_view name, metric_labels labels, std::string_view help) override;
    void gauge(std::string_view name, metric_labels labels, std::string_view help,
               std::function<double()> read) override;

    // Drops the gauges labelled label=value (an endpoint a reload removed or
    // restarts): their callbacks read an endpoint that no longer serves.
    // Counters stay, and go on counting if the name comes back.
    void remove_gauges(std::string_view label, std::string_view value);

    // Prometheus text exposition format 0.0.4.
    std::string render() const;

    // Every series as /metrics shows it, for pushing elsewhere (statsd).
    // `counter` is null for a gauge, whose value is read now; a counter's
    // address is stable for the process lifetime and identifies its series.
    struct sample {
        std::string_view name;
        const metric_labels& labels;
        const araldo::counter* counter;
        double gauge_value;
    };
    void for_each(const std::function<void(const sample&)>& visit) const;

private:
    struct series {
        metric_labels labels;
        std::unique_ptr<araldo::counter> value;  // counters
        std::function<double()> read;            // gauges
    };
    struct family {
        std::string help;
        bool is_counter = true;
        std::vector<series> members;
    };
    family& family_for(std::string_view name, std::string_view help, bool is_counter);

    std::map<std::string, family, std::less<>> families_;
};

}  // namespace araldo::detail
