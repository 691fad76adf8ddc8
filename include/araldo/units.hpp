// Durations and sizes as written in araldo.yaml: "250ms", "5s", "5m", "2h";
// sizes as bytes or "64KiB", "1MiB", "10MB". One parser for the core and plugins.
#pragma once

#include <araldo/export.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace araldo {

using duration = std::chrono::milliseconds;

// nullopt when the text is not a duration: a bare number is refused because
// "5" could mean seconds or milliseconds and guessing is how outages start.
ARALDO_EXPORT std::optional<duration> parse_duration(std::string_view text);

// A bare number is bytes. Units: B, KB/MB/GB (powers of 1000), KiB/MiB/GiB (1024).
ARALDO_EXPORT std::optional<std::uint64_t> parse_size(std::string_view text);

ARALDO_EXPORT std::string format_duration(duration d);

}  // namespace araldo
