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

namespace {

struct level_name {
    std::string_view name;
    std::string_view canonical;
    spdlog::level::level_enum level;
};

constexpr level_name level_names[] = {
    {"trace", "trace", spdlog::level::trace},
    {"debug", "debug", spdlog::level::debug},
    {"info", "info", spdlog::level::info},
    {"warn", "warn", spdlog::level::warn},
    {"warning", "warn", spdlog::level::warn},
    {"error", "error", spdlog::level::err},
    {"critical", "critical", spdlog::level::critical},
    {"fatal", "critical", spdlog::level::critical},
    {"off", "off", spdlog::level::off},
};

const level_name* find_level(std::string_view name) {
    for (const auto& l : level_names)
        if (l.name == name) return &l;
    return nullptr;
}

}  // namespace

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
    if (const auto* l = find_level(name)) return l->level;
    return std::nullopt;
}

std::string canonical_log_level(std::string_view name) {
    if (const auto* l = find_level(name)) return std::string(l->canonical);
    return std::string(name);
}

void set_log_level(const std::string& level) {
    const auto found = parse_log_level(level);
    if (!found) throw std::invalid_argument("unknown log level '" + level + "' (valid: " + log_level_names + ")");
    const auto parsed = *found;
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
