// Reloading the configuration (SIGHUP, POST /_admin/reload): the new file is
// read and checked as at start-up (a bad one changes nothing and says where).
// Routes are swapped between two messages; endpoints added are started,
// removed ones stopped, changed ones restarted (app_reload_endpoints.cpp),
// and every endpoint whose mapping did not change keeps its connections,
// queues and history. Marshallers and global settings that changed need a
// restart: the reload is then refused whole, so that the relay never runs
// half of a file.
#include "app.hpp"

#include <araldo/keys.hpp>
#include <araldo/log_rate.hpp>

#include <yaml-cpp/yaml.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
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

namespace {

constexpr const char* endpoints_key = "araldo.endpoints.endpoint";

std::string emitted(const YAML::Node& node) {
    YAML::Emitter out;
    out << node;
    return out.c_str();
}

}  // namespace

// Everything of the file but its routes and endpoints, written out the same
// way whatever the layout and comments: what a reload must find unchanged.
// The environment cannot change under a running process, so the text decides.
std::string app::static_part(const std::string& text) {
    YAML::Node root = YAML::Load(text);
    if (root.IsMap()) {
        root.remove("routes");
        if (root["plugins"].IsDefined() && root["plugins"].IsMap()) root["plugins"].remove(endpoints_key);
    }
    return emitted(root);
}

std::map<std::string, std::string> app::endpoint_texts(const std::string& text) {
    std::map<std::string, std::string> out;
    const YAML::Node root = YAML::Load(text);
    if (!root.IsMap() || !root["plugins"].IsDefined() || !root["plugins"].IsMap()) return out;
    const YAML::Node list = root["plugins"][endpoints_key];
    if (!list.IsDefined() || !list.IsSequence()) return out;
    for (const auto& e : list) {
        if (e.IsMap() && e["name"].IsScalar()) out[e["name"].as<std::string>()] = emitted(e);
    }
    return out;
}

void app::remember_config() {
    const std::string text = read_file(cli_.config);
    config_text_static_ = static_part(text);
    endpoint_texts_ = endpoint_texts(text);
    config_hash_ = key_sha256(text).substr(0, 16);
}

app::reload_outcome app::reload_config() {
    const auto refuse = [&](araldo::counter& c, std::string result, std::string why) {
        c.inc();
        log_->error("configuration not reloaded, nothing changed: {}", why);
        return reload_outcome{std::move(result), std::move(why)};
    };
    if (stopping_) return refuse(reloads_need_restart_, "needs_restart", "the relay is stopping");
    std::string text;
    config next;
    std::map<std::string, std::string> texts;
    try {
        text = read_file(cli_.config);
        next = load_config(cli_.config, process_environment(), araldo_environment());
        texts = endpoint_texts(text);
    } catch (const std::exception& e) {
        return refuse(reloads_invalid_, "invalid", e.what());
    }
    if (static_part(text) != config_text_static_) {
        return refuse(reloads_need_restart_, "needs_restart",
                      "marshallers or global settings changed: restart to apply them (a reload applies routes and "
                      "endpoints)");
    }
    endpoint_plan plan;
    try {
        // New plugins in the folders: a .so already loaded is never loaded again or unloaded.
        scan_plugins(next.global.plugin_dirs);
        plan = plan_endpoints(next, texts);
    } catch (const std::exception& e) {
        return refuse(reloads_invalid_, "invalid", e.what());
    }
    // The endpoints to add are made now, their paths held back, so that one
    // that fails or collides leaves everything as it was.
    std::vector<std::unique_ptr<endpoint_host>> added;
    std::vector<std::unique_ptr<staged_routes>> staged;
    const auto discard_added = [&] {
        for (auto& h : added) {
            unregister(h->name());
            retire(std::move(h));
        }
    };
    std::vector<std::string> withdrawn, claimed;
    for (const endpoint_host* h : plan.removed) withdrawn.insert(withdrawn.end(), h->paths().begin(), h->paths().end());
    for (const plugin_instance* inst : plan.changed) {
        const auto& paths = live_endpoint(inst->name)->paths();
        withdrawn.insert(withdrawn.end(), paths.begin(), paths.end());
    }
    try {
        for (const plugin_instance* inst : plan.added) {
            staged.emplace_back();
            try {
                added.push_back(make_endpoint(*inst, endpoints_.size() + added.size(), &staged.back()));
            } catch (...) {
                unregister(inst->name);
                throw;
            }
            for (const auto& p : staged.back()->paths()) {
                const bool taken = listener_->serves(p) &&
                                   std::find(withdrawn.begin(), withdrawn.end(), p) == withdrawn.end();
                if (taken || std::find(claimed.begin(), claimed.end(), p) != claimed.end())
                    throw config_error(inst->mark, "endpoint '" + inst->name + "': path " + p + " is already served");
                claimed.push_back(p);
            }
        }
        // Changed endpoints are checked as far as can be without making them:
        // their options. Made once the old one has stopped (restart_endpoint).
        for (const plugin_instance* inst : plan.changed) (void)endpoint_options(*inst);
    } catch (const std::exception& e) {
        discard_added();
        return refuse(reloads_invalid_, "invalid", e.what());
    }
    // From here on the reload is applied.
    for (endpoint_host* h : plan.removed) {
        withdraw(*h);
        h->retired = true;
        if (h->running) h->get()->stop();
        log_->info("endpoint {} removed by the reload: stopping", h->name());
    }
    for (std::size_t i = 0; i < added.size(); ++i) {
        staged[i]->commit();
        staged_.push_back(std::move(staged[i]));
        endpoints_.push_back(std::move(added[i]));
        register_endpoint_gauge(*endpoints_.back());
    }
    if (!plan.added.empty() || !plan.removed.empty()) mount_admin();
    const std::vector<plugin_instance> before = std::move(config_.endpoints);
    config_.endpoints = std::move(next.endpoints);
    config_.routes = std::move(next.routes);
    install_routes(config_.routes);
    endpoint_texts_ = std::move(texts);
    for (const plugin_instance* inst : plan.changed) {
        // plan.changed points into the next config, now config_.endpoints.
        const plugin_instance& now = *std::find_if(config_.endpoints.begin(), config_.endpoints.end(),
                                                   [&](const auto& e) { return e.name == inst->name; });
        endpoint_host& old = *live_endpoint(now.name);
        if (old.running && take_in_place(old, now, before)) continue;
        withdraw(old);
        if (old.running) {
            restarts_[&old] = now;
            old.get()->stop();
            log_->info("endpoint {} changed: restarting once it has stopped", old.name());
        } else {
            restart_endpoint(old, now);
        }
    }
    for (std::size_t i = endpoints_.size() - added.size(); i < endpoints_.size(); ++i) {
        endpoint_host& h = *endpoints_[i];
        try {
            start_endpoint(h);
            log_->info("endpoint {} added by the reload", h.name());
        } catch (const std::exception& e) {
            h.failure = std::string("start() failed: ") + e.what();
            withdraw(h);
            register_endpoint_gauge(h);
            log_->critical("endpoint {} added by the reload cannot start: {}", h.name(), e.what());
            endpoint_texts_[h.name()].clear();  // so that the next reload tries it again
        }
    }
    config_hash_ = key_sha256(text).substr(0, 16);
    reloads_ok_.inc();
    log_->info("configuration reloaded from {} ({}): {} routes; endpoints {} added, {} removed, {} changed",
               cli_.config, config_hash_, config_.routes.size(), plan.added.size(), plan.removed.size(),
               plan.changed.size());
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
