// Command-line parsing for the araldo executable.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace araldo::detail {

struct cli_options {
    std::string config = "araldo.yaml";
    bool config_given = false;
    std::vector<std::string> plugin_dirs;
    std::optional<std::string> log_level;
    bool check = false;
    bool list_plugins = false;
    bool help = false;
    bool version = false;
};

struct cli_parse {
    cli_options options;
    std::string error;  // non-empty: a usage error (exit 2)
};

cli_parse parse_cli(int argc, const char* const* argv);
std::string usage_text();

}  // namespace araldo::detail
