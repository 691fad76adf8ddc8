// Checks a YAML mapping against a plugin's (or the core's) option table and
// produces typed values.
#pragma once

#include "config/substitution.hpp"

#include <araldo/options.hpp>

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace araldo::detail {

struct validation_input {
    const YAML::Node& node;  // a mapping (or null: every option defaulted)
    const option_table& table;
    const std::string& file;
    const env_lookup& env;
    std::vector<std::string> reserved;  // keys handled by the caller (name, id, marshalling)
    std::string what;                   // "endpoint 'chat' (endpoint-websocket)", for messages
};

// Throws config_error: unknown key (with the nearest valid one), duplicate key,
// wrong type, missing required option.
options validate_options(const validation_input& in);

// Converts one scalar node written for `spec` (used for environment overrides too).
options::value convert_option(const YAML::Node& node, const option_spec& spec, const std::string& file,
                              const env_lookup& env);

// Checks a table itself, as the loader does for every plugin's: each name once,
// one_of only on strings, min/max only on numbers and parseable as the
// option's type, min not above max, and every default valid by its own rules.
// Throws std::invalid_argument naming the option ("reconnect.min: ...").
void check_option_table(const option_table& table);

}  // namespace araldo::detail
