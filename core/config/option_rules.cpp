#include "config/option_rules.hpp"

#include "config/nearest.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace araldo::detail {
namespace {

template <class T>
int compare_as(const options::value& a, const options::value& b) {
    const T& x = std::get<T>(a);
    const T& y = std::get<T>(b);
    return x < y ? -1 : y < x ? 1 : 0;
}

// Both values come from parse_bound or the converter for the same spec, so
// they hold the same alternative.
int compare(const option_spec& spec, const options::value& a, const options::value& b) {
    switch (spec.type) {
        case option_type::integer: return compare_as<std::int64_t>(a, b);
        case option_type::duration:
        case option_type::duration_list: return compare_as<araldo::duration>(a, b);
        case option_type::size: return compare_as<std::uint64_t>(a, b);
        default: break;
    }
    throw std::logic_error("option '" + spec.name + "': a " + std::string(to_string(spec.type)) + " has no range");
}

options::value bound(const option_spec& spec, const std::string& text, const char* which) {
    auto v = parse_bound(spec, text);
    if (!v) {
        throw std::logic_error("option '" + spec.name + "': " + which + " \"" + text + "\" is not a valid " +
                               std::string(to_string(spec.type)));
    }
    return *v;
}

std::string quoted_list(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "`" : ", `") + w + "`";
    return out;
}

}  // namespace

bool takes_one_of(option_type t) noexcept { return t == option_type::string || t == option_type::string_list; }

bool takes_range(option_type t) noexcept {
    return t == option_type::integer || t == option_type::duration || t == option_type::size ||
           t == option_type::duration_list;
}

std::optional<options::value> parse_bound(const option_spec& spec, std::string_view text) {
    switch (spec.type) {
        case option_type::integer: {
            std::int64_t v = 0;
            auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
            if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
            return v;
        }
        case option_type::duration:
        case option_type::duration_list: {
            // The converter takes a bare 0 as a duration too.
            if (text == "0") return araldo::duration{0};
            if (auto d = parse_duration(text)) return *d;
            return std::nullopt;
        }
        case option_type::size:
            if (auto s = parse_size(text)) return *s;
            return std::nullopt;
        default: return std::nullopt;
    }
}

std::string range_problem(const option_spec& spec, const options::value& v, std::string_view text) {
    const bool low = spec.min && compare(spec, v, bound(spec, *spec.min, "min")) < 0;
    const bool high = spec.max && compare(spec, v, bound(spec, *spec.max, "max")) > 0;
    if (!low && !high) return {};
    const std::string got = ", got " + std::string(text);
    if (spec.min && spec.max) return "must be between " + *spec.min + " and " + *spec.max + got;
    if (low) return "must be at least " + *spec.min + got;
    return "must be at most " + *spec.max + got;
}

std::string one_of_problem(const option_spec& spec, std::string_view text) {
    if (spec.one_of.empty() || std::find(spec.one_of.begin(), spec.one_of.end(), text) != spec.one_of.end()) {
        return {};
    }
    return "must be one of: " + join(spec.one_of) + "; got '" + std::string(text) + "'";
}

std::string describe_rules(const option_spec& spec) {
    const bool list = spec.type == option_type::string_list || spec.type == option_type::duration_list;
    const std::string each = list ? "each " : "";
    if (!spec.one_of.empty()) return each + "one of " + quoted_list(spec.one_of);
    if (spec.min && spec.max) return each + "from `" + *spec.min + "` to `" + *spec.max + "`";
    if (spec.min) return each + "at least `" + *spec.min + "`";
    if (spec.max) return each + "at most `" + *spec.max + "`";
    return {};
}

}  // namespace araldo::detail
