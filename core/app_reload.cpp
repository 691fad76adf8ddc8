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

#include <fstream>
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

}  // namespace araldo::detail
