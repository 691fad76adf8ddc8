// What the core itself serves on the listener: /_health/, /metrics, the
// admin API (http/admin_routes) and the static files.
#include "app.hpp"
#include "http/static_files.hpp"

#include <boost/json.hpp>

namespace araldo::detail {

// Severity tells an operator what to do: "critical" needs a restart (an
// endpoint's loop ended), "error" is a fault in plugin code that was contained,
// "warning" is what an endpoint reports of the world (a receiver failing,
// Redis reconnecting) and usually heals by itself.
std::vector<health_problem> app::health_problems() const {
    std::vector<health_problem> problems;
    for (const auto& host : endpoints_) {
        if (host->retired) continue;
        if (!host->failure.empty())
            problems.push_back({host->name(), "critical", "stopped with an error: " + host->failure});
        if (host->faults() > 0) {
            problems.push_back({host->name(), "error",
                                std::to_string(host->faults()) + " plugin errors, the last in " + host->last_fault()});
        }
        for (auto& p : host->get()->health()) problems.push_back({host->name(), "warning", std::move(p)});
    }
    return problems;
}

// Liveness: the loop answers and every endpoint's loop runs. Soft problems
// (a failing receiver, Redis reconnecting) do not count: they are the same on
// every node, and failing on them would take the whole fleet out of a load
// balancer at once.
std::string app::liveness_failure() const {
    if (stopping_) return "stopping";
    for (const auto& host : endpoints_) {
        if (!host->running && !host->retired) return host->name() + " is not running";
    }
    return {};
}

void app::register_endpoint_gauge(endpoint_host& host) {
    endpoint_host* h = &host;
    metrics_.gauge("araldo_endpoint_up", {{"endpoint", h->name()}}, "1 while the endpoint runs and reports no problem",
                   [h] {
                       return h->running && h->failure.empty() && h->faults() == 0 && h->get()->health().empty() ? 1.0
                                                                                                                  : 0.0;
                   });
}

// Again after a reload changed the endpoints: the largest admin body limit may have changed.
void app::mount_admin() {
    listener_->remove("/_admin");
    listener_->add(admin_->mount(config_.global.admin_token), config_.core_listeners);
}

std::string app::render_metrics() const { return metrics_.render(); }

void app::register_core_routes() {
    metrics_.gauge("araldo_uptime_seconds", {}, "seconds since the relay started", [this] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    });
    metrics_.gauge("araldo_http_connections", {}, "open HTTP connections on the core's listeners",
                   [this] { return static_cast<double>(listener_->open_connections()); });
    for (const auto& host : endpoints_) register_endpoint_gauge(*host);

    http_route health;
    health.path = "/_health";
    health.prefix = true;  // "/_health" and "/_health/"
    health.methods = {"GET", "HEAD"};
    health.max_body = 0;
    health.handler = [this](http_request req) -> asio::awaitable<http_response> {
        if (req.path != "/_health" && req.path != "/_health/") co_return http_response::error(404, "not found");
        bool full = req.query == "full" || req.query.starts_with("full=") || req.query.starts_with("full&") ||
                    req.query.find("&full") != std::string::npos;
        const std::string dead = liveness_failure();
        if (!full)
            co_return dead.empty() ? http_response::text(200, "ok\n")
                                   : http_response::text(503, "fail: " + dead + "\n");
        auto problems = health_problems();
        boost::json::array list;
        for (auto& p : problems) {
            list.emplace_back(
                boost::json::object{{"endpoint", p.endpoint}, {"severity", p.severity}, {"problem", p.text}});
        }
        boost::json::object body{{"live", dead.empty()}, {"problems", std::move(list)}, {"config", config_hash_}};
        co_return http_response::json(problems.empty() && dead.empty() ? 200 : 500, boost::json::serialize(body));
    };
    const auto& on = config_.core_listeners;
    listener_->add(std::move(health), on);

    http_route metrics;
    metrics.path = "/metrics";
    metrics.methods = {"GET", "HEAD"};
    metrics.max_body = 0;
    metrics.handler = [this](http_request) -> asio::awaitable<http_response> {
        http_response r = http_response::text(200, render_metrics());
        r.content_type = "text/plain; version=0.0.4; charset=utf-8";
        co_return r;
    };
    listener_->add(std::move(metrics), on);

    // The same reload as SIGHUP's, with its outcome in the answer: 200 when
    // applied, 400 for a file that does not load (where, and why), 409 when
    // what changed needs a restart. Nothing changes unless it is 200.
    admin_->on_reload([this] {
        const reload_outcome o = reload_config();
        if (o.result == "ok") {
            return http_response::json(
                200, boost::json::serialize(boost::json::object{{"result", "ok"}, {"config_hash", config_hash_}}));
        }
        return http_response::error(o.result == "invalid" ? 400 : 409, o.error);
    });
    mount_admin();

    if (std::string dir = resolve_static_dir(config_.global.static_dir); !dir.empty()) {
        try {
            listener_->add(static_files_route(dir), on);
        } catch (const std::exception& e) {
            throw config_error({config_.file, 0, 0}, "static-dir " + dir + ": " + e.what());
        }
        log_->debug("serving files from {}", dir);
    }
}

}  // namespace araldo::detail
