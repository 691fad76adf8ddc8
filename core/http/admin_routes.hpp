// The core's admin API at /_admin/: one token check, one error shape and one
// refusal count for every admin path, and the handlers endpoints add through
// their context, each mounted under /_admin/endpoints/<endpoint-name>/.
//
//   GET /_admin/                               the endpoints with admin handlers, and their paths
//   POST /_admin/reload                        re-reads the configuration file (core)
//   ANY /_admin/endpoints/<name>/<path>...     an endpoint's handler (admin_route)
//
// Guarded by global.admin-token (Authorization: Bearer <token>): an empty
// token disables the whole API (403), a missing or wrong one is a 401, and
// both come before anything that would tell which endpoints exist.
#pragma once

#include <araldo/http.hpp>
#include <araldo/metrics.hpp>

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace spdlog {
class logger;
}

namespace araldo::detail {

class admin_routes {
public:
    // `metrics` must outlive this (araldo_admin_refused_total{status}).
    admin_routes(metrics_registry& metrics, std::shared_ptr<spdlog::logger> log);

    // From an endpoint's factory. Throws std::invalid_argument for a path
    // with an empty segment, '?' or '#', for a missing handler and for the
    // same path and kind twice on one endpoint.
    void add(const std::string& endpoint, const std::string& plugin_id, admin_route route);
    // Every route of that endpoint (removed or restarted by a reload);
    // requests already dispatched to them finish.
    void remove(const std::string& endpoint);

    // POST /_admin/reload: what the core answers (the reload's outcome).
    void on_reload(std::function<http_response()> handler) { reload_ = std::move(handler); }

    // The one listener route for /_admin and everything below it, with the
    // largest of the admin routes' body limits, so that the listener refuses
    // a larger body before reading it. Mounted again when a reload changed
    // the endpoints (the limit may have changed).
    http_route mount(std::string token);

private:
    struct mounted {
        std::vector<std::string> segments;  // of route.path
        std::shared_ptr<const admin_route> route;
    };
    struct endpoint_table {
        std::string name;
        std::string plugin_id;
        std::vector<mounted> routes;
    };

    // Where a request goes once it passed every check.
    struct dispatch {
        std::shared_ptr<const admin_route> route;  // held across the await: a reload may remove it
        std::string endpoint;
        std::vector<std::string> rest;  // below the route's path
    };

    asio::awaitable<http_response> serve(http_request req);
    // The refusal (or the listing) the core answers itself, or the handler.
    std::variant<http_response, dispatch> resolve(const http_request& req);
    std::optional<http_response> check_token(const http_request& req) const;
    http_response listing() const;
    const endpoint_table* find(std::string_view name) const;
    http_response refused(const http_request& req, http_response r);

    std::shared_ptr<spdlog::logger> log_;
    metrics_registry& metrics_;
    std::map<unsigned, counter*> refused_;   // by status, looked up on first use
    std::vector<endpoint_table> endpoints_;  // in the order they first added a route
    std::string token_digest_;               // of global.admin-token; empty: the API is disabled
    std::function<http_response()> reload_;
};

}  // namespace araldo::detail
