#include "config/option_validator.hpp"

#include "config/nearest.hpp"
#include "config/yaml_source.hpp"

#include <algorithm>
#include <charconv>
#include <set>

namespace araldo::detail {
namespace {

struct converter {
    const std::string& file;
    const env_lookup& env;

    [[noreturn]] void wrong(const YAML::Node& node, const option_spec& spec, std::string got) const {
        throw config_error(mark_of(node, file),
                           spec.name + ": expected " + std::string(to_string(spec.type)) + ", got " + got,
                           spec.description.empty() ? std::string{} : spec.name + ": " + spec.description);
    }

    std::string kind(const YAML::Node& n) const {
        if (n.IsMap()) return "a mapping";
        if (n.IsSequence()) return "a list";
        if (n.IsScalar()) return "\"" + n.Scalar() + "\"";
        return "nothing";
    }

    std::string scalar(const YAML::Node& node, const option_spec& spec) const {
        if (!node.IsScalar()) wrong(node, spec, kind(node));
        return substitute(node.Scalar(), mark_of(node, file), env);
    }

    options::value boolean(const YAML::Node& node, const option_spec& spec) const {
        std::string s = scalar(node, spec);
        std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
        if (s == "true" || s == "yes" || s == "on") return true;
        if (s == "false" || s == "no" || s == "off") return false;
        wrong(node, spec, "\"" + s + "\"");
    }

    options::value integer(const YAML::Node& node, const option_spec& spec) const {
        std::string s = scalar(node, spec);
        std::int64_t v = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc{} || end != s.data() + s.size()) wrong(node, spec, "\"" + s + "\"");
        return v;
    }

    araldo::duration duration(const YAML::Node& node, const option_spec& spec) const {
        std::string s = scalar(node, spec);
        if (s == "0") return araldo::duration{0};
        if (auto d = parse_duration(s)) return *d;
        throw config_error(mark_of(node, file), spec.name + ": \"" + s + "\" is not a duration",
                           "write a number with a unit: 250ms, 5s, 5m, 2h");
    }

    options::value size(const YAML::Node& node, const option_spec& spec) const {
        std::string s = scalar(node, spec);
        if (auto v = parse_size(s)) return *v;
        throw config_error(mark_of(node, file), spec.name + ": \"" + s + "\" is not a size",
                           "write bytes, or a number with a unit: 64KiB, 1MiB, 10MB");
    }

    options::value string_list(const YAML::Node& node, const option_spec& spec) const {
        std::vector<std::string> out;
        if (node.IsScalar()) {
            out.push_back(scalar(node, spec));
            return out;
        }
        if (!node.IsSequence()) wrong(node, spec, kind(node));
        for (const auto& item : node) out.push_back(scalar(item, spec));
        return out;
    }

    options::value duration_list(const YAML::Node& node, const option_spec& spec) const {
        if (!node.IsSequence()) wrong(node, spec, kind(node));
        std::vector<araldo::duration> out;
        for (const auto& item : node) out.push_back(duration(item, spec));
        return out;
    }

    options::value string_map(const YAML::Node& node, const option_spec& spec) const {
        if (!node.IsMap()) wrong(node, spec, kind(node));
        string_pairs out;
        for (const auto& kv : node) out.emplace_back(scalar(kv.first, spec), scalar(kv.second, spec));
        return out;
    }

    options::value object(const YAML::Node& node, const option_spec& spec) const {
        if (!node.IsMap()) wrong(node, spec, kind(node));
        validation_input in{node, spec.fields, file, env, {}, spec.name};
        return std::make_shared<const options>(validate_options(in));
    }
};

void check_keys(const validation_input& in) {
    std::vector<std::string> valid = in.reserved;
    for (const auto& spec : in.table) valid.push_back(spec.name);
    std::set<std::string> seen;
    for (const auto& kv : in.node) {
        if (!kv.first.IsScalar()) {
            throw config_error(mark_of(kv.first, in.file), "a key must be a plain name");
        }
        const std::string& key = kv.first.Scalar();
        if (!seen.insert(key).second) {
            throw config_error(mark_of(kv.first, in.file), "duplicate key '" + key + "' in " + in.what,
                               "each option may appear once");
        }
        if (std::find(valid.begin(), valid.end(), key) == valid.end()) {
            throw config_error(mark_of(kv.first, in.file), "unknown key '" + key + "' in " + in.what,
                               suggest(key, valid));
        }
    }
}

}  // namespace

options::value convert_option(const YAML::Node& node, const option_spec& spec,
                              const std::string& file, const env_lookup& env) {
    converter c{file, env};
    switch (spec.type) {
        case option_type::string: return c.scalar(node, spec);
        case option_type::boolean: return c.boolean(node, spec);
        case option_type::integer: return c.integer(node, spec);
        case option_type::duration: return c.duration(node, spec);
        case option_type::size: return c.size(node, spec);
        case option_type::string_list: return c.string_list(node, spec);
        case option_type::duration_list: return c.duration_list(node, spec);
        case option_type::string_map: return c.string_map(node, spec);
        case option_type::object: return c.object(node, spec);
    }
    return std::monostate{};
}

options validate_options(const validation_input& in) {
    source_mark where = mark_of(in.node, in.file);
    if (in.node && !in.node.IsNull() && !in.node.IsMap()) {
        throw config_error(where, in.what + ": expected a mapping of options");
    }
    if (in.node && in.node.IsMap()) check_keys(in);
    options out(where);
    for (const auto& spec : in.table) {
        YAML::Node value = in.node && in.node.IsMap() ? in.node[spec.name] : YAML::Node{};
        if (value && !value.IsNull()) {
            out.set(spec.name, convert_option(value, spec, in.file, in.env), mark_of(value, in.file), true);
        } else if (spec.required) {
            throw config_error(where, in.what + ": missing required option '" + spec.name + "'",
                               spec.description);
        } else if (spec.default_value && spec.type == option_type::string) {
            // Taken literally: "*" or "" are fine string defaults but not YAML.
            out.set(spec.name, *spec.default_value, where, false);
        } else if (spec.default_value) {
            YAML::Node fallback = YAML::Load(*spec.default_value);
            if (fallback.IsNull() && spec.type == option_type::object) fallback = YAML::Node(YAML::NodeType::Map);
            out.set(spec.name, convert_option(fallback, spec, "<default of " + spec.name + ">", in.env),
                    where, false);
        } else if (spec.type == option_type::object) {
            // An absent object still yields its fields' defaults.
            out.set(spec.name, convert_option(YAML::Node(YAML::NodeType::Map), spec, in.file, in.env),
                    where, false);
        } else {
            out.set(spec.name, std::monostate{}, where, false);
        }
    }
    return out;
}

}  // namespace araldo::detail

