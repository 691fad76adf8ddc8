// spdlog set-up: one sink (stderr, so stdout stays free for endpoint-file),
// a core logger "araldo" and one named logger per endpoint.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>

namespace araldo::detail {

// Throws std::invalid_argument for an unknown level name.
void init_logging(const std::string& level);
void set_log_level(const std::string& level);
std::shared_ptr<spdlog::logger> core_logger();
// "endpoint/<name>", sharing the core's sink and level.
std::shared_ptr<spdlog::logger> make_logger(const std::string& name);

}  // namespace araldo::detail
