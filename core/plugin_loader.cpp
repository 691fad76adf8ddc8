#include "plugin_loader.hpp"

#include "config/option_validator.hpp"

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include <cxxabi.h>
#include <dlfcn.h>
#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace araldo::detail {

namespace fs = std::filesystem;

struct plugin_loader::registered {
    std::string id;
    bool endpoint = false;
    const endpoint_factory* ep = nullptr;
    const marshaller_factory* ma = nullptr;
    const plugin_descriptor* plugin = nullptr;
    std::string file;
};

namespace {
// True when `real` (canonical) is `root` (canonical) or below it.
bool is_inside(const fs::path& real, const fs::path& root) {
    auto r = root.begin();
    auto p = real.begin();
    for (; r != root.end(); ++r, ++p) {
        if (p == real.end() || *p != *r) return false;
    }
    return true;
}

// Loaded libraries stay reachable from here until the process ends: never
// unloaded, and not reported as leaks either.
std::vector<boost::dll::shared_library*>& loaded_libraries() {
    static auto* all = new std::vector<boost::dll::shared_library*>();
    return *all;
}
}  // namespace

namespace {
// dlerror()'s text, plus the reason when the missing symbol is one of araldo's:
// the relay exports nothing of its own, so a plugin that names a core function
// (not declared in include/araldo/) cannot load.
std::string load_failure(const char* why) {
    std::string text = why;
    constexpr std::string_view marker = "undefined symbol: ";
    auto at = text.find(marker);
    if (at == std::string::npos) return text;
    std::string symbol = text.substr(at + marker.size());
    symbol = symbol.substr(0, symbol.find_first_of(" \t,"));
    int status = 0;
    char* plain = abi::__cxa_demangle(symbol.c_str(), nullptr, nullptr, &status);
    std::string name = status == 0 && plain ? plain : symbol;
    std::free(plain);
    for (auto tag = name.find("[abi:cxx11]"); tag != std::string::npos; tag = name.find("[abi:cxx11]")) {
        name.erase(tag, 11);
    }
    if (name.rfind("araldo::", 0) != 0) return text;
    return text + ": it uses " + name +
           ", which is not part of the SDK; a plugin may use only what include/araldo/ declares "
           "(libaraldo-sdk)";
}
}  // namespace

plugin_loader::plugin_loader() = default;
plugin_loader::~plugin_loader() = default;

namespace {
// 108100 -> "1.81.0" (Boost, spdlog); 90100 -> "9.1.0" (fmt): major * 10000 + minor * 100 + patch.
std::string dotted(std::uint32_t v, std::uint32_t major_unit) {
    return std::to_string(v / major_unit) + "." + std::to_string(v / 100 % (major_unit / 100)) + "." +
           std::to_string(v % 100);
}
}  // namespace

std::string abi_mismatch(const abi_tag& plugin, const abi_tag& relay) {
    if (plugin.araldo_abi != relay.araldo_abi) {
        return "araldo SDK ABI " + std::to_string(plugin.araldo_abi) + " in the plugin, " +
               std::to_string(relay.araldo_abi) + " in this relay";
    }
    std::string out;
    auto differ = [&](std::uint32_t a, std::uint32_t b, const char* what, std::string pa, std::string pb) {
        if (a == b) return;
        if (!out.empty()) out += "; ";
        out += std::string(what) + " " + pa + " in the plugin, " + pb + " in this relay";
    };
    differ(plugin.boost_version, relay.boost_version, "Boost", dotted(plugin.boost_version, 100000),
           dotted(relay.boost_version, 100000));
    differ(plugin.gxx_abi, relay.gxx_abi, "C++ ABI", std::to_string(plugin.gxx_abi), std::to_string(relay.gxx_abi));
    differ(plugin.spdlog_version, relay.spdlog_version, "spdlog", dotted(plugin.spdlog_version, 10000),
           dotted(relay.spdlog_version, 10000));
    differ(plugin.fmt_version, relay.fmt_version, "fmt", dotted(plugin.fmt_version, 10000),
           dotted(relay.fmt_version, 10000));
    differ(plugin.openssl_version, relay.openssl_version, "OpenSSL",
           std::to_string(plugin.openssl_version / 100) + "." + std::to_string(plugin.openssl_version % 100),
           std::to_string(relay.openssl_version / 100) + "." + std::to_string(relay.openssl_version % 100));
    return out;
}

