// UTC timestamps as text, one format for the whole tree: health problems,
// dead-letter listings, admin answers. RFC 3339 with a 'Z', so they sort as
// text and any JSON or log reader parses them.
#pragma once

#include <araldo/export.hpp>

#include <chrono>
#include <string>

namespace araldo {

enum class time_precision {
    seconds,       // 2024-02-29T23:59:59Z
    milliseconds,  // 2024-02-29T23:59:59.123Z
};

// `t` in UTC, truncated (never rounded) to `precision`, so a time never reads
// later than it was. Works for any time the clock can hold, before 1970
// included; years past 9999 get more digits. Pure: no locale, no time zone,
// no global state (unlike gmtime/strftime).
ARALDO_EXPORT std::string format_utc(std::chrono::system_clock::time_point t,
                                     time_precision precision = time_precision::seconds);

}  // namespace araldo
