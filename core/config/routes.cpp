// The routes: section. Two target forms (docs/configuration.md): a bare endpoint
// name, or {to: name, type: "glob", folder: "/glob/**"} to forward only
// messages whose type and folder match.
#include "config/config.hpp"

#include "config/nearest.hpp"
#include "config/yaml_source.hpp"

#include <algorithm>

namespace araldo::detail {
namespace {

const std::vector<std::string> target_keys{"to", "type", "folder"};

std::string scalar(const YAML::Node& node, const std::string& file, const env_lookup& env, const std::string& what) {
    if (!node.IsScalar()) {
        throw config_error(mark_of(node, file), what + ": expected a string",
                           "a route target is an endpoint name or {to: name, type: \"glob\", folder: \"/glob\"}");
    }
    return substitute(node.Scalar(), mark_of(node, file), env);
}

route_target read_target(const YAML::Node& node, const std::string& file, const env_lookup& env) {
    if (!node.IsMap()) return {scalar(node, file, env, "route target"), {}, mark_of(node, file)};
    for (const auto& kv : node) {
        std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string{};
        if (std::find(target_keys.begin(), target_keys.end(), key) == target_keys.end()) {
            throw config_error(mark_of(kv.first, file), "unknown key '" + key + "' in route target",
                               suggest(key, target_keys));
        }
    }
    YAML::Node to = node["to"];
    if (!to || to.IsNull()) {
        throw config_error(mark_of(node, file), "route target has no 'to'",
                           "write {to: endpoint-name, type: \"glob\"}");
    }
    route_target t{scalar(to, file, env, "to"), {}, mark_of(to, file)};
    if (YAML::Node type = node["type"]; type && !type.IsNull()) {
        t.type_glob = scalar(type, file, env, "type");
    }
    if (YAML::Node folder = node["folder"]; folder && !folder.IsNull()) {
        auto glob = folder_glob::compile(scalar(folder, file, env, "folder"));
        if (!glob) {
            throw config_error(mark_of(folder, file), "folder: " + glob.reason(),
                               "e.g. \"/acme/**\" (this folder and everything below it) or \"/acme/*/pi-?\"");
        }
        t.folder = std::move(glob).value();
    }
    return t;
}

}  // namespace

std::vector<route_entry> read_routes(const YAML::Node& node, const std::string& file, const env_lookup& env) {
    std::vector<route_entry> out;
    if (!node || node.IsNull()) return out;
    if (!node.IsMap()) {
        throw config_error(mark_of(node, file), "routes: expected a mapping of source to targets",
                           "routes:\n    chat: [chat, audit]");
    }
    for (const auto& kv : node) {
        route_entry r;
        r.source = scalar(kv.first, file, env, "route source");
        r.mark = mark_of(kv.first, file);
        auto dup = std::find_if(out.begin(), out.end(), [&](const auto& o) { return o.source == r.source; });
        if (dup != out.end()) {
            throw config_error(r.mark, "duplicate route for '" + r.source + "'",
                               "first defined at " + dup->mark.str() + "; list all targets in one route");
        }
        const YAML::Node& targets = kv.second;
        if (targets.IsSequence()) {
            for (const auto& t : targets) r.targets.push_back(read_target(t, file, env));
        } else if (!targets.IsNull()) {
            r.targets.push_back(read_target(targets, file, env));
        }
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace araldo::detail