void plugin_loader::scan(const std::string& dir, bool optional) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        if (optional) return;
        throw config_error({dir, 0, 0}, "plugin folder does not exist", "check global.plugin-dirs and --plugin-dir");
    }
    // A folder is trusted, not what a link in it points to: a symlink whose
    // real file lies elsewhere would run that file's initialisers (even
    // during --check) from a place nobody reviewed. Links that stay inside
    // the folder (libfoo.so -> libfoo.so.1) still work.
    const fs::path root = fs::canonical(dir, ec);
    if (ec) throw config_error({dir, 0, 0}, "cannot read plugin folder: " + ec.message());
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(root, ec)) {
        if (!e.is_regular_file() || e.path().extension() != ".so") continue;
        std::error_code real_ec;
        const fs::path real = fs::canonical(e.path(), real_ec);
        if (real_ec) throw config_error({e.path().string(), 0, 0}, "cannot resolve plugin file: " + real_ec.message());
        if (!is_inside(real, root)) {
            throw config_error(
                {e.path().string(), 0, 0},
                "plugin file leads outside its folder " + root.string() + ": it resolves to " + real.string(),
                "remove the link; to load that file, add its own folder with --plugin-dir or "
                "global.plugin-dirs");
        }
        files.push_back(real);
    }
    if (ec) throw config_error({dir, 0, 0}, "cannot read plugin folder: " + ec.message());
    std::sort(files.begin(), files.end());
    files.erase(std::unique(files.begin(), files.end()), files.end());
    for (const auto& f : files) load(f.string());
}

