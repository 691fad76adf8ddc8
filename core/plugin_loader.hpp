// Finds plugin .so files in the configured folders, checks each one's ABI tag
// before anything else, and registers its factories by id.
//
// Libraries are never unloaded: objects made by a plugin may outlive any scope
// the loader could close, and dlclose would turn that into a crash.
#pragma once

#include <araldo/plugin.hpp>

#include <memory>
#include <string>
#include <vector>

namespace araldo::detail {

struct plugin_row {
    std::string id;
    std::string kind;  // "endpoint" or "marshaller"
    std::string plugin;
    std::string version;
    std::string file;
};

class plugin_loader {
public:
    plugin_loader();
    ~plugin_loader();
    plugin_loader(const plugin_loader&) = delete;
    plugin_loader& operator=(const plugin_loader&) = delete;

    // Loads every *.so in `dir` (sorted by name). Throws config_error naming
    // the file: not a plugin, wrong ABI tag, no descriptor, duplicate id.
    // A folder that does not exist is an error unless `optional`.
    void scan(const std::string& dir, bool optional = false);
    // Loads one file.
    void load(const std::string& file);

    const endpoint_factory* find_endpoint(std::string_view id) const;
    const marshaller_factory* find_marshaller(std::string_view id) const;
    const command* find_command(std::string_view name) const;
    std::vector<const command*> commands() const;
    std::vector<std::string> endpoint_ids() const;
    std::vector<std::string> marshaller_ids() const;
    std::vector<plugin_row> rows() const;
    // File that provides `id`, for messages.
    std::string file_of(std::string_view id) const;

private:
    struct registered;
    std::vector<registered> entries_;
    std::vector<const command*> commands_;
};

// The folders scanned when nothing else is said: <exe>/plugins (a build tree)
// and <exe>/../<libdir>/araldo/plugins (an install), whichever exist, so a
// relocated install still finds its own plugins.
std::vector<std::string> default_plugin_dirs();

// What differs between a plugin's tag and the relay's, each library named with
// both versions ("spdlog 1.9.2 in the plugin, 1.10.0 in this relay"); empty when
// they match. Reads past araldo_abi only when araldo_abi matches.
std::string abi_mismatch(const abi_tag& plugin, const abi_tag& relay);

}  // namespace araldo::detail
