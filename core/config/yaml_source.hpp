// Reading YAML text into a node tree, safely: hostile files (deep nesting,
// alias bombs, huge scalars, huge files) are config errors, never crashes.
#pragma once

#include <araldo/error.hpp>

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>

namespace araldo::detail {

struct yaml_limits {
    std::size_t max_file_bytes = 4 * 1024 * 1024;
    std::size_t max_scalar_bytes = 1024 * 1024;
    std::size_t max_nodes = 200'000;  // counted with aliases expanded
};

// Parses `text`; `file` names it in errors.
YAML::Node parse_yaml(std::string_view text, const std::string& file, const yaml_limits& limits = {});

// Reads and parses a file.
YAML::Node load_yaml_file(const std::string& path, const yaml_limits& limits = {});

// 1-based position of a node in `file`.
source_mark mark_of(const YAML::Node& node, const std::string& file);

}  // namespace araldo::detail
