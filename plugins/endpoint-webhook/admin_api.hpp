// The dead-letter admin API on the core listener, shared by every webhook
// endpoint of the process: the first endpoint made registers the routes, the
// others join the registry (the listener refuses a path registered twice).
//
//   GET    /_admin/deadletters[?endpoint=NAME][&since=UNIX_SECONDS|DURATION][&limit=N]
//   GET    /_admin/deadletters/<id>
//   POST   /_admin/deadletters/<id>/retry
//   POST   /_admin/deadletters/retry[?endpoint=NAME]
//   DELETE /_admin/deadletters/<id>
//   POST   /_admin/endpoints/<name>/enable
//
// Guarded by global.admin-token (Authorization: Bearer <token>): an empty
// token disables the API (403), a missing or wrong one is a 401.
#pragma once

#include <araldo/context.hpp>
#include <araldo/http.hpp>

#include <string>
#include <vector>

namespace araldo::plugins::endpoint_webhook {

class webhook_endpoint;

class admin_api {
public:
    static admin_api& instance();
    // Throws std::invalid_argument when another plugin owns the paths.
    void add(webhook_endpoint& ep, araldo::endpoint_context& ctx);

private:
    asio::awaitable<http_response> deadletters(http_request req);
    asio::awaitable<http_response> endpoints(http_request req);
    std::optional<http_response> refuse(const http_request& req) const;
    http_response list(const http_request& req) const;
    http_response show(const std::string& id) const;
    http_response retry_one(const std::string& id);
    http_response retry_all(const http_request& req);
    http_response discard(const std::string& id);
    webhook_endpoint* find(std::string_view name) const;

    std::vector<webhook_endpoint*> endpoints_;  // owned by the core, alive for the process
    std::string token_;
    std::string data_dir_;
    bool registered_ = false;
};

}  // namespace araldo::plugins::endpoint_webhook
