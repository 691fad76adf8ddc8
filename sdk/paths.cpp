// Paths from the config mean the config file's folder, for the relay and
// every CLI command alike, wherever they are started from.
#include <araldo/context.hpp>

#include <filesystem>

namespace araldo {

std::string resolve_config_path(const global_settings& global, std::string_view path) {
    namespace fs = std::filesystem;
    if (path.empty()) return {};
    const fs::path p{path};
    if (p.is_absolute()) return p.lexically_normal().string();
    const fs::path base =
        global.config_file.empty() ? fs::current_path() : fs::absolute(fs::path(global.config_file)).parent_path();
    return (base / p).lexically_normal().string();
}

}  // namespace araldo
