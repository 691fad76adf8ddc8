// The dead-letter admin API of one webhook endpoint. The core mounts it at
// /_admin/endpoints/<name>/ and lets through only requests that passed its
// checks (admin token, path, method, body size):
//
//   GET    deadletters[?since=UNIX_SECONDS|DURATION][&limit=N]
//   GET    deadletters/<id>
//   POST   deadletters/<id>/retry
//   POST   deadletters/retry
//   DELETE deadletters/<id>
//   POST   enable
//
// What is left here is the endpoint's own: the query and the id.
#pragma once

#include <araldo/context.hpp>

namespace araldo::plugins::endpoint_webhook {

class webhook_endpoint;

// Adds the routes through ctx.http(); `ep` and `ctx` live as long as the process.
void add_admin_routes(webhook_endpoint& ep, araldo::endpoint_context& ctx);

}  // namespace araldo::plugins::endpoint_webhook
