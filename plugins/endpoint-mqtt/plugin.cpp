// The endpoint-mqtt plugin: one endpoint factory.
#include "mqtt_endpoint.hpp"

#include <araldo/plugin.hpp>

namespace {

araldo::plugin_descriptor describe() {
    namespace mqtt = araldo::plugins::endpoint_mqtt;
    araldo::plugin_descriptor d;
    d.name = "endpoint-mqtt";
    d.version = "0.1.0";
    d.endpoints.push_back(araldo::endpoint_factory{
        std::string(mqtt::plugin_id),
        "MQTT 3.1.1 and 5 client: ingests messages of subscribed topic filters, publishes routed messages.",
        mqtt::mqtt_options(),
        &mqtt::make_mqtt_endpoint,
    });
    return d;
}

}  // namespace

ARALDO_PLUGIN(describe)
