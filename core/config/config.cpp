#include "config/config.hpp"

#include "config/listeners.hpp"
#include "config/nearest.hpp"
#include "config/option_validator.hpp"
#include "config/yaml_source.hpp"
#include "logging.hpp"

#include <araldo/message.hpp>

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <filesystem>
#include <map>

namespace araldo::detail {

const option_table& global_option_table() {
    static const option_table table{
        {.name = "server-port",
         .type = option_type::integer,
         .default_value = "54321",
         .description = "TCP port of the one plain HTTP listener (WebSocket, HTTP endpoints, /_health/, /metrics); 0 "
                        "picks a free port. With listeners, each listener has its own",
         .min = "0",
         .max = "65535"},
        {"bind", option_type::string, "127.0.0.1", "address the listener binds to; 0.0.0.0 or :: for every interface"},
        {.name = "log-level",
         .type = option_type::string,
         .default_value = "info",
         .description = "how much is logged; warning is warn, fatal is critical",
         .one_of = {"trace", "debug", "info", "warn", "warning", "error", "critical", "fatal", "off"}},
        {"plugin-dirs", option_type::string_list, "[]",
         "extra folders scanned for plugin .so files (relative to the config file's folder), besides --plugin-dir "
         "and the install's default"},
        {"shutdown-timeout", option_type::duration, "5s",
         "how long a SIGINT/SIGTERM waits for endpoints to drain before exiting"},
        {"data-dir", option_type::string, "./data",
         "where endpoints persist state (dead letters, spools); locked by one relay at a time; relative to the "
         "config file's folder"},
        {"static-dir", option_type::string, "",
         "files served at / (the web client and demo page), relative to the config file's folder; empty: the "
         "installed web/ folder; none: serve nothing"},
        {"admin-token", option_type::string, "", "bearer token for the admin API; empty: admin API disabled"},
        listeners_option(),
        {"core-listeners", option_type::string_list, "[]",
         "the listeners that serve /_health/, /metrics, /_admin/ and the static files; empty: every listener"},
        statsd_option(),
    };
    return table;
}

namespace {

const std::vector<std::string> top_level_keys{"global", "plugins", "routes"};
const std::vector<std::string> plugin_section_keys{"araldo.marshalling", "araldo.endpoints.endpoint"};

void check_map_keys(const YAML::Node& node, const std::string& file, const std::vector<std::string>& valid,
                    const std::string& where) {
    std::vector<std::string> seen;
    for (const auto& kv : node) {
        const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string{};
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
            throw config_error(mark_of(kv.first, file), "duplicate key '" + key + "' in " + where);
        }
        seen.push_back(key);
        if (std::find(valid.begin(), valid.end(), key) == valid.end()) {
            throw config_error(mark_of(kv.first, file), "unknown key '" + key + "' in " + where, suggest(key, valid));
        }
    }
}

// Applies ARALDO_* variables on top of the file, each parsed as a YAML
// scalar. Returns which option each variable set, so that an error in a
// value names the variable, not a line of the file it did not come from.
std::map<std::string, std::string> apply_env_overrides(options& opts, const env_lookup& env) {
    std::map<std::string, std::string> from_env;
    for (const auto& o : global_env_overrides) {
        auto value = env(o.variable);
        if (!value) continue;
        const auto& table = global_option_table();
        auto spec = std::find_if(table.begin(), table.end(), [&](const auto& s) { return s.name == o.option; });
        const source_mark where{std::string("environment ") + o.variable, 0, 0};
        try {
            YAML::Node node = parse_yaml(*value, where.file);
            opts.set(o.option, convert_option(node, *spec, where.file, env), where, true);
        } catch (const config_error& e) {
            throw config_error(where, e.reason() + " (from " + o.variable + "=" + *value + ")", e.hint());
        }
        from_env[o.option] = o.variable;
    }
    return from_env;
}

namespace fs = std::filesystem;

global_settings read_global(const YAML::Node& node, const std::string& file, const env_lookup& env,
                            source_mark& data_dir_mark, listener_set& listeners, std::optional<statsd_config>& statsd) {
    validation_input in{node, global_option_table(), file, env, {}, "global"};
    options opts = validate_options(in);
    const auto from_env = apply_env_overrides(opts, env);
    auto fail = [&](const std::string& name, const std::string& what, const std::string& hint = {}) {
        if (auto v = from_env.find(name); v != from_env.end())
            throw config_error({"environment " + v->second, 0, 0}, name + ": " + what, hint);
        opts.fail(name, what, hint);
    };
    global_settings g;
    // Set first: relative paths below mean this file's folder, whoever runs
    // araldo from wherever, by the rule plugins use too (resolve_config_path).
    g.config_file = file;
    g.server_port = static_cast<std::uint16_t>(opts.integer("server-port"));  // the table bounds it
    g.bind = opts.string("bind");
    boost::system::error_code bind_ec;
    asio::ip::make_address(g.bind, bind_ec);
    if (bind_ec) {
        fail("bind", "'" + g.bind + "' is not an IP address",
             "the listener binds to an address, not a name: 127.0.0.1, ::1, 0.0.0.0 or ::");
    }
    g.log_level = canonical_log_level(opts.string("log-level"));
    g.plugin_dirs = opts.string_list("plugin-dirs");
    for (auto& d : g.plugin_dirs) d = resolve_config_path(g, d);
    g.shutdown_timeout = opts.duration("shutdown-timeout");
    g.data_dir = resolve_config_path(g, opts.string("data-dir"));
    if (g.data_dir.empty()) fail("data-dir", "must not be empty", "the default is ./data, beside the config file");
    data_dir_mark = opts.mark("data-dir");
    g.static_dir = opts.string("static-dir");
    if (!g.static_dir.empty() && g.static_dir != "none") {
        g.static_dir = resolve_config_path(g, g.static_dir);
        std::error_code ec;
        if (!fs::is_directory(g.static_dir, ec)) {
            fail("static-dir", "folder " + g.static_dir + " does not exist",
                 "a relative path starts at the config file's folder; none serves no files");
        }
    }
    g.admin_token = opts.string("admin-token");
    g.node_id = new_message_id();
    listeners = read_listeners(opts, g, fail);
    statsd = read_statsd(opts);
    return g;
}

// An endpoint's `listeners:`, a name or a list of names of global.listeners.
void read_endpoint_listeners(plugin_instance& e, const config& c, const std::string& file, const env_lookup& env) {
    if (!e.listeners_node || e.listeners_node.IsNull()) return;
    const YAML::Node& node = e.listeners_node;
    static const option_spec spec{"listeners", option_type::string_list};
    e.listeners = std::get<std::vector<std::string>>(convert_option(node, spec, file, env));
    const listener_set set{c.listeners, {}};
    for (const auto& name : e.listeners) check_listener_name(set, name, mark_of(node, file));
}

std::string required_scalar(const YAML::Node& map, const char* key, const std::string& file, const env_lookup& env,
                            const std::string& what) {
    YAML::Node v = map[key];
    if (!v || v.IsNull()) {
        throw config_error(mark_of(map, file), what + " has no '" + key + "'",
                           std::string("every plugin entry needs name and id"));
    }
    if (!v.IsScalar()) throw config_error(mark_of(v, file), std::string(key) + ": expected a string");
    return substitute(v.Scalar(), mark_of(v, file), env);
}

std::vector<plugin_instance> read_instances(const YAML::Node& list, const std::string& file, const env_lookup& env,
                                            const std::string& section, bool endpoint) {
    std::vector<plugin_instance> out;
    if (!list || list.IsNull()) return out;
    if (!list.IsSequence()) {
        throw config_error(mark_of(list, file), section + ": expected a list of plugin entries",
                           "each entry is a mapping with at least name and id");
    }
    for (const auto& item : list) {
        if (!item.IsMap()) {
            throw config_error(mark_of(item, file), section + ": each entry must be a mapping with name and id");
        }
        plugin_instance p;
        p.name = required_scalar(item, "name", file, env, section + " entry");
        p.id = required_scalar(item, "id", file, env, "'" + p.name + "'");
        p.node.reset(item);
        p.mark = mark_of(item, file);
        p.id_mark = mark_of(item["id"], file);
        if (endpoint && item["listeners"] && !item["listeners"].IsNull()) p.listeners_node.reset(item["listeners"]);
        if (endpoint && item["marshalling"] && !item["marshalling"].IsNull()) {
            p.marshalling = required_scalar(item, "marshalling", file, env, "'" + p.name + "'");
            p.marshalling_mark = mark_of(item["marshalling"], file);
        }
        auto dup = std::find_if(out.begin(), out.end(), [&](const auto& o) { return o.name == p.name; });
        if (dup != out.end()) {
            throw config_error(mark_of(item["name"], file), "duplicate name '" + p.name + "'",
                               "first defined at " + dup->mark.str() + "; names must be unique");
        }
        out.push_back(std::move(p));
    }
    return out;
}

}  // namespace

