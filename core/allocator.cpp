#include "allocator.hpp"

#ifdef ARALDO_WITH_JEMALLOC
#include <jemalloc/jemalloc.h>
#else
#include <gnu/libc-version.h>
#endif

namespace araldo::detail {

std::string allocator_name() {
#ifdef ARALDO_WITH_JEMALLOC
    // Also what keeps libjemalloc a dependency of the binary under
    // --as-needed: malloc itself is found by interposition, not by reference.
    const char* version = nullptr;
    std::size_t size = sizeof version;
    if (mallctl("version", &version, &size, nullptr, 0) != 0 || version == nullptr) return "jemalloc";
    std::string v{version};
    return "jemalloc " + v.substr(0, v.find('-'));  // "5.3.0-0-g54eaed1..." -> "5.3.0"
#else
    return std::string("glibc ") + gnu_get_libc_version();
#endif
}

}  // namespace araldo::detail
