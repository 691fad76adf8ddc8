// `araldo keys list|add|revoke --file FILE`: the keys file (docs/folders.md#keys)
// edited from the command line. A core command, not a plugin's: the keys
// file belongs to every endpoint that takes keys.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace araldo::detail {

// The forms, one per line, for the global help.
std::string keys_usage();

// `args` follow "keys". Exit code: 0 done, 2 usage error or a file that does
// not load (the reason on `err`), 1 a write that failed.
int run_keys_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace araldo::detail
