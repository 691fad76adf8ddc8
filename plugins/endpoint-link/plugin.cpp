// The endpoint-link plugin: one endpoint factory, two roles (connect: a
// client; accept: the hub).
#include "link_endpoint.hpp"

#include <araldo/plugin.hpp>

namespace {

araldo::plugin_descriptor describe() {
    namespace link = araldo::plugins::endpoint_link;
    araldo::plugin_descriptor d;
    d.name = "endpoint-link";
    d.version = "0.1.0";
    d.endpoints.push_back(araldo::endpoint_factory{
        std::string(link::plugin_id),
        "A secure, reconnecting two-way pipe to another relay: events and requests both ways over WebSocket and TLS.",
        link::link_options(),
        &link::make_link_endpoint,
    });
    return d;
}

}  // namespace

ARALDO_PLUGIN(describe)
