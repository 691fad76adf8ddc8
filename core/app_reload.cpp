// Reloading the configuration on SIGHUP, routes first: the new file is read
// and checked as at start-up (a bad one changes nothing and says where), and
// when only its routes differ the new table is installed between two
// messages, every endpoint, connection and queue untouched. Endpoints,
// marshallers and global settings that changed need a restart for now: the
// reload is then refused whole, so that the relay never runs half of a file.
#include "app.hpp"

#include <araldo/keys.hpp>
#include <araldo/log_rate.hpp>

#include <yaml-cpp/yaml.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace araldo::detail {

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

// Everything of the file but its routes, written out the same way whatever
// the layout and comments: what a routes-only reload must find unchanged.
// The environment cannot change under a running process, so the text decides.
std::string app::static_part(const std::string& text) {
    YAML::Node root = YAML::Load(text);
    if (root.IsMap()) root.remove("routes");
    YAML::Emitter out;
    out << root;
    return out.c_str();
}

void app::remember_config() {
    const std::string text = read_file(cli_.config);
    config_text_static_ = static_part(text);
    config_hash_ = key_sha256(text).substr(0, 16);
}

app::reload_outcome app::reload_config() {
    const auto refuse = [&](araldo::counter& c, std::string result, std::string why) {
        c.inc();
        log_->error("configuration not reloaded, nothing changed: {}", why);
        return reload_outcome{std::move(result), std::move(why)};
    };
    std::string text;
    config next;
    try {
        text = read_file(cli_.config);
        next = load_config(cli_.config, process_environment(), araldo_environment());
    } catch (const std::exception& e) {
        return refuse(reloads_invalid_, "invalid", e.what());
    }
    if (static_part(text) != config_text_static_) {
        return refuse(reloads_need_restart_, "needs_restart",
                      "only routes are applied by a reload yet; endpoints, marshallers or global settings changed: "
                      "restart to apply them");
    }
    std::vector<endpoint_slot> slots;
    std::vector<std::string> names;
    for (const auto& h : endpoints_) {
        slots.push_back({h->name(), h->get()});
        names.push_back(h->name());
    }
    try {
        router_->install(compile_routes(next.routes, slots, metrics_), names);
    } catch (const std::exception& e) {
        return refuse(reloads_invalid_, "invalid", e.what());
    }
    config_.routes = std::move(next.routes);
    config_hash_ = key_sha256(text).substr(0, 16);
    reloads_ok_.inc();
    log_->info("configuration reloaded from {} ({}): {} routes", cli_.config, config_hash_, config_.routes.size());
    return {"ok", {}};
}

// araldo reload [-c FILE]: the file is checked as --check does (a bad one
// exits 2 and nothing is signalled), then the relay running on its data-dir
// (the pid in <data-dir>/araldo.lock, which it holds locked) gets SIGHUP.
int app::signal_reload() {
    load();
    const std::string lock = (std::filesystem::path(config_.global.data_dir) / "araldo.lock").string();
    const int fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
    // A lock we can take is held by nobody: no relay runs on this data-dir.
    const bool held = fd >= 0 && ::flock(fd, LOCK_SH | LOCK_NB) != 0;
    std::string pid_text;
    if (fd >= 0) {
        char buf[32] = {};
        const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
        if (n > 0) pid_text.assign(buf, static_cast<std::size_t>(n));
        ::close(fd);
    }
    const long pid = std::strtol(pid_text.c_str(), nullptr, 10);
    if (!held || pid <= 0) {
        std::cerr << "araldo: no relay is running on data-dir " << config_.global.data_dir << " (" << lock
                  << " is not held); nothing to reload\n";
        return 1;
    }
    if (::kill(static_cast<pid_t>(pid), SIGHUP) != 0) {
        std::cerr << "araldo: cannot signal pid " << pid << ": " << std::strerror(errno) << "\n";
        return 1;
    }
    std::cout << cli_.config << " is valid; sent SIGHUP to the relay (pid " << pid
              << "): its log and araldo_config_reloads_total say what was applied\n";
    return 0;
}

}  // namespace araldo::detail
