#include "logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

namespace araldo::detail {
namespace {

spdlog::sink_ptr& shared_sink() {
    static spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::stderr_color_sink_st>();
    return sink;
}

spdlog::level::level_enum current_level = spdlog::level::info;

}  // namespace

void set_log_level(const std::string& level) {
    auto parsed = spdlog::level::from_str(level);
    if (parsed == spdlog::level::off && level != "off") {
        throw std::invalid_argument("unknown log level '" + level + "'");
    }
    current_level = parsed;
    spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) { l->set_level(parsed); });
}

void init_logging(const std::string& level) {
    if (!spdlog::get("araldo")) {
        auto logger = std::make_shared<spdlog::logger>("araldo", shared_sink());
        logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
        spdlog::register_logger(logger);
        spdlog::set_default_logger(logger);
    }
    set_log_level(level);
}

std::shared_ptr<spdlog::logger> core_logger() {
    if (auto l = spdlog::get("araldo")) return l;
    init_logging("info");
    return spdlog::get("araldo");
}

std::shared_ptr<spdlog::logger> make_logger(const std::string& name) {
    if (auto l = spdlog::get(name)) return l;
    auto logger = std::make_shared<spdlog::logger>(name, shared_sink());
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
    logger->set_level(current_level);
    spdlog::register_logger(logger);
    return logger;
}

}  // namespace araldo::detail
