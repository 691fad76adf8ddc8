#include <araldo/units.hpp>

#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

namespace araldo {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Splits "250ms" into 250 and "ms". Accepts a decimal fraction ("1.5s").
std::optional<std::pair<double, std::string_view>> split_number(std::string_view text) {
    text = trim(text);
    std::size_t i = 0;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    if (i == 0) return std::nullopt;
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + i, value);
    if (ec != std::errc{} || end != text.data() + i || !std::isfinite(value)) return std::nullopt;
    return std::pair{value, trim(text.substr(i))};
}

}  // namespace

std::optional<duration> parse_duration(std::string_view text) {
    auto parts = split_number(text);
    if (!parts) return std::nullopt;
    auto [value, unit] = *parts;
    static constexpr std::pair<std::string_view, double> units[] = {
        {"ms", 1.0}, {"s", 1e3}, {"m", 60e3}, {"h", 3600e3}, {"d", 86400e3}};
    for (auto [name, scale] : units) {
        if (unit != name) continue;
        double ms = value * scale;
        if (ms > static_cast<double>(std::numeric_limits<std::int64_t>::max() / 2)) return std::nullopt;
        return duration{static_cast<std::int64_t>(std::llround(ms))};
    }
    return std::nullopt;
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
    auto parts = split_number(text);
    if (!parts) return std::nullopt;
    auto [value, unit] = *parts;
    static constexpr std::pair<std::string_view, double> units[] = {
        {"", 1},     {"B", 1},        {"KB", 1e3},        {"MB", 1e6},
        {"GB", 1e9}, {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}};
    for (auto [name, scale] : units) {
        if (unit != name) continue;
        double bytes = value * scale;
        if (bytes >= 1.8e19) return std::nullopt;
        return static_cast<std::uint64_t>(std::llround(bytes));
    }
    return std::nullopt;
}

std::string format_duration(duration d) {
    auto ms = d.count();
    if (ms != 0 && ms % 3600000 == 0) return std::to_string(ms / 3600000) + "h";
    if (ms != 0 && ms % 60000 == 0) return std::to_string(ms / 60000) + "m";
    if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
}

}  // namespace araldo
