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
    bool print_options = false;
    bool print_config = false;
    bool help = false;
    bool version = false;
    // `araldo <command> [args]`: a plugin-provided subcommand (e.g. deadletters).
    std::string command;
    std::vector<std::string> command_args;
};

struct cli_parse {
    cli_options options;
    std::string error;  // non-empty: a usage error (exit 2)
};

cli_parse parse_cli(int argc, const char* const* argv);
// ARALDO_CONFIG names the file when -c does not: as if it had been given.
void apply_config_variable(cli_options& o, const char* value);
// The global help; `command_usages` are the plugins' command::usage texts,
// `core_usages` the core's own commands besides init (araldo keys).
std::string usage_text(const std::vector<std::string>& command_usages = {},
                       const std::vector<std::string>& core_usages = {});

}  // namespace araldo::detail
