// Where an endpoint-mqtt connects, parsed from its `url` option:
// mqtt://[user[:password]@]host[:port] or mqtts://... for TLS.
// Separate from the option table so it can be tested without a config.
#pragma once

#include <araldo/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace araldo::plugins::endpoint_mqtt {

struct mqtt_address {
    bool tls = false;  // mqtts://
    std::string host;  // a name or an address (IPv6 without brackets)
    std::uint16_t port = 1883;
    std::string user;      // empty: no username
    std::string password;  // empty: none (MQTT allows a username alone)

    // For logs and health: never shows the credentials.
    std::string display() const;
};

// Fails with what is wrong and, after " -- ", a hint.
araldo::result<mqtt_address> parse_mqtt_url(std::string_view url);

}  // namespace araldo::plugins::endpoint_mqtt
