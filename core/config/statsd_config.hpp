// global.statsd: where and how often the relay pushes its metrics to a
// statsd server. Private to core/config and core/statsd.
#pragma once

#include <araldo/options.hpp>
#include <araldo/units.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace araldo::detail {

enum class statsd_tags { none, dogstatsd };

struct statsd_config {
    std::string address{};  // an IP literal ("localhost" already turned into 127.0.0.1)
    std::uint16_t port = 8125;
    std::string prefix{};  // empty: the metric names as /metrics shows them
    araldo::duration interval = std::chrono::seconds(10);
    statsd_tags tags = statsd_tags::none;
};

// The entry of the global option table.
option_spec statsd_option();

// From the validated global options; nullopt when statsd is off (no block,
// or no host). Throws config_error at the offending field.
std::optional<statsd_config> read_statsd(const options& global);

}  // namespace araldo::detail
