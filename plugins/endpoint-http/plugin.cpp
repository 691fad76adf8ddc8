// The endpoint-http plugin: one endpoint factory.
#include "http_endpoint.hpp"

#include <araldo/plugin.hpp>

namespace {

araldo::plugin_descriptor describe() {
    namespace http = araldo::plugins::endpoint_http;
    araldo::plugin_descriptor d;
    d.name = "endpoint-http";
    d.version = "0.1.0";
    d.endpoints.push_back(araldo::endpoint_factory{
        std::string(http::plugin_id),
        "HTTP ingress: POSTs (JSON or form) on a path of the core listener become messages, or (mode: request) "
        "requests answered with a responder's reply.",
        http::http_options(),
        &http::make_http_endpoint,
    });
    return d;
}

}  // namespace

ARALDO_PLUGIN(describe)
