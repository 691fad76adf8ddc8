// What a reload does to endpoints: which were added, removed or changed
// (their mapping in the file, compared as text), and the restart of a changed
// one once its old self has stopped. An endpoint object is never destroyed
// before exit: its plugin's coroutines and callbacks may still point at it.
#include "app.hpp"

#include <algorithm>

namespace araldo::detail {

endpoint_host* app::live_endpoint(const std::string& name) const {
    for (const auto& h : endpoints_)
        if (!h->retired && h->name() == name) return h.get();
    return nullptr;
}

app::endpoint_plan app::plan_endpoints(const config& next, const std::map<std::string, std::string>& texts) {
    endpoint_plan plan;
    for (const auto& inst : next.endpoints) {
        endpoint_host* now = live_endpoint(inst.name);
        if (!now) {
            (void)endpoint_options(inst);  // unknown id, bad options: config_error before anything changes
            plan.added.push_back(&inst);
            continue;
        }
        const auto was = endpoint_texts_.find(inst.name);
        const auto is = texts.find(inst.name);
        // An endpoint whose last start failed has no text: it is tried again.
        if (was == endpoint_texts_.end() || is == texts.end() || was->second.empty() || was->second != is->second)
            plan.changed.push_back(&inst);
    }
    for (const auto& h : endpoints_) {
        if (h->retired) continue;
        const bool kept = std::any_of(next.endpoints.begin(), next.endpoints.end(),
                                      [&](const plugin_instance& e) { return e.name == h->name(); });
        if (!kept) plan.removed.push_back(h.get());
    }
    return plan;
}

// Its paths, admin routes and gauges go; requests and connections already
// inside finish with the endpoint's stop().
void app::withdraw(endpoint_host& host) {
    for (const auto& p : host.paths()) listener_->remove(p);
    unregister(host.name());
}

// What an endpoint's factory registered besides paths: admin routes, gauges.
void app::unregister(const std::string& name) {
    admin_->remove(name);
    metrics_.remove_gauges("endpoint", name);
}

void app::retire(std::unique_ptr<endpoint_host> host) {
    host->retired = true;
    retired_.push_back(std::move(host));
}

// Options changed, the rest (id, listeners, marshalling) not: the plugin may
// take them without a restart (endpoint::reconfigure).
bool app::take_in_place(endpoint_host& host, const plugin_instance& inst, const std::vector<plugin_instance>& before) {
    const auto was = std::find_if(before.begin(), before.end(),
                                  [&](const plugin_instance& e) { return e.name == inst.name; });
    if (was == before.end() || was->id != inst.id || was->listeners != inst.listeners ||
        was->marshalling != inst.marshalling)
        return false;
    options next = endpoint_options(inst);
    bool taken = false;
    try {
        taken = host.get()->reconfigure(next);
    } catch (...) {
        host.record_fault("reconfigure");
        return false;
    }
    if (!taken) return false;
    host.replace_opts(std::move(next));
    log_->info("endpoint {} took its new options in place", inst.name);
    return true;
}

// The changed endpoint made anew at its old place in the route table. When
// its plugin refuses the new options now (a file it cannot open), the old one
// stays stopped, reported by /_health/?full, and the next reload tries again.
void app::restart_endpoint(endpoint_host& old, const plugin_instance& inst) {
    if (stopping_) return;
    const auto slot = std::find_if(endpoints_.begin(), endpoints_.end(), [&](const auto& h) { return h.get() == &old; });
    if (slot == endpoints_.end()) return;
    const auto index = static_cast<std::size_t>(slot - endpoints_.begin());
    std::unique_ptr<staged_routes> staging;
    std::unique_ptr<endpoint_host> host;
    bool committed = false;
    try {
        host = make_endpoint(inst, index, &staging);
        for (const auto& p : staging->paths())
            if (listener_->serves(p)) throw std::invalid_argument("path " + p + " is already served");
        staging->commit();
        committed = true;
        staged_.push_back(std::move(staging));
        start_endpoint(*host);
    } catch (const std::exception& e) {
        if (host && committed) withdraw(*host);
        if (host) retire(std::move(host));
        unregister(inst.name);
        old.failure = std::string("not restarted with its new options: ") + e.what();
        endpoint_texts_[inst.name].clear();
        register_endpoint_gauge(old);
        log_->critical("endpoint {} not restarted with its new options, it stays stopped: {}", inst.name, e.what());
        return;
    }
    retire(std::move(endpoints_[index]));
    endpoints_[index] = std::move(host);
    register_endpoint_gauge(*endpoints_[index]);
    mount_admin();
    install_routes(config_.routes);
    log_->info("endpoint {} restarted with its new options", inst.name);
}

void app::install_routes(const std::vector<route_entry>& routes) {
    std::vector<endpoint_slot> slots;
    std::vector<std::string> names;
    for (const auto& h : endpoints_) {
        // A retired endpoint keeps its place (indexes are fixed) under a name no route can use.
        slots.push_back({h->retired ? std::string{} : h->name(), h->get()});
        names.push_back(h->name());
    }
    router_->install(compile_routes(routes, slots, metrics_), names);
}

}  // namespace araldo::detail
