#include "config/option_validator.hpp"

#include "config/env_overrides.hpp"
#include "config/nearest.hpp"
#include "config/option_rules.hpp"
#include "config/yaml_source.hpp"

#include <algorithm>
#include <charconv>
#include <set>
#include <stdexcept>

namespace araldo::detail {
namespace {

struct converter {
    const std::string& file;
    const env_lookup& env;

    // The hint of a refused value when nothing more precise is known.
    static std::string about(const option_spec& spec) {
        return spec.description.empty() ? std::string{} : spec.name + ": " + spec.description;
    }

    [[noreturn]] void wrong(const YAML::Node& node, const option_spec& spec, std::string got) const {
        throw config_error(mark_of(node, file),
                           spec.name + ": expected " + std::string(to_string(spec.type)) + ", got " + got, about(spec));
    }

    // A string (or one element of a list) checked against the table's one_of.
    std::string allowed(const YAML::Node& node, const option_spec& spec) const {
        std::string s = scalar(node, spec);
        if (auto problem = one_of_problem(spec, s); !problem.empty()) {
            const std::string near = nearest(s, spec.one_of);
            throw config_error(mark_of(node, file), spec.name + ": " + problem,
                               near.empty() ? about(spec) : "did you mean '" + near + "'?");
        }
        return s;
    }

    // A number (or one duration of a list) checked against the table's min and max.
    template <class T>
    T in_range(const YAML::Node& node, const option_spec& spec, T v, const std::string& text) const {
        if (!spec.min && !spec.max) return v;
        if (auto problem = range_problem(spec, options::value{std::in_place_type<T>, v}, text); !problem.empty()) {
            throw config_error(mark_of(node, file), spec.name + ": " + problem, about(spec));
        }
        return v;
    }

    std::string kind(const YAML::Node& n) const {
        if (n.IsMap()) return "a mapping";
        if (n.IsSequence()) return "a list";
        if (n.IsScalar()) return "\"" + n.Scalar() + "\"";
        return "nothing";
    }

    std::string scalar(const YAML::Node& node, const option_spec& spec) const {
        if (!node.IsScalar()) wrong(node, spec, kind(node));
        // A value from the environment is the value: a secret may hold "$".
        if (env_origin(node)) return node.Scalar();
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
        return in_range(node, spec, v, s);
    }

    araldo::duration duration(const YAML::Node& node, const option_spec& spec) const {
        std::string s = scalar(node, spec);
        if (s == "0") return in_range(node, spec, araldo::duration{0}, s);
        if (auto d = parse_duration(s)) return in_range(node, spec, *d, s);
        throw config_error(mark_of(node, file), spec.name + ": \"" + s + "\" is not a duration",
                           "write a number with a unit: 250ms, 5s, 5m, 2h");
    }

    options::value size(const YAML::Node& node, const option_spec& spec) const {
        std::string s = scalar(node, spec);
        if (auto v = parse_size(s)) return in_range(node, spec, *v, s);
        throw config_error(mark_of(node, file), spec.name + ": \"" + s + "\" is not a size",
                           "write bytes, or a number with a unit: 64KiB, 1MiB, 10MB");
    }

