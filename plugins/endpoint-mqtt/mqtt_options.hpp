// endpoint-mqtt's option table and the settings read from it.
#pragma once

#include <araldo/attribute_template.hpp>
#include <araldo/backoff.hpp>
#include "mqtt_url.hpp"

#include <araldo/options.hpp>
#include <araldo/tls.hpp>
#include <araldo/units.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace araldo::plugins::endpoint_mqtt {

// The template code is endpoint-redis's until it moves into the SDK.
using araldo::attribute_template;

struct will_settings {
    std::string topic;
    std::string payload;
    int qos = 0;
    bool retain = false;
};

struct subscription {
    std::string topic;  // a filter: + and # allowed
    int qos = 0;
};

struct publish_settings {
    attribute_template topic;  // over the message's attributes
    int qos = 0;
    bool retain = false;
};

// Topic filters one endpoint may subscribe to; far below the 65535 packet ids.
inline constexpr std::size_t max_subscriptions = 10000;

struct mqtt_settings {
    mqtt_address address;
    // Set exactly when the URL is mqtts://; its files are read in start().
    std::optional<araldo::tls_client_config> tls;
    bool mqtt5 = true;      // protocol: 5, else 3.1.1
    std::string client_id;  // empty: a random one per connection, clean-start only
    bool clean_start = true;
    std::uint32_t session_expiry = 0;  // seconds, MQTT 5
    int keepalive = 60;                // seconds
    std::optional<will_settings> will;
    std::vector<subscription> subscribe;
    std::optional<publish_settings> publish;
    // The folder inbound messages get, a template over {topic}.
    std::optional<attribute_template> folder;
    std::size_t queue_size = 10000;
    std::size_t max_inflight = 100;
    std::uint64_t max_message_size = 1024 * 1024;
    araldo::backoff_settings reconnect;
};

option_table mqtt_options();
// Reads validated options; throws config_error (through opts.fail) for a bad
// URL, a topic or filter MQTT refuses, a template that does not parse, options
// that exclude each other. Reads no file.
mqtt_settings read_mqtt_settings(const araldo::options& opts, const araldo::global_settings& global);

}  // namespace araldo::plugins::endpoint_mqtt
