#include "allocator.hpp"
#include "app.hpp"
#include "cli.hpp"
#include "keys_command.hpp"
#include "logging.hpp"
#include "starter_config.hpp"

#include <araldo/error.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>

// Defined by core/CMakeLists.txt from the project's version.
#ifndef ARALDO_VERSION
#error "ARALDO_VERSION must be defined by the build"
#endif

int main(int argc, char** argv) {
    using namespace araldo::detail;
    // A reader that goes away (araldo ... | head) must be a write error the
    // endpoint handles, not the death of the relay.
    std::signal(SIGPIPE, SIG_IGN);
    // Started with & on a terminal set to `stty tostop`, the first log line
    // would stop the whole relay; ignored, the write simply goes through.
    std::signal(SIGTTOU, SIG_IGN);
    auto parsed = parse_cli(argc, argv);
    if (!parsed.error.empty()) {
        std::cerr << "araldo: " << parsed.error << "\n\n" << usage_text({}, {keys_usage()});
        return 2;
    }
    apply_config_variable(parsed.options, std::getenv("ARALDO_CONFIG"));
    const auto& cli = parsed.options;
    // The core's own command: it needs no plugin and no config (it writes one).
    if (cli.command == "init") return run_init(cli.command_args);
    if (cli.help) {
        // The commands come from the plugins: list those found, and print the
        // rest of the help even when a plugin folder cannot be read.
        std::vector<std::string> usages;
        try {
            init_logging("warn");
            app relay(cli);
            relay.load_plugins_only();
            for (auto& u : relay.command_usages()) usages.push_back(std::move(u));
        } catch (const std::exception& e) {
            std::cerr << "araldo: plugin commands unavailable: " << e.what() << "\n";
        }
        std::cout << usage_text(usages, {keys_usage(), "araldo reload [-c FILE]"});
        return 0;
    }
    if (cli.version) {
        std::cout << "araldo " ARALDO_VERSION " (malloc: " << allocator_name() << ")\n";
        return 0;
    }
    // The core's own command: it needs no config and no plugin.
    if (cli.command == "keys") return run_keys_command(cli.command_args, std::cout, std::cerr);
    try {
        init_logging(cli.log_level.value_or("info"));
        app relay(cli);
        if (cli.command == "reload") return relay.signal_reload();
        if (!cli.command.empty()) return relay.run_command();
        if ((cli.list_plugins || cli.print_options) && !cli.config_given) {
            relay.load_plugins_only();
            std::cout << (cli.list_plugins ? relay.plugin_listing() : relay.options_reference());
            return 0;
        }
        relay.load();
        if (cli.list_plugins || cli.print_options) {
            std::cout << (cli.list_plugins ? relay.plugin_listing() : relay.options_reference());
            return 0;
        }
        if (cli.print_config) {
            std::cout << relay.effective_config();
            return 0;
        }
        if (cli.check) {
            relay.check_start_conditions();
            for (const auto& w : relay.check_warnings()) std::cerr << "araldo: warning: " << w << "\n";
            std::cout << relay.summary();
            return 0;
        }
        return relay.run();
    } catch (const araldo::config_error& e) {
        std::cerr << "araldo: " << e.what() << "\n";
        return 2;
    } catch (const std::invalid_argument& e) {
        std::cerr << "araldo: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "araldo: fatal: " << e.what() << "\n";
        return 1;
    }
}
