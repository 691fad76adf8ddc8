// Reconnecting without hammering: exponential backoff with full jitter, the
// `reconnect: {min, max, jitter}` option that configures it, spelled alike by
// every endpoint that keeps a connection up (endpoint-redis, endpoint-mqtt).
#pragma once

#include <araldo/export.hpp>
#include <araldo/options.hpp>
#include <araldo/units.hpp>

#include <chrono>
#include <random>
#include <string>
#include <string_view>

namespace araldo {

struct backoff_settings {
    duration min = std::chrono::milliseconds(100);
    duration max = std::chrono::seconds(10);
    bool jitter = true;  // full jitter: a random wait up to the delay, so nodes do not reconnect in lockstep
};

// The option, an object {min, max, jitter} with the defaults above.
ARALDO_EXPORT option_spec backoff_option(std::string name = "reconnect");
// Its values; max below min is a config error at max.
ARALDO_EXPORT backoff_settings read_backoff(const options& opts, std::string_view name = "reconnect");

// The wait before retry number `attempt` (0 for the first): min * 2^attempt,
// capped at max; with jitter, uniformly random in [1 ms-tick, that].
ARALDO_EXPORT duration backoff_delay(const backoff_settings& s, unsigned attempt, std::minstd_rand& random);

}  // namespace araldo
