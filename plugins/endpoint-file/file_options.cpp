#include "file_options.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

namespace araldo::plugins::endpoint_file {

option_table file_options() {
    using araldo::option_spec;
    using araldo::option_type;
    return {
        option_spec{"output", option_type::string, std::nullopt,
                    "where routed messages are appended, one per line: a path (relative to the config file's "
                    "folder), or - for stdout",
                    false},
        option_spec{"input", option_type::string, std::nullopt,
                    "where messages are read from, one per line: a path (relative to the config file's folder), "
                    "or - for stdin",
                    false},
        option_spec{.name = "queue-size",
                    .type = option_type::integer,
                    .default_value = "10000",
                    .description = "outbound messages waiting to be written; when full, new ones are dropped",
                    .min = "1"},
        option_spec{.name = "max-line",
                    .type = option_type::size,
                    .default_value = "1MiB",
                    .description = "longest input line accepted; longer lines are skipped with a warning",
                    .min = "1"},
    };
}

file_settings read_file_settings(const araldo::options& opts, const araldo::global_settings& global) {
    file_settings s;
    if (opts.has("output")) s.output = opts.string("output");
    if (opts.has("input")) s.input = opts.string("input");
    if (!s.output && !s.input) {
        opts.fail("output", "endpoint-file needs input, output or both",
                  "output: - writes to stdout, input: - reads stdin");
    }
    if (s.output && s.output->empty()) opts.fail("output", "cannot be empty", "use - for stdout");
    if (s.input && s.input->empty()) opts.fail("input", "cannot be empty", "use - for stdin");
    // The relay and a check run from another folder must mean the same file.
    if (s.output && *s.output != "-") s.output = araldo::resolve_config_path(global, *s.output);
    if (s.input && *s.input != "-") s.input = araldo::resolve_config_path(global, *s.input);
    // The table's minimums hold: both are at least 1.
    s.queue_size = static_cast<std::size_t>(opts.integer("queue-size"));
    const std::uint64_t max_line = opts.size("max-line");
    s.max_line = static_cast<std::size_t>(std::min<std::uint64_t>(max_line, std::numeric_limits<std::size_t>::max()));
    return s;
}

}  // namespace araldo::plugins::endpoint_file
