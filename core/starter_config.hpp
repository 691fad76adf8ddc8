// `araldo init`: the commented starter configuration, and the command that
// writes it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace araldo::detail {

// The starter file, with global.data-dir set to `data_dir`.
std::string starter_config(std::string_view data_dir = "./data");

// `araldo init [--force] [--data-dir DIR] [FILE]`; returns the exit code
// (2 for a usage error or a file that exists without --force).
int run_init(const std::vector<std::string>& args);

}  // namespace araldo::detail