    options::value string_list(const YAML::Node& node, const option_spec& spec) const {
        std::vector<std::string> out;
        if (node.IsScalar()) {
            out.push_back(allowed(node, spec));
            return out;
        }
        if (!node.IsSequence()) wrong(node, spec, kind(node));
        for (const auto& item : node) out.push_back(allowed(item, spec));
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

    options::value object_list(const YAML::Node& node, const option_spec& spec) const {
        if (!node.IsSequence()) wrong(node, spec, kind(node));
        std::vector<std::shared_ptr<const options>> out;
        for (std::size_t i = 0; i < node.size(); ++i) {
            const YAML::Node item = node[i];
            const std::string what = spec.name + "[" + std::to_string(i) + "]";
            if (!item.IsMap()) throw config_error(mark_of(item, file), what + ": expected a mapping");
            validation_input in{item, spec.fields, file, env, {}, what};
            out.push_back(std::make_shared<const options>(validate_options(in)));
        }
        return out;
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

options::value convert_option(const YAML::Node& node, const option_spec& spec, const std::string& file,
                              const env_lookup& env) {
    converter c{file, env};
    switch (spec.type) {
        case option_type::string: return c.allowed(node, spec);
        case option_type::boolean: return c.boolean(node, spec);
        case option_type::integer: return c.integer(node, spec);
        case option_type::duration: return c.duration(node, spec);
        case option_type::size: return c.size(node, spec);
        case option_type::string_list: return c.string_list(node, spec);
        case option_type::duration_list: return c.duration_list(node, spec);
        case option_type::string_map: return c.string_map(node, spec);
        case option_type::object: return c.object(node, spec);
        case option_type::object_list: return c.object_list(node, spec);
    }
    return std::monostate{};
}

namespace {

// "an integer", "a string": for messages about an option's type.
std::string a_type(option_type t) {
    const std::string name(to_string(t));
    return (name.front() == 'i' ? "an " : "a ") + name;
}

[[noreturn]] void bad_table(const std::string& name, const std::string& what) {
    throw std::invalid_argument("option '" + name + "': " + what);
}

void check_bounds(const option_spec& spec, const std::string& name) {
    if (!spec.min && !spec.max) return;
    if (!takes_range(spec.type)) {
        bad_table(name, "min and max apply to integer, duration and size options, not to " + a_type(spec.type));
    }
    for (const auto* b : {&spec.min, &spec.max}) {
        if (*b && !parse_bound(spec, **b)) {
            // A duration_list's bounds apply to each of its durations.
            const auto type = spec.type == option_type::duration_list ? option_type::duration : spec.type;
            bad_table(name, std::string(b == &spec.min ? "min" : "max") + " \"" + **b + "\" is not a valid " +
                                std::string(to_string(type)));
        }
    }
    if (spec.min && spec.max && !range_problem(spec, *parse_bound(spec, *spec.min), *spec.min).empty()) {
        bad_table(name, "min " + *spec.min + " is above max " + *spec.max);
    }
}

// A default is converted as a value written in the file would be, so its
// type, one_of and range are checked by the same code.
void check_default(const option_spec& spec, const std::string& name) {
    if (!spec.default_value) return;
    const std::string& text = *spec.default_value;
    const env_lookup no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    try {
        if (spec.type == option_type::string) {
            if (auto problem = one_of_problem(spec, text); !problem.empty()) throw config_error({}, problem);
            return;
        }
        YAML::Node node = YAML::Load(text);
        if (node.IsNull() && spec.type == option_type::object) node = YAML::Node(YAML::NodeType::Map);
        convert_option(node, spec, "<default>", no_env);
    } catch (const config_error& e) {
        std::string why = e.reason();
        if (why.starts_with(spec.name + ": ")) why.erase(0, spec.name.size() + 2);
        bad_table(name, "default \"" + text + "\" is refused: " + why);
    } catch (const YAML::Exception& e) {
        bad_table(name, "default \"" + text + "\" is not YAML: " + e.msg);
    }
}

void check_table(const option_table& table, const std::string& prefix) {
    std::set<std::string> names;
    for (const auto& spec : table) {
        const std::string name = prefix + spec.name;
        if (spec.name.empty()) bad_table(name, "has no name");
        if (!names.insert(spec.name).second) bad_table(name, "is declared twice");
        if (!spec.one_of.empty() && !takes_one_of(spec.type)) {
            bad_table(name, "one_of applies to string and list of strings options, not to " + a_type(spec.type));
        }
        check_bounds(spec, name);
        // Fields first: an object's default is converted through them.
        if (spec.type == option_type::object) check_table(spec.fields, name + ".");
        if (spec.type == option_type::object_list) check_table(spec.fields, name + "[].");
        check_default(spec, name);
    }
}

}  // namespace

void check_option_table(const option_table& table) { check_table(table, ""); }

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
            throw config_error(where, in.what + ": missing required option '" + spec.name + "'", spec.description);
        } else if (spec.default_value && spec.type == option_type::string) {
            // Taken literally: "*" or "" are fine string defaults but not YAML.
            out.set(spec.name, *spec.default_value, where, false);
        } else if (spec.default_value) {
            YAML::Node fallback = YAML::Load(*spec.default_value);
            if (fallback.IsNull() && spec.type == option_type::object) fallback = YAML::Node(YAML::NodeType::Map);
            out.set(spec.name, convert_option(fallback, spec, "<default of " + spec.name + ">", in.env), where, false);
        } else if (spec.type == option_type::object) {
            // An absent object still yields its fields' defaults.
            out.set(spec.name, convert_option(YAML::Node(YAML::NodeType::Map), spec, in.file, in.env), where, false);
        } else {
            out.set(spec.name, std::monostate{}, where, false);
        }
    }
    return out;
}

}  // namespace araldo::detail
