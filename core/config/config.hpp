// araldo.yaml as the core sees it after the first pass: global settings
// validated, plugin instances and routes read with their positions. Plugin
// options are validated later, once the loader knows each plugin's table.
#pragma once

#include "config/listener_config.hpp"
#include "config/statsd_config.hpp"
#include "config/substitution.hpp"

#include <araldo/context.hpp>
#include <araldo/error.hpp>
#include <araldo/folder.hpp>
#include <araldo/options.hpp>

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

namespace araldo::detail {

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

// Environment variables that override global settings.
struct env_override {
    const char* variable;
    const char* option;
};
inline constexpr env_override global_env_overrides[] = {
    {"ARALDO_SERVER_PORT", "server-port"},
    {"ARALDO_LOG_LEVEL", "log-level"},
    {"ARALDO_BIND", "bind"},
};

// Parses and checks everything the core can check alone: structure, globals,
// duplicate names, routes and marshalling references. Throws config_error.
config parse_config(const YAML::Node& root, const std::string& file, const env_lookup& env);
config load_config(const std::string& path, const env_lookup& env);

}  // namespace araldo::detail
