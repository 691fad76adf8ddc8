// spdlog set-up: one sink shared by every logger (stderr, so stdout stays
// free for endpoint-file, or global.log-file), a core logger "araldo", a
// logger "emit" for the line each accepted message leaves, and one named
// logger per endpoint ("endpoint/<name>").
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace araldo::detail {

// The one parser of level names, for the file, --log-level and
// ARALDO_LOG_LEVEL alike: trace, debug, info, warn, error, critical, off, and
// the aliases people type from other tools: warning (warn), fatal (critical).
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);
// The canonical name of a level ("warn" for "warning"); the input if unknown.
std::string canonical_log_level(std::string_view name);
// For messages: the accepted names.
inline constexpr const char* log_level_names = "trace, debug, info, warn (or warning), error, critical (or fatal), off";

// global.log-levels, log-file, log-format and log-payloads.
struct log_settings {
    std::vector<std::pair<std::string, std::string>> levels;  // logger ("core" is "araldo") -> level
    std::string file;                                         // empty: stderr
    bool json = false;
    bool payloads = false;  // EMIT (and endpoint-webhook's lines, with its option) carry the payload
};

// Throws std::invalid_argument for an unknown level name.
void init_logging(const std::string& level);
void set_log_level(const std::string& level);
// The default level, the levels of single loggers and the format (not the
// file: --check opens none). Throws std::invalid_argument for a bad level.
void configure_logging(const std::string& level, const log_settings& settings);
// From here on, lines go to `path` (appended, created 0640) instead of
// stderr. Throws std::runtime_error when it cannot be opened.
void open_log_file(const std::string& path);
// SIGUSR1: the log file is opened again by name, so that lines after a
// rename by logrotate go to the new file. Returns false (and changes nothing)
// without a log file; throws std::runtime_error when it cannot be opened.
bool reopen_log_file();
std::shared_ptr<spdlog::logger> core_logger();
// "endpoint/<name>", "emit": sharing the core's sink; its level from log-levels or the default.
std::shared_ptr<spdlog::logger> make_logger(const std::string& name);

}  // namespace araldo::detail
