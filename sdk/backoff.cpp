#include <araldo/backoff.hpp>

#include <algorithm>
#include <cstdint>

namespace araldo {

option_spec backoff_option(std::string name) {
    return option_spec{std::move(name),
                       option_type::object,
                       std::nullopt,
                       "backoff between connection attempts: exponential from min to max",
                       false,
                       {
                           option_spec{.name = "min",
                                       .type = option_type::duration,
                                       .default_value = "100ms",
                                       .description = "delay before the first retry",
                                       .min = "1ms"},
                           option_spec{"max", option_type::duration, "10s", "longest delay between retries", false},
                           option_spec{"jitter", option_type::boolean, "true",
                                       "wait a random time up to the delay (full jitter), so nodes do not "
                                       "reconnect in lockstep",
                                       false},
                       }};
}

backoff_settings read_backoff(const options& opts, std::string_view name) {
    const options& r = opts.object(name);
    backoff_settings b{r.duration("min"), r.duration("max"), r.boolean("jitter")};
    if (b.max < b.min)
        r.fail("max", "must not be less than " + std::string{name} + ".min (" + format_duration(b.min) + ")");
    return b;
}

duration backoff_delay(const backoff_settings& s, unsigned attempt, std::minstd_rand& random) {
    auto cap = s.max;
    // Past 2^30 the product would overflow; the cap has long been max by then.
    if (attempt < 30) cap = std::min(s.max, s.min * (std::int64_t{1} << attempt));
    if (!s.jitter || cap.count() <= 1) return cap;
    return duration(std::uniform_int_distribution<std::int64_t>(1, cap.count())(random));
}

}  // namespace araldo
