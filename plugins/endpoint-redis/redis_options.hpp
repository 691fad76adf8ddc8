// endpoint-redis's option table and the settings read from it.
#pragma once

#include <araldo/attribute_template.hpp>
#include <araldo/backoff.hpp>
#include "redis_url.hpp"

#include <araldo/options.hpp>
#include <araldo/tls.hpp>
#include <araldo/units.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace araldo::plugins::endpoint_redis {

struct redis_settings {
    redis_address address;
    // Set exactly when the URL is rediss://; its files are read in start().
    std::optional<araldo::tls_client_config> tls;
    std::vector<std::string> subscribe;   // channels, without duplicates
    std::vector<std::string> psubscribe;  // patterns, without duplicates
    // The channel outbound messages go to: a name, or a template over their
    // attributes ("events{folder}").
    std::optional<attribute_template> publish;
    // The folder inbound messages get, a template over {channel}.
    std::optional<attribute_template> folder;
    std::size_t queue_size = 10000;
    // The largest payload (any bulk string) read from Redis, and published to it.
    std::uint64_t max_message_size = 1024 * 1024;
    araldo::backoff_settings reconnect;
};

option_table redis_options();
// Reads validated options; throws config_error (through opts.fail) for a bad
// URL, a `tls` block without rediss://, an endpoint with nothing to do, a
// template that does not parse or cannot make a folder, or inconsistent
// backoff bounds. Reads no file.
redis_settings read_redis_settings(const araldo::options& opts, const araldo::global_settings& global);

}  // namespace araldo::plugins::endpoint_redis
