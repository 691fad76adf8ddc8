// The endpoint-redis plugin: one endpoint factory.
#include "redis_endpoint.hpp"

#include <araldo/plugin.hpp>

namespace {

araldo::plugin_descriptor describe() {
    namespace redis = araldo::plugins::endpoint_redis;
    araldo::plugin_descriptor d;
    d.name = "endpoint-redis";
    d.version = "0.1.0";
    d.endpoints.push_back(araldo::endpoint_factory{
        std::string(redis::plugin_id),
        "Redis Pub/Sub: ingests messages from subscribed channels and patterns, PUBLISHes routed messages.",
        redis::redis_options(),
        &redis::make_redis_endpoint,
    });
    return d;
}

}  // namespace

ARALDO_PLUGIN(describe)
