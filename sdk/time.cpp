#include <araldo/time.hpp>

#include <cstdio>

namespace araldo {

std::string format_utc(std::chrono::system_clock::time_point t, time_precision precision) {
    using namespace std::chrono;
    // floor, not duration_cast: before 1970 a second must not round towards it.
    const auto ms = floor<milliseconds>(t);
    const auto day = floor<days>(ms);
    const year_month_day date{day};
    const hh_mm_ss<milliseconds> clock{ms - day};
    char buf[48];
    int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02lld", static_cast<int>(date.year()),
                          static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                          static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                          static_cast<long long>(clock.seconds().count()));
    if (precision == time_precision::milliseconds)
        n += std::snprintf(buf + n, sizeof buf - static_cast<std::size_t>(n), ".%03lld",
                           static_cast<long long>(clock.subseconds().count()));
    std::string out(buf, static_cast<std::size_t>(n));
    out += 'Z';
    return out;
}

}  // namespace araldo