void plugin_loader::load(const std::string& file) {
    auto canonical = fs::weakly_canonical(file).string();
    for (const auto& e : entries_) {
        if (e.file == canonical) return;  // the same file reached through two folders
    }
    auto lib = std::make_unique<boost::dll::shared_library>();
    boost::dll::fs::error_code ec;
    lib->load(canonical, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
    if (ec) {
        // dlerror() says which symbol or dependency is missing; ec does not.
        const char* why = ::dlerror();
        throw config_error({canonical, 0, 0}, "cannot load plugin: " + (why ? load_failure(why) : ec.message()));
    }
    if (!lib->has(ARALDO_PLUGIN_ABI_SYMBOL) || !lib->has(ARALDO_PLUGIN_DESCRIPTOR_SYMBOL)) {
        throw config_error({canonical, 0, 0},
                           "not an araldo plugin: it does not export " ARALDO_PLUGIN_ABI_SYMBOL
                           " and " ARALDO_PLUGIN_DESCRIPTOR_SYMBOL,
                           "remove it from the plugin folder, or build it with ARALDO_PLUGIN()");
    }
    auto tag_fn = lib->get<const abi_tag*() noexcept>(ARALDO_PLUGIN_ABI_SYMBOL);
    const abi_tag* tag = tag_fn();
    const std::string mismatch = tag ? abi_mismatch(*tag, current_abi_tag) : "the plugin has no ABI tag";
    if (!mismatch.empty()) {
        throw config_error({canonical, 0, 0}, "plugin ABI mismatch: " + mismatch,
                           "rebuild the plugin against this araldo's SDK");
    }
    auto descriptor_fn = lib->get<const plugin_descriptor*() noexcept>(ARALDO_PLUGIN_DESCRIPTOR_SYMBOL);
    const plugin_descriptor* d = descriptor_fn();
    if (!d) throw config_error({canonical, 0, 0}, "plugin failed to describe itself (its descriptor threw)");
    auto add = [&](registered r) {
        auto dup = std::find_if(entries_.begin(), entries_.end(), [&](const auto& e) { return e.id == r.id; });
        if (dup != entries_.end()) {
            throw config_error({canonical, 0, 0}, "duplicate plugin id '" + r.id + "', also provided by " + dup->file,
                               "remove one of the two files from the plugin folders");
        }
        entries_.push_back(std::move(r));
    };
    // A table's mistakes are the plugin's, found here rather than by whichever
    // config first happens to use the option.
    auto check_table = [&](const option_table& table, const std::string& id) {
        try {
            check_option_table(table);
        } catch (const std::invalid_argument& e) {
            throw config_error({canonical, 0, 0},
                               "plugin '" + d->name + "' declares a bad option table for " + id + ": " + e.what(),
                               "a bug in the plugin: fix its option table and rebuild it");
        }
    };
    for (const auto& f : d->endpoints) check_table(f.options, f.id);
    for (const auto& f : d->marshallers) check_table(f.options, f.id);
    for (const auto& f : d->endpoints) add({f.id, true, &f, nullptr, d, canonical});
    for (const auto& f : d->marshallers) add({f.id, false, nullptr, &f, d, canonical});
    for (const auto& c : d->commands) {
        if (const command* other = find_command(c.name)) {
            throw config_error({canonical, 0, 0}, "duplicate command '" + c.name + "'",
                               "another plugin already provides it: " + std::string(other->usage));
        }
        commands_.push_back(&c);
    }
    loaded_libraries().push_back(lib.release());
}

const command* plugin_loader::find_command(std::string_view name) const {
    for (const command* c : commands_) {
        if (c->name == name) return c;
    }
    return nullptr;
}

std::vector<const command*> plugin_loader::commands() const { return commands_; }

const endpoint_factory* plugin_loader::find_endpoint(std::string_view id) const {
    for (const auto& e : entries_) {
        if (e.endpoint && e.id == id) return e.ep;
    }
    return nullptr;
}

const marshaller_factory* plugin_loader::find_marshaller(std::string_view id) const {
    for (const auto& e : entries_) {
        if (!e.endpoint && e.id == id) return e.ma;
    }
    return nullptr;
}

std::vector<std::string> plugin_loader::endpoint_ids() const {
    std::vector<std::string> ids;
    for (const auto& e : entries_) {
        if (e.endpoint) ids.push_back(e.id);
    }
    return ids;
}

std::vector<std::string> plugin_loader::marshaller_ids() const {
    std::vector<std::string> ids;
    for (const auto& e : entries_) {
        if (!e.endpoint) ids.push_back(e.id);
    }
    return ids;
}

std::vector<plugin_row> plugin_loader::rows() const {
    std::vector<plugin_row> out;
    for (const auto& e : entries_) {
        out.push_back({e.id, e.endpoint ? "endpoint" : "marshaller", e.plugin->name, e.plugin->version, e.file});
    }
    return out;
}

std::string plugin_loader::file_of(std::string_view id) const {
    for (const auto& e : entries_) {
        if (e.id == id) return e.file;
    }
    return {};
}

std::vector<std::string> default_plugin_dirs() {
    std::vector<std::string> dirs;
    boost::dll::fs::error_code ec;
    fs::path exe_dir = boost::dll::program_location(ec).parent_path();
    if (ec) return dirs;
    // <build>/plugins beside a build tree's binary; <prefix>/<libdir>/araldo/plugins when installed.
    for (const auto& candidate : {exe_dir / "plugins", exe_dir / ".." / ARALDO_INSTALL_PLUGINDIR}) {
        std::error_code fec;
        if (fs::is_directory(candidate, fec)) dirs.push_back(fs::weakly_canonical(candidate).string());
    }
    return dirs;
}

}  // namespace araldo::detail
