// The endpoint-upstream plugin: one endpoint factory.
#include "upstream_endpoint.hpp"
#include "upstream_options.hpp"

#include <araldo/plugin.hpp>

namespace {

araldo::plugin_descriptor describe() {
    namespace upstream = araldo::plugins::endpoint_upstream;
    araldo::plugin_descriptor d;
    d.name = "endpoint-upstream";
    d.version = "0.1.0";
    d.endpoints.push_back(araldo::endpoint_factory{
        std::string(upstream::plugin_id),
        "Answers request messages by forwarding each to a local HTTP service and replying with its response.",
        upstream::upstream_options(),
        &upstream::make_upstream_endpoint,
    });
    return d;
}

}  // namespace

ARALDO_PLUGIN(describe)
