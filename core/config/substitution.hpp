// ${VAR} and ${VAR:-default} in config values, so secrets stay out of the file.
#pragma once

#include <araldo/error.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace araldo::detail {

using env_lookup = std::function<std::optional<std::string>(const std::string&)>;

// Reads the process environment.
env_lookup process_environment();

// Replaces every ${NAME} and ${NAME:-default}; "$$" is a literal '$'. An unset
// variable without a default (or a malformed reference) is a config_error at `where`.
std::string substitute(std::string_view text, const source_mark& where, const env_lookup& env);

}  // namespace araldo::detail
