// How often a repeated warning is logged: on its 1st, 2nd, 4th, 8th...
// occurrence and then every 1000th, so an overload cannot flood the log while
// the first occurrences are always seen. Pass the running count (from 1);
// the exact numbers are in the metrics.
#pragma once

#include <cstdint>

namespace araldo {

constexpr bool worth_logging(std::uint64_t occurrence) noexcept {
    return (occurrence & (occurrence - 1)) == 0 || occurrence % 1000 == 0;
}

}  // namespace araldo
