// The endpoint-websocket plugin: one endpoint factory.
#include "ws_endpoint.hpp"

#include <araldo/plugin.hpp>

namespace {

araldo::plugin_descriptor describe() {
    namespace ws = araldo::plugins::endpoint_websocket;
    araldo::plugin_descriptor d;
    d.name = "endpoint-websocket";
    d.version = "0.1.0";
    d.endpoints.push_back(araldo::endpoint_factory{
        std::string(ws::plugin_id),
        "WebSocket clients (browsers) on a path of the core's listener: fan-out to every client, client messages "
        "routed.",
        ws::ws_options(),
        &ws::make_ws_endpoint,
    });
    return d;
}

}  // namespace

ARALDO_PLUGIN(describe)
