// araldo.yaml as the core sees it after the first pass: global settings
// validated, plugin instances and routes read with their positions. Plugin
// options are validated later, once the loader knows each plugin's table.
#pragma once

#include "config/env_overrides.hpp"
#include "config/listener_config.hpp"
#include "config/statsd_config.hpp"
#include "config/substitution.hpp"
#include "logging.hpp"

#include <araldo/context.hpp>
#include <araldo/error.hpp>
#include <araldo/folder.hpp>
#include <araldo/options.hpp>

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

namespace araldo::detail {

// A variable ARALDO_<NAME>__<OPTION>... aimed at one instance, applied once
// its plugin's table is known.
struct instance_env {
    env_variable var;
    std::vector<std::string> segments;  // after the instance's name: OPTION, FIELD...
};

struct plugin_instance {
    std::string name;
    std::string id;
    std::string marshalling;             // endpoints only; empty: pass-through
    std::vector<std::string> listeners;  // endpoints only: where its paths are served; empty: every listener
    YAML::Node listeners_node;           // as written, until the listeners are known
    YAML::Node node;                     // the whole mapping, for the plugin's options
    source_mark mark;                    // of the mapping
    source_mark id_mark;
    source_mark marshalling_mark;
    std::vector<instance_env> env;  // its ARALDO_<NAME>__ variables
};

struct route_target {
    std::string name;
    std::string type_glob;  // empty: every message
    source_mark mark;
    std::optional<folder_glob> folder = std::nullopt;  // none: every message
};

struct route_entry {
    std::string source;
    source_mark mark;
    std::vector<route_target> targets;
};

struct config {
    std::string file;
    // Relative paths in global (data-dir, static-dir, plugin-dirs) are
    // already resolved against the file's folder.
    global_settings global;
    log_settings logging;
    options global_options;  // as validated, with where each value came from (--print-config)
    // Legal but worth a word at start-up: an ARALDO_ variable that sets nothing.
    std::vector<std::string> warnings;
    source_mark data_dir_mark;  // for --check's messages about the folder
    // At least one: global.listeners, or the plain "default" one of
    // server-port and bind.
    std::vector<listener_config> listeners;
    std::vector<std::string> core_listeners;  // /_health/, /metrics, /_admin/, static files; empty: all
    std::optional<statsd_config> statsd;      // none: off
    std::vector<plugin_instance> marshallers;
    std::vector<plugin_instance> endpoints;
    std::vector<route_entry> routes;
};

// Keys the core reads from each plugin mapping; everything else is the plugin's.
inline const std::vector<std::string> marshaller_reserved_keys{"name", "id"};
inline const std::vector<std::string> endpoint_reserved_keys{"name", "id", "marshalling", "listeners"};

// The global: section's option table (also used to generate the docs).
const option_table& global_option_table();

// Parses and checks everything the core can check alone: structure, globals,
// duplicate names, routes and marshalling references. `vars` (the ARALDO_*
// variables) are applied on top of the file: global settings at once, an
// instance's options kept in plugin_instance::env for apply_instance_env().
// Throws config_error.
config parse_config(YAML::Node root, const std::string& file, const env_lookup& env, const env_listing& vars);
config load_config(const std::string& path, const env_lookup& env, const env_listing& vars);

// Writes an instance's ARALDO_<NAME>__ variables into its mapping, checked
// against its plugin's table (`what` names it in errors).
void apply_instance_env(const plugin_instance& inst, const option_table& table, const std::string& what);

}  // namespace araldo::detail
