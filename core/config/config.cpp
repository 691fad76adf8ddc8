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
        {"log-levels", option_type::string_map, "{}",
         "levels of single loggers, over log-level: core (the relay), emit (one EMIT line per message), "
         "endpoint/<name>; e.g. {emit: warn, endpoint/hooks: debug}"},
        {"log-file", option_type::string, "",
         "write the log to this file instead of stderr (relative to the config file's folder), reopened on "
         "SIGUSR1 for logrotate; empty: stderr"},
        {.name = "log-format",
         .type = option_type::string,
         .default_value = "text",
         .description = "text: time level [logger] message; json: one object per line with time, level, logger "
                        "and message",
         .one_of = {"text", "json"}},
        {"log-payloads", option_type::boolean, "false",
         "EMIT lines (and endpoint-webhook's REQUEST and RESPONSE lines, with its log-payloads) carry the payload, "
         "cut at 1 KiB, secrets masked"},
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

namespace fs = std::filesystem;

global_settings read_global(const YAML::Node& node, const std::string& file, const env_lookup& env,
                            source_mark& data_dir_mark, listener_set& listeners, log_settings& logging,
                            std::optional<statsd_config>& statsd, options& validated) {
    validation_input in{node, global_option_table(), file, env, {}, "global"};
    options opts = validate_options(in);
    auto fail = [&](const std::string& name, const std::string& what, const std::string& hint = {}) {
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
    logging.levels = opts.string_map("log-levels");
    for (const auto& [logger, level] : logging.levels) {
        if (!parse_log_level(level)) {
            fail("log-levels", "'" + level + "' (for " + logger + ") is not a level", log_level_names);
        }
    }
    logging.file = opts.string("log-file");
    if (!logging.file.empty()) logging.file = resolve_config_path(g, logging.file);
    logging.json = opts.string("log-format") == "json";
    logging.payloads = opts.boolean("log-payloads");
    validated = std::move(opts);
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

namespace {

// The ARALDO_* variables, sorted onto what they set: a global setting is
// written into the global: mapping now; an instance's options wait for its
// plugin's table (plugin_instance::env). A variable that matches nothing is
// an error when it looks like a typo of something that exists, else a warning.
void apply_environment(YAML::Node& root, config& c, const env_listing& vars) {
    const auto referenced = referenced_variables(root);
    const auto& table = global_option_table();
    std::vector<std::string> instance_spellings;
    for (const auto* list : {&c.endpoints, &c.marshallers})
        for (const auto& p : *list) instance_spellings.push_back(env_spelling(p.name));
    auto global_map = [&]() {
        const YAML::Node& tree = root;
        if (!tree["global"] || tree["global"].IsNull()) root["global"] = YAML::Node(YAML::NodeType::Map);
        return tree["global"];
    };
    for (const auto& var : vars) {
        if (var.name == "ARALDO_CONFIG") continue;  // chooses the file, read by main
        const source_mark where{"environment " + var.name, 0, 0};
        const auto segments = env_segments(std::string_view(var.name).substr(7));
        std::vector<plugin_instance*> targets;
        for (auto* list : {&c.endpoints, &c.marshallers})
            for (auto& p : *list)
                if (segments.size() > 1 && env_spelling(p.name) == segments[0]) targets.push_back(&p);
        if (targets.size() > 1) {
            throw config_error(where, "names both '" + targets[0]->name + "' and '" + targets[1]->name + "'",
                               "names that differ only in case or - and _ cannot be told apart in a variable");
        }
        if (targets.size() == 1) {
            targets[0]->env.push_back({var, {segments.begin() + 1, segments.end()}});
            continue;
        }
        const bool global = std::any_of(table.begin(), table.end(),
                                        [&](const option_spec& s) { return env_spelling(s.name) == segments[0]; });
        if (global) {
            YAML::Node g = global_map();
            if (g.IsMap()) apply_env_value(g, resolve_env_path(var, segments, table, "global"), var);
            continue;
        }
        if (segments.size() > 1) {
            const std::string near = nearest(segments[0], instance_spellings);
            const std::string rest = var.name.substr(7 + segments[0].size());
            throw config_error(where, "there is no endpoint or marshaller " + segments[0],
                               !near.empty() ? "did you mean ARALDO_" + near + rest + "?"
                               : instance_spellings.empty()
                                   ? "ARALDO_<NAME>__<OPTION> sets an option of the endpoint or marshaller NAME"
                                   : "names: " + join(instance_spellings));
        }
        if (std::find(referenced.begin(), referenced.end(), var.name) != referenced.end()) continue;
        for (const auto& name : instance_spellings) {
            if (segments[0].starts_with(name + "_")) {
                throw config_error(where, "sets nothing",
                                   "did you mean ARALDO_" + name + "__" + segments[0].substr(name.size() + 1) +
                                       "? (two underscores after the name)");
            }
        }
        std::vector<std::string> spellings;
        for (const auto& s : table) spellings.push_back(env_spelling(s.name));
        if (auto near = nearest(segments[0], spellings); !near.empty()) {
            throw config_error(where, "sets nothing", "did you mean ARALDO_" + near + "?");
        }
        c.warnings.push_back(var.name + " is set but matches no setting and no ${" + var.name +
                             "} in the file; ignored");
    }
}

// log-levels names loggers that exist: a misspelt one would silently do nothing.
void check_logger_names(const config& c) {
    std::vector<std::string> names{"core", "araldo", "emit"};
    for (const auto& e : c.endpoints) names.push_back("endpoint/" + e.name);
    for (const auto& [logger, level] : c.logging.levels) {
        if (std::find(names.begin(), names.end(), logger) == names.end()) {
            c.global_options.fail("log-levels", "there is no logger '" + logger + "'", suggest(logger, names));
        }
    }
}

}  // namespace

config parse_config(YAML::Node root, const std::string& file, const env_lookup& env, const env_listing& vars) {
    if (!root || root.IsNull()) {
        throw config_error({file, 1, 1}, "the config is empty", "see docs/configuration.md for a minimal file");
    }
    if (!root.IsMap()) throw config_error(mark_of(root, file), "expected a mapping at the top level");
    check_map_keys(root, file, top_level_keys, "the top level");
    config c;
    c.file = file;
    // Reads through a const node: a non-const [] on a missing key adds an entry.
    const YAML::Node& tree = root;
    // Instances first: a variable may name one.
    YAML::Node plugins = tree["plugins"];
    if (plugins && !plugins.IsNull()) {
        if (!plugins.IsMap()) throw config_error(mark_of(plugins, file), "plugins: expected a mapping");
        check_map_keys(plugins, file, plugin_section_keys, "plugins");
        c.marshallers = read_instances(plugins["araldo.marshalling"], file, env, "araldo.marshalling", false);
        c.endpoints =
            read_instances(plugins["araldo.endpoints.endpoint"], file, env, "araldo.endpoints.endpoint", true);
    }
    apply_environment(root, c, vars);
    listener_set listeners;
    c.global = read_global(tree["global"], file, env, c.data_dir_mark, listeners, c.logging, c.statsd, c.global_options);
    c.listeners = std::move(listeners.listeners);
    c.core_listeners = std::move(listeners.core);
    check_logger_names(c);
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
    c.routes = read_routes(tree["routes"], file, env);
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

config load_config(const std::string& path, const env_lookup& env, const env_listing& vars) {
    return parse_config(load_yaml_file(path), path, env, vars);
}

void apply_instance_env(const plugin_instance& inst, const option_table& table, const std::string& what) {
    for (const auto& e : inst.env) {
        YAML::Node node = inst.node;
        apply_env_value(node, resolve_env_path(e.var, e.segments, table, what), e.var);
    }
}

}  // namespace araldo::detail
