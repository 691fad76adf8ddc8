// The endpoint-mock plugin: one endpoint factory.
#include "mock_endpoint.hpp"

#include <araldo/plugin.hpp>

namespace {

araldo::plugin_descriptor describe() {
    namespace mock = araldo::plugins::endpoint_mock;
    araldo::plugin_descriptor d;
    d.name = "endpoint-mock";
    d.version = "0.1.0";
    d.endpoints.push_back(araldo::endpoint_factory{
        std::string(mock::plugin_id),
        "Test endpoint: ingests configured payloads at start and records what it receives.",
        mock::mock_options(),
        &mock::make_mock_endpoint,
    });
    return d;
}

}  // namespace

ARALDO_PLUGIN(describe)