std::vector<route_entry> read_routes(const YAML::Node& node, const std::string& file, const env_lookup& env);

config parse_config(const YAML::Node& root, const std::string& file, const env_lookup& env) {
    if (!root || root.IsNull()) {
        throw config_error({file, 1, 1}, "the config is empty", "see docs/configuration.md for a minimal file");
    }
    if (!root.IsMap()) throw config_error(mark_of(root, file), "expected a mapping at the top level");
    check_map_keys(root, file, top_level_keys, "the top level");
    config c;
    c.file = file;
    listener_set listeners;
    c.global = read_global(root["global"], file, env, c.data_dir_mark, listeners, c.statsd);
    c.listeners = std::move(listeners.listeners);
    c.core_listeners = std::move(listeners.core);
    YAML::Node plugins = root["plugins"];
    if (plugins && !plugins.IsNull()) {
        if (!plugins.IsMap()) throw config_error(mark_of(plugins, file), "plugins: expected a mapping");
        check_map_keys(plugins, file, plugin_section_keys, "plugins");
        c.marshallers = read_instances(plugins["araldo.marshalling"], file, env, "araldo.marshalling", false);
        c.endpoints =
            read_instances(plugins["araldo.endpoints.endpoint"], file, env, "araldo.endpoints.endpoint", true);
    }
    std::vector<std::string> marshaller_names;
    for (const auto& m : c.marshallers) marshaller_names.push_back(m.name);
    for (const auto& e : c.endpoints) {
        if (!e.marshalling.empty() &&
            std::find(marshaller_names.begin(), marshaller_names.end(), e.marshalling) == marshaller_names.end()) {
            throw config_error(e.marshalling_mark,
                               "endpoint '" + e.name + "' uses undefined marshaller '" + e.marshalling + "'",
                               marshaller_names.empty() ? "define it under plugins: araldo.marshalling"
                                                        : suggest(e.marshalling, marshaller_names));
        }
    }
    for (auto& e : c.endpoints) read_endpoint_listeners(e, c, file, env);
    c.routes = read_routes(root["routes"], file, env);
    std::vector<std::string> endpoint_names;
    for (const auto& e : c.endpoints) endpoint_names.push_back(e.name);
    auto check_name = [&](const std::string& name, const source_mark& mark, const char* role) {
        if (std::find(endpoint_names.begin(), endpoint_names.end(), name) != endpoint_names.end()) return;
        throw config_error(mark, std::string("route ") + role + " '" + name + "' is not a defined endpoint",
                           endpoint_names.empty() ? "define endpoints under plugins: araldo.endpoints.endpoint"
                                                  : suggest(name, endpoint_names));
    };
    for (const auto& r : c.routes) {
        check_name(r.source, r.mark, "source");
        for (const auto& t : r.targets) check_name(t.name, t.mark, "target");
    }
    return c;
}

config load_config(const std::string& path, const env_lookup& env) {
    return parse_config(load_yaml_file(path), path, env);
}

}  // namespace araldo::detail
