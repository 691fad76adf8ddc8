// Reading global.listeners and global.core-listeners. Private to core/config.
#pragma once

#include "config/listener_config.hpp"

#include <araldo/context.hpp>
#include <araldo/options.hpp>

#include <functional>
#include <string>
#include <vector>

namespace araldo::detail {

// The entry of the global option table.
option_spec listeners_option();

struct listener_set {
    std::vector<listener_config> listeners;
    std::vector<std::string> core;
};

// Fails a global option by name (pointing at the file or the environment
// variable that set it).
using field_failure = std::function<void(const std::string&, const std::string&, const std::string&)>;

// From the validated global options; throws config_error.
listener_set read_listeners(const options& global, const global_settings& g, const field_failure& fail);

// Throws config_error at `mark` unless a listener is named `name`.
void check_listener_name(const listener_set& set, const std::string& name, const source_mark& mark);

}  // namespace araldo::detail
