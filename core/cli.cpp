#include "cli.hpp"

#include <string_view>

namespace araldo::detail {

namespace {

// A command's usage has one line per form.
std::string indented(const std::vector<std::string>& usages) {
    std::string lines;
    for (const auto& u : usages) {
        for (std::size_t at = 0; at < u.size();) {
            auto end = u.find('\n', at);
            if (end == std::string::npos) end = u.size();
            lines += "  " + u.substr(at, end - at) + "\n";
            at = end + 1;
        }
    }
    return lines;
}

}  // namespace

std::string usage_text(const std::vector<std::string>& command_usages, const std::vector<std::string>& core_usages) {
    std::string commands = indented(command_usages);
    if (commands.empty()) commands = "  (none: no plugin found provides one)\n";
    return R"(usage: araldo [options]
       araldo <command> [args] [-c FILE]   (keys, init, and the plugins' commands listed below)

Routes messages between endpoints (WebSocket, Redis, HTTP, webhooks, files)
as configured in a YAML file.

options:
  -c, --config FILE     configuration file (default: $ARALDO_CONFIG, else
                        ./araldo.yaml)
      --check           validate the config and plugins, print a summary, exit
      --list-plugins    list the plugins found and exit
      --print-options   print every option of the core and the plugins found
                        (Markdown, as in docs/configuration.md) and exit
      --print-config    print the configuration as it would run (environment
                        and defaults applied, the source of each value,
                        secrets masked) and exit
      --plugin-dir DIR  also load plugins from DIR (repeatable)
      --log-level LEVEL trace, debug, info, warn (warning), error, critical (fatal)
                        or off
      --version         print the version and exit
  -h, --help            print this help and exit; after a command, that
                        command's help

commands:
  araldo init [--force] [--data-dir DIR] [FILE]
                        write a commented starter config (default ./araldo.yaml);
                        an existing file is kept unless --force
)" + indented(core_usages) +
           "plugin commands:\n" + commands +
           R"(
exit codes: 0 clean stop, 1 runtime failure (port in use, data-dir locked by
another relay), 2 usage or config error
)";
}

void apply_config_variable(cli_options& o, const char* value) {
    if (o.config_given || value == nullptr || *value == '\0') return;
    o.config = value;
    o.config_given = true;
}

cli_parse parse_cli(int argc, const char* const* argv) {
    cli_parse out;
    auto& o = out.options;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        std::string inline_value;
        bool has_inline = false;
        if (arg.starts_with("--") && arg.find('=') != std::string_view::npos) {
            inline_value = std::string(arg.substr(arg.find('=') + 1));
            arg = arg.substr(0, arg.find('='));
            has_inline = true;
        }
        auto value = [&](std::string& into) {
            if (has_inline) {
                into = inline_value;
                return true;
            }
            if (i + 1 >= argc) {
                out.error = std::string(arg) + " needs a value";
                return false;
            }
            into = argv[++i];
            return true;
        };
        std::string v;
        if (arg == "-c" || arg == "--config") {
            if (!value(o.config)) return out;
            o.config_given = true;
        } else if (arg == "--plugin-dir") {
            if (!value(v)) return out;
            o.plugin_dirs.push_back(v);
        } else if (arg == "--log-level") {
            if (!value(v)) return out;
            o.log_level = v;
        } else if (arg == "--check") {
            o.check = true;
        } else if (arg == "--list-plugins") {
            o.list_plugins = true;
        } else if (arg == "--print-options") {
            o.print_options = true;
        } else if (arg == "--print-config") {
            o.print_config = true;
        } else if (arg == "--version") {
            o.version = true;
        } else if ((arg == "-h" || arg == "--help") && !o.command.empty()) {
            // `araldo deadletters --help`: the command knows its own usage.
            o.command_args.emplace_back(argv[i]);
            continue;
        } else if (arg == "-h" || arg == "--help") {
            o.help = true;
        } else if (!o.command.empty()) {
            o.command_args.emplace_back(argv[i]);  // the command parses its own
            continue;
        } else if (!arg.starts_with("-") && i == 1) {
            o.command = std::string(arg);
        } else {
            out.error = "unknown argument '" + std::string(arg) + "'";
            return out;
        }
        if (has_inline && (arg == "--check" || arg == "--list-plugins" || arg == "--print-options" ||
                           arg == "--print-config" || arg == "--version" || arg == "--help")) {
            out.error = std::string(arg) + " takes no value";
            return out;
        }
    }
    return out;
}

}  // namespace araldo::detail
