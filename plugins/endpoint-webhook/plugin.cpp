// The endpoint-webhook plugin: one endpoint factory and the deadletters command.
#include "deadletters_command.hpp"
#include "webhook_endpoint.hpp"

#include <araldo/plugin.hpp>

namespace {

araldo::plugin_descriptor describe() {
    namespace webhook = araldo::plugins::endpoint_webhook;
    araldo::plugin_descriptor d;
    d.name = "endpoint-webhook";
    d.version = "0.1.0";
    d.endpoints.push_back(araldo::endpoint_factory{
        std::string(webhook::plugin_id),
        "Signed HTTP webhooks: POSTs routed messages to a URL with retries, dead letters and a spool.",
        webhook::webhook_options(),
        &webhook::make_webhook_endpoint,
    });
    d.commands.push_back(webhook::deadletters_command());
    return d;
}

}  // namespace

ARALDO_PLUGIN(describe)
