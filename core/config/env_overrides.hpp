// Settings from the environment: ARALDO_<SETTING> for the global section,
// ARALDO_<NAME>__<OPTION>[__<FIELD>...] for an endpoint's or a marshaller's
// options. A variable's value replaces what the file says; its nodes carry
// the variable's name, so errors and --print-config name it instead of a line.
#pragma once

#include <araldo/options.hpp>

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace araldo::detail {

struct env_variable {
    std::string name;   // ARALDO_CHAT__MAX_CLIENTS
    std::string value;  // as set
};
using env_listing = std::vector<env_variable>;

// The process's ARALDO_* variables.
env_listing araldo_environment();

// "max-clients" -> "MAX_CLIENTS": how a name of the config is spelt in a variable.
std::string env_spelling(std::string_view config_name);

// The variable an environment value's node came from, or nullopt for a node of the file.
std::optional<std::string> env_origin(const YAML::Node& node);

// One variable aimed at a table: the path of option names it sets, resolved
// against `table` (object options may be entered with further __).
// `segments` are the parts after the instance's (or ARALDO_'s) prefix.
// Throws config_error naming the variable when no option matches.
std::vector<const option_spec*> resolve_env_path(const env_variable& var, const std::vector<std::string>& segments,
                                                 const option_table& table, const std::string& what);

// Writes the variable's value into `map` (a mapping node of the tree) at
// `path`, creating nested mappings, replacing what the file had. A string
// option takes the value as it is; others parse it as YAML ("5s", "[a, b]").
void apply_env_value(YAML::Node map, const std::vector<const option_spec*>& path, const env_variable& var);

// Splits "CHAT__AUTH__TOKENS" at "__".
std::vector<std::string> env_segments(std::string_view rest);

// Every NAME that a ${NAME} or ${NAME:-x} of the tree refers to.
std::vector<std::string> referenced_variables(const YAML::Node& root);

}  // namespace araldo::detail
