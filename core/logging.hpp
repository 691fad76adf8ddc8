// spdlog set-up: one sink (stderr, so stdout stays free for endpoint-file),
// a core logger "araldo" and one named logger per endpoint.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace araldo::detail {

// The one parser of level names, for the file, --log-level and
// ARALDO_LOG_LEVEL alike: trace, debug, info, warn, error, critical, off, and
// the aliases people type from other tools: warning (warn), fatal (critical).
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);
// The canonical name of a level ("warn" for "warning"); the input if unknown.
std::string canonical_log_level(std::string_view name);
// For messages: the accepted names.
inline constexpr const char* log_level_names = "trace, debug, info, warn (or warning), error, critical (or fatal), off";

// Throws std::invalid_argument for an unknown level name.
void init_logging(const std::string& level);
void set_log_level(const std::string& level);
std::shared_ptr<spdlog::logger> core_logger();
// "endpoint/<name>", sharing the core's sink and level.
std::shared_ptr<spdlog::logger> make_logger(const std::string& name);

}  // namespace araldo::detail
