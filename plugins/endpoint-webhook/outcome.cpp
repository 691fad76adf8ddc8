#include "outcome.hpp"

#include <charconv>
#include <ctime>
#include <iomanip>
#include <locale>
#include <sstream>

namespace araldo::plugins::endpoint_webhook {

verdict classify(const attempt_result& r) {
    if (r.status == 0) return verdict::retry;
    if (r.status >= 200 && r.status < 300) return verdict::success;
    if (r.status == 410) return verdict::disable;
    if (r.status == 408 || r.status == 429 || r.status >= 500) return verdict::retry;
    return verdict::fail;
}

std::string_view outcome_label(const attempt_result& r) {
    if (r.status == 0) return r.timed_out ? "timeout" : "error";
    if (r.status < 200) return "1xx";
    if (r.status < 300) return "2xx";
    if (r.status < 400) return "3xx";
    if (r.status < 500) return "4xx";
    return "5xx";
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    if (value.empty()) return std::nullopt;
    long long secs = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
    if (ec == std::errc{} && end == value.data() + value.size()) {
        if (secs < 0) return std::nullopt;
        return std::chrono::seconds(secs);
    }
    // IMF-fixdate, the form RFC 9110 requires senders to use.
    std::tm tm{};
    std::istringstream in{std::string(value)};
    in.imbue(std::locale::classic());
    in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S GMT");
    if (in.fail()) return std::nullopt;
    auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
    auto delta = std::chrono::duration_cast<std::chrono::seconds>(at - now);
    return delta.count() > 0 ? delta : std::chrono::seconds(0);
}

std::optional<araldo::duration> next_delay(const std::vector<araldo::duration>& schedule, std::size_t attempts,
                                           std::optional<std::chrono::seconds> retry_after, double jitter) {
    if (attempts >= schedule.size()) return std::nullopt;
    auto base = schedule[attempts];
    auto delay = base + araldo::duration(static_cast<araldo::duration::rep>(base.count() * 0.1 * jitter));
    if (delay.count() < 0) delay = araldo::duration(0);
    if (retry_after && *retry_after > delay) delay = std::chrono::duration_cast<araldo::duration>(*retry_after);
    return delay;
}

}  // namespace araldo::plugins::endpoint_webhook
