// endpoint-file's option table and the settings read from it.
#pragma once

#include <araldo/context.hpp>
#include <araldo/options.hpp>

#include <cstddef>
#include <optional>
#include <string>

namespace araldo::plugins::endpoint_file {

struct file_settings {
    std::optional<std::string> output;   // a path, or "-" for stdout
    std::optional<std::string> input;    // a path, or "-" for stdin
    std::size_t queue_size = 10000;      // outbound messages waiting to be written
    std::size_t max_line = 1024 * 1024;  // longer input lines are skipped
};

option_table file_options();
// Reads validated options (the table keeps the sizes at 1 or more). Throws
// config_error (through opts.fail) when neither input nor output is given.
// Paths come back resolved against the config file's folder ("-" stays as it is).
file_settings read_file_settings(const araldo::options& opts, const araldo::global_settings& global);

}  // namespace araldo::plugins::endpoint_file
