#include "config/env_overrides.hpp"

#include "config/nearest.hpp"
#include "config/yaml_source.hpp"

#include <algorithm>
#include <cctype>

extern char** environ;

namespace araldo::detail {
namespace {

// yaml-cpp keeps a tag on every node and nothing in the config reads tags, so
// the tag is where an environment value's nodes remember their variable.
constexpr std::string_view origin_tag = "tag:araldo,env:";

void tag_all(YAML::Node node, const std::string& variable) {
    node.SetTag(std::string(origin_tag) + variable);
    if (node.IsSequence()) {
        for (auto item : node) tag_all(item, variable);
    } else if (node.IsMap()) {
        for (auto kv : node) {
            tag_all(kv.first, variable);
            tag_all(kv.second, variable);
        }
    }
}

source_mark where_of(const env_variable& var) { return {"environment " + var.name, 0, 0}; }

// The value of `key` in `map`, or an undefined node. Not map[key]: on a
// missing key that leaves an undefined entry behind, found first next time.
YAML::Node find_value(const YAML::Node& map, const std::string& key) {
    for (const auto& kv : map) {
        if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.second;
    }
    return YAML::Node(YAML::NodeType::Undefined);
}

// Replaces the value of `key` in `map`, or adds it.
void put(YAML::Node map, const std::string& key, const YAML::Node& value, const std::string& variable) {
    for (auto kv : map) {
        if (kv.first.IsScalar() && kv.first.Scalar() == key) {
            kv.second = value;
            return;
        }
    }
    YAML::Node k(key);
    k.SetTag(std::string(origin_tag) + variable);
    map.force_insert(k, value);
}

}  // namespace

env_listing araldo_environment() {
    env_listing out;
    for (char** e = environ; e && *e; ++e) {
        std::string_view entry(*e);
        if (!entry.starts_with("ARALDO_")) continue;
        const auto eq = entry.find('=');
        if (eq == std::string_view::npos) continue;
        out.push_back({std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1))});
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

std::string env_spelling(std::string_view config_name) {
    std::string out(config_name);
    for (auto& c : out) c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::optional<std::string> env_origin(const YAML::Node& node) {
    if (!node.IsDefined()) return std::nullopt;
    const std::string& tag = node.Tag();
    if (!tag.starts_with(origin_tag)) return std::nullopt;
    return tag.substr(origin_tag.size());
}

std::vector<std::string> env_segments(std::string_view rest) {
    std::vector<std::string> out;
    for (;;) {
        const auto at = rest.find("__");
        out.emplace_back(rest.substr(0, at));
        if (at == std::string_view::npos) return out;
        rest.remove_prefix(at + 2);
    }
}

std::vector<const option_spec*> resolve_env_path(const env_variable& var, const std::vector<std::string>& segments,
                                                 const option_table& table, const std::string& what) {
    std::vector<const option_spec*> path;
    const option_table* level = &table;
    std::string prefix = var.name;
    std::size_t tail = 0;
    for (const auto& s : segments) tail += s.size() + 2;
    prefix.resize(prefix.size() + 2 - std::min(tail, prefix.size() + 2));
    std::string within = what;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        auto spec = std::find_if(level->begin(), level->end(),
                                 [&](const option_spec& s) { return env_spelling(s.name) == segments[i]; });
        if (spec == level->end()) {
            std::vector<std::string> spellings;
            for (const auto& s : *level) spellings.push_back(env_spelling(s.name));
            const std::string near = nearest(segments[i], spellings);
            throw config_error(
                where_of(var), within + " has no option " + segments[i],
                near.empty() ? "its options: " + join(spellings) : "did you mean " + prefix + near + "?");
        }
        path.push_back(&*spec);
        prefix += segments[i] + "__";
        within = spec->name;
        if (i + 1 == segments.size()) break;
        if (spec->type != option_type::object) {
            throw config_error(where_of(var), spec->name + " is not a mapping, so nothing can follow it",
                               "set it whole: " + prefix.substr(0, prefix.size() - 2) + "=<YAML value>");
        }
        level = &spec->fields;
    }
    return path;
}

void apply_env_value(YAML::Node map, const std::vector<const option_spec*>& path, const env_variable& var) {
    YAML::Node value;
    // A string is taken as written: a token may start with * or hold ": ".
    if (path.back()->type == option_type::string) {
        value = YAML::Node(var.value);
    } else {
        value = parse_yaml(var.value, "environment " + var.name);
    }
    tag_all(value, var.name);
    // reset(), not =: assigning to a YAML::Node rewrites the node it refers to.
    YAML::Node at;
    at.reset(map);
    for (std::size_t i = 0; i + 1 < path.size(); ++i) {
        YAML::Node inner = find_value(at, path[i]->name);
        if (!inner.IsDefined() || !inner.IsMap()) {
            inner.reset(YAML::Node(YAML::NodeType::Map));
            put(at, path[i]->name, inner, var.name);
        }
        at.reset(inner);
    }
    put(at, path.back()->name, value, var.name);
}

namespace {

void collect_references(const YAML::Node& node, std::vector<std::string>& out) {
    if (node.IsScalar()) {
        const std::string& s = node.Scalar();
        for (auto at = s.find("${"); at != std::string::npos; at = s.find("${", at + 2)) {
            auto end = s.find_first_of(":}", at + 2);
            if (end != std::string::npos) out.push_back(s.substr(at + 2, end - at - 2));
        }
    } else if (node.IsSequence()) {
        for (const auto& item : node) collect_references(item, out);
    } else if (node.IsMap()) {
        for (const auto& kv : node) collect_references(kv.second, out);
    }
}

}  // namespace

std::vector<std::string> referenced_variables(const YAML::Node& root) {
    std::vector<std::string> out;
    collect_references(root, out);
    return out;
}

}  // namespace araldo::detail
