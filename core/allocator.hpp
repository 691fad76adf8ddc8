// Which malloc the araldo binary runs on, for --version. Built into the
// executable only: the tests link the core without choosing an allocator.
#pragma once

#include <string>

namespace araldo::detail {

// "jemalloc 5.3.0" or "glibc 2.36".
std::string allocator_name();

}  // namespace araldo::detail
