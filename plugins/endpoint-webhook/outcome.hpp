// What an attempt's result means for the delivery, and when to try again.
// Sans-I/O: the HTTP client fills an attempt_result, this decides.
#pragma once

#include <araldo/units.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace araldo::plugins::endpoint_webhook {

struct attempt_result {
    unsigned status = 0;  // 0: no response (see error)
    std::string error;    // connect/timeout/protocol error, empty with a status
    bool timed_out = false;
    std::optional<std::chrono::seconds> retry_after;
    std::chrono::milliseconds elapsed{0};
    // With log-payloads: the response body's first bytes, and its whole length.
    std::string body_head;
    std::uint64_t body_bytes = 0;
};

enum class verdict {
    success,  // 2xx
    retry,    // no response, 408, 429, 5xx: again on the schedule
    fail,     // 3xx (not followed) and other 4xx: a dead letter at once
    disable,  // 410 Gone: the receiver asks to stop; the endpoint holds its deliveries
};

verdict classify(const attempt_result& r);

// "2xx" .. "5xx", "timeout" or "error": the metric label of an attempt.
std::string_view outcome_label(const attempt_result& r);

// Retry-After as delta-seconds or an HTTP date; nullopt when unreadable.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now);

// The delay before the next attempt after `attempts` failed ones, or nullopt
// when the schedule is exhausted. `jitter` in [-1, 1] scales +-10% of the
// scheduled delay; Retry-After is a floor the jitter never goes under.
std::optional<araldo::duration> next_delay(const std::vector<araldo::duration>& schedule, std::size_t attempts,
                                           std::optional<std::chrono::seconds> retry_after, double jitter);

}  // namespace araldo::plugins::endpoint_webhook
